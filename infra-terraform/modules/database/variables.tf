variable "name" {
  type        = string
  description = "Name prefix, e.g. headless-eu."
}

variable "vpc_id" {
  type        = string
  description = "The VPC the database lives in."
}

variable "db_subnet_group_name" {
  type        = string
  description = "RDS subnet group over the database subnets of three zones."
}

variable "client_security_group_ids" {
  type        = map(string)
  description = "Security groups allowed to reach PostgreSQL on 5432, by a name known at plan time (web, worker, migrate)."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key in this region for storage, Performance Insights, logs and the master secret."
}

variable "backup_replica_kms_key_arn" {
  type        = string
  description = "KMS key in the backup-replica region (same residency zone) that encrypts the replicated backups."
}

variable "instance_class" {
  type        = string
  description = "RDS instance class; Graviton (db.m7g / db.r7g) is cheaper per vCPU."
  default     = "db.m7g.large"
}

variable "allocated_storage_gb" {
  type        = number
  description = "Initial gp3 storage in GB; storage autoscaling grows it up to max_allocated_storage_gb."
  default     = 100
}

variable "max_allocated_storage_gb" {
  type        = number
  description = "Upper bound of storage autoscaling in GB."
  default     = 1000
}

variable "backup_retention_days" {
  type        = number
  description = "Days of automated backups, the window of point-in-time recovery (here and in the replica region)."
  default     = 14

  validation {
    condition     = var.backup_retention_days >= 7
    error_message = "Point-in-time recovery must cover at least 7 days."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Days the PostgreSQL logs are kept in CloudWatch."
  default     = 90
}

variable "private_subnets" {
  type        = list(string)
  description = "Private subnets the rotation function runs in (it reaches PostgreSQL and the Secrets Manager endpoint)."
}

variable "rotation_days" {
  type        = number
  description = "Days between rotations of the application logins' passwords."
  default     = 30
}
