output "source_bucket" {
  description = "Source bucket."
  value       = local.source_bucket
}

output "destination_bucket" {
  description = "Destination bucket."
  value       = local.destination_bucket
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

output "autoscaling_group_name" {
  description = "The workers' Auto Scaling group."
  value       = module.workers.autoscaling_group_name
}

output "ssm_parameter_name" {
  description = "SSM parameter holding the far side's key, or null when the destination is in this account."
  value       = var.destination_in_this_account ? null : module.credentials[0].ssm_parameter_name
}
