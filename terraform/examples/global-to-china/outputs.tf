output "source_bucket" {
  description = "Source bucket (global)."
  value       = local.source_bucket
}

output "destination_bucket" {
  description = "Destination bucket (China)."
  value       = var.destination_bucket
}

output "queue_url" {
  description = "Work queue URL."
  value       = module.queue.queue_url
}

output "dlq_url" {
  description = "Dead-letter queue URL."
  value       = module.queue.dlq_url
}

output "table_name" {
  description = "State table."
  value       = module.table.table_name
}

output "function_name" {
  description = "Worker function."
  value       = module.worker.function_name
}

output "ssm_parameter_name" {
  description = "SSM SecureString holding the China access key as JSON {\"access_key_id\", \"secret_access_key\"}; set it with `aws ssm put-parameter --overwrite --type SecureString` when the key was not given to Terraform."
  value       = module.credentials.ssm_parameter_name
}

output "jobsender_function_name" {
  description = "Jobsender function, or null."
  value       = var.jobsender_schedule == null ? null : module.jobsender[0].function_name
}

output "dashboard_name" {
  description = "CloudWatch dashboard."
  value       = module.worker.dashboard_name
}
