output "environment" {
  description = "Environment variables that tell the worker where the far side's key is: S3MIGRATE_FAR_CREDENTIALS_SSM (parameter name), S3MIGRATE_FAR_CREDENTIALS_SECRET (secret ARN) or the KMS-encrypted aws_access_key_id / aws_secret_access_key (base64 ciphertext, with S3MIGRATE_FAR_CREDENTIALS_KMS=true so the worker decrypts them). Never the key itself."
  value = (
    var.mode == "ssm" ? tomap({ S3MIGRATE_FAR_CREDENTIALS_SSM = local.parameter_name }) :
    var.mode == "secretsmanager" ? tomap({ S3MIGRATE_FAR_CREDENTIALS_SECRET = aws_secretsmanager_secret.this[0].arn }) :
    tomap({
      aws_access_key_id             = aws_kms_ciphertext.access_key_id[0].ciphertext_blob
      aws_secret_access_key         = aws_kms_ciphertext.secret_access_key[0].ciphertext_blob
      S3MIGRATE_FAR_CREDENTIALS_KMS = "true"
    })
  )
}

output "policy_json" {
  description = "IAM policy document (JSON) that lets the worker read exactly this credential: kms:Decrypt on the key and ssm:GetParameter on the parameter or secretsmanager:GetSecretValue on the secret."
  value       = data.aws_iam_policy_document.read.json
}

output "kms_key_arn" {
  description = "ARN of the KMS key (rotation on) that encrypts the credential."
  value       = aws_kms_key.this.arn
}

output "ssm_parameter_name" {
  description = "Name of the SSM SecureString parameter (mode ssm), else null."
  value       = var.mode == "ssm" ? local.parameter_name : null
}

output "ssm_parameter_arn" {
  description = "ARN of the SSM parameter (mode ssm), else null."
  value       = var.mode == "ssm" ? local.parameter_arn : null
}

output "secret_arn" {
  description = "ARN of the Secrets Manager secret (mode secretsmanager), else null."
  value       = var.mode == "secretsmanager" ? aws_secretsmanager_secret.this[0].arn : null
}
