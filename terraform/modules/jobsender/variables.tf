variable "name" {
  type        = string
  description = "Name of the jobsender function (<name>) and its schedule. Must be 1-56 characters of letters, digits, '-' and '_'."

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,56}$", var.name))
    error_message = "name must be 1-56 characters of letters, digits, '-' and '_'."
  }
}

variable "lambda_zip_path" {
  type        = string
  description = "The same zip as the worker (`make lambda`): the bootstrap runs the jobsender when the event is {\"jobsender\": {...}}."
}

variable "architecture" {
  type        = string
  description = "One of arm64 or x86_64; must match the zip."
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be one of arm64, x86_64."
  }
}

variable "memory_size_mb" {
  type        = number
  description = "Memory of the jobsender function, between 128 and 10240 MB (listings are streamed, not held)."
  default     = 1024

  validation {
    condition     = var.memory_size_mb >= 128 && var.memory_size_mb <= 10240
    error_message = "memory_size_mb must be between 128 and 10240."
  }
}

variable "timeout_seconds" {
  type        = number
  description = "Timeout of one jobsender run, between 60 and 900 seconds. Buckets too large to compare in 15 minutes need `s3migrate jobsender` on a host instead."
  default     = 900

  validation {
    condition     = var.timeout_seconds >= 60 && var.timeout_seconds <= 900
    error_message = "timeout_seconds must be between 60 and 900."
  }
}

variable "reserved_concurrent_executions" {
  type        = number
  description = "Reserved concurrency of the jobsender: 1 (default) keeps runs from overlapping and queueing keys twice; -1 = unreserved, for accounts whose concurrency limit leaves nothing to reserve (new accounts)."
  default     = 1

  validation {
    condition     = var.reserved_concurrent_executions >= -1
    error_message = "reserved_concurrent_executions must be -1 (unreserved) or at least 0."
  }
}

variable "schedule_expression" {
  type        = string
  description = "When the jobsender runs: an EventBridge rate(...) or cron(...) expression."
  default     = "rate(1 day)"

  validation {
    condition     = can(regex("^(rate|cron)\\(.+\\)$", var.schedule_expression))
    error_message = "schedule_expression must be rate(...) or cron(...)."
  }
}

variable "enabled" {
  type        = bool
  description = "Whether the schedule is enabled (the function can still be invoked by hand)."
  default     = true
}

variable "pairs" {
  type = list(object({
    source_bucket      = string
    source_prefix      = optional(string, "")
    destination_bucket = string
    destination_prefix = optional(string, "")
  }))
  description = "Bucket pairs to compare: objects missing at the destination, or of another size, are queued. At least one pair."

  validation {
    condition     = length(var.pairs) >= 1
    error_message = "pairs must hold at least one bucket pair."
  }
}

variable "ignore" {
  type        = list(string)
  description = "Glob patterns (* and ?) of source keys never queued."
  default     = []
}

variable "job_type" {
  type        = string
  description = "One of PUT (the role lists the source; the far-side key lists the destination) or GET (the reverse)."
  default     = "PUT"

  validation {
    condition     = contains(["PUT", "GET"], var.job_type)
    error_message = "job_type must be one of PUT, GET."
  }
}

variable "role_covers_both_sides" {
  type        = bool
  description = "The role lists both buckets (same partition); no far-side key."
  default     = false
}

variable "destination_region" {
  type        = string
  description = "Region of the destination buckets (S3MIGRATE_DEST_REGION)."
}

variable "queue_url" {
  type        = string
  description = "URL of the work queue the jobs are sent to."
}

variable "queue_arn" {
  type        = string
  description = "ARN of the work queue."
}

variable "table_name" {
  type        = string
  description = "Name of the DynamoDB state table (jobs already DONE are not re-queued)."
}

variable "table_arn" {
  type        = string
  description = "ARN of the DynamoDB state table."
}

variable "proxy_url" {
  type        = string
  description = "HTTP CONNECT proxy for the far side (S3MIGRATE_PROXY_URL); null = direct."
  default     = null
}

variable "credentials_environment" {
  type        = map(string)
  description = "The credentials module's environment output."
  default     = {}
}

variable "credentials_policy_json" {
  type        = string
  description = "The credentials module's policy_json output (null when role_covers_both_sides)."
  default     = null
}

variable "extra_environment" {
  type        = map(string)
  description = "More environment variables for the jobsender function."
  default     = {}
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the jobsender's log group; must be one of CloudWatch's values (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)."
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch Logs' retention values."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags for every resource."
  default     = {}
}
