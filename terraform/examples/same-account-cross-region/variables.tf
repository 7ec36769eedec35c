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
  description = "Region of the source bucket; the worker runs here."
  default     = "us-east-1"
}

variable "destination_region" {
  type        = string
  description = "Region of the destination bucket."
  default     = "us-west-2"
}

variable "source_bucket" {
  type        = string
  description = "Source bucket (in source_region)."
}

variable "source_prefix" {
  type        = string
  description = "Only keys under this prefix are copied (\"\" = all)."
  default     = ""
}

variable "destination_bucket" {
  type        = string
  description = "Destination bucket (in destination_region)."
}

variable "destination_prefix" {
  type        = string
  description = "Prefix prepended to keys at the destination."
  default     = ""
}

variable "create_buckets" {
  type        = bool
  description = "Create both buckets (force_destroy on: destroy deletes their objects). For tests and trials; leave false for existing buckets."
  default     = false
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
