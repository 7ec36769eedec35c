variable "name" {
  type        = string
  description = "Queue name."
}

variable "retention" {
  type        = number
  description = "Retention in seconds."
  default     = 345600
  validation {
    condition     = var.retention >= 60
    error_message = "retention must be at least 60 seconds."
  }
}

resource "aws_sqs_queue" "this" {
  name                      = var.name
  message_retention_seconds = var.retention
}

output "arn" {
  description = "Queue ARN."
  value       = aws_sqs_queue.this.arn
}
