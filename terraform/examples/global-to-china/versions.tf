terraform {
  required_version = ">= 1.5.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0"
    }
  }
}

# Everything is deployed in the global (aws) partition next to the source
# bucket. The China side is reached only with the access key kept in SSM,
# so no provider for cn-northwest-1 is needed here.
provider "aws" {
  region = var.source_region
  default_tags {
    tags = { "s3migrate:deployment" = var.name }
  }
}
