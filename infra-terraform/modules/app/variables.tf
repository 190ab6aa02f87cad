variable "name" {
  type        = string
  description = "Name prefix, e.g. headless-eu."
}

variable "region" {
  type        = string
  description = "AWS region of this stack (AWS_REGION of the tasks, SigV4 region of OpenSearch and S3)."
}

variable "vpc_id" {
  type        = string
  description = "The VPC."
}

variable "vpc_cidr_block" {
  type        = string
  description = "The VPC's range: the load balancer's addresses, whose X-Forwarded-For the API believes."
}

variable "public_subnets" {
  type        = list(string)
  description = "Public subnets (three zones) for the load balancer."
}

variable "private_subnets" {
  type        = list(string)
  description = "Private subnets (three zones) for the tasks."
}

variable "certificate_arn" {
  type        = string
  description = "ACM certificate (this region) of the API host name, for the load balancer's HTTPS listener."
}

variable "kms_key_arn" {
  type        = string
  description = "The region's KMS key: logs, secrets, ECR, and the data-protection key ring (Headless__DataProtection__KmsKeyId)."
}

variable "image_tag" {
  type        = string
  description = "Image tag to run (the git commit the pipeline built); changing it starts a blue/green deployment."
}

variable "database_host" {
  type        = string
  description = "RDS writer host name."
}

variable "database_app_secret_arn" {
  type        = string
  description = "Secret with the JSON keys username/password of the least-privileged login (member of headless_app)."
}

variable "database_owner_secret_arn" {
  type        = string
  description = "Secret with the JSON keys username/password of the schema owner, used only by the migrate task."
}

variable "opensearch_url" {
  type        = string
  description = "HTTPS URL of the OpenSearch domain."
}

variable "images_bucket" {
  type        = string
  description = "S3 bucket of product images and other uploaded objects (Headless__ObjectStore__S3Bucket)."
}

variable "images_bucket_arn" {
  type        = string
  description = "ARN of the images bucket."
}

variable "erasures_bucket" {
  type        = string
  description = "Private S3 bucket of the erasure journal's copy outside the databases (Headless__ErasureJournal__S3Bucket)."
}

variable "erasures_bucket_arn" {
  type        = string
  description = "ARN of the erasure journal bucket."
}

variable "site_bucket_arn" {
  type        = string
  description = "ARN of the storefront site bucket the worker publishes to."
}

variable "public_base_url" {
  type        = string
  description = "The storefront's public address (links in email, image URLs), e.g. https://eu.shop.example.com."
}

variable "smtp_host" {
  type        = string
  description = "SMTP relay host (e.g. the SES SMTP endpoint of this region)."
}

variable "smtp_port" {
  type        = number
  description = "SMTP relay port."
  default     = 587
}

variable "web_cpu" {
  type        = number
  description = "CPU units of one web task (1024 = 1 vCPU)."
  default     = 1024
}

variable "web_memory" {
  type        = number
  description = "Memory (MiB) of one web task."
  default     = 2048
}

variable "web_min_tasks" {
  type        = number
  description = "Fewest web tasks; two or more, so two zones always serve."
  default     = 2

  validation {
    condition     = var.web_min_tasks >= 2
    error_message = "At least two web tasks, in two zones."
  }
}

variable "web_max_tasks" {
  type        = number
  description = "Most web tasks autoscaling may run."
  default     = 12
}

variable "worker_tasks" {
  type        = number
  description = "Worker tasks (outbox consumers, jobs, search indexing); two keep one per zone."
  default     = 2
}

variable "cpu_target_percent" {
  type        = number
  description = "Average CPU the web service's target tracking aims for."
  default     = 60
}

variable "requests_per_target" {
  type        = number
  description = "ALBRequestCountPerTarget (requests per task per minute) the web service's target tracking aims for."
  default     = 1000
}

variable "bake_time_minutes" {
  type        = number
  description = "Minutes the old colour stays ready after traffic moved to the new one; an alarm in that window rolls back."
  default     = 15
}

variable "rollback_alarm_names" {
  type        = list(string)
  description = "CloudWatch alarms that roll a deployment back while they fire (the observability module creates them)."
}

variable "test_traffic_header_value" {
  type        = string
  description = "Value of the X-Headless-Test-Traffic header that sends a request to the new colour during a deployment (the smoke test uses it)."
  sensitive   = true
}

variable "log_retention_days" {
  type        = number
  description = "Days the tasks' logs are kept."
  default     = 90
}

variable "alb_logs_retention_days" {
  type        = number
  description = "Days the load balancer's access logs are kept."
  default     = 90
}

variable "residency_region" {
  type        = string
  description = "The personal-data region this stack serves, eu or us (Headless__Residency__Region): its vault is the database headless_vault_<region> on this region's RDS instance."

  validation {
    condition     = contains(["eu", "us"], var.residency_region)
    error_message = "residency_region is eu or us."
  }
}

variable "region_api_base_urls" {
  type        = map(string)
  description = "The https base URL of each region's own API, keyed eu and us: a request for a customer of the other region is answered with that region's base."

  validation {
    condition     = alltrue([for r in ["eu", "us"] : startswith(lookup(var.region_api_base_urls, r, ""), "https://")])
    error_message = "region_api_base_urls needs https URLs for both eu and us."
  }
}
