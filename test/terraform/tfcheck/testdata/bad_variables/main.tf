variable "untyped" {
  description = "No type."
}

variable "undescribed" {
  type = string
}

variable "timeout" {
  type        = number
  description = "A number with no validation."
  default     = 900
}

variable "mode" {
  type        = string
  description = "One of ssm or secretsmanager."
  default     = "ssm"
}

output "nodesc" {
  value = var.mode
}
