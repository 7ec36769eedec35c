variable "name" {
  type        = string
  description = "Name of the work queue; the dead-letter queue is named \"<name>-dlq\". Must be 1-76 characters of letters, digits, '-' and '_'."

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,76}$", var.name))
    error_message = "name must be 1-76 characters of letters, digits, '-' and '_' (80 with the -dlq suffix)."
  }
}

variable "function_timeout_seconds" {
  type        = number
  description = "Timeout of the worker Lambda that consumes the queue (the worker module's timeout_seconds). The visibility timeout is at least 6 times this, as Lambda's SQS mapping requires; for the EC2 worker use the longest time one receive may take before the worker extends visibility."
  default     = 900

  validation {
    condition     = var.function_timeout_seconds >= 1 && var.function_timeout_seconds <= 900
    error_message = "function_timeout_seconds must be between 1 and 900 (Lambda's limit)."
  }
}

variable "visibility_timeout_seconds" {
  type        = number
  description = "Visibility timeout of the work queue. null = 6 x function_timeout_seconds. A value below 6 x function_timeout_seconds is rejected at plan time. At most 43200 (12 h, the SQS limit)."
  default     = null

  validation {
    condition     = var.visibility_timeout_seconds == null ? true : (var.visibility_timeout_seconds >= 0 && var.visibility_timeout_seconds <= 43200)
    error_message = "visibility_timeout_seconds must be between 0 and 43200."
  }
}

variable "max_receive_count" {
  type        = number
  description = "Receives of one message before SQS moves it to the dead-letter queue. Throttled Lambda receives count too, so keep it at least 5. A worker that hands a large object back at its deadline also uses one receive per invocation."
  default     = 10

  validation {
    condition     = var.max_receive_count >= 5 && var.max_receive_count <= 1000
    error_message = "max_receive_count must be between 5 and 1000: throttled receives count towards it, a lower value sends healthy messages to the DLQ."
  }
}

variable "message_retention_seconds" {
  type        = number
  description = "How long the work queue and the dead-letter queue keep a message, between 60 and 1209600 seconds (the default, 14 days)."
  default     = 1209600

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600
    error_message = "message_retention_seconds must be between 60 and 1209600."
  }
}

variable "receive_wait_time_seconds" {
  type        = number
  description = "Long-poll wait of ReceiveMessage, between 0 and 20 seconds."
  default     = 20

  validation {
    condition     = var.receive_wait_time_seconds >= 0 && var.receive_wait_time_seconds <= 20
    error_message = "receive_wait_time_seconds must be between 0 and 20."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "Customer managed KMS key for queue encryption. null = SSE-SQS (SQS-owned keys), which S3 notifications can use. A customer key must let s3.amazonaws.com call kms:GenerateDataKey and kms:Decrypt; the AWS managed key alias/aws/sqs must not be used because S3 cannot send to it."
  default     = null

  validation {
    condition     = var.kms_key_arn == null ? true : !can(regex("alias/aws/sqs$", var.kms_key_arn))
    error_message = "alias/aws/sqs cannot be used: S3 event notifications cannot encrypt with it. Leave kms_key_arn null for SSE-SQS or pass a customer managed key that allows S3."
  }
}

variable "source_bucket_arns" {
  type        = list(string)
  description = "ARNs of the buckets whose event notifications may send to the work queue (aws:SourceArn). Empty = no S3 notifications (jobsender only)."
  default     = []

  validation {
    condition     = alltrue([for a in var.source_bucket_arns : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", a))])
    error_message = "source_bucket_arns must be bucket ARNs such as arn:aws:s3:::my-bucket or arn:aws-cn:s3:::my-bucket."
  }
}

variable "source_account_id" {
  type        = string
  description = "Account that owns the source buckets (aws:SourceAccount). null = the account running Terraform."
  default     = null

  validation {
    condition     = var.source_account_id == null ? true : can(regex("^[0-9]{12}$", var.source_account_id))
    error_message = "source_account_id must be a 12-digit account id."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags for the queues."
  default     = {}
}
