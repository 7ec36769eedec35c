# The cluster mode: an Auto Scaling group of `s3migrate worker` instances
# with BBR, scaled on the queue's depth, fed by S3 events of the source
# bucket. Each instance terminates its own long-haul TCP connections, so the
# BBR it enables is the congestion control the far side sees.

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

data "aws_vpc" "default" {
  count   = length(var.subnet_ids) == 0 ? 1 : 0
  default = true
}

data "aws_subnets" "default" {
  count = length(var.subnet_ids) == 0 ? 1 : 0
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default[0].id]
  }
  filter {
    name   = "default-for-az"
    values = ["true"]
  }
}

locals {
  use_default_vpc = length(var.subnet_ids) == 0
  subnet_ids      = local.use_default_vpc ? data.aws_subnets.default[0].ids : var.subnet_ids
  vpc_id          = local.use_default_vpc ? data.aws_vpc.default[0].id : var.vpc_id
  binary_key      = "bin/s3migrate-linux-${var.architecture}"
}

# --- the binary the instances run ------------------------------------------

resource "aws_s3_bucket" "artifacts" {
  bucket        = "${var.name}-artifacts-${data.aws_caller_identity.current.account_id}"
  force_destroy = true
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket                  = aws_s3_bucket.artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_object" "binary" {
  bucket      = aws_s3_bucket.artifacts.id
  key         = local.binary_key
  source      = var.s3migrate_binary_path
  source_hash = filemd5(var.s3migrate_binary_path)
}

# --- buckets ---------------------------------------------------------------

resource "aws_s3_bucket" "source" {
  count         = var.create_buckets ? 1 : 0
  bucket        = var.source_bucket
  force_destroy = true
}

resource "aws_s3_bucket" "destination" {
  count         = var.create_buckets && var.destination_in_this_account ? 1 : 0
  bucket        = var.destination_bucket
  force_destroy = true

  lifecycle {
    precondition {
      condition     = var.destination_region == var.region
      error_message = "create_buckets creates the destination in region; set destination_region to the same region (the same-account-cross-region example shows two regions)."
    }
  }
}

locals {
  source_bucket      = var.create_buckets ? aws_s3_bucket.source[0].id : var.source_bucket
  destination_bucket = var.create_buckets && var.destination_in_this_account ? aws_s3_bucket.destination[0].id : var.destination_bucket
}

# --- queue, state, credentials ---------------------------------------------

module "queue" {
  source = "../../modules/queue"

  name = var.name
  # The EC2 worker extends visibility while it works; 6 x 120 s = 12 min
  # before a message of a crashed instance is delivered again.
  function_timeout_seconds = 120
  source_bucket_arns       = ["arn:${data.aws_partition.current.partition}:s3:::${local.source_bucket}"]
}

module "table" {
  source = "../../modules/table"

  name                = var.name
  deletion_protection = var.table_deletion_protection
}

module "credentials" {
  source = "../../modules/credentials"
  count  = var.destination_in_this_account ? 0 : 1

  name              = var.name
  mode              = "ssm"
  access_key_id     = var.far_access_key_id
  secret_access_key = var.far_secret_access_key
}

module "workers" {
  source = "../../modules/ec2-workers"

  name                    = var.name
  binary_s3_bucket        = aws_s3_object.binary.bucket
  binary_s3_key           = aws_s3_object.binary.key
  architecture            = var.architecture
  instance_types          = var.instance_types
  spot                    = var.spot
  min_size                = var.min_size
  max_size                = var.max_size
  subnet_ids              = local.subnet_ids
  vpc_id                  = local.vpc_id
  associate_public_ip     = local.use_default_vpc
  graceful_stop_seconds   = var.graceful_stop_seconds
  queue_url               = module.queue.queue_url
  queue_arn               = module.queue.queue_arn
  queue_name              = module.queue.queue_name
  table_name              = module.table.table_name
  table_arn               = module.table.table_arn
  job_type                = "PUT"
  role_covers_both_sides  = var.destination_in_this_account
  source_buckets          = [{ bucket = local.source_bucket, prefix = var.source_prefix }]
  destination_bucket      = local.destination_bucket
  destination_prefix      = var.destination_prefix
  destination_region      = var.destination_region
  credentials_environment = var.destination_in_this_account ? {} : module.credentials[0].environment
  credentials_policy_json = var.destination_in_this_account ? null : module.credentials[0].policy_json
}

module "events" {
  source = "../../modules/s3-events"

  bucket          = local.source_bucket
  queue_arn       = module.queue.queue_arn
  queue_policy_id = module.queue.queue_policy_id
  filters         = [{ prefix = var.source_prefix }]
}
