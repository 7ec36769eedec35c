variable "bucket" {
  type        = string
  description = "Source bucket whose events go to the queue. It must be in the queue's region. This module owns the bucket's whole notification configuration (aws_s3_bucket_notification replaces any other)."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket))
    error_message = "bucket must be an S3 bucket name (3-63 lower-case letters, digits, '.' and '-')."
  }
}

variable "queue_arn" {
  type        = string
  description = "ARN of the work queue (queue module output queue_arn)."
}

variable "queue_policy_id" {
  type        = string
  description = "The queue module's queue_policy_id output. The notification is created only after that policy lets S3 send, because S3 tests the destination when the notification is put."
}

variable "filters" {
  type = list(object({
    prefix = optional(string, "")
    suffix = optional(string, "")
  }))
  description = "Key filters; one notification per entry. S3 rejects overlapping filters for the same event types. Default: every key."
  default     = [{}]

  validation {
    condition     = length(var.filters) >= 1 && length(var.filters) <= 100
    error_message = "filters must have between 1 and 100 entries."
  }
}

variable "include_removed" {
  type        = bool
  description = "Also send s3:ObjectRemoved:* events (the worker deletes at the destination only when S3MIGRATE_DELETE_ON_REMOVE is on)."
  default     = false
}

variable "eventbridge" {
  type        = bool
  description = "Also send the bucket's events to EventBridge."
  default     = false
}
