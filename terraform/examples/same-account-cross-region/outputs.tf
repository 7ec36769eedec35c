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

output "function_name" {
  description = "Worker function."
  value       = module.worker.function_name
}

output "dashboard_name" {
  description = "CloudWatch dashboard."
  value       = module.worker.dashboard_name
}
