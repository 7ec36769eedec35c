# Copies new objects from a bucket in one region to a bucket in another
# region of the same account. The worker's own role covers both buckets:
# no access key is stored.

locals {
  zip = coalesce(var.lambda_zip_path, "${path.module}/../../../dist/lambda-${var.architecture}.zip")
}

data "aws_partition" "current" {}

resource "aws_s3_bucket" "source" {
  count         = var.create_buckets ? 1 : 0
  bucket        = var.source_bucket
  force_destroy = true
}

resource "aws_s3_bucket_public_access_block" "source" {
  count                   = var.create_buckets ? 1 : 0
  bucket                  = aws_s3_bucket.source[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket" "destination" {
  provider      = aws.destination
  count         = var.create_buckets ? 1 : 0
  bucket        = var.destination_bucket
  force_destroy = true
}

resource "aws_s3_bucket_public_access_block" "destination" {
  provider                = aws.destination
  count                   = var.create_buckets ? 1 : 0
  bucket                  = aws_s3_bucket.destination[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

locals {
  source_bucket      = var.create_buckets ? aws_s3_bucket.source[0].id : var.source_bucket
  destination_bucket = var.create_buckets ? aws_s3_bucket.destination[0].id : var.destination_bucket
}

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
  role_covers_both_sides           = true
  source_buckets                   = [{ bucket = local.source_bucket, prefix = var.source_prefix }]
  destination_bucket               = local.destination_bucket
  destination_prefix               = var.destination_prefix
  destination_region               = var.destination_region
  alarm_emails                     = var.alarm_emails
}

module "events" {
  source = "../../modules/s3-events"

  bucket          = local.source_bucket
  queue_arn       = module.queue.queue_arn
  queue_policy_id = module.queue.queue_policy_id
  filters         = [{ prefix = var.source_prefix }]
}
