terraform {
  required_version = ">= 1.5.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0"
    }
  }
}

# The worker, queue and table live in the source region (S3 notifications
# only reach a queue in the bucket's region).
provider "aws" {
  region = var.source_region
  default_tags {
    tags = { "s3migrate:deployment" = var.name }
  }
}

provider "aws" {
  alias  = "destination"
  region = var.destination_region
  default_tags {
    tags = { "s3migrate:deployment" = var.name }
  }
}
