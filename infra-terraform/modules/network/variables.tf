variable "name" {
  type        = string
  description = "Name prefix of every resource, e.g. headless-eu."
}

variable "cidr" {
  type        = string
  description = "The VPC's IPv4 range; the three AZs get a public, a private (tasks) and a database subnet each from it."
  default     = "10.40.0.0/16"
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key that encrypts the VPC flow log group."
}

variable "log_retention_days" {
  type        = number
  description = "Days the VPC flow logs are kept."
  default     = 90
}
