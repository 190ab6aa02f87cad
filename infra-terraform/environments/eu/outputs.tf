output "ecr_repository_url" {
  description = "Where the pipeline pushes the image for this region."
  value       = module.app.ecr_repository_url
}

output "cluster_name" {
  description = "ECS cluster (the pipeline's deploy and rollback steps)."
  value       = module.app.cluster_name
}

output "web_service_name" {
  description = "ECS web service."
  value       = module.app.web_service_name
}

output "worker_service_name" {
  description = "ECS worker service."
  value       = module.app.worker_service_name
}

output "migrate_task_definition_arn" {
  description = "Task definition the pipeline runs to migrate before deploying."
  value       = module.app.migrate_task_definition_arn
}

output "migrate_network" {
  description = "Subnets and security group of the migration task."
  value       = { subnets = module.app.private_subnets, security_group = module.app.migrate_security_group_id }
}

output "site_url" {
  description = "The storefront of this zone."
  value       = "https://${var.site_hostname}"
}

output "origin_url" {
  description = "This region's API, straight to the load balancer (smoke tests)."
  value       = "https://${var.origin_hostname}"
}

output "distribution_id" {
  description = "CloudFront distribution (invalidate after a storefront publish)."
  value       = module.edge.distribution_id
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms."
  value       = module.observability.topic_arn
}

output "alarm_names" {
  description = "CloudWatch alarm names by Prometheus alert name."
  value       = module.observability.alarm_names
}
