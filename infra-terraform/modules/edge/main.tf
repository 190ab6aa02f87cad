# What the shop's visitors reach in one region: CloudFront (HTTP/2 and 3, TLS 1.2+, the security-headers
# policy, WAF) in front of the storefront's site bucket, the images bucket (/media/*) and the load balancer
# (/api/*). Buckets are private and reached only through origin access control. Route 53 sends API clients
# to their residency zone by geolocation; a zone's unhealthy region is deliberately not answered by the
# other zone's region (customer data stays in its zone), fail-over inside the zone is the runbook's restore.

data "aws_caller_identity" "current" {}

locals {
  buckets = {
    site    = "storefront pages and assets"
    images  = "product images and other uploads"
    backups = "database exports and restore points"
    # The erasure journal's copy outside the databases (pseudonymous person ids): re-applied after a restore.
    erasures = "erasure journal"
  }

  # Only these are read by CloudFront; the others are never served to browsers.
  served_buckets = ["site", "images"]

  waf_rules = [
    { name = "AWSManagedRulesAmazonIpReputationList", priority = 10 },
    { name = "AWSManagedRulesCommonRuleSet", priority = 20 },
    { name = "AWSManagedRulesKnownBadInputsRuleSet", priority = 30 },
    { name = "AWSManagedRulesSQLiRuleSet", priority = 40 },
  ]
}

# ---------------------------------------------------------------- certificates

module "cdn_certificate" {
  source  = "terraform-aws-modules/acm/aws"
  version = "~> 6.3"

  providers = {
    aws = aws.us_east_1
  }

  domain_name         = var.site_hostname
  zone_id             = var.zone_id
  validation_method   = "DNS"
  wait_for_validation = true
}

module "alb_certificate" {
  source  = "terraform-aws-modules/acm/aws"
  version = "~> 6.3"

  domain_name               = var.origin_hostname
  subject_alternative_names = [var.api_hostname]
  zone_id                   = var.zone_id
  validation_method         = "DNS"
  wait_for_validation       = true
}

# ---------------------------------------------------------------- buckets

data "aws_iam_policy_document" "bucket" {
  for_each = toset(local.served_buckets)

  statement {
    sid       = "CloudFrontReadsThroughOriginAccessControl"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::${var.name}-${each.key}-${data.aws_caller_identity.current.account_id}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.shop.arn]
    }
  }
}

module "bucket" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "~> 5.15"

  for_each = local.buckets

  bucket = "${var.name}-${each.key}-${data.aws_caller_identity.current.account_id}"

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true

  control_object_ownership = true
  object_ownership         = "BucketOwnerEnforced"

  versioning = { enabled = true }

  server_side_encryption_configuration = {
    rule = {
      apply_server_side_encryption_by_default = {
        sse_algorithm     = "aws:kms"
        kms_master_key_id = var.kms_key_arn
      }
      bucket_key_enabled = true
    }
  }

  attach_deny_insecure_transport_policy = true
  attach_require_latest_tls_policy      = true
  attach_policy                         = contains(local.served_buckets, each.key)
  policy                                = contains(local.served_buckets, each.key) ? data.aws_iam_policy_document.bucket[each.key].json : null

  lifecycle_rule = each.key == "backups" ? [{
    id                                     = "backups-to-cold-storage"
    enabled                                = true
    filter                                 = {}
    transition                             = [{ days = 30, storage_class = "GLACIER_IR" }]
    expiration                             = { days = var.backup_retention_days }
    noncurrent_version_expiration          = { days = 30 }
    abort_incomplete_multipart_upload_days = 1
    }] : [{
    id                                     = "old-versions"
    enabled                                = true
    filter                                 = {}
    noncurrent_version_transition          = [{ days = 30, storage_class = "STANDARD_IA" }]
    noncurrent_version_expiration          = { days = 90 }
    abort_incomplete_multipart_upload_days = 1
  }]

  force_destroy = false
}

# ---------------------------------------------------------------- WAF

resource "aws_wafv2_web_acl" "cdn" {
  provider = aws.us_east_1

  name  = "${var.name}-cdn"
  scope = "CLOUDFRONT"

  default_action {
    allow {}
  }

  dynamic "rule" {
    for_each = local.waf_rules

    content {
      name     = rule.value.name
      priority = rule.value.priority

      override_action {
        none {}
      }

      statement {
        managed_rule_group_statement {
          vendor_name = "AWS"
          name        = rule.value.name
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        sampled_requests_enabled   = true
        metric_name                = rule.value.name
      }
    }
  }

  rule {
    name     = "rate-limit-per-ip"
    priority = 1

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit                 = var.rate_limit_per_5_minutes
        aggregate_key_type    = "IP"
        evaluation_window_sec = 300
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      sampled_requests_enabled   = true
      metric_name                = "rate-limit-per-ip"
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    sampled_requests_enabled   = true
    metric_name                = "${var.name}-cdn"
  }
}

# The API host name reaches the load balancer without CloudFront, so it gets the same rules.
resource "aws_wafv2_web_acl" "alb" {
  name  = "${var.name}-alb"
  scope = "REGIONAL"

  default_action {
    allow {}
  }

  dynamic "rule" {
    for_each = local.waf_rules

    content {
      name     = rule.value.name
      priority = rule.value.priority

      override_action {
        none {}
      }

      statement {
        managed_rule_group_statement {
          vendor_name = "AWS"
          name        = rule.value.name
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        sampled_requests_enabled   = true
        metric_name                = rule.value.name
      }
    }
  }

  rule {
    name     = "rate-limit-per-ip"
    priority = 1

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit                 = var.rate_limit_per_5_minutes
        aggregate_key_type    = "IP"
        evaluation_window_sec = 300
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      sampled_requests_enabled   = true
      metric_name                = "rate-limit-per-ip"
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    sampled_requests_enabled   = true
    metric_name                = "${var.name}-alb"
  }
}

resource "aws_wafv2_web_acl_association" "alb" {
  resource_arn = var.alb_arn
  web_acl_arn  = aws_wafv2_web_acl.alb.arn
}

resource "aws_cloudwatch_log_group" "waf" {
  # WAF only logs to groups whose name starts with aws-waf-logs-.
  name              = "aws-waf-logs-${var.name}-alb"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_wafv2_web_acl_logging_configuration" "alb" {
  resource_arn            = aws_wafv2_web_acl.alb.arn
  log_destination_configs = [aws_cloudwatch_log_group.waf.arn]

  redacted_fields {
    single_header {
      name = "authorization"
    }
  }

  redacted_fields {
    single_header {
      name = "cookie"
    }
  }
}

# ---------------------------------------------------------------- CloudFront

data "aws_cloudfront_cache_policy" "optimized" {
  name = "Managed-CachingOptimized"
}

data "aws_cloudfront_cache_policy" "disabled" {
  name = "Managed-CachingDisabled"
}

data "aws_cloudfront_origin_request_policy" "all_viewer_except_host" {
  name = "Managed-AllViewerExceptHostHeader"
}

resource "aws_cloudfront_origin_access_control" "buckets" {
  name                              = "${var.name}-buckets"
  description                       = "CloudFront signs its requests to the private buckets"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_response_headers_policy" "security" {
  name    = "${var.name}-security-headers"
  comment = "HSTS, no sniffing, no framing, strict referrer"

  security_headers_config {
    strict_transport_security {
      access_control_max_age_sec = 63072000
      include_subdomains         = true
      preload                    = true
      override                   = true
    }

    content_type_options {
      override = true
    }

    frame_options {
      frame_option = "DENY"
      override     = true
    }

    referrer_policy {
      referrer_policy = "strict-origin-when-cross-origin"
      override        = true
    }

    xss_protection {
      protection = true
      mode_block = true
      override   = true
    }
  }
}

resource "aws_cloudfront_distribution" "shop" {
  enabled             = true
  comment             = "${var.name} storefront, media and API"
  aliases             = [var.site_hostname]
  http_version        = "http2and3"
  is_ipv6_enabled     = true
  price_class         = var.price_class
  default_root_object = "index.html"
  web_acl_id          = aws_wafv2_web_acl.cdn.arn

  origin {
    origin_id                = "site"
    domain_name              = module.bucket["site"].s3_bucket_bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.buckets.id
  }

  origin {
    origin_id                = "images"
    domain_name              = module.bucket["images"].s3_bucket_bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.buckets.id
  }

  origin {
    origin_id   = "api"
    domain_name = var.origin_hostname

    custom_origin_config {
      http_port                = 80
      https_port               = 443
      origin_protocol_policy   = "https-only"
      origin_ssl_protocols     = ["TLSv1.2"]
      origin_read_timeout      = 30
      origin_keepalive_timeout = 5
    }
  }

  default_cache_behavior {
    target_origin_id           = "site"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.optimized.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.security.id
  }

  ordered_cache_behavior {
    path_pattern               = "/api/*"
    target_origin_id           = "api"
    viewer_protocol_policy     = "https-only"
    allowed_methods            = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.disabled.id
    origin_request_policy_id   = data.aws_cloudfront_origin_request_policy.all_viewer_except_host.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.security.id
  }

  ordered_cache_behavior {
    path_pattern               = "/media/*"
    target_origin_id           = "images"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.optimized.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.security.id
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    acm_certificate_arn      = module.cdn_certificate.acm_certificate_arn
    ssl_support_method       = "sni-only"
    minimum_protocol_version = "TLSv1.2_2021"
  }
}

# ---------------------------------------------------------------- DNS

resource "aws_route53_record" "site" {
  for_each = toset(["A", "AAAA"])

  zone_id = var.zone_id
  name    = var.site_hostname
  type    = each.key

  alias {
    name                   = aws_cloudfront_distribution.shop.domain_name
    zone_id                = aws_cloudfront_distribution.shop.hosted_zone_id
    evaluate_target_health = false
  }
}

resource "aws_route53_record" "origin" {
  zone_id = var.zone_id
  name    = var.origin_hostname
  type    = "A"

  alias {
    name                   = var.alb_dns_name
    zone_id                = var.alb_zone_id
    evaluate_target_health = true
  }
}

resource "aws_route53_record" "api" {
  zone_id        = var.zone_id
  name           = var.api_hostname
  type           = "A"
  set_identifier = var.name

  geolocation_routing_policy {
    continent = var.geolocation.continent
    country   = var.geolocation.country
  }

  alias {
    name    = var.alb_dns_name
    zone_id = var.alb_zone_id
    # Not evaluated: an unhealthy zone must not spill its customers into the other zone's region.
    evaluate_target_health = false
  }
}
