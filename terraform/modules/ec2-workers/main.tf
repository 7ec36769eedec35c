data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

# Service principals differ between partitions (aws, aws-cn).
data "aws_service_principal" "ec2" {
  service_name = "ec2"
}

locals {
  partition = data.aws_partition.current.partition
  region    = data.aws_region.current.region
  asg_name  = "${var.name}-workers"
  hook_name = "graceful-stop"
  ami_param = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${var.architecture}"
  create_sg = length(var.security_group_ids) == 0
  sg_ids    = local.create_sg ? [aws_security_group.workers[0].id] : var.security_group_ids
  asg_arn   = "arn:${local.partition}:autoscaling:${local.region}:${data.aws_caller_identity.current.account_id}:autoScalingGroup:*:autoScalingGroupName/${local.asg_name}"

  user_data = templatefile("${path.module}/user-data.sh.tftpl", {
    region        = local.region
    binary_s3_uri = "s3://${var.binary_s3_bucket}/${var.binary_s3_key}"
    # The worker reads exactly the Lambda's environment (s3migrate worker --from-env).
    environment = merge(module.settings.environment, {
      S3MIGRATE_QUEUE_URL = var.queue_url
      S3MIGRATE_TABLE     = var.table_name
    })
    worker_args           = join("", [for a in var.worker_args : " ${a}"])
    graceful_stop_seconds = var.graceful_stop_seconds
    asg_name              = local.asg_name
    hook_name             = local.hook_name
  })
}

module "settings" {
  source = "../worker/modules/settings"

  job_type                = var.job_type
  role_covers_both_sides  = var.role_covers_both_sides
  source_buckets          = var.source_buckets
  destination_bucket      = var.destination_bucket
  destination_prefix      = var.destination_prefix
  destination_region      = var.destination_region
  storage_class           = var.storage_class
  queue_url               = var.queue_url
  queue_arn               = var.queue_arn
  table_name              = var.table_name
  table_arn               = var.table_arn
  delete_on_remove        = var.delete_on_remove
  parts_in_flight         = var.parts_in_flight
  proxy_url               = var.proxy_url
  credentials_environment = var.credentials_environment
  credentials_policy_json = var.credentials_policy_json
  bucket_kms_key_arns     = var.bucket_kms_key_arns
  extra_environment       = var.extra_environment
}

# --- identity ------------------------------------------------------------

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = [data.aws_service_principal.ec2.name]
    }
  }
}

resource "aws_iam_role" "workers" {
  name               = "${var.name}-ec2-worker"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "worker" {
  name   = "s3migrate-worker"
  role   = aws_iam_role.workers.id
  policy = module.settings.policy_json
}

data "aws_iam_policy_document" "instance" {
  statement {
    sid       = "DownloadBinary"
    actions   = ["s3:GetObject"]
    resources = ["arn:${local.partition}:s3:::${var.binary_s3_bucket}/${var.binary_s3_key}"]
  }

  statement {
    sid       = "CompleteGracefulStop"
    actions   = ["autoscaling:CompleteLifecycleAction"]
    resources = [local.asg_arn]
  }
}

resource "aws_iam_role_policy" "instance" {
  name   = "s3migrate-instance"
  role   = aws_iam_role.workers.id
  policy = data.aws_iam_policy_document.instance.json
}

resource "aws_iam_role_policy_attachment" "ssm" {
  count      = var.ssm_session_manager ? 1 : 0
  role       = aws_iam_role.workers.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "workers" {
  name = "${var.name}-ec2-worker"
  role = aws_iam_role.workers.name
  tags = var.tags
}

# --- network -------------------------------------------------------------

resource "aws_security_group" "workers" {
  count       = local.create_sg ? 1 : 0
  name_prefix = "${var.name}-workers-"
  description = "s3migrate workers: no ingress, all egress"
  vpc_id      = var.vpc_id
  tags        = var.tags

  egress {
    description      = "S3, SQS, DynamoDB and the far side over HTTPS"
    from_port        = 0
    to_port          = 0
    protocol         = "-1"
    cidr_blocks      = ["0.0.0.0/0"]
    ipv6_cidr_blocks = ["::/0"]
  }

  lifecycle {
    create_before_destroy = true
    precondition {
      condition     = var.vpc_id != null
      error_message = "vpc_id is needed when security_group_ids is empty."
    }
  }
}

# --- instances -----------------------------------------------------------

resource "aws_launch_template" "workers" {
  name_prefix = "${var.name}-workers-"
  description = "s3migrate worker on Amazon Linux 2023 (${var.architecture}) with BBR"
  # Resolved by EC2 at each launch: always the current AL2023 image.
  image_id      = "resolve:ssm:${local.ami_param}"
  instance_type = var.instance_types[0]
  user_data     = base64encode(local.user_data)
  tags          = var.tags

  iam_instance_profile {
    arn = aws_iam_instance_profile.workers.arn
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  network_interfaces {
    associate_public_ip_address = var.associate_public_ip
    security_groups             = local.sg_ids
    delete_on_termination       = true
  }

  monitoring {
    enabled = true
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(var.tags, { Name = "${var.name}-worker" })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(var.tags, { Name = "${var.name}-worker" })
  }
}

resource "aws_autoscaling_group" "workers" {
  name                      = local.asg_name
  min_size                  = var.min_size
  max_size                  = var.max_size
  vpc_zone_identifier       = var.subnet_ids
  health_check_type         = "EC2"
  default_instance_warmup   = 120
  capacity_rebalance        = var.spot
  wait_for_capacity_timeout = "0"

  dynamic "launch_template" {
    for_each = var.spot ? [] : [1]
    content {
      id      = aws_launch_template.workers.id
      version = aws_launch_template.workers.latest_version
    }
  }

  dynamic "mixed_instances_policy" {
    for_each = var.spot ? [1] : []
    content {
      instances_distribution {
        on_demand_base_capacity                  = 0
        on_demand_percentage_above_base_capacity = 0
        spot_allocation_strategy                 = "price-capacity-optimized"
      }
      launch_template {
        launch_template_specification {
          launch_template_id = aws_launch_template.workers.id
          version            = aws_launch_template.workers.latest_version
        }
        dynamic "override" {
          for_each = var.instance_types
          content {
            instance_type = override.value
          }
        }
      }
    }
  }

  # Scale-in waits here until the instance's watcher has stopped the worker
  # gracefully (or the heartbeat runs out, 60 s after systemd's own limit).
  initial_lifecycle_hook {
    name                 = local.hook_name
    lifecycle_transition = "autoscaling:EC2_INSTANCE_TERMINATING"
    heartbeat_timeout    = var.graceful_stop_seconds + 60
    default_result       = "CONTINUE"
  }

  instance_refresh {
    strategy = "Rolling"
    preferences {
      min_healthy_percentage = 50
    }
  }

  tag {
    key                 = "Name"
    value               = "${var.name}-worker"
    propagate_at_launch = true
  }

  dynamic "tag" {
    for_each = var.tags
    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }

  lifecycle {
    precondition {
      condition     = var.min_size <= var.max_size
      error_message = "min_size must not exceed max_size."
    }
  }
}

# --- scaling on queue depth -----------------------------------------------

resource "aws_autoscaling_policy" "scale_out" {
  name                      = "${var.name}-scale-out"
  autoscaling_group_name    = aws_autoscaling_group.workers.name
  policy_type               = "StepScaling"
  adjustment_type           = "ChangeInCapacity"
  metric_aggregation_type   = "Maximum"
  estimated_instance_warmup = 120

  # Bounds are visible messages above the alarm threshold (0).
  step_adjustment {
    metric_interval_lower_bound = 0
    metric_interval_upper_bound = var.messages_per_instance
    scaling_adjustment          = 1
  }
  step_adjustment {
    metric_interval_lower_bound = var.messages_per_instance
    metric_interval_upper_bound = 10 * var.messages_per_instance
    scaling_adjustment          = max(1, ceil(var.max_size / 4))
  }
  step_adjustment {
    metric_interval_lower_bound = 10 * var.messages_per_instance
    scaling_adjustment          = max(1, ceil(var.max_size / 2))
  }
}

resource "aws_cloudwatch_metric_alarm" "backlog" {
  alarm_name          = "${var.name}-workers-backlog"
  alarm_description   = "Messages wait in ${var.queue_name}: add s3migrate workers."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = var.queue_name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_autoscaling_policy.scale_out.arn]
  tags                = var.tags
}

resource "aws_autoscaling_policy" "scale_in" {
  name                   = "${var.name}-scale-in"
  autoscaling_group_name = aws_autoscaling_group.workers.name
  policy_type            = "StepScaling"
  adjustment_type        = "ExactCapacity"

  step_adjustment {
    metric_interval_upper_bound = 0
    scaling_adjustment          = var.min_size
  }
}

# Idle = nothing visible and nothing in flight for idle_minutes: only then
# does the group shrink, so scale-in never interrupts a busy worker.
resource "aws_cloudwatch_metric_alarm" "idle" {
  alarm_name          = "${var.name}-workers-idle"
  alarm_description   = "${var.queue_name} has been empty for ${var.idle_minutes} minutes: shrink the s3migrate workers to ${var.min_size}."
  evaluation_periods  = var.idle_minutes
  comparison_operator = "LessThanOrEqualToThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_autoscaling_policy.scale_in.arn]
  tags                = var.tags

  metric_query {
    id          = "work"
    expression  = "visible + inflight"
    label       = "messages visible or in flight"
    return_data = true
  }

  metric_query {
    id = "visible"
    metric {
      namespace   = "AWS/SQS"
      metric_name = "ApproximateNumberOfMessagesVisible"
      dimensions  = { QueueName = var.queue_name }
      stat        = "Maximum"
      period      = 60
    }
  }

  metric_query {
    id = "inflight"
    metric {
      namespace   = "AWS/SQS"
      metric_name = "ApproximateNumberOfMessagesNotVisible"
      dimensions  = { QueueName = var.queue_name }
      stat        = "Maximum"
      period      = 60
    }
  }
}
