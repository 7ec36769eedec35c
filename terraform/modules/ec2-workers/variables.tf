variable "name" {
  type        = string
  description = "Name prefix of the Auto Scaling group (<name>-workers), launch template, role and alarms. Must be 1-48 characters of letters, digits and '-'."

  validation {
    condition     = can(regex("^[A-Za-z0-9-]{1,48}$", var.name))
    error_message = "name must be 1-48 characters of letters, digits and '-'."
  }
}

variable "binary_s3_bucket" {
  type        = string
  description = "Bucket holding the Linux s3migrate binary for the instances' architecture (this account, this partition)."
}

variable "binary_s3_key" {
  type        = string
  description = "Key of the s3migrate binary in binary_s3_bucket."
}

variable "architecture" {
  type        = string
  description = "One of arm64 (default; Graviton instance types) or x86_64. Selects the Amazon Linux 2023 AMI and must match the binary and the instance types."
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be one of arm64, x86_64."
  }
}

variable "instance_types" {
  type        = list(string)
  description = "Instance types; the first is the launch template's, all are used for spot capacity. At least one."
  default     = ["m7g.large", "m6g.large", "c7g.xlarge"]

  validation {
    condition     = length(var.instance_types) >= 1
    error_message = "instance_types must name at least one instance type."
  }
}

variable "spot" {
  type        = bool
  description = "Run on spot capacity (price-capacity-optimized over instance_types, capacity rebalancing on). The worker releases its work on the interruption notice."
  default     = false
}

variable "min_size" {
  type        = number
  description = "Fewest instances, at least 0; the group returns to it when the queue has been empty for idle_minutes."
  default     = 0

  validation {
    condition     = var.min_size >= 0
    error_message = "min_size must be at least 0."
  }
}

variable "max_size" {
  type        = number
  description = "Most instances, between 1 and 1000."
  default     = 10

  validation {
    condition     = var.max_size >= 1 && var.max_size <= 1000
    error_message = "max_size must be between 1 and 1000."
  }
}

variable "messages_per_instance" {
  type        = number
  description = "Visible messages one more instance is worth: a backlog below it adds one instance per step, above it a quarter of max_size, above 10 x it half of max_size. At least 1."
  default     = 100

  validation {
    condition     = var.messages_per_instance >= 1
    error_message = "messages_per_instance must be at least 1."
  }
}

variable "idle_minutes" {
  type        = number
  description = "Minutes the queue must be empty (nothing visible or in flight) before the group shrinks to min_size, between 5 and 1440."
  default     = 15

  validation {
    condition     = var.idle_minutes >= 5 && var.idle_minutes <= 1440
    error_message = "idle_minutes must be between 5 and 1440."
  }
}

variable "graceful_stop_seconds" {
  type        = number
  description = "How long the worker may take to finish or release in-flight work after SIGTERM (systemd TimeoutStopSec; the termination lifecycle hook waits 60 s longer), between 30 and 7140 seconds. Spot interruptions give 120 s whatever this is."
  default     = 600

  validation {
    condition     = var.graceful_stop_seconds >= 30 && var.graceful_stop_seconds <= 7140
    error_message = "graceful_stop_seconds must be between 30 and 7140."
  }
}

variable "subnet_ids" {
  type        = list(string)
  description = "Subnets of the instances (private subnets behind a NAT/egress, or public subnets with associate_public_ip)."

  validation {
    condition     = length(var.subnet_ids) >= 1
    error_message = "subnet_ids must name at least one subnet."
  }
}

variable "vpc_id" {
  type        = string
  description = "VPC of the subnets; used for the security group created when security_group_ids is empty."
  default     = null
}

variable "security_group_ids" {
  type        = list(string)
  description = "Security groups of the instances; empty = create one with no ingress and all egress (needs vpc_id)."
  default     = []
}

variable "associate_public_ip" {
  type        = bool
  description = "Give each instance a public IP (public subnets without NAT)."
  default     = false
}

variable "queue_url" {
  type        = string
  description = "URL of the work queue (S3MIGRATE_QUEUE_URL in the service environment)."
}

variable "queue_arn" {
  type        = string
  description = "ARN of the work queue."
}

variable "queue_name" {
  type        = string
  description = "Name of the work queue (scaling alarms)."
}

variable "table_name" {
  type        = string
  description = "Name of the DynamoDB state table (`s3migrate worker --table`)."
}

variable "table_arn" {
  type        = string
  description = "ARN of the DynamoDB state table."
}

variable "job_type" {
  type        = string
  description = "One of PUT (the role reads the source; the far side is the destination) or GET (the reverse)."
  default     = "PUT"

  validation {
    condition     = contains(["PUT", "GET"], var.job_type)
    error_message = "job_type must be one of PUT, GET."
  }
}

variable "role_covers_both_sides" {
  type        = bool
  description = "Both buckets are in this partition and the role gets access to both."
  default     = false
}

variable "source_buckets" {
  type = list(object({
    bucket = string
    prefix = optional(string, "")
  }))
  description = "Source buckets and key prefixes."
}

variable "destination_bucket" {
  type        = string
  description = "Destination bucket for event-driven copies."
}

variable "destination_prefix" {
  type        = string
  description = "Key prefix at the destination."
  default     = ""
}

variable "destination_region" {
  type        = string
  description = "Region of the destination bucket."
}

variable "storage_class" {
  type        = string
  description = "Storage class at the destination; null = bucket default."
  default     = null
}

variable "delete_on_remove" {
  type        = bool
  description = "Mirror s3:ObjectRemoved:* events as deletes at the destination."
  default     = false
}

variable "parts_in_flight" {
  type        = number
  description = "Parts in flight per instance (S3MIGRATE_PARTS_IN_FLIGHT), between 1 and 256; null = the worker's default."
  default     = null

  validation {
    condition     = var.parts_in_flight == null ? true : (var.parts_in_flight >= 1 && var.parts_in_flight <= 256)
    error_message = "parts_in_flight must be between 1 and 256."
  }
}

variable "proxy_url" {
  type        = string
  description = "HTTP CONNECT proxy for the far side; null = direct (the instances run BBR themselves)."
  default     = null
}

variable "credentials_environment" {
  type        = map(string)
  description = "The credentials module's environment output."
  default     = {}
}

variable "credentials_policy_json" {
  type        = string
  description = "The credentials module's policy_json output."
  default     = null
}

variable "bucket_kms_key_arns" {
  type        = list(string)
  description = "KMS keys of SSE-KMS buckets on the role's side."
  default     = []
}

variable "extra_environment" {
  type        = map(string)
  description = "More environment variables for the worker service."
  default     = {}
}

variable "worker_args" {
  type        = list(string)
  description = "Extra arguments after `s3migrate worker --from-env` (only --shutdown-grace applies there; tuning goes through S3MIGRATE_* variables). No shell quoting; systemd splits on spaces."
  default     = []
}

variable "ssm_session_manager" {
  type        = bool
  description = "Attach AmazonSSMManagedInstanceCore so operators can open shells with Session Manager (no SSH, no ingress)."
  default     = true
}

variable "tags" {
  type        = map(string)
  description = "Tags for every resource (propagated to the instances)."
  default     = {}
}
