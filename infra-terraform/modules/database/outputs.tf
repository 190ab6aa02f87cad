output "endpoint" {
  description = "Host name of the writer (the Multi-AZ primary), for the connection strings."
  value       = module.db.db_instance_address
}

output "port" {
  description = "PostgreSQL port."
  value       = module.db.db_instance_port
}

output "instance_identifier" {
  description = "The RDS instance identifier (CloudWatch dimension DBInstanceIdentifier)."
  value       = module.db.db_instance_identifier
}

output "instance_arn" {
  description = "The RDS instance ARN."
  value       = module.db.db_instance_arn
}

output "master_user_secret_arn" {
  description = "Secrets Manager secret of the master user, rotated by RDS."
  value       = module.db.db_instance_master_user_secret_arn
}

output "security_group_id" {
  description = "The database's security group."
  value       = aws_security_group.db.id
}

output "app_login_secret_arn" {
  description = "Secret (JSON username/password, rotated) of the API's login."
  value       = aws_secretsmanager_secret.login["app"].arn
}

output "owner_login_secret_arn" {
  description = "Secret (JSON username/password, rotated) of the schema owner's login."
  value       = aws_secretsmanager_secret.login["owner"].arn
}
