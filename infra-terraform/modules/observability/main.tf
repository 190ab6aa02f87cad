# The CloudWatch twins of the Prometheus alert rules (same names, same thresholds), all to one encrypted SNS
# topic. Traffic and database alarms read the ALB's and RDS's own metrics; the application alarms read the
# Headless namespace, which the collector beside each task fills from the API's metrics. The alarms named in
# rollback_alarm_names (output) also roll a blue/green deployment back while they fire.

locals {
  # Metric names as the API exports them (Prometheus exposition names, carried over unchanged as EMF).
  app_metrics = {
    checkout_refusals       = "headless_checkout_refusals_total"
    orders_created          = "headless_orders_created_total"
    payment_provider_errors = "headless_payments_provider_errors_total"
    outbox_lag              = "headless_outbox_lag_seconds"
    outbox_dead_letters     = "headless_outbox_dead_letters"
    db_pool_used            = "db_client_connection_count"
    db_pool_max             = "db_client_connection_max"
  }
}

module "topic" {
  source  = "terraform-aws-modules/sns/aws"
  version = "~> 7.1"

  name              = "${var.name}-alarms"
  kms_master_key_id = var.kms_key_arn

  topic_policy_statements = {
    cloudwatch = {
      actions    = ["sns:Publish"]
      principals = [{ type = "Service", identifiers = ["cloudwatch.amazonaws.com"] }]
    }
  }

  subscriptions = { for i, email in var.alarm_emails : "email-${i}" => { protocol = "email", endpoint = email } }
}

resource "aws_cloudwatch_metric_alarm" "high_error_ratio" {
  alarm_name          = "${var.name}-HeadlessHighErrorRatio"
  alarm_description   = "More than ${var.error_ratio_threshold * 100} % of requests answered 5xx for 5 minutes."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.error_ratio_threshold
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  treat_missing_data  = "notBreaching"
  alarm_actions       = [module.topic.topic_arn]
  ok_actions          = [module.topic.topic_arn]

  metric_query {
    id          = "ratio"
    expression  = "(FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests"
    label       = "5xx ratio"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = { target5xx = "HTTPCode_Target_5XX_Count", elb5xx = "HTTPCode_ELB_5XX_Count", requests = "RequestCount" }

    content {
      id = metric_query.key

      metric {
        namespace   = "AWS/ApplicationELB"
        metric_name = metric_query.value
        period      = 60
        stat        = "Sum"
        dimensions  = { LoadBalancer = var.alb_arn_suffix }
      }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "high_latency_p99" {
  alarm_name          = "${var.name}-HeadlessHighLatencyP99"
  alarm_description   = "p99 response time over ${var.latency_p99_seconds} s for 10 minutes."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  dimensions          = { LoadBalancer = var.alb_arn_suffix }
  extended_statistic  = "p99"
  period              = 300
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.latency_p99_seconds
  treat_missing_data  = "notBreaching"
  alarm_actions       = [module.topic.topic_arn]
  ok_actions          = [module.topic.topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "checkout_failure_ratio" {
  alarm_name          = "${var.name}-HeadlessCheckoutFailureRatio"
  alarm_description   = "More than ${var.checkout_failure_ratio_threshold * 100} % of checkouts failed over 10 minutes."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.checkout_failure_ratio_threshold
  evaluation_periods  = 2
  treat_missing_data  = "notBreaching"
  alarm_actions       = [module.topic.topic_arn]
  ok_actions          = [module.topic.topic_arn]

  metric_query {
    id          = "ratio"
    expression  = "IF((refusals + created) > 0, refusals / (refusals + created), 0)"
    label       = "checkout failure ratio"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = { refusals = local.app_metrics.checkout_refusals, created = local.app_metrics.orders_created }

    content {
      id = metric_query.key

      metric {
        namespace   = "Headless"
        metric_name = metric_query.value
        period      = 300
        stat        = "Sum"
      }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "payment_provider_errors" {
  alarm_name          = "${var.name}-HeadlessPaymentProviderErrors"
  alarm_description   = "Stripe calls failing: more than 5 errors in 5 minutes."
  namespace           = "Headless"
  metric_name         = local.app_metrics.payment_provider_errors
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 5
  treat_missing_data  = "notBreaching"
  alarm_actions       = [module.topic.topic_arn]
  ok_actions          = [module.topic.topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "outbox_lag" {
  alarm_name          = "${var.name}-HeadlessOutboxLag"
  alarm_description   = "The oldest undelivered outbox event is older than ${var.outbox_lag_seconds} s."
  namespace           = "Headless"
  metric_name         = local.app_metrics.outbox_lag
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.outbox_lag_seconds
  treat_missing_data  = "notBreaching"
  alarm_actions       = [module.topic.topic_arn]
  ok_actions          = [module.topic.topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "outbox_dead_letters" {
  alarm_name          = "${var.name}-HeadlessOutboxDeadLetters"
  alarm_description   = "Outbox events gave up after their retries (dead letters waiting for an operator)."
  namespace           = "Headless"
  metric_name         = local.app_metrics.outbox_dead_letters
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [module.topic.topic_arn]
  ok_actions          = [module.topic.topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "database_pool_saturation" {
  alarm_name          = "${var.name}-HeadlessDatabasePoolSaturation"
  alarm_description   = "Over 90 % of the connection pool in use for 5 minutes."
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0.9
  evaluation_periods  = 5
  treat_missing_data  = "notBreaching"
  alarm_actions       = [module.topic.topic_arn]
  ok_actions          = [module.topic.topic_arn]

  metric_query {
    id          = "saturation"
    expression  = "IF(max > 0, used / max, 0)"
    label       = "pool saturation"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = { used = local.app_metrics.db_pool_used, max = local.app_metrics.db_pool_max }

    content {
      id = metric_query.key

      metric {
        namespace   = "Headless"
        metric_name = metric_query.value
        period      = 60
        stat        = "Maximum"
      }
    }
  }
}

# A Multi-AZ standby is synchronous and has no lag to measure; ReplicaLag counts once a read replica is added.
resource "aws_cloudwatch_metric_alarm" "replica_lag" {
  alarm_name          = "${var.name}-HeadlessReplicaLag"
  alarm_description   = "A read replica is more than ${var.replica_lag_seconds} s behind."
  namespace           = "AWS/RDS"
  metric_name         = "ReplicaLag"
  dimensions          = { DBInstanceIdentifier = var.db_instance_identifier }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.replica_lag_seconds
  treat_missing_data  = "notBreaching"
  alarm_actions       = [module.topic.topic_arn]
  ok_actions          = [module.topic.topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "disk_filling" {
  alarm_name          = "${var.name}-HeadlessDiskFilling"
  alarm_description   = "Less than 10 % of the database's storage free (storage autoscaling should have grown it)."
  namespace           = "AWS/RDS"
  metric_name         = "FreeStorageSpace"
  dimensions          = { DBInstanceIdentifier = var.db_instance_identifier }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = var.db_allocated_storage_gb * 0.1 * 1073741824
  treat_missing_data  = "breaching"
  alarm_actions       = [module.topic.topic_arn]
  ok_actions          = [module.topic.topic_arn]
}
