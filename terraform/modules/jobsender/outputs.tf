output "function_name" {
  description = "Name of the jobsender function (invoke it by hand with the event in the `event` output)."
  value       = aws_lambda_function.jobsender.function_name
}

output "function_arn" {
  description = "ARN of the jobsender function."
  value       = aws_lambda_function.jobsender.arn
}

output "rule_name" {
  description = "Name of the EventBridge schedule rule."
  value       = aws_cloudwatch_event_rule.schedule.name
}

output "event" {
  description = "The JSON event the schedule sends ({\"jobsender\": {...}})."
  value       = jsonencode(local.event)
}

output "role_arn" {
  description = "ARN of the jobsender's IAM role."
  value       = aws_iam_role.jobsender.arn
}
