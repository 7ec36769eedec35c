# The egress module: a VPC (or an existing one) whose private subnets leave
# the VPC through a NAT instance with a pinned Elastic IP. The instance also
# runs the s3migrate egress proxy (HTTP CONNECT, TLS end to end), because a
# NAT that only forwards cannot change the congestion control of the flows it
# forwards: the proxy terminates TCP, so the long-haul leg runs BBR.

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

data "aws_availability_zones" "available" {
  state = "available"
}

data "aws_ssm_parameter" "ami" {
  name = var.ami_ssm_parameter
}

data "aws_vpc" "existing" {
  count = var.vpc_id == null ? 0 : 1
  id    = var.vpc_id
}

data "aws_internet_gateway" "existing" {
  count = var.vpc_id == null ? 0 : 1

  filter {
    name   = "attachment.vpc-id"
    values = [var.vpc_id]
  }
}

locals {
  create_vpc = var.vpc_id == null
  vpc_id     = local.create_vpc ? aws_vpc.this[0].id : var.vpc_id
  vpc_cidr   = local.create_vpc ? var.vpc_cidr : data.aws_vpc.existing[0].cidr_block
  igw_id     = local.create_vpc ? aws_internet_gateway.this[0].id : data.aws_internet_gateway.existing[0].internet_gateway_id
  azs        = slice(data.aws_availability_zones.available.names, 0, var.availability_zone_count)

  # Public subnets are small blocks at the start of the VPC range (/24s in a
  # /16), private subnets /20s (in a /16) from the upper half.
  public_cidrs  = var.public_subnet_cidrs != null ? var.public_subnet_cidrs : [for i in range(var.availability_zone_count) : cidrsubnet(local.vpc_cidr, 8, i)]
  private_cidrs = var.private_subnet_cidrs != null ? var.private_subnet_cidrs : [for i in range(var.availability_zone_count) : cidrsubnet(local.vpc_cidr, 4, 8 + i)]

  asg_name  = "${var.name}-nat"
  hook_name = "${var.name}-nat-checks"

  s3_bucket = split("/", trimprefix(var.proxy_binary_s3_uri, "s3://"))[0]
  s3_key    = join("/", slice(split("/", trimprefix(var.proxy_binary_s3_uri, "s3://")), 1, length(split("/", trimprefix(var.proxy_binary_s3_uri, "s3://")))))

  proxy_listen = "${aws_network_interface.nat.private_ip}:${var.proxy_port}"

  tags = merge(var.tags, { "s3migrate:module" = "egress" })
}

# ---- network ---------------------------------------------------------------

resource "aws_vpc" "this" {
  count = local.create_vpc ? 1 : 0

  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = merge(local.tags, { Name = var.name })
}

resource "aws_internet_gateway" "this" {
  count = local.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id
  tags   = merge(local.tags, { Name = var.name })
}

resource "aws_subnet" "public" {
  count = var.availability_zone_count

  vpc_id                  = local.vpc_id
  cidr_block              = local.public_cidrs[count.index]
  availability_zone       = local.azs[count.index]
  map_public_ip_on_launch = true
  tags                    = merge(local.tags, { Name = "${var.name}-public-${local.azs[count.index]}" })

  lifecycle {
    precondition {
      condition     = length(local.public_cidrs) == var.availability_zone_count && length(local.private_cidrs) == var.availability_zone_count
      error_message = "public_subnet_cidrs and private_subnet_cidrs must each hold availability_zone_count blocks."
    }
    precondition {
      condition     = local.create_vpc || (var.public_subnet_cidrs != null && var.private_subnet_cidrs != null)
      error_message = "With an existing vpc_id, give public_subnet_cidrs and private_subnet_cidrs (free ranges of that VPC)."
    }
  }
}

resource "aws_subnet" "private" {
  count = var.availability_zone_count

  vpc_id            = local.vpc_id
  cidr_block        = local.private_cidrs[count.index]
  availability_zone = local.azs[count.index]
  tags              = merge(local.tags, { Name = "${var.name}-private-${local.azs[count.index]}" })
}

resource "aws_route_table" "public" {
  vpc_id = local.vpc_id
  tags   = merge(local.tags, { Name = "${var.name}-public" })
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = local.igw_id
}

resource "aws_route_table_association" "public" {
  count = var.availability_zone_count

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "private" {
  vpc_id = local.vpc_id
  tags   = merge(local.tags, { Name = "${var.name}-private" })
}

# The private subnets' default route targets the static ENI, not an
# instance: a replacement instance re-attaches the ENI and the route holds.
resource "aws_route" "private_nat" {
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "0.0.0.0/0"
  network_interface_id   = aws_network_interface.nat.id
}

resource "aws_route_table_association" "private" {
  count = var.availability_zone_count

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

# ---- security groups -------------------------------------------------------

resource "aws_security_group" "nat" {
  name_prefix = "${var.name}-nat-"
  description = "s3migrate NAT instance: forwards the private subnets and serves the egress proxy"
  vpc_id      = local.vpc_id
  tags        = merge(local.tags, { Name = "${var.name}-nat" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "nat_forward" {
  for_each = toset(local.private_cidrs)

  security_group_id = aws_security_group.nat.id
  description       = "Traffic from the private subnet ${each.value} to forward (NAT)"
  ip_protocol       = "-1"
  cidr_ipv4         = each.value
  tags              = local.tags
}

resource "aws_vpc_security_group_ingress_rule" "nat_proxy" {
  security_group_id            = aws_security_group.nat.id
  description                  = "Workers to the egress proxy"
  ip_protocol                  = "tcp"
  from_port                    = var.proxy_port
  to_port                      = var.proxy_port
  referenced_security_group_id = aws_security_group.worker.id
  tags                         = local.tags
}

resource "aws_vpc_security_group_egress_rule" "nat_all" {
  security_group_id = aws_security_group.nat.id
  description       = "Forwarded and proxied traffic to the internet"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
  tags              = local.tags
}

resource "aws_security_group" "worker" {
  name_prefix = "${var.name}-worker-"
  description = "s3migrate workers in the private subnets (Lambda or EC2)"
  vpc_id      = local.vpc_id
  tags        = merge(local.tags, { Name = "${var.name}-worker" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "worker_all" {
  security_group_id = aws_security_group.worker.id
  description       = "To the egress proxy, the NAT and VPC endpoints"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
  tags              = local.tags
}

# ---- NAT instance ----------------------------------------------------------

# The static ENI: route target of the private subnets and holder of the EIP.
resource "aws_network_interface" "nat" {
  subnet_id         = aws_subnet.public[0].id
  security_groups   = [aws_security_group.nat.id]
  source_dest_check = false
  description       = "${var.name} NAT (static; re-attached by each NAT instance)"
  tags              = merge(local.tags, { Name = "${var.name}-nat" })
}

# The pinned egress address the far side can allowlist.
resource "aws_eip" "nat" {
  domain            = "vpc"
  network_interface = aws_network_interface.nat.id
  tags              = merge(local.tags, { Name = "${var.name}-nat" })

  depends_on = [aws_internet_gateway.this]
}

# Service principals differ between partitions (aws, aws-cn).
data "aws_service_principal" "ec2" {
  service_name = "ec2"
}

data "aws_iam_policy_document" "assume_ec2" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = [data.aws_service_principal.ec2.name]
    }
  }
}

resource "aws_iam_role" "nat" {
  name_prefix        = "${var.name}-nat-"
  assume_role_policy = data.aws_iam_policy_document.assume_ec2.json
  tags               = local.tags
}

data "aws_iam_policy_document" "nat" {
  statement {
    sid       = "AttachTheStaticEni"
    actions   = ["ec2:AttachNetworkInterface"]
    resources = ["arn:${data.aws_partition.current.partition}:ec2:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:network-interface/${aws_network_interface.nat.id}", "arn:${data.aws_partition.current.partition}:ec2:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:instance/*"]
  }

  statement {
    sid       = "FindTheStaticEni"
    actions   = ["ec2:DescribeNetworkInterfaces"]
    resources = ["*"]
  }

  statement {
    sid       = "DownloadTheProxy"
    actions   = ["s3:GetObject"]
    resources = ["arn:${data.aws_partition.current.partition}:s3:::${local.s3_bucket}/${local.s3_key}"]
  }

  statement {
    sid       = "ReportBootChecks"
    actions   = ["autoscaling:CompleteLifecycleAction", "autoscaling:SetInstanceHealth"]
    resources = ["arn:${data.aws_partition.current.partition}:autoscaling:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:autoScalingGroup:*:autoScalingGroupName/${local.asg_name}"]
  }
}

resource "aws_iam_role_policy" "nat" {
  name   = "s3migrate-nat"
  role   = aws_iam_role.nat.id
  policy = data.aws_iam_policy_document.nat.json
}

resource "aws_iam_role_policy_attachment" "ssm" {
  count = var.enable_ssm_session_manager ? 1 : 0

  role       = aws_iam_role.nat.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "nat" {
  name_prefix = "${var.name}-nat-"
  role        = aws_iam_role.nat.name
  tags        = local.tags
}

resource "aws_launch_template" "nat" {
  name_prefix   = "${var.name}-nat-"
  description   = "s3migrate NAT instance (AL2023 arm64, ${var.tcp_congestion}, egress proxy)"
  image_id      = data.aws_ssm_parameter.ami.insecure_value
  instance_type = var.instance_type

  iam_instance_profile {
    arn = aws_iam_instance_profile.nat.arn
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  # The primary interface (with a temporary public IP for the boot
  # downloads); the static ENI is attached as the second one at boot.
  network_interfaces {
    device_index                = 0
    associate_public_ip_address = true
    delete_on_termination       = true
    security_groups             = [aws_security_group.nat.id]
  }

  user_data = base64gzip(templatefile("${path.module}/user-data.sh.tftpl", {
    nat_script          = file("${path.module}/scripts/s3migrate-nat.sh")
    eni_id              = aws_network_interface.nat.id
    asg_name            = local.asg_name
    hook_name           = local.hook_name
    nat_source_cidrs    = join(" ", local.private_cidrs)
    proxy_binary_s3_uri = var.proxy_binary_s3_uri
    proxy_listen        = local.proxy_listen
    allow_hosts         = join(",", var.allowed_destination_hosts)
    allow_ports         = join(",", var.allowed_destination_ports)
    tcp_congestion      = var.tcp_congestion
  }))

  tag_specifications {
    resource_type = "instance"
    tags          = merge(local.tags, { Name = "${var.name}-nat" })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(local.tags, { Name = "${var.name}-nat" })
  }

  tags = local.tags
}

# An Auto Scaling group of one: a failed instance is replaced, and the
# replacement re-attaches the static ENI (so the route and the EIP hold).
# The launch hook keeps a new instance out of service until its boot checks
# pass (CONTINUE); a failed check ABANDONs it and the group tries again.
resource "aws_autoscaling_group" "nat" {
  name                      = local.asg_name
  min_size                  = 1
  max_size                  = 1
  desired_capacity          = 1
  vpc_zone_identifier       = [aws_subnet.public[0].id] # the static ENI's zone
  health_check_type         = "EC2"
  health_check_grace_period = 120

  launch_template {
    id      = aws_launch_template.nat.id
    version = aws_launch_template.nat.latest_version
  }

  initial_lifecycle_hook {
    name                 = local.hook_name
    lifecycle_transition = "autoscaling:EC2_INSTANCE_LAUNCHING"
    default_result       = "ABANDON"
    heartbeat_timeout    = 900
  }

  instance_refresh {
    strategy = "Rolling"

    preferences {
      min_healthy_percentage = 0
    }
  }

  dynamic "tag" {
    for_each = merge(local.tags, { Name = "${var.name}-nat" })

    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }

  depends_on = [aws_iam_role_policy.nat, aws_eip.nat, aws_route.public_internet]
}
