output "environment" {
  description = "Environment of the worker: S3MIGRATE_* settings plus the credentials module's variables (unset settings are left out)."
  value       = local.environment
}

output "policy_json" {
  description = "Least-privilege IAM policy (JSON) for the worker: the queue, the table, the buckets on the role's side, bucket KMS keys and the far-side credential."
  value       = data.aws_iam_policy_document.worker.json
}

output "role_reads_source" {
  description = "Whether the role (not the far-side key) reads the source buckets."
  value       = local.role_reads
}

output "role_writes_destination" {
  description = "Whether the role (not the far-side key) writes the destination bucket."
  value       = local.role_writes
}
