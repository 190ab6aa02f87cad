output "vpc_id" {
  description = "The VPC's id."
  value       = module.vpc.vpc_id
}

output "vpc_cidr_block" {
  description = "The VPC's IPv4 range."
  value       = module.vpc.vpc_cidr_block
}

output "azs" {
  description = "The three availability zones in use."
  value       = local.azs
}

output "public_subnets" {
  description = "Public subnet ids (load balancer, NAT gateways)."
  value       = module.vpc.public_subnets
}

output "private_subnets" {
  description = "Private subnet ids (ECS tasks)."
  value       = module.vpc.private_subnets
}

output "database_subnets" {
  description = "Database subnet ids (RDS, OpenSearch)."
  value       = module.vpc.database_subnets
}

output "database_subnet_group_name" {
  description = "The RDS subnet group over the database subnets."
  value       = module.vpc.database_subnet_group_name
}
