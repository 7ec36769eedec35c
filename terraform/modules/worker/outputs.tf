output "function_name" {
  description = "Name of the worker Lambda."
  value       = aws_lambda_function.worker.function_name
}

output "function_arn" {
  description = "ARN of the worker Lambda."
  value       = aws_lambda_function.worker.arn
}

output "role_arn" {
  description = "ARN of the worker's IAM role (grant it access in bucket or key policies of other accounts)."
  value       = aws_iam_role.worker.arn
}

output "role_name" {
  description = "Name of the worker's IAM role."
  value       = aws_iam_role.worker.name
}

output "log_group_name" {
  description = "Log group of the worker (JSON logs and EMF metrics)."
  value       = aws_cloudwatch_log_group.worker.name
}

output "event_source_mapping_uuid" {
  description = "UUID of the SQS event source mapping."
  value       = aws_lambda_event_source_mapping.queue.uuid
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify."
  value       = local.alarm_topic
}

output "alarm_names" {
  description = "Names of the alarms: DLQ not empty, errors, throttles, oldest message age."
  value = [
    aws_cloudwatch_metric_alarm.dlq_not_empty.alarm_name,
    aws_cloudwatch_metric_alarm.errors.alarm_name,
    aws_cloudwatch_metric_alarm.throttles.alarm_name,
    aws_cloudwatch_metric_alarm.oldest_message.alarm_name,
  ]
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard, or null."
  value       = var.create_dashboard ? aws_cloudwatch_dashboard.worker[0].dashboard_name : null
}

output "environment" {
  description = "The function's environment (names of settings and where the far-side key is kept; never the key)."
  value       = module.settings.environment
}
