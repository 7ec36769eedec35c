variable "name" {
  type        = string
  description = "Name of this deployment; prefixes every resource. Must be 1-40 lower-case letters, digits and '-'."

  validation {
    condition     = can(regex("^[a-z0-9-]{1,40}$", var.name))
    error_message = "name must be 1-40 lower-case letters, digits and '-'."
  }
}

variable "source_region" {
  type        = string
  description = "Global region of the source bucket; the worker runs here."
  default     = "us-east-1"

  validation {
    condition     = !startswith(var.source_region, "cn-")
    error_message = "source_region must be a global (aws partition) region; for China sources use the china-to-global example."
  }
}

variable "source_bucket" {
  type        = string
  description = "Source bucket in source_region."
}

variable "source_prefix" {
  type        = string
  description = "Only keys under this prefix are copied (\"\" = all)."
  default     = ""
}

variable "create_source_bucket" {
  type        = bool
  description = "Create the source bucket (force_destroy on). For tests and trials."
  default     = false
}

variable "destination_bucket" {
  type        = string
  description = "Existing destination bucket in China."
}

variable "destination_prefix" {
  type        = string
  description = "Prefix prepended to keys at the destination."
  default     = ""
}

variable "destination_region" {
  type        = string
  description = "China region of the destination bucket: one of cn-northwest-1 (Ningxia) or cn-north-1 (Beijing)."
  default     = "cn-northwest-1"

  validation {
    condition     = contains(["cn-northwest-1", "cn-north-1"], var.destination_region)
    error_message = "destination_region must be one of cn-northwest-1, cn-north-1."
  }
}

variable "china_access_key_id" {
  type        = string
  description = "Access key id of the China IAM user that may write the destination bucket. null = store a placeholder and set the SSM parameter out of band (keeps the key out of the Terraform state)."
  default     = null
  sensitive   = true
}

variable "china_secret_access_key" {
  type        = string
  description = "Secret access key of that China IAM user."
  default     = null
  sensitive   = true
}

variable "storage_class" {
  type        = string
  description = "Storage class at the destination; null = the bucket's default."
  default     = null
}

variable "lambda_zip_path" {
  type        = string
  description = "Zip from `make lambda`; null = dist/lambda-<architecture>.zip of this repository."
  default     = null
}

variable "architecture" {
  type        = string
  description = "One of arm64 or x86_64 (must match the zip)."
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be one of arm64, x86_64."
  }
}

variable "timeout_seconds" {
  type        = number
  description = "Worker function timeout, between 60 and 900 seconds."
  default     = 900

  validation {
    condition     = var.timeout_seconds >= 60 && var.timeout_seconds <= 900
    error_message = "timeout_seconds must be between 60 and 900."
  }
}

variable "maximum_concurrency" {
  type        = number
  description = "Most concurrent worker invocations, between 2 and 1000."
  default     = 100

  validation {
    condition     = var.maximum_concurrency >= 2 && var.maximum_concurrency <= 1000
    error_message = "maximum_concurrency must be between 2 and 1000."
  }
}

variable "jobsender_schedule" {
  type        = string
  description = "EventBridge schedule of the jobsender that queues objects missing at the destination (existing objects, lost events); null = no jobsender."
  default     = "rate(1 day)"
}

variable "alarm_emails" {
  type        = list(string)
  description = "E-mail addresses for the alarms."
  default     = []
}

variable "table_deletion_protection" {
  type        = bool
  description = "Protect the state table from deletion."
  default     = true
}
