data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  # Whether the keys were given. nonsensitive: only the fact that a value
  # exists decides what is created, never the value itself.
  keys_given     = nonsensitive(var.access_key_id != null && var.secret_access_key != null)
  parameter_name = "/s3migrate/${var.name}/far-credentials"
  secret_name    = "s3migrate/${var.name}/far-credentials"
  placeholder    = jsonencode({ access_key_id = "", secret_access_key = "" })
  parameter_arn  = "arn:${data.aws_partition.current.partition}:ssm:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:parameter${local.parameter_name}"
}

resource "aws_kms_key" "this" {
  description             = "s3migrate ${var.name}: encrypts the far side's access key"
  enable_key_rotation     = true
  deletion_window_in_days = var.key_deletion_window_days
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/s3migrate-${var.name}"
  target_key_id = aws_kms_key.this.key_id
}

# SSM SecureString, value managed by Terraform.
resource "aws_ssm_parameter" "managed" {
  count       = var.mode == "ssm" && local.keys_given ? 1 : 0
  name        = local.parameter_name
  description = "s3migrate ${var.name}: far side access key (JSON: access_key_id, secret_access_key)"
  type        = "SecureString"
  key_id      = aws_kms_key.this.arn
  value       = jsonencode({ access_key_id = var.access_key_id, secret_access_key = var.secret_access_key })
  tags        = var.tags
}

# SSM SecureString whose value is set out of band and never read back.
resource "aws_ssm_parameter" "external" {
  count       = var.mode == "ssm" && !local.keys_given ? 1 : 0
  name        = local.parameter_name
  description = "s3migrate ${var.name}: far side access key (JSON: access_key_id, secret_access_key), set with aws ssm put-parameter --overwrite"
  type        = "SecureString"
  key_id      = aws_kms_key.this.arn
  value       = local.placeholder
  tags        = var.tags

  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_secretsmanager_secret" "this" {
  count                   = var.mode == "secretsmanager" ? 1 : 0
  name                    = local.secret_name
  description             = "s3migrate ${var.name}: far side access key (JSON: access_key_id, secret_access_key)"
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = var.secret_recovery_window_days
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "this" {
  count         = var.mode == "secretsmanager" && local.keys_given ? 1 : 0
  secret_id     = aws_secretsmanager_secret.this[0].id
  secret_string = jsonencode({ access_key_id = var.access_key_id, secret_access_key = var.secret_access_key })
}

# The original system's style: each key KMS-encrypted (no encryption
# context) into a Lambda environment variable.
resource "aws_kms_ciphertext" "access_key_id" {
  count     = var.mode == "kms-env" ? 1 : 0
  key_id    = aws_kms_key.this.key_id
  plaintext = var.access_key_id

  lifecycle {
    precondition {
      condition     = local.keys_given
      error_message = "mode = \"kms-env\" needs access_key_id and secret_access_key."
    }
  }
}

resource "aws_kms_ciphertext" "secret_access_key" {
  count     = var.mode == "kms-env" ? 1 : 0
  key_id    = aws_kms_key.this.key_id
  plaintext = var.secret_access_key
}

data "aws_iam_policy_document" "read" {
  statement {
    sid       = "DecryptFarCredentials"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.this.arn]
  }

  dynamic "statement" {
    for_each = var.mode == "ssm" ? [1] : []
    content {
      sid       = "ReadFarCredentialsParameter"
      actions   = ["ssm:GetParameter"]
      resources = [local.parameter_arn]
    }
  }

  dynamic "statement" {
    for_each = var.mode == "secretsmanager" ? [1] : []
    content {
      sid       = "ReadFarCredentialsSecret"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [aws_secretsmanager_secret.this[0].arn]
    }
  }
}
