output "table_name" {
  description = "Name of the state table (S3MIGRATE_TABLE, `s3migrate worker --table`)."
  value       = aws_dynamodb_table.state.name
}

output "table_arn" {
  description = "ARN of the state table."
  value       = aws_dynamodb_table.state.arn
}

output "hash_key" {
  description = "Partition key attribute of the state items."
  value       = aws_dynamodb_table.state.hash_key
}
