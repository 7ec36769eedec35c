variable "name" {
  type        = string
  description = "Name of the DynamoDB table holding one state item per object. Must be 3-255 characters of letters, digits, '_', '-' and '.'."

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.name))
    error_message = "name must be 3-255 characters of letters, digits, '_', '-' and '.'."
  }
}

variable "hash_key" {
  type        = string
  description = "Partition key attribute (string) of the state items. The worker's DynamoDB state store writes the object id (destination bucket and key) under \"id\"; change it only together with the worker."
  default     = "id"
}

variable "ttl_attribute" {
  type        = string
  description = "Attribute holding the expiry time (epoch seconds) of an item; items without it never expire. null = TTL off."
  default     = "ttl"
}

variable "point_in_time_recovery" {
  type        = bool
  description = "Keep continuous backups (point-in-time recovery) of the table."
  default     = true
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to delete the table (turn off before `terraform destroy`). The examples turn it off so that tests can clean up."
  default     = true
}

variable "kms_key_arn" {
  type        = string
  description = "Customer managed KMS key for encryption at rest. null = the AWS managed key aws/dynamodb. Encryption is always on."
  default     = null
}

variable "tags" {
  type        = map(string)
  description = "Tags for the table."
  default     = {}
}
