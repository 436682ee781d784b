terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # ~> 5.0, and new enough for the aws_iam_role_*_exclusive resources this module uses.
      version = "~> 5.0, >= 5.72"
    }
  }
}
