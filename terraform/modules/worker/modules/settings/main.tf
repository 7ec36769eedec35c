# One place that turns the deployment's choices into the worker's
# environment and its least-privilege IAM policy, shared by the Lambda
# (worker) and the EC2 workers (ec2-workers).

data "aws_partition" "current" {}

locals {
  partition    = data.aws_partition.current.partition
  role_reads   = var.job_type == "PUT" || var.role_covers_both_sides
  role_writes  = var.job_type == "GET" || var.role_covers_both_sides
  read_buckets = local.role_reads ? var.source_buckets : []
  write_bucket = local.role_writes ? [{ bucket = var.destination_bucket, prefix = var.destination_prefix }] : []

  generated = {
    S3MIGRATE_TABLE            = var.table_name
    S3MIGRATE_QUEUE_URL        = var.queue_url
    S3MIGRATE_DEST_BUCKET      = var.destination_bucket
    S3MIGRATE_DEST_PREFIX      = var.destination_prefix
    S3MIGRATE_DEST_REGION      = var.destination_region
    S3MIGRATE_STORAGE_CLASS    = var.storage_class
    S3MIGRATE_JOB_TYPE         = var.job_type
    S3MIGRATE_PARTS_IN_FLIGHT  = var.parts_in_flight == null ? null : tostring(var.parts_in_flight)
    S3MIGRATE_PROXY_URL        = var.proxy_url
    S3MIGRATE_DELETE_ON_REMOVE = tostring(var.delete_on_remove)
  }
  environment = merge(
    { for k, v in local.generated : k => v if v != null && v != "" },
    var.credentials_environment,
    var.extra_environment,
  )
}

data "aws_iam_policy_document" "worker" {
  source_policy_documents = var.credentials_policy_json == null ? [] : [var.credentials_policy_json]

  statement {
    sid = "WorkQueue"
    actions = [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:ChangeMessageVisibility",
      "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl",
      "sqs:SendMessage",
    ]
    resources = [var.queue_arn]
  }

  statement {
    sid = "StateTable"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:DeleteItem",
      "dynamodb:ConditionCheckItem",
      "dynamodb:DescribeTable",
    ]
    resources = [var.table_arn]
  }

  dynamic "statement" {
    for_each = length(local.read_buckets) > 0 ? [1] : []
    content {
      sid = "ReadSourceObjects"
      actions = [
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:GetObjectTagging",
        "s3:GetObjectVersionTagging",
      ]
      resources = [for b in local.read_buckets : "arn:${local.partition}:s3:::${b.bucket}/${b.prefix}*"]
    }
  }

  # ListBucket without a prefix condition: without it S3 answers 403 instead
  # of 404 for a missing key, and the worker could not tell "gone" from
  # "forbidden".
  dynamic "statement" {
    for_each = length(local.read_buckets) + length(local.write_bucket) > 0 ? [1] : []
    content {
      sid       = "ListBuckets"
      actions   = ["s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketLocation"]
      resources = distinct([for b in concat(local.read_buckets, local.write_bucket) : "arn:${local.partition}:s3:::${b.bucket}"])
    }
  }

  dynamic "statement" {
    for_each = local.write_bucket
    content {
      sid       = "WriteDestinationUploads"
      actions   = ["s3:ListBucketMultipartUploads"]
      resources = ["arn:${local.partition}:s3:::${statement.value.bucket}"]
    }
  }

  dynamic "statement" {
    for_each = local.write_bucket
    content {
      sid = "WriteDestinationObjects"
      actions = concat([
        "s3:PutObject",
        "s3:GetObject",
        "s3:PutObjectTagging",
        "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts",
      ], var.delete_on_remove ? ["s3:DeleteObject"] : [])
      resources = ["arn:${local.partition}:s3:::${statement.value.bucket}/${statement.value.prefix}*"]
    }
  }

  dynamic "statement" {
    for_each = length(var.bucket_kms_key_arns) > 0 ? [1] : []
    content {
      sid       = "BucketEncryptionKeys"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = var.bucket_kms_key_arns
    }
  }
}
