output "autoscaling_group_name" {
  description = "Name of the workers' Auto Scaling group."
  value       = aws_autoscaling_group.workers.name
}

output "launch_template_id" {
  description = "Id of the workers' launch template."
  value       = aws_launch_template.workers.id
}

output "role_arn" {
  description = "ARN of the instances' IAM role (grant it access in bucket or key policies of other accounts)."
  value       = aws_iam_role.workers.arn
}

output "security_group_ids" {
  description = "Security groups of the instances."
  value       = local.sg_ids
}

output "user_data" {
  description = "The rendered bootstrap script (for review; it holds no secret, only where the far-side key is kept)."
  value       = local.user_data
}

output "ami_ssm_parameter" {
  description = "SSM parameter the launch template resolves the AMI from at each launch."
  value       = local.ami_param
}
