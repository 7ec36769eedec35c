variable "name" {
  type        = string
  description = "Name of this deployment; prefixes every resource. Must be 1-40 lower-case letters, digits and '-'."

  validation {
    condition     = can(regex("^[a-z0-9-]{1,40}$", var.name))
    error_message = "name must be 1-40 lower-case letters, digits and '-'."
  }
}

variable "region" {
  type        = string
  description = "Region of the source bucket, the queue and the workers."
  default     = "us-east-1"
}

variable "s3migrate_binary_path" {
  type        = string
  description = "Local path of the Linux s3migrate binary for the instances' architecture (e.g. GOOS=linux GOARCH=arm64 go build -o dist/s3migrate-linux-arm64 ./src/cmd/s3migrate). It is uploaded to an artifacts bucket the instances read."
}

variable "architecture" {
  type        = string
  description = "One of arm64 or x86_64: the binary's and the instance types' architecture."
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be one of arm64, x86_64."
  }
}

variable "instance_types" {
  type        = list(string)
  description = "Worker instance types (Graviton for arm64)."
  default     = ["m7g.large", "m6g.large", "c7g.xlarge"]
}

variable "spot" {
  type        = bool
  description = "Run the workers on spot capacity."
  default     = true
}

variable "min_size" {
  type        = number
  description = "Fewest workers, at least 0."
  default     = 0

  validation {
    condition     = var.min_size >= 0
    error_message = "min_size must be at least 0."
  }
}

variable "max_size" {
  type        = number
  description = "Most workers, between 1 and 1000."
  default     = 10

  validation {
    condition     = var.max_size >= 1 && var.max_size <= 1000
    error_message = "max_size must be between 1 and 1000."
  }
}

variable "subnet_ids" {
  type        = list(string)
  description = "Subnets for the workers; empty = the default VPC's subnets with public IPs."
  default     = []
}

variable "vpc_id" {
  type        = string
  description = "VPC of subnet_ids (ignored when subnet_ids is empty)."
  default     = null
}

variable "source_bucket" {
  type        = string
  description = "Source bucket in region."
}

variable "source_prefix" {
  type        = string
  description = "Only keys under this prefix are copied."
  default     = ""
}

variable "destination_bucket" {
  type        = string
  description = "Destination bucket."
}

variable "destination_prefix" {
  type        = string
  description = "Prefix prepended to keys at the destination."
  default     = ""
}

variable "destination_region" {
  type        = string
  description = "Region of the destination bucket, e.g. cn-northwest-1."
  default     = "cn-northwest-1"
}

variable "destination_in_this_account" {
  type        = bool
  description = "The destination is in this account's partition: the instance role writes it and no access key is stored. false = the far side's key is kept in SSM."
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
  description = "Create the source bucket, and the destination when destination_in_this_account (force_destroy on). For tests and trials."
  default     = false
}

variable "graceful_stop_seconds" {
  type        = number
  description = "Time a worker gets to finish or release its work on scale-in, between 30 and 7140 seconds."
  default     = 600

  validation {
    condition     = var.graceful_stop_seconds >= 30 && var.graceful_stop_seconds <= 7140
    error_message = "graceful_stop_seconds must be between 30 and 7140."
  }
}

variable "table_deletion_protection" {
  type        = bool
  description = "Protect the state table from deletion."
  default     = true
}
