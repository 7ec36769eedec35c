variable "name" {
  type        = string
  description = "Name of this deployment; prefixes every resource. Must be 1-24 lower-case letters, digits and '-', starting with a letter."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,23}$", var.name))
    error_message = "name must be 1-24 lower-case letters, digits and '-', starting with a letter."
  }
}

variable "source_region" {
  type        = string
  description = "Region of the source bucket; the worker, its VPC and the egress instance run here."
  default     = "us-east-1"
}

variable "vpc_cidr" {
  type        = string
  description = "CIDR of the VPC the egress module creates."
  default     = "10.80.0.0/16"
}

variable "source_bucket" {
  type        = string
  description = "Source bucket in source_region."
}

variable "source_prefix" {
  type        = string
  description = "Only keys under this prefix are copied."
  default     = ""
}

variable "destination_bucket" {
  type        = string
  description = "Destination bucket; the far side sees every write to it come from the egress IP."
}

variable "destination_prefix" {
  type        = string
  description = "Prefix prepended to keys at the destination."
  default     = ""
}

variable "destination_region" {
  type        = string
  description = "Region of the destination bucket (cn-northwest-1 for China, or a global region)."
  default     = "cn-northwest-1"
}

variable "destination_in_this_account" {
  type        = bool
  description = "The destination is in this account's partition: the worker's role writes it (still through the egress proxy) and no key is stored. false = the far side's key is kept in SSM."
  default     = false
}

variable "far_access_key_id" {
  type        = string
  description = "Access key id for the destination when destination_in_this_account is false; null = set the SSM parameter out of band."
  default     = null
  sensitive   = true
}

variable "far_secret_access_key" {
  type        = string
  description = "Secret access key for the destination."
  default     = null
  sensitive   = true
}

variable "create_buckets" {
  type        = bool
  description = "Create the source bucket, and the destination (in destination_region) when destination_in_this_account; force_destroy on. For tests and trials."
  default     = false
}

variable "restrict_destination_to_egress_ip" {
  type        = bool
  description = "When this example creates the destination bucket: deny writes to it from any address but the egress IP (aws:SourceIp), as a far side's allowlist would."
  default     = true
}

variable "s3migrate_binary_path" {
  type        = string
  description = "Local path of the linux/arm64 s3migrate binary; the egress instance runs it as its proxy (`s3migrate egress-proxy`)."
}

variable "lambda_zip_path" {
  type        = string
  description = "Zip from `make lambda`; null = dist/lambda-<architecture>.zip of this repository."
  default     = null
}

variable "architecture" {
  type        = string
  description = "One of arm64 or x86_64 (the worker function; must match the zip)."
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

variable "table_deletion_protection" {
  type        = bool
  description = "Protect the state table from deletion."
  default     = true
}
