# PostgreSQL for one residency zone: Multi-AZ (a synchronous standby in another zone, automatic fail-over),
# encrypted with the region's KMS key, point-in-time recovery over backup_retention_days, and the automated
# backups copied to the second region of the same zone (eu-central-1 -> eu-west-1, us-east-1 -> us-west-2)
# so a lost region can be restored without customer data ever leaving its zone.
#
# The master password is managed and rotated by RDS in Secrets Manager; the application's logins
# (headless_owner for migrations, headless_api for serving) live in the app module's secrets.

resource "aws_security_group" "db" {
  name        = "${var.name}-postgres"
  description = "PostgreSQL from the ECS tasks only"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "db_from_clients" {
  for_each = var.client_security_group_ids

  security_group_id            = aws_security_group.db.id
  description                  = "PostgreSQL from the application tasks"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = each.value
}

module "db" {
  source  = "terraform-aws-modules/rds/aws"
  version = "~> 7.2"

  identifier = "${var.name}-postgres"

  engine               = "postgres"
  engine_version       = "16"
  family               = "postgres16"
  major_engine_version = "16"
  instance_class       = var.instance_class

  allocated_storage     = var.allocated_storage_gb
  max_allocated_storage = var.max_allocated_storage_gb
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  db_name  = "headless"
  username = "headless_root"
  port     = 5432

  manage_master_user_password                       = true
  master_user_secret_kms_key_id                     = var.kms_key_arn
  manage_master_user_password_rotation              = true
  master_user_password_rotation_schedule_expression = "rate(30 days)"

  multi_az               = true
  db_subnet_group_name   = var.db_subnet_group_name
  vpc_security_group_ids = [aws_security_group.db.id]
  publicly_accessible    = false

  backup_retention_period          = var.backup_retention_days
  backup_window                    = "02:00-03:00"
  maintenance_window               = "Sun:03:30-Sun:04:30"
  copy_tags_to_snapshot            = true
  deletion_protection              = true
  skip_final_snapshot              = false
  final_snapshot_identifier_prefix = "${var.name}-final"

  auto_minor_version_upgrade = true

  performance_insights_enabled          = true
  performance_insights_retention_period = 7
  performance_insights_kms_key_id       = var.kms_key_arn

  create_monitoring_role = true
  monitoring_interval    = 60

  enabled_cloudwatch_logs_exports        = ["postgresql", "upgrade"]
  create_cloudwatch_log_group            = true
  cloudwatch_log_group_retention_in_days = var.log_retention_days
  cloudwatch_log_group_kms_key_id        = var.kms_key_arn

  parameters = [
    # Migration 0001 creates these extensions (search); RDS allows only the listed ones.
    { name = "rds.allowed_extensions", value = "pg_trgm,unaccent", apply_method = "pending-reboot" },
    { name = "rds.force_ssl", value = "1", apply_method = "pending-reboot" },
    { name = "ssl_min_protocol_version", value = "TLSv1.2", apply_method = "pending-reboot" },
    { name = "log_min_duration_statement", value = "500" },
    { name = "idle_in_transaction_session_timeout", value = "60000" },
  ]
}

resource "aws_db_instance_automated_backups_replication" "zone_copy" {
  provider = aws.backup_replica

  source_db_instance_arn = module.db.db_instance_arn
  kms_key_id             = var.backup_replica_kms_key_arn
  retention_period       = var.backup_retention_days
}

# The application's two logins (created once by the operator, docs/operations.md): headless_owner owns the
# schema and runs migrations, headless_api serves requests as a member of headless_app. Each secret holds the
# JSON that AWS's multi-user rotation function expects; it alternates between the login and a clone with the
# same role memberships, so a rotation never cuts off a running task. Tasks read username and password into
# PGUSER/PGPASSWORD (app module), so no connection string holds a password.
data "aws_region" "current" {}

resource "aws_secretsmanager_secret" "login" {
  for_each = {
    app   = "headless_api: the API's least-privileged login (member of headless_app)"
    owner = "headless_owner: the schema owner, used by the migrate task only"
  }

  name                    = "${var.name}/database/${each.key}"
  description             = each.value
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 30
}

resource "aws_security_group" "rotation" {
  name        = "${var.name}-secret-rotation"
  description = "The rotation function: PostgreSQL and HTTPS inside the VPC"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_egress_rule" "rotation_postgres" {
  security_group_id            = aws_security_group.rotation.id
  description                  = "PostgreSQL"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.db.id
}

resource "aws_vpc_security_group_egress_rule" "rotation_https" {
  security_group_id = aws_security_group.rotation.id
  description       = "Secrets Manager and KMS endpoints"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "db_from_rotation" {
  security_group_id            = aws_security_group.db.id
  description                  = "PostgreSQL from the rotation function"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.rotation.id
}

resource "aws_serverlessapplicationrepository_cloudformation_stack" "rotation" {
  name           = "${var.name}-postgres-rotation"
  application_id = "arn:aws:serverlessrepo:us-east-1:297356227824:applications/SecretsManagerRDSPostgreSQLRotationMultiUser"
  capabilities   = ["CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY"]

  parameters = {
    functionName        = "${var.name}-postgres-rotation"
    endpoint            = "https://secretsmanager.${data.aws_region.current.region}.amazonaws.com"
    vpcSubnetIds        = join(",", var.private_subnets)
    vpcSecurityGroupIds = aws_security_group.rotation.id
    kmsKeyArn           = var.kms_key_arn
  }
}

resource "aws_secretsmanager_secret_rotation" "login" {
  for_each = aws_secretsmanager_secret.login

  secret_id           = each.value.id
  rotation_lambda_arn = aws_serverlessapplicationrepository_cloudformation_stack.rotation.outputs.RotationLambdaARN

  rotation_rules {
    automatically_after_days = var.rotation_days
  }
}
