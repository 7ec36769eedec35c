output "queue_url" {
  description = "URL of the work queue (S3MIGRATE_QUEUE_URL, `s3migrate worker --queue-url`)."
  value       = aws_sqs_queue.work.id
}

output "queue_arn" {
  description = "ARN of the work queue."
  value       = aws_sqs_queue.work.arn
}

output "queue_name" {
  description = "Name of the work queue (CloudWatch QueueName dimension)."
  value       = aws_sqs_queue.work.name
}

output "dlq_url" {
  description = "URL of the dead-letter queue."
  value       = aws_sqs_queue.dlq.id
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue."
  value       = aws_sqs_queue.dlq.arn
}

output "dlq_name" {
  description = "Name of the dead-letter queue (for the DLQ alarm)."
  value       = aws_sqs_queue.dlq.name
}

output "visibility_timeout_seconds" {
  description = "Visibility timeout of the work queue, at least 6 x function_timeout_seconds."
  value       = aws_sqs_queue.work.visibility_timeout_seconds
}

output "max_receive_count" {
  description = "Receives before a message moves to the DLQ."
  value       = var.max_receive_count
}

output "queue_policy_id" {
  description = "Id of the work queue's policy. Pass it to the s3-events module so the bucket notification is created only after S3 is allowed to send (S3 validates the destination when the notification is put)."
  value       = aws_sqs_queue_policy.work.id
}
