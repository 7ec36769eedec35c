variable "job_type" {
  type        = string
  description = "Which side the worker's own role covers. One of \"PUT\" (the role reads the source buckets; the far side, reached with the stored access key, is the destination) or \"GET\" (the role writes the destination; the far side is the source)."
  default     = "PUT"

  validation {
    condition     = contains(["PUT", "GET"], var.job_type)
    error_message = "job_type must be one of PUT, GET."
  }
}

variable "role_covers_both_sides" {
  type        = bool
  description = "Both buckets are in this account's partition and the role gets access to both (same-account or cross-region copies); no far-side key is needed."
  default     = false
}

variable "source_buckets" {
  type = list(object({
    bucket = string
    prefix = optional(string, "")
  }))
  description = "Source buckets and the key prefix read in each (\"\" = whole bucket)."
}

variable "destination_bucket" {
  type        = string
  description = "Destination bucket for S3 event notifications (S3MIGRATE_DEST_BUCKET)."
}

variable "destination_prefix" {
  type        = string
  description = "Key prefix prepended at the destination (S3MIGRATE_DEST_PREFIX)."
  default     = ""
}

variable "destination_region" {
  type        = string
  description = "Region of the destination bucket (S3MIGRATE_DEST_REGION), e.g. cn-northwest-1."
}

variable "storage_class" {
  type        = string
  description = "Storage class of the destination objects (S3MIGRATE_STORAGE_CLASS). One of STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER, GLACIER_IR, DEEP_ARCHIVE, REDUCED_REDUNDANCY, or null for the bucket's default."
  default     = null

  validation {
    condition     = var.storage_class == null ? true : contains(["STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "GLACIER_IR", "DEEP_ARCHIVE", "REDUCED_REDUNDANCY"], var.storage_class)
    error_message = "storage_class must be one of STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER, GLACIER_IR, DEEP_ARCHIVE, REDUCED_REDUNDANCY or null."
  }
}

variable "queue_url" {
  type        = string
  description = "URL of the work queue (S3MIGRATE_QUEUE_URL); the worker sends part sub-jobs and hand-backs to it."
}

variable "queue_arn" {
  type        = string
  description = "ARN of the work queue."
}

variable "table_name" {
  type        = string
  description = "Name of the DynamoDB state table (S3MIGRATE_TABLE)."
}

variable "table_arn" {
  type        = string
  description = "ARN of the DynamoDB state table."
}

variable "delete_on_remove" {
  type        = bool
  description = "Delete the destination object on s3:ObjectRemoved:* events (S3MIGRATE_DELETE_ON_REMOVE); also grants s3:DeleteObject where the role writes."
  default     = false
}

variable "parts_in_flight" {
  type        = number
  description = "Parts one worker transfers at once (S3MIGRATE_PARTS_IN_FLIGHT), between 1 and 256; null = the worker's default."
  default     = null

  validation {
    condition     = var.parts_in_flight == null ? true : (var.parts_in_flight >= 1 && var.parts_in_flight <= 256)
    error_message = "parts_in_flight must be between 1 and 256."
  }
}

variable "proxy_url" {
  type        = string
  description = "HTTP CONNECT proxy for the far side (S3MIGRATE_PROXY_URL), e.g. the egress module's proxy_url; null = direct."
  default     = null
}

variable "credentials_environment" {
  type        = map(string)
  description = "The credentials module's environment output: where the far side's key is kept (never the key itself)."
  default     = {}
}

variable "credentials_policy_json" {
  type        = string
  description = "The credentials module's policy_json output; null when role_covers_both_sides."
  default     = null
}

variable "bucket_kms_key_arns" {
  type        = list(string)
  description = "KMS keys of SSE-KMS encrypted buckets the role reads or writes (kms:Decrypt, kms:GenerateDataKey)."
  default     = []
}

variable "extra_environment" {
  type        = map(string)
  description = "More environment variables for the worker (they win over the generated ones)."
  default     = {}
}
