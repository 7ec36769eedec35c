terraform {
  required_version = ">= 1.5.7"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0"
    }
  }
}

provider "aws" {
  region = "us-east-1"
  default_tags {
    tags = { project = "s3migrate" }
  }
}

provider "aws" {
  alias  = "china"
  region = "cn-northwest-1"
}

variable "subnets" {
  type        = list(string)
  description = "Subnets for the function."
  default     = []
}

locals {
  name = "valid"
}

module "queue" {
  source = "../child"
  name   = local.name
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = local.name
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_lambda_function" "this" {
  count         = 1
  function_name = "${local.name}-${count.index}"
  role          = aws_iam_role.this.arn
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  filename      = "${path.module}/main.tf"

  dynamic "vpc_config" {
    for_each = length(var.subnets) > 0 ? [var.subnets] : []
    iterator = net
    content {
      subnet_ids         = net.value
      security_group_ids = []
    }
  }

  lifecycle {
    ignore_changes = [tags]
    precondition {
      condition     = length(module.queue.arn) > 0
      error_message = "The queue must exist."
    }
  }
}

resource "terraform_data" "order" {
  input = module.queue.arn
}

resource "aws_sqs_queue" "china" {
  provider = aws.china
  name     = local.name
}

output "function_arns" {
  description = "Function ARNs."
  value       = [for f in aws_lambda_function.this : f.arn]
}
