# The worker runs in the private subnets of the egress module's VPC and
# reaches the destination through its egress proxy on the NAT instance: the
# far side sees one pinned Elastic IP it can allowlist, and the long-haul TCP
# connections start on the NAT instance, where BBR runs. Everything else
# (SQS, DynamoDB, SSM, the source bucket) leaves through the same NAT.

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  zip        = coalesce(var.lambda_zip_path, "${path.module}/../../../dist/lambda-${var.architecture}.zip")
  dns_suffix = startswith(var.destination_region, "cn-") ? "amazonaws.com.cn" : "amazonaws.com"
  # Path-style and virtual-hosted-style endpoints of the destination region.
  destination_hosts = [
    "s3.${var.destination_region}.${local.dns_suffix}",
    "*.s3.${var.destination_region}.${local.dns_suffix}",
  ]
}

# --- the binary the egress instance runs as its proxy -----------------------

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
  key         = "bin/s3migrate-linux-arm64"
  source      = var.s3migrate_binary_path
  source_hash = filemd5(var.s3migrate_binary_path)
}

module "egress" {
  source = "../../modules/egress"

  name                      = var.name
  vpc_cidr                  = var.vpc_cidr
  allowed_destination_hosts = local.destination_hosts
  proxy_binary_s3_uri       = "s3://${aws_s3_object.binary.bucket}/${aws_s3_object.binary.key}"
}

# --- buckets ---------------------------------------------------------------

resource "aws_s3_bucket" "source" {
  count         = var.create_buckets ? 1 : 0
  bucket        = var.source_bucket
  force_destroy = true
}

resource "aws_s3_bucket" "destination" {
  count         = var.create_buckets && var.destination_in_this_account ? 1 : 0
  region        = var.destination_region
  bucket        = var.destination_bucket
  force_destroy = true
}

# What a far side's allowlist does: writes only from the egress IP.
data "aws_iam_policy_document" "destination" {
  statement {
    sid       = "WritesOnlyFromTheEgressIp"
    effect    = "Deny"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["arn:${data.aws_partition.current.partition}:s3:::${var.destination_bucket}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "NotIpAddress"
      variable = "aws:SourceIp"
      values   = ["${module.egress.egress_ip}/32"]
    }
  }
}

resource "aws_s3_bucket_policy" "destination" {
  count  = var.create_buckets && var.destination_in_this_account && var.restrict_destination_to_egress_ip ? 1 : 0
  region = var.destination_region
  bucket = aws_s3_bucket.destination[0].id
  policy = data.aws_iam_policy_document.destination.json
}

locals {
  source_bucket      = var.create_buckets ? aws_s3_bucket.source[0].id : var.source_bucket
  destination_bucket = var.create_buckets && var.destination_in_this_account ? aws_s3_bucket.destination[0].id : var.destination_bucket
}

# --- queue, state, credentials, worker --------------------------------------

module "queue" {
  source = "../../modules/queue"

  name                     = var.name
  function_timeout_seconds = var.timeout_seconds
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

module "worker" {
  source = "../../modules/worker"

  name                             = var.name
  lambda_zip_path                  = local.zip
  architecture                     = var.architecture
  timeout_seconds                  = var.timeout_seconds
  queue_arn                        = module.queue.queue_arn
  queue_url                        = module.queue.queue_url
  queue_name                       = module.queue.queue_name
  dlq_name                         = module.queue.dlq_name
  queue_visibility_timeout_seconds = module.queue.visibility_timeout_seconds
  table_name                       = module.table.table_name
  table_arn                        = module.table.table_arn
  job_type                         = "PUT"
  role_covers_both_sides           = var.destination_in_this_account
  source_buckets                   = [{ bucket = local.source_bucket, prefix = var.source_prefix }]
  destination_bucket               = local.destination_bucket
  destination_prefix               = var.destination_prefix
  destination_region               = var.destination_region
  credentials_environment          = var.destination_in_this_account ? {} : module.credentials[0].environment
  credentials_policy_json          = var.destination_in_this_account ? null : module.credentials[0].policy_json
  vpc_subnet_ids                   = module.egress.private_subnet_ids
  vpc_security_group_ids           = [module.egress.worker_security_group_id]
  proxy_url                        = module.egress.proxy_url
}

module "events" {
  source = "../../modules/s3-events"

  bucket          = local.source_bucket
  queue_arn       = module.queue.queue_arn
  queue_policy_id = module.queue.queue_policy_id
  filters         = [{ prefix = var.source_prefix }]
}
