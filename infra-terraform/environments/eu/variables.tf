variable "region" {
  type        = string
  description = "The stack's region."
}

variable "backup_region" {
  type        = string
  description = "Second region inside the same residency zone: backup copies and the fail-over restore."
}

variable "environment" {
  type        = string
  description = "Environment name, in every tag and name (production)."
  default     = "production"
}

variable "cost_center" {
  type        = string
  description = "Cost center tag for the finance report."
  default     = "shop"
}

variable "name" {
  type        = string
  description = "Name prefix of this stack's resources."
}

variable "vpc_cidr" {
  type        = string
  description = "The VPC's IPv4 range (distinct per region, so the regions could be peered)."
}

variable "zone_id" {
  type        = string
  description = "Route 53 hosted zone id of the shop's domain."
}

variable "site_hostname" {
  type        = string
  description = "This zone's storefront host name."
}

variable "api_hostname" {
  type        = string
  description = "The shared API host name (geolocation records)."
}

variable "origin_hostname" {
  type        = string
  description = "This region's own API host name."
}

variable "geolocation" {
  type = object({
    continent = optional(string)
    country   = optional(string)
  })
  description = "Which clients the shared API host name sends to this region."
}

variable "image_tag" {
  type        = string
  description = "Image tag (git commit) to run; the pipeline sets it, a change deploys blue/green."
}

variable "test_traffic_header_value" {
  type        = string
  description = "Header value that routes the smoke test to the new colour (from the pipeline's secrets)."
  sensitive   = true
}

variable "smtp_host" {
  type        = string
  description = "SMTP relay in this region."
}

variable "alarm_emails" {
  type        = list(string)
  description = "On-call addresses for alarms."
}

variable "cost_emails" {
  type        = list(string)
  description = "Addresses for budget and cost-anomaly notices."
}

variable "monthly_budget_usd" {
  type        = number
  description = "This region's monthly budget in USD."
}

variable "activate_cost_allocation_tags" {
  type        = bool
  description = "Whether this stack activates the account's cost-allocation tags (exactly one stack does)."
}

variable "web_min_tasks" {
  type        = number
  description = "Fewest web tasks (two or more)."
  default     = 2
}

variable "web_max_tasks" {
  type        = number
  description = "Most web tasks."
  default     = 12
}

variable "db_instance_class" {
  type        = string
  description = "RDS instance class."
  default     = "db.m7g.large"
}

variable "db_allocated_storage_gb" {
  type        = number
  description = "RDS initial storage in GB."
  default     = 100
}

variable "backup_retention_days" {
  type        = number
  description = "Days of point-in-time recovery (7 or more)."
  default     = 14
}

variable "log_retention_days" {
  type        = number
  description = "Days every log group keeps its logs."
  default     = 90
}

variable "operator_role_arn" {
  type        = string
  description = "IAM role of the operators: OpenSearch's fine-grained master user and the KMS key administrator."
}

variable "residency_region" {
  type        = string
  description = "The personal-data region of this stack's customers: eu or us."
}

variable "region_api_base_urls" {
  type        = map(string)
  description = "Each region's own API base URL (https), keyed eu and us."
}
