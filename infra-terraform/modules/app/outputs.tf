output "alb_arn" {
  description = "The load balancer's ARN (the regional WAF is associated with it)."
  value       = module.alb.arn
}

output "alb_dns_name" {
  description = "The load balancer's DNS name: CloudFront's /api/* origin and the API host name's alias target."
  value       = module.alb.dns_name
}

output "alb_zone_id" {
  description = "The load balancer's hosted zone, for Route 53 alias records."
  value       = module.alb.zone_id
}

output "alb_arn_suffix" {
  description = "The load balancer's ARN suffix (CloudWatch dimension LoadBalancer)."
  value       = module.alb.arn_suffix
}

output "target_group_arn_suffixes" {
  description = "ARN suffixes of the blue and green target groups (CloudWatch dimension TargetGroup)."
  value       = { for colour, group in aws_lb_target_group.web : colour => group.arn_suffix }
}

output "task_security_group_ids" {
  description = "Security groups of the web, worker and migrate tasks (allowed into RDS and OpenSearch)."
  value       = { for role, group in aws_security_group.tasks : role => group.id }
}

output "task_role_arn" {
  description = "IAM role of the tasks (OpenSearch access, S3, KMS)."
  value       = aws_iam_role.task.arn
}

output "ecr_repository_url" {
  description = "ECR repository the pipeline pushes the image to."
  value       = aws_ecr_repository.api.repository_url
}

output "cluster_name" {
  description = "ECS cluster name."
  value       = module.cluster.name
}

output "web_service_name" {
  description = "ECS service of the web role."
  value       = aws_ecs_service.web.name
}

output "worker_service_name" {
  description = "ECS service of the worker role."
  value       = aws_ecs_service.worker.name
}

output "migrate_task_definition_arn" {
  description = "Task definition of the migration step the pipeline runs before a deployment."
  value       = aws_ecs_task_definition.migrate.arn
}

output "migrate_security_group_id" {
  description = "Security group for the migration task."
  value       = aws_security_group.tasks["migrate"].id
}

output "private_subnets" {
  description = "Subnets the migration task runs in."
  value       = var.private_subnets
}
