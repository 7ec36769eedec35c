variable "name" {
  type        = string
  description = "Name used for the KMS alias (alias/s3migrate-<name>), the SSM parameter (/s3migrate/<name>/far-credentials) and the secret (s3migrate/<name>/far-credentials). Must be 1-64 characters of letters, digits, '-' and '_'."

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.name))
    error_message = "name must be 1-64 characters of letters, digits, '-' and '_'."
  }
}

variable "mode" {
  type        = string
  description = "Where the far side's access key is kept. One of \"ssm\" (SSM SecureString, the default), \"secretsmanager\" (Secrets Manager secret) or \"kms-env\" (the original system's style: KMS-encrypted aws_access_key_id / aws_secret_access_key Lambda environment variables; needs the keys in Terraform)."
  default     = "ssm"

  validation {
    condition     = contains(["ssm", "secretsmanager", "kms-env"], var.mode)
    error_message = "mode must be one of ssm, secretsmanager, kms-env."
  }
}

variable "access_key_id" {
  type        = string
  description = "Access key id of the far side (the other partition's IAM user). null = create the parameter/secret with an empty placeholder that you fill out of band (aws ssm put-parameter --overwrite / aws secretsmanager put-secret-value), so the key never enters the Terraform state. Required when mode is kms-env."
  default     = null
  sensitive   = true
}

variable "secret_access_key" {
  type        = string
  description = "Secret access key of the far side; given together with access_key_id."
  default     = null
  sensitive   = true
}

variable "key_deletion_window_days" {
  type        = number
  description = "Waiting period before the KMS key is deleted after destroy, between 7 and 30 days."
  default     = 30

  validation {
    condition     = var.key_deletion_window_days >= 7 && var.key_deletion_window_days <= 30
    error_message = "key_deletion_window_days must be between 7 and 30."
  }
}

variable "secret_recovery_window_days" {
  type        = number
  description = "Secrets Manager recovery window after destroy: 0 (delete at once, lets a test re-create the same name) or between 7 and 30 days."
  default     = 7

  validation {
    condition     = var.secret_recovery_window_days == 0 || (var.secret_recovery_window_days >= 7 && var.secret_recovery_window_days <= 30)
    error_message = "secret_recovery_window_days must be 0 or between 7 and 30."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags for the key, parameter and secret."
  default     = {}
}
