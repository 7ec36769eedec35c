data "aws_caller_identity" "current" {}

# Service principals differ between partitions (aws, aws-cn).
data "aws_service_principal" "s3" {
  service_name = "s3"
}

locals {
  visibility_timeout = coalesce(var.visibility_timeout_seconds, 6 * var.function_timeout_seconds)
  source_account     = coalesce(var.source_account_id, data.aws_caller_identity.current.account_id)
  customer_key       = var.kms_key_arn != null
}

resource "aws_sqs_queue" "dlq" {
  name                      = "${var.name}-dlq"
  message_retention_seconds = var.message_retention_seconds
  sqs_managed_sse_enabled   = local.customer_key ? null : true
  kms_master_key_id         = var.kms_key_arn
  tags                      = var.tags
}

resource "aws_sqs_queue" "work" {
  name                       = var.name
  visibility_timeout_seconds = local.visibility_timeout
  message_retention_seconds  = var.message_retention_seconds
  receive_wait_time_seconds  = var.receive_wait_time_seconds
  sqs_managed_sse_enabled    = local.customer_key ? null : true
  kms_master_key_id          = var.kms_key_arn
  tags                       = var.tags

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = var.max_receive_count
  })

  lifecycle {
    precondition {
      condition     = local.visibility_timeout >= 6 * var.function_timeout_seconds
      error_message = "visibility_timeout_seconds (${local.visibility_timeout}) must be at least 6 x function_timeout_seconds (${6 * var.function_timeout_seconds}); otherwise messages reappear while a Lambda still works on them."
    }
  }
}

# Only the work queue may use the DLQ as its dead-letter queue.
resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.work.arn]
  })
}

data "aws_iam_policy_document" "work" {
  dynamic "statement" {
    for_each = length(var.source_bucket_arns) > 0 ? [1] : []
    content {
      sid       = "AllowS3EventNotifications"
      effect    = "Allow"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.work.arn]
      principals {
        type        = "Service"
        identifiers = [data.aws_service_principal.s3.name]
      }
      condition {
        test     = "ArnLike"
        variable = "aws:SourceArn"
        values   = var.source_bucket_arns
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.source_account]
      }
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.work.arn]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

data "aws_iam_policy_document" "dlq" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.dlq.arn]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "work" {
  queue_url = aws_sqs_queue.work.id
  policy    = data.aws_iam_policy_document.work.json
}

resource "aws_sqs_queue_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id
  policy    = data.aws_iam_policy_document.dlq.json
}
