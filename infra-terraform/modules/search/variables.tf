variable "name" {
  type        = string
  description = "Name prefix, e.g. headless-eu (the domain name is cut to OpenSearch's 28 characters)."
}

variable "vpc_id" {
  type        = string
  description = "The VPC the domain lives in."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Database subnets in three zones; the domain spreads its nodes over as many."
}

variable "client_security_group_ids" {
  type        = map(string)
  description = "Security groups (web, worker tasks) allowed to reach the domain on 443, by a name known at plan time."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key that encrypts the indices at rest and the domain's log groups."
}

variable "app_role_arn" {
  type        = string
  description = "IAM role of the ECS tasks: the only principal the access policy lets in (requests signed with SigV4)."
}

variable "admin_role_arn" {
  type        = string
  description = "IAM role mapped to the fine-grained access control's master user (operators, not the app)."
}

variable "instance_type" {
  type        = string
  description = "Data node instance type (Graviton r7g/m7g are cheaper)."
  default     = "m7g.large.search"
}

variable "master_instance_type" {
  type        = string
  description = "Dedicated master node type (three of them keep quorum when a zone is lost); small domains need no more than medium."
  default     = "m7g.medium.search"
}

variable "instance_count" {
  type        = number
  description = "Data nodes; a multiple of the zone count (3)."
  default     = 3
}

variable "volume_size_gb" {
  type        = number
  description = "gp3 volume per data node in GB."
  default     = 50
}

variable "log_retention_days" {
  type        = number
  description = "Days the OpenSearch logs are kept."
  default     = 90
}
