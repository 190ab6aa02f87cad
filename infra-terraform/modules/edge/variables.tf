variable "name" {
  type        = string
  description = "Name prefix, e.g. headless-eu."
}

variable "zone_id" {
  type        = string
  description = "Route 53 hosted zone of the shop's domain."
}

variable "site_hostname" {
  type        = string
  description = "This residency zone's storefront host name, e.g. eu.shop.example.com (served by this region's CloudFront)."
}

variable "api_hostname" {
  type        = string
  description = "The shared API host name, e.g. api.shop.example.com: geolocation records send each client to its zone's region."
}

variable "origin_hostname" {
  type        = string
  description = "This region's own API host name, e.g. api-eu.shop.example.com: CloudFront's /api/* origin."
}

variable "geolocation" {
  type = object({
    continent = optional(string)
    country   = optional(string)
  })
  description = "Who the api_hostname record of this region answers: { continent = \"EU\" } in Europe, { country = \"*\" } (the default) in the US."
}

variable "alb_arn" {
  type        = string
  description = "The region's load balancer (gets the regional WAF)."
}

variable "alb_dns_name" {
  type        = string
  description = "The load balancer's DNS name."
}

variable "alb_zone_id" {
  type        = string
  description = "The load balancer's hosted zone id."
}

variable "kms_key_arn" {
  type        = string
  description = "The region's KMS key for the buckets and log groups."
}

variable "price_class" {
  type        = string
  description = "CloudFront price class; PriceClass_100 serves from Europe and North America only (cheapest)."
  default     = "PriceClass_100"
}

variable "rate_limit_per_5_minutes" {
  type        = number
  description = "Requests one IP may send in five minutes before WAF blocks it."
  default     = 2000
}

variable "backup_retention_days" {
  type        = number
  description = "Days backup exports are kept in the backups bucket."
  default     = 400
}

variable "log_retention_days" {
  type        = number
  description = "Days the regional WAF's logs are kept."
  default     = 90
}
