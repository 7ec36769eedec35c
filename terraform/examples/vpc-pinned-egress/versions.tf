terraform {
  required_version = ">= 1.5.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0"
    }
  }
}

# The worker, its VPC and the NAT/egress instance live in the source region.
# The destination bucket, when this example creates it in another region of
# the same account, uses the resource-level `region` argument of provider 6
# instead of a second provider, so a China destination (never created here)
# needs no China credentials.
provider "aws" {
  region = var.source_region
  default_tags {
    tags = { "s3migrate:deployment" = var.name }
  }
}
