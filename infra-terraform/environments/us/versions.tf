terraform {
  required_version = ">= 1.11.1"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.42"
    }
  }
}

locals {
  tags = {
    Project     = "headless"
    Environment = var.environment
    Region      = var.region
    Service     = "shop"
    CostCenter  = var.cost_center
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}

# The second region of the same residency zone: replicated backups land here, and a region fail-over
# restores here (docs/operations.md).
provider "aws" {
  alias  = "backup_replica"
  region = var.backup_region

  default_tags {
    tags = local.tags
  }
}

# CloudFront's certificate and web ACL can only live in us-east-1; they hold no customer data.
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"

  default_tags {
    tags = local.tags
  }
}
