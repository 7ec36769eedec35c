data "aws_partition" "current" {}

# Service principals differ between partitions (aws, aws-cn).
data "aws_service_principal" "lambda" {
  service_name = "lambda"
}

data "aws_service_principal" "events" {
  service_name = "events"
}

locals {
  partition   = data.aws_partition.current.partition
  role_lists  = var.job_type == "PUT" || var.role_covers_both_sides ? distinct([for p in var.pairs : p.source_bucket]) : []
  role_writes = var.job_type == "GET" || var.role_covers_both_sides ? distinct([for p in var.pairs : p.destination_bucket]) : []
  log_group   = "/aws/lambda/${var.name}"

  # The event contract of the jobsender run (documented in README.md).
  event = {
    jobsender = {
      version = 1
      pairs   = var.pairs
      ignore  = var.ignore
    }
  }

  generated = {
    S3MIGRATE_QUEUE_URL   = var.queue_url
    S3MIGRATE_TABLE       = var.table_name
    S3MIGRATE_JOB_TYPE    = var.job_type
    S3MIGRATE_DEST_REGION = var.destination_region
    S3MIGRATE_PROXY_URL   = var.proxy_url
  }
  environment = merge(
    { for k, v in local.generated : k => v if v != null },
    var.credentials_environment,
    var.extra_environment,
  )
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

resource "aws_iam_role" "jobsender" {
  name               = "${var.name}-jobsender"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "jobsender" {
  source_policy_documents = var.credentials_policy_json == null ? [] : [var.credentials_policy_json]

  statement {
    sid       = "SendJobs"
    actions   = ["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"]
    resources = [var.queue_arn]
  }

  statement {
    sid       = "ReadAndQueueState"
    actions   = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    resources = [var.table_arn]
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.jobsender.arn}:*"]
  }

  dynamic "statement" {
    for_each = length(concat(local.role_lists, local.role_writes)) > 0 ? [1] : []
    content {
      sid       = "ListBuckets"
      actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
      resources = [for b in distinct(concat(local.role_lists, local.role_writes)) : "arn:${local.partition}:s3:::${b}"]
    }
  }
}

resource "aws_iam_role_policy" "jobsender" {
  name   = "s3migrate-jobsender"
  role   = aws_iam_role.jobsender.id
  policy = data.aws_iam_policy_document.jobsender.json
}

resource "aws_cloudwatch_log_group" "jobsender" {
  name              = local.log_group
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_lambda_function" "jobsender" {
  function_name    = var.name
  description      = "s3migrate jobsender: compares bucket pairs and queues what is missing"
  role             = aws_iam_role.jobsender.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.architecture]
  filename         = var.lambda_zip_path
  source_code_hash = filebase64sha256(var.lambda_zip_path)
  memory_size      = var.memory_size_mb
  timeout          = var.timeout_seconds
  # One run at a time: two overlapping comparisons would queue the same keys twice.
  reserved_concurrent_executions = var.reserved_concurrent_executions
  tags                           = var.tags

  environment {
    variables = local.environment
  }

  depends_on = [aws_cloudwatch_log_group.jobsender, aws_iam_role_policy.jobsender]
}

resource "aws_cloudwatch_event_rule" "schedule" {
  name                = "${var.name}-schedule"
  description         = "Runs the s3migrate jobsender ${var.name}"
  schedule_expression = var.schedule_expression
  state               = var.enabled ? "ENABLED" : "DISABLED"
  tags                = var.tags
}

resource "aws_cloudwatch_event_target" "jobsender" {
  rule  = aws_cloudwatch_event_rule.schedule.name
  arn   = aws_lambda_function.jobsender.arn
  input = jsonencode(local.event)

  retry_policy {
    maximum_retry_attempts       = 0
    maximum_event_age_in_seconds = 3600
  }
}

resource "aws_lambda_permission" "events" {
  statement_id  = "AllowEventBridgeSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.jobsender.function_name
  principal     = data.aws_service_principal.events.name
  source_arn    = aws_cloudwatch_event_rule.schedule.arn
}
