output "bucket" {
  description = "The bucket whose notifications are configured."
  value       = aws_s3_bucket_notification.this.bucket
}

output "events" {
  description = "Event types sent to the queue."
  value       = local.events
}
