variable "name" {
  type        = string
  description = "Name of the Lambda function; also prefixes its role, alarms, topic and dashboard. Must be 1-56 characters of letters, digits, '-' and '_'."

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,56}$", var.name))
    error_message = "name must be 1-56 characters of letters, digits, '-' and '_'."
  }
}

variable "lambda_zip_path" {
  type        = string
  description = "Path of the deployment zip built by `make lambda` (dist/lambda-arm64.zip or dist/lambda-x86_64.zip); it holds the `bootstrap` executable for provided.al2023."
}

variable "architecture" {
  type        = string
  description = "Instruction set of the function and of the zip. One of arm64 (default, Graviton) or x86_64."
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be one of arm64, x86_64."
  }
}

variable "memory_size_mb" {
  type        = number
  description = "Memory of the function in MB, between 128 and 10240. CPU and network share grow with it; parts in flight x part size must fit."
  default     = 2048

  validation {
    condition     = var.memory_size_mb >= 128 && var.memory_size_mb <= 10240
    error_message = "memory_size_mb must be between 128 and 10240."
  }
}

variable "timeout_seconds" {
  type        = number
  description = "Function timeout in seconds, between 60 and 900. The worker stops starting parts before it and hands the object to the next invocation; the queue's visibility timeout must be at least 6 times this."
  default     = 900

  validation {
    condition     = var.timeout_seconds >= 60 && var.timeout_seconds <= 900
    error_message = "timeout_seconds must be between 60 and 900."
  }
}

variable "reserved_concurrent_executions" {
  type        = number
  description = "Reserved concurrency of the function; -1 = unreserved (the default). Must be at least maximum_concurrency when set, or throttles count towards maxReceiveCount."
  default     = -1

  validation {
    condition     = var.reserved_concurrent_executions >= -1
    error_message = "reserved_concurrent_executions must be -1 (unreserved) or at least 0."
  }
}

variable "queue_arn" {
  type        = string
  description = "ARN of the work queue (queue module output queue_arn)."
}

variable "queue_url" {
  type        = string
  description = "URL of the work queue (queue module output queue_url)."
}

variable "queue_name" {
  type        = string
  description = "Name of the work queue, for the oldest-message alarm and the dashboard."
}

variable "dlq_name" {
  type        = string
  description = "Name of the dead-letter queue, for the DLQ-not-empty alarm."
}

variable "queue_visibility_timeout_seconds" {
  type        = number
  description = "Visibility timeout of the work queue (queue module output); checked at plan time to be at least 6 x timeout_seconds."

  validation {
    condition     = var.queue_visibility_timeout_seconds >= 0 && var.queue_visibility_timeout_seconds <= 43200
    error_message = "queue_visibility_timeout_seconds must be between 0 and 43200."
  }
}

variable "table_name" {
  type        = string
  description = "Name of the DynamoDB state table (table module output)."
}

variable "table_arn" {
  type        = string
  description = "ARN of the DynamoDB state table (table module output)."
}

variable "job_type" {
  type        = string
  description = "One of PUT (the role reads the source; the far side is the destination) or GET (the role writes the destination; the far side is the source)."
  default     = "PUT"

  validation {
    condition     = contains(["PUT", "GET"], var.job_type)
    error_message = "job_type must be one of PUT, GET."
  }
}

variable "role_covers_both_sides" {
  type        = bool
  description = "Both buckets are in this partition and the role gets access to both (no far-side key)."
  default     = false
}

variable "source_buckets" {
  type = list(object({
    bucket = string
    prefix = optional(string, "")
  }))
  description = "Source buckets and key prefixes (\"\" = whole bucket)."
}

variable "destination_bucket" {
  type        = string
  description = "Destination bucket for event-driven copies (S3MIGRATE_DEST_BUCKET)."
}

variable "destination_prefix" {
  type        = string
  description = "Key prefix at the destination (S3MIGRATE_DEST_PREFIX)."
  default     = ""
}

variable "destination_region" {
  type        = string
  description = "Region of the destination bucket (S3MIGRATE_DEST_REGION)."
}

variable "storage_class" {
  type        = string
  description = "Storage class at the destination (S3MIGRATE_STORAGE_CLASS); null = bucket default. Validated by the settings submodule."
  default     = null
}

variable "delete_on_remove" {
  type        = bool
  description = "Mirror s3:ObjectRemoved:* events as deletes at the destination (S3MIGRATE_DELETE_ON_REMOVE)."
  default     = false
}

variable "parts_in_flight" {
  type        = number
  description = "Parts transferred at once per invocation (S3MIGRATE_PARTS_IN_FLIGHT), between 1 and 256; null = the worker's default."
  default     = null

  validation {
    condition     = var.parts_in_flight == null ? true : (var.parts_in_flight >= 1 && var.parts_in_flight <= 256)
    error_message = "parts_in_flight must be between 1 and 256."
  }
}

variable "proxy_url" {
  type        = string
  description = "HTTP CONNECT proxy for the far side (S3MIGRATE_PROXY_URL), e.g. the egress module's proxy_url."
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

variable "bucket_kms_key_arns" {
  type        = list(string)
  description = "KMS keys of SSE-KMS buckets on the role's side."
  default     = []
}

variable "extra_environment" {
  type        = map(string)
  description = "More environment variables for the function (win over the generated ones)."
  default     = {}
}

variable "batch_size" {
  type        = number
  description = "Messages per invocation, between 1 and 10000 (above 10 needs maximum_batching_window_in_seconds > 0). Failed records are returned as batch item failures."
  default     = 5

  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 10000
    error_message = "batch_size must be between 1 and 10000."
  }
}

variable "maximum_batching_window_in_seconds" {
  type        = number
  description = "How long the event source mapping gathers a batch, between 0 and 300 seconds."
  default     = 0

  validation {
    condition     = var.maximum_batching_window_in_seconds >= 0 && var.maximum_batching_window_in_seconds <= 300
    error_message = "maximum_batching_window_in_seconds must be between 0 and 300."
  }
}

variable "maximum_concurrency" {
  type        = number
  description = "Most concurrent invocations the SQS event source mapping starts, between 2 and 1000. Limits throttling, which would otherwise count towards maxReceiveCount."
  default     = 50

  validation {
    condition     = var.maximum_concurrency >= 2 && var.maximum_concurrency <= 1000
    error_message = "maximum_concurrency must be between 2 and 1000."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the function's log group; must be one of CloudWatch's values (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch Logs' retention values."
  }
}

variable "vpc_subnet_ids" {
  type        = list(string)
  description = "Private subnets to run the function in (e.g. the egress module's private_subnet_ids); empty = no VPC."
  default     = []
}

variable "vpc_security_group_ids" {
  type        = list(string)
  description = "Security groups of the function in the VPC; needed when vpc_subnet_ids is set."
  default     = []
}

variable "alarm_topic_arn" {
  type        = string
  description = "SNS topic for the alarms. null = create one named <name>-alarms."
  default     = null
}

variable "alarm_emails" {
  type        = list(string)
  description = "E-mail addresses subscribed to the created alarm topic (each must confirm)."
  default     = []

  validation {
    condition     = alltrue([for e in var.alarm_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "alarm_emails must be e-mail addresses."
  }
}

variable "errors_alarm_threshold" {
  type        = number
  description = "Function errors in 5 minutes that raise the errors alarm; at least 1."
  default     = 1

  validation {
    condition     = var.errors_alarm_threshold >= 1
    error_message = "errors_alarm_threshold must be at least 1."
  }
}

variable "oldest_message_alarm_seconds" {
  type        = number
  description = "Age of the oldest queued message that raises the backlog alarm, at least 60 seconds."
  default     = 3600

  validation {
    condition     = var.oldest_message_alarm_seconds >= 60
    error_message = "oldest_message_alarm_seconds must be at least 60."
  }
}

variable "create_dashboard" {
  type        = bool
  description = "Create the CloudWatch dashboard <name> from the worker's EMF metrics, the function and the queues."
  default     = true
}

variable "metrics_namespace" {
  type        = string
  description = "CloudWatch namespace of the worker's Embedded Metric Format metrics."
  default     = "s3migrate"
}

variable "tags" {
  type        = map(string)
  description = "Tags for every resource."
  default     = {}
}
