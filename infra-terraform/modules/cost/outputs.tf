output "budget_name" {
  description = "The monthly budget's name."
  value       = aws_budgets_budget.monthly.name
}

output "anomaly_monitor_arn" {
  description = "The cost anomaly monitor's ARN."
  value       = aws_ce_anomaly_monitor.region.arn
}
