# Amazon OpenSearch Service behind the API's search (Headless__Search__Engine=opensearch). Three data nodes in
# three zones with dedicated masters, so a lost zone keeps both data and quorum; encrypted at rest and between
# nodes; HTTPS with TLS 1.2 or newer only; fine-grained access control with IAM principals (no internal user
# database, so no password to leak): the tasks' role signs its requests, operators map their own role.

locals {
  domain_name = substr(replace("${var.name}-search", "_", "-"), 0, 28)
}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

resource "aws_security_group" "search" {
  name        = "${var.name}-opensearch"
  description = "OpenSearch HTTPS from the application tasks only"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "search_from_clients" {
  for_each = var.client_security_group_ids

  security_group_id            = aws_security_group.search.id
  description                  = "HTTPS from the application tasks"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = each.value
}

resource "aws_cloudwatch_log_group" "search" {
  for_each = toset(["index-slow", "search-slow", "application", "audit"])

  name              = "/aws/opensearch/${local.domain_name}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

data "aws_iam_policy_document" "search_logs" {
  statement {
    sid       = "OpenSearchWritesItsLogs"
    actions   = ["logs:PutLogEvents", "logs:CreateLogStream"]
    resources = [for group in aws_cloudwatch_log_group.search : "${group.arn}:*"]

    principals {
      type        = "Service"
      identifiers = ["es.amazonaws.com"]
    }
  }
}

resource "aws_cloudwatch_log_resource_policy" "search" {
  policy_name     = "${local.domain_name}-logs"
  policy_document = data.aws_iam_policy_document.search_logs.json
}

data "aws_iam_policy_document" "access" {
  statement {
    sid       = "AppAndOperators"
    actions   = ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut", "es:ESHttpDelete"]
    resources = ["arn:aws:es:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:domain/${local.domain_name}/*"]

    principals {
      type        = "AWS"
      identifiers = [var.app_role_arn, var.admin_role_arn]
    }
  }
}

resource "aws_opensearch_domain" "search" {
  domain_name    = local.domain_name
  engine_version = "OpenSearch_2.19"

  cluster_config {
    instance_type            = var.instance_type
    instance_count           = var.instance_count
    dedicated_master_enabled = true
    dedicated_master_type    = var.master_instance_type
    dedicated_master_count   = 3
    zone_awareness_enabled   = true

    zone_awareness_config {
      availability_zone_count = 3
    }
  }

  ebs_options {
    ebs_enabled = true
    volume_type = "gp3"
    volume_size = var.volume_size_gb
  }

  vpc_options {
    subnet_ids         = slice(var.subnet_ids, 0, 3)
    security_group_ids = [aws_security_group.search.id]
  }

  encrypt_at_rest {
    enabled    = true
    kms_key_id = var.kms_key_arn
  }

  node_to_node_encryption {
    enabled = true
  }

  domain_endpoint_options {
    enforce_https       = true
    tls_security_policy = "Policy-Min-TLS-1-2-PFS-2023-10"
  }

  advanced_security_options {
    enabled                        = true
    anonymous_auth_enabled         = false
    internal_user_database_enabled = false

    master_user_options {
      master_user_arn = var.admin_role_arn
    }
  }

  access_policies = data.aws_iam_policy_document.access.json

  dynamic "log_publishing_options" {
    for_each = {
      INDEX_SLOW_LOGS     = "index-slow"
      SEARCH_SLOW_LOGS    = "search-slow"
      ES_APPLICATION_LOGS = "application"
      AUDIT_LOGS          = "audit"
    }

    content {
      log_type                 = log_publishing_options.key
      cloudwatch_log_group_arn = aws_cloudwatch_log_group.search[log_publishing_options.value].arn
    }
  }

  depends_on = [aws_cloudwatch_log_resource_policy.search]
}
