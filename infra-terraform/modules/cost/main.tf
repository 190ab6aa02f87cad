# What the region costs, watched two ways: a monthly budget on the Region cost-allocation tag that warns when
# the forecast reaches 80, 100 and 120 %, and Cost Anomaly Detection on the same tag, which reports a spike
# (a runaway autoscaling, a NAT gateway carrying image traffic) within a day instead of at the month's end.

resource "aws_ce_cost_allocation_tag" "tags" {
  for_each = var.activate_cost_allocation_tags ? toset(var.cost_allocation_tags) : toset([])

  tag_key = each.value
  status  = "Active"
}

resource "aws_budgets_budget" "monthly" {
  name         = "${var.name}-monthly"
  budget_type  = "COST"
  limit_amount = tostring(var.monthly_budget_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  cost_filter {
    name   = "TagKeyValue"
    values = [format("user:Region$%s", var.region)]
  }

  dynamic "notification" {
    for_each = toset([80, 100, 120])

    content {
      comparison_operator        = "GREATER_THAN"
      threshold                  = notification.value
      threshold_type             = "PERCENTAGE"
      notification_type          = "FORECASTED"
      subscriber_email_addresses = var.notification_emails
    }
  }

  notification {
    comparison_operator        = "GREATER_THAN"
    threshold                  = 100
    threshold_type             = "PERCENTAGE"
    notification_type          = "ACTUAL"
    subscriber_email_addresses = var.notification_emails
  }
}

resource "aws_ce_anomaly_monitor" "region" {
  name         = "${var.name}-spend"
  monitor_type = "CUSTOM"

  monitor_specification = jsonencode({
    Tags = {
      Key          = "Region"
      Values       = [var.region]
      MatchOptions = ["EQUALS"]
    }
  })
}

resource "aws_ce_anomaly_subscription" "region" {
  name             = "${var.name}-spend-anomalies"
  frequency        = "DAILY"
  monitor_arn_list = [aws_ce_anomaly_monitor.region.arn]

  threshold_expression {
    dimension {
      key           = "ANOMALY_TOTAL_IMPACT_ABSOLUTE"
      match_options = ["GREATER_THAN_OR_EQUAL"]
      values        = [tostring(var.anomaly_threshold_usd)]
    }
  }

  dynamic "subscriber" {
    for_each = toset(var.notification_emails)

    content {
      type    = "EMAIL"
      address = subscriber.value
    }
  }
}
