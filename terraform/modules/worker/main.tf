data "aws_region" "current" {}

# Service principals differ between partitions (aws, aws-cn).
data "aws_service_principal" "lambda" {
  service_name = "lambda"
}

locals {
  region      = data.aws_region.current.region
  log_group   = "/aws/lambda/${var.name}"
  in_vpc      = length(var.vpc_subnet_ids) > 0
  alarm_topic = var.alarm_topic_arn != null ? var.alarm_topic_arn : aws_sns_topic.alarms[0].arn
}

module "settings" {
  source = "./modules/settings"

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

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = [data.aws_service_principal.lambda.name]
    }
  }
}

resource "aws_iam_role" "worker" {
  name               = "${var.name}-worker"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "worker" {
  name   = "s3migrate-worker"
  role   = aws_iam_role.worker.id
  policy = module.settings.policy_json
}

data "aws_iam_policy_document" "runtime" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.worker.arn}:*"]
  }

  # What Lambda needs to attach the function to the VPC (the same actions
  # as the managed AWSLambdaVPCAccessExecutionRole policy).
  dynamic "statement" {
    for_each = local.in_vpc ? [1] : []
    content {
      sid = "VpcNetworkInterfaces"
      actions = [
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
      ]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "runtime" {
  name   = "lambda-runtime"
  role   = aws_iam_role.worker.id
  policy = data.aws_iam_policy_document.runtime.json
}

resource "aws_cloudwatch_log_group" "worker" {
  name              = local.log_group
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_lambda_function" "worker" {
  function_name                  = var.name
  description                    = "s3migrate worker: copies the objects named by SQS messages"
  role                           = aws_iam_role.worker.arn
  runtime                        = "provided.al2023"
  handler                        = "bootstrap"
  architectures                  = [var.architecture]
  filename                       = var.lambda_zip_path
  source_code_hash               = filebase64sha256(var.lambda_zip_path)
  memory_size                    = var.memory_size_mb
  timeout                        = var.timeout_seconds
  reserved_concurrent_executions = var.reserved_concurrent_executions
  tags                           = var.tags

  environment {
    variables = module.settings.environment
  }

  dynamic "vpc_config" {
    for_each = local.in_vpc ? [1] : []
    content {
      subnet_ids         = var.vpc_subnet_ids
      security_group_ids = var.vpc_security_group_ids
    }
  }

  depends_on = [
    aws_cloudwatch_log_group.worker,
    aws_iam_role_policy.runtime,
    aws_iam_role_policy.worker,
  ]

  lifecycle {
    precondition {
      condition     = var.queue_visibility_timeout_seconds >= 6 * var.timeout_seconds
      error_message = "The queue's visibility timeout (${var.queue_visibility_timeout_seconds} s) must be at least 6 x the function timeout (${6 * var.timeout_seconds} s); set the queue module's function_timeout_seconds to this module's timeout_seconds."
    }
    precondition {
      condition     = !local.in_vpc || length(var.vpc_security_group_ids) > 0
      error_message = "vpc_security_group_ids is needed when vpc_subnet_ids is set."
    }
    precondition {
      condition     = var.reserved_concurrent_executions == -1 || var.reserved_concurrent_executions >= var.maximum_concurrency
      error_message = "reserved_concurrent_executions must be -1 or at least maximum_concurrency; throttled receives count towards maxReceiveCount."
    }
  }
}

resource "aws_lambda_event_source_mapping" "queue" {
  event_source_arn                   = var.queue_arn
  function_name                      = aws_lambda_function.worker.arn
  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.maximum_batching_window_in_seconds
  function_response_types            = ["ReportBatchItemFailures"]
  tags                               = var.tags

  scaling_config {
    maximum_concurrency = var.maximum_concurrency
  }

  lifecycle {
    precondition {
      condition     = var.batch_size <= 10 || var.maximum_batching_window_in_seconds > 0
      error_message = "batch_size above 10 needs maximum_batching_window_in_seconds > 0."
    }
  }
}

resource "aws_sns_topic" "alarms" {
  count = var.alarm_topic_arn == null ? 1 : 0
  name  = "${var.name}-alarms"
  tags  = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = var.alarm_topic_arn == null ? toset(var.alarm_emails) : toset([])
  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_cloudwatch_metric_alarm" "dlq_not_empty" {
  alarm_name          = "${var.name}-dlq-not-empty"
  alarm_description   = "Messages reached the dead-letter queue ${var.dlq_name}: objects that failed ${var.queue_name}'s maxReceiveCount times. Inspect them, fix the cause and redrive."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = var.dlq_name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.alarm_topic]
  ok_actions          = [local.alarm_topic]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "${var.name}-errors"
  alarm_description   = "The worker function ${var.name} failed invocations (crashes or timeouts, not per-object failures)."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.worker.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.errors_alarm_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.alarm_topic]
  ok_actions          = [local.alarm_topic]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "throttles" {
  alarm_name          = "${var.name}-throttles"
  alarm_description   = "The worker function ${var.name} was throttled; throttled receives count towards maxReceiveCount. Lower maximum_concurrency or raise the account's concurrency."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = aws_lambda_function.worker.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.alarm_topic]
  ok_actions          = [local.alarm_topic]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "oldest_message" {
  alarm_name          = "${var.name}-backlog-age"
  alarm_description   = "The oldest message in ${var.queue_name} waited longer than ${var.oldest_message_alarm_seconds} s: the workers do not keep up or are stuck."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = var.queue_name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.oldest_message_alarm_seconds
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.alarm_topic]
  ok_actions          = [local.alarm_topic]
  tags                = var.tags
}

locals {
  # SEARCH over the namespace so the widgets show the worker's metrics
  # whatever dimensions it adds; SUM folds them into one line.
  emf = { for m in ["BytesCopied", "ObjectsDone", "ObjectsFailed", "ThroughputMBps"] :
    m => "SEARCH('Namespace=\"${var.metrics_namespace}\" MetricName=\"${m}\"', '${m == "ThroughputMBps" ? "Average" : "Sum"}', 60)"
  }
  widgets = [
    {
      type = "metric", x = 0, y = 0, width = 12, height = 6
      properties = {
        title = "Aggregate throughput (MB/s)", region = local.region, view = "timeSeries", stat = "Sum", period = 60
        yAxis = { left = { min = 0 } }
        metrics = [
          [{ expression = "SUM(${local.emf.BytesCopied})", id = "bytes", visible = false }],
          [{ expression = "bytes / 60 / 1048576", id = "mbps", label = "MB/s (all workers)" }],
        ]
      }
    },
    {
      type = "metric", x = 12, y = 0, width = 12, height = 6
      properties = {
        title = "Objects per minute", region = local.region, view = "timeSeries", stat = "Sum", period = 60
        metrics = [
          [{ expression = "SUM(${local.emf.ObjectsDone})", id = "done", label = "ObjectsDone" }],
          [{ expression = "SUM(${local.emf.ObjectsFailed})", id = "failed", label = "ObjectsFailed", color = "#d62728" }],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 6, width = 12, height = 6
      properties = {
        title = "Per-object throughput (MB/s, average)", region = local.region, view = "timeSeries", stat = "Average", period = 60
        metrics = [
          [{ expression = "AVG(${local.emf.ThroughputMBps})", id = "tp", label = "ThroughputMBps" }],
        ]
      }
    },
    {
      type = "metric", x = 12, y = 6, width = 12, height = 6
      properties = {
        title = "Queue", region = local.region, view = "timeSeries", stat = "Maximum", period = 60
        metrics = [
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", var.queue_name, { label = "visible" }],
          ["AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "QueueName", var.queue_name, { label = "in flight" }],
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", var.dlq_name, { label = "DLQ", color = "#d62728" }],
          ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", var.queue_name, { label = "oldest (s)", yAxis = "right" }],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 12, width = 24, height = 6
      properties = {
        title = "Worker function", region = local.region, view = "timeSeries", stat = "Sum", period = 60
        metrics = [
          ["AWS/Lambda", "Invocations", "FunctionName", var.name],
          ["AWS/Lambda", "Errors", "FunctionName", var.name, { color = "#d62728" }],
          ["AWS/Lambda", "Throttles", "FunctionName", var.name, { color = "#ff7f0e" }],
          ["AWS/Lambda", "ConcurrentExecutions", "FunctionName", var.name, { stat = "Maximum", yAxis = "right" }],
        ]
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "worker" {
  count          = var.create_dashboard ? 1 : 0
  dashboard_name = var.name
  dashboard_body = jsonencode({ widgets = local.widgets })
}
