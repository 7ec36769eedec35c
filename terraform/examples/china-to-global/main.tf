# China -> global: new objects in a cn-northwest-1 bucket are copied to a
# bucket in a global region. Everything runs in the China account (ARNs in
# the aws-cn partition come from aws_partition); the worker's role reads the
# source (job type PUT) and the global access key lives in an SSM
# SecureString in China, encrypted with a rotating KMS key.

locals {
  zip = coalesce(var.lambda_zip_path, "${path.module}/../../../dist/lambda-${var.architecture}.zip")
}

data "aws_partition" "current" {}

resource "aws_s3_bucket" "source" {
  count         = var.create_source_bucket ? 1 : 0
  bucket        = var.source_bucket
  force_destroy = true
}

resource "aws_s3_bucket_public_access_block" "source" {
  count                   = var.create_source_bucket ? 1 : 0
  bucket                  = aws_s3_bucket.source[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

locals {
  source_bucket = var.create_source_bucket ? aws_s3_bucket.source[0].id : var.source_bucket
}

module "credentials" {
  source = "../../modules/credentials"

  name              = var.name
  mode              = "ssm"
  access_key_id     = var.global_access_key_id
  secret_access_key = var.global_secret_access_key
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
  maximum_concurrency              = var.maximum_concurrency
  queue_arn                        = module.queue.queue_arn
  queue_url                        = module.queue.queue_url
  queue_name                       = module.queue.queue_name
  dlq_name                         = module.queue.dlq_name
  queue_visibility_timeout_seconds = module.queue.visibility_timeout_seconds
  table_name                       = module.table.table_name
  table_arn                        = module.table.table_arn
  job_type                         = "PUT"
  source_buckets                   = [{ bucket = local.source_bucket, prefix = var.source_prefix }]
  destination_bucket               = var.destination_bucket
  destination_prefix               = var.destination_prefix
  destination_region               = var.destination_region
  storage_class                    = var.storage_class
  credentials_environment          = module.credentials.environment
  credentials_policy_json          = module.credentials.policy_json
  alarm_emails                     = var.alarm_emails
}

module "events" {
  source = "../../modules/s3-events"

  bucket          = local.source_bucket
  queue_arn       = module.queue.queue_arn
  queue_policy_id = module.queue.queue_policy_id
  filters         = [{ prefix = var.source_prefix }]
}

module "jobsender" {
  source = "../../modules/jobsender"
  count  = var.jobsender_schedule == null ? 0 : 1

  name                    = "${var.name}-jobsender"
  lambda_zip_path         = local.zip
  architecture            = var.architecture
  schedule_expression     = var.jobsender_schedule
  job_type                = "PUT"
  destination_region      = var.destination_region
  queue_url               = module.queue.queue_url
  queue_arn               = module.queue.queue_arn
  table_name              = module.table.table_name
  table_arn               = module.table.table_arn
  credentials_environment = module.credentials.environment
  credentials_policy_json = module.credentials.policy_json
  pairs = [{
    source_bucket      = local.source_bucket
    source_prefix      = var.source_prefix
    destination_bucket = var.destination_bucket
    destination_prefix = var.destination_prefix
  }]
}
