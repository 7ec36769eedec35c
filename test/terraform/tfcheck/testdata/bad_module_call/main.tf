module "queue" {
  source    = "../child"
  retention = 120
  colour    = "blue"
}

output "url" {
  description = "Not an output of the child."
  value       = module.queue.url
}
