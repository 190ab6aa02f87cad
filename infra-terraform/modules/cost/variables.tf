variable "name" {
  type        = string
  description = "Name prefix, e.g. headless-eu."
}

variable "region" {
  type        = string
  description = "Region whose costs this stack's budget and anomaly monitor watch (the Region cost-allocation tag)."
}

variable "monthly_budget_usd" {
  type        = number
  description = "Monthly budget of this region's resources in USD (docs/cost.md has the estimate)."
}

variable "notification_emails" {
  type        = list(string)
  description = "Who hears about forecast overruns and cost anomalies."
}

variable "anomaly_threshold_usd" {
  type        = number
  description = "An anomaly whose total impact reaches this many USD is reported."
  default     = 50
}

variable "activate_cost_allocation_tags" {
  type        = bool
  description = "Activate the cost-allocation tags for the account; true in exactly one stack (it is an account-wide setting)."
  default     = false
}

variable "cost_allocation_tags" {
  type        = list(string)
  description = "Tag keys the providers' default_tags put on everything, activated for cost allocation."
  default     = ["Project", "Environment", "Region", "Service", "CostCenter"]
}
