terraform {
  required_version = ">= 1.11.1"

  required_providers {
    aws = {
      source                = "hashicorp/aws"
      version               = "~> 6.42"
      configuration_aliases = [aws.us_east_1]
    }
  }
}
