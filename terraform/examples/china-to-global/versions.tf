terraform {
  required_version = ">= 1.5.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0"
    }
  }
}

# Everything is deployed in the China (aws-cn) partition next to the source
# bucket. The global side is reached only with the access key kept in SSM,
# so no provider for the global region is needed here. Credentials: a China
# account (profile or environment variables for cn-northwest-1).
provider "aws" {
  region = var.source_region
  default_tags {
    tags = { "s3migrate:deployment" = var.name }
  }
}
