# State of the EU stack, in the EU, locked with S3's own lock file (Terraform 1.10+; 1.11.1+ for the rds module), no DynamoDB table.
terraform {
  backend "s3" {
    bucket       = "headless-terraform-state-eu"
    key          = "environments/eu/terraform.tfstate"
    region       = "eu-central-1"
    encrypt      = true
    use_lockfile = true
  }
}
