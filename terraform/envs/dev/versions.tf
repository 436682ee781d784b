terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0, >= 5.72"
    }
  }

  # Partial configuration: `terraform init -backend-config=backend.hcl` (bucket, key, region,
  # use_lockfile or dynamodb_table). `terraform init -backend=false` for validate only.
  backend "s3" {}
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge({ project = "cdclake", environment = "dev" }, var.tags)
  }
}
