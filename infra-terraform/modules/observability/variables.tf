variable "name" {
  type        = string
  description = "Name prefix, e.g. headless-eu; alarm names are <name>-<alert>."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key that encrypts the alarm topic."
}

variable "alarm_emails" {
  type        = list(string)
  description = "Addresses subscribed to the alarm topic (on-call, or a paging service's email integration)."
}

variable "alb_arn_suffix" {
  type        = string
  description = "The load balancer's ARN suffix (dimension LoadBalancer)."
}

variable "db_instance_identifier" {
  type        = string
  description = "The RDS instance identifier (dimension DBInstanceIdentifier)."
}

variable "db_allocated_storage_gb" {
  type        = number
  description = "Allocated storage of the database in GB: the disk-filling alarm fires below 10 % of it free."
}

variable "error_ratio_threshold" {
  type        = number
  description = "Share of requests answered 5xx that fires HeadlessHighErrorRatio (same as the Prometheus rule)."
  default     = 0.05
}

variable "latency_p99_seconds" {
  type        = number
  description = "p99 response time in seconds that fires HeadlessHighLatencyP99."
  default     = 1
}

variable "checkout_failure_ratio_threshold" {
  type        = number
  description = "Share of failed checkouts that fires HeadlessCheckoutFailureRatio."
  default     = 0.2
}

variable "outbox_lag_seconds" {
  type        = number
  description = "Age in seconds of the oldest undelivered outbox event that fires HeadlessOutboxLag."
  default     = 300
}

variable "replica_lag_seconds" {
  type        = number
  description = "Replica lag in seconds that fires HeadlessReplicaLag."
  default     = 60
}
