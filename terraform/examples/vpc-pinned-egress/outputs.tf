output "egress_ip" {
  description = "The pinned egress IP (Elastic IP of the NAT instance) the far side allowlists."
  value       = module.egress.egress_ip
}

output "proxy_url" {
  description = "The egress proxy the worker uses for the destination."
  value       = module.egress.proxy_url
}

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

output "ssm_parameter_name" {
  description = "SSM parameter holding the far side's key, or null when the destination is in this account."
  value       = var.destination_in_this_account ? null : module.credentials[0].ssm_parameter_name
}
