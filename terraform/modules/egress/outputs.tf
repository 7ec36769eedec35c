output "egress_ip" {
  description = "The pinned public IPv4 address all egress leaves from (NAT and proxy): give it to the far side's allowlist."
  value       = aws_eip.nat.public_ip
}

output "proxy_url" {
  description = "The egress proxy for the workers (s3migrate --proxy, or HTTPS_PROXY): the destination's S3 traffic leaves from a TCP connection that runs BBR."
  value       = "http://${local.proxy_listen}"
}

output "vpc_id" {
  description = "The VPC the subnets are in (created or given)."
  value       = local.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnets for the workers (Lambda vpc_config or EC2 Auto Scaling group); their default route is the NAT."
  value       = aws_subnet.private[*].id
}

output "public_subnet_ids" {
  description = "Public subnets (the NAT instance runs in the first)."
  value       = aws_subnet.public[*].id
}

output "worker_security_group_id" {
  description = "Security group for the workers: it may reach the egress proxy."
  value       = aws_security_group.worker.id
}

output "nat_security_group_id" {
  description = "Security group of the NAT instance and its static ENI."
  value       = aws_security_group.nat.id
}

output "nat_network_interface_id" {
  description = "The static ENI that is the private subnets' route target and holds the EIP."
  value       = aws_network_interface.nat.id
}

output "nat_autoscaling_group_name" {
  description = "The Auto Scaling group of one that keeps a NAT instance running."
  value       = aws_autoscaling_group.nat.name
}
