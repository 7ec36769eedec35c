module "queue" {
  source    = "../child"
  retention = 120
  colour    = "blue"
}

output "url" {
  description = "Not an output of the child."
  value       = module.queue.url
}

module "counted" {
  source = "../child"
  count  = 1
  name   = "c"
}

output "counted" {
  description = "Not an output of the child either."
  value       = module.counted[0].nope
}
