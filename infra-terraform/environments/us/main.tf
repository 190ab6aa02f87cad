# One residency zone's production stack: every module composed once, settings from terraform.tfvars.
# environments/eu is the same file with the EU zone's values.

data "aws_caller_identity" "current" {}

locals {
  alarm_names = [for alert in [
    "HeadlessHighErrorRatio", "HeadlessHighLatencyP99", "HeadlessCheckoutFailureRatio", "HeadlessPaymentProviderErrors",
  ] : "${var.name}-${alert}"]
}

# ---------------------------------------------------------------- keys

data "aws_iam_policy_document" "key" {
  statement {
    sid = "AccountAdministersTheKey"
    actions = [
      "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*",
      "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion",
      "kms:CancelKeyDeletion", "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant",
    ]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "ServicesEncryptWithIt"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
    resources = ["*"]

    principals {
      type = "Service"
      identifiers = [
        "logs.${var.region}.amazonaws.com", "cloudfront.amazonaws.com", "cloudwatch.amazonaws.com", "sns.amazonaws.com",
        "delivery.logs.amazonaws.com",
      ]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_kms_key" "main" {
  description             = "${var.name}: data at rest, secrets, logs, data-protection key ring"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30
  multi_region            = false
  policy                  = data.aws_iam_policy_document.key.json
}

resource "aws_kms_alias" "main" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.main.key_id
}

resource "aws_kms_key" "backup_replica" {
  provider = aws.backup_replica

  description             = "${var.name}: replicated database backups in ${var.backup_region}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
}

# ---------------------------------------------------------------- modules

module "network" {
  source = "../../modules/network"

  name               = var.name
  cidr               = var.vpc_cidr
  kms_key_arn        = aws_kms_key.main.arn
  log_retention_days = var.log_retention_days
}

module "database" {
  source = "../../modules/database"

  providers = {
    aws                = aws
    aws.backup_replica = aws.backup_replica
  }

  name                       = var.name
  vpc_id                     = module.network.vpc_id
  db_subnet_group_name       = module.network.database_subnet_group_name
  private_subnets            = module.network.private_subnets
  client_security_group_ids  = module.app.task_security_group_ids
  kms_key_arn                = aws_kms_key.main.arn
  backup_replica_kms_key_arn = aws_kms_key.backup_replica.arn
  instance_class             = var.db_instance_class
  allocated_storage_gb       = var.db_allocated_storage_gb
  backup_retention_days      = var.backup_retention_days
  log_retention_days         = var.log_retention_days
}

module "search" {
  source = "../../modules/search"

  name                      = var.name
  vpc_id                    = module.network.vpc_id
  subnet_ids                = module.network.database_subnets
  client_security_group_ids = { web = module.app.task_security_group_ids["web"], worker = module.app.task_security_group_ids["worker"] }
  kms_key_arn               = aws_kms_key.main.arn
  app_role_arn              = module.app.task_role_arn
  admin_role_arn            = var.operator_role_arn
  log_retention_days        = var.log_retention_days
}

module "app" {
  source = "../../modules/app"

  name                      = var.name
  region                    = var.region
  vpc_id                    = module.network.vpc_id
  vpc_cidr_block            = module.network.vpc_cidr_block
  public_subnets            = module.network.public_subnets
  private_subnets           = module.network.private_subnets
  certificate_arn           = module.edge.alb_certificate_arn
  kms_key_arn               = aws_kms_key.main.arn
  image_tag                 = var.image_tag
  database_host             = module.database.endpoint
  database_app_secret_arn   = module.database.app_login_secret_arn
  database_owner_secret_arn = module.database.owner_login_secret_arn
  opensearch_url            = module.search.endpoint_url
  images_bucket             = module.edge.bucket_names["images"]
  images_bucket_arn         = module.edge.bucket_arns["images"]
  erasures_bucket           = module.edge.bucket_names["erasures"]
  erasures_bucket_arn       = module.edge.bucket_arns["erasures"]
  site_bucket_arn           = module.edge.bucket_arns["site"]
  public_base_url           = "https://${var.site_hostname}"
  smtp_host                 = var.smtp_host
  web_min_tasks             = var.web_min_tasks
  web_max_tasks             = var.web_max_tasks
  rollback_alarm_names      = local.alarm_names
  test_traffic_header_value = var.test_traffic_header_value
  log_retention_days        = var.log_retention_days
  residency_region          = var.residency_region
  region_api_base_urls      = var.region_api_base_urls
}

module "edge" {
  source = "../../modules/edge"

  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }

  name               = var.name
  zone_id            = var.zone_id
  site_hostname      = var.site_hostname
  api_hostname       = var.api_hostname
  origin_hostname    = var.origin_hostname
  geolocation        = var.geolocation
  alb_arn            = module.app.alb_arn
  alb_dns_name       = module.app.alb_dns_name
  alb_zone_id        = module.app.alb_zone_id
  kms_key_arn        = aws_kms_key.main.arn
  log_retention_days = var.log_retention_days
}

module "observability" {
  source = "../../modules/observability"

  name                    = var.name
  kms_key_arn             = aws_kms_key.main.arn
  alarm_emails            = var.alarm_emails
  alb_arn_suffix          = module.app.alb_arn_suffix
  db_instance_identifier  = module.database.instance_identifier
  db_allocated_storage_gb = var.db_allocated_storage_gb
}

module "cost" {
  source = "../../modules/cost"

  name                          = var.name
  region                        = var.region
  monthly_budget_usd            = var.monthly_budget_usd
  notification_emails           = var.cost_emails
  activate_cost_allocation_tags = var.activate_cost_allocation_tags
}
