# State of the US stack, in the US, locked with S3's own lock file (Terraform 1.10+; 1.11.1+ for the rds module), no DynamoDB table.
terraform {
  backend "s3" {
    bucket       = "headless-terraform-state-us"
    key          = "environments/us/terraform.tfstate"
    region       = "us-east-1"
    encrypt      = true
    use_lockfile = true
  }
}
