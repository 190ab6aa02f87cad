output "topic_arn" {
  description = "The SNS topic every alarm notifies."
  value       = module.topic.topic_arn
}

output "alarm_names" {
  description = "Names of all alarms, by Prometheus alert name."
  value = {
    HeadlessHighErrorRatio         = aws_cloudwatch_metric_alarm.high_error_ratio.alarm_name
    HeadlessHighLatencyP99         = aws_cloudwatch_metric_alarm.high_latency_p99.alarm_name
    HeadlessCheckoutFailureRatio   = aws_cloudwatch_metric_alarm.checkout_failure_ratio.alarm_name
    HeadlessPaymentProviderErrors  = aws_cloudwatch_metric_alarm.payment_provider_errors.alarm_name
    HeadlessOutboxLag              = aws_cloudwatch_metric_alarm.outbox_lag.alarm_name
    HeadlessOutboxDeadLetters      = aws_cloudwatch_metric_alarm.outbox_dead_letters.alarm_name
    HeadlessDatabasePoolSaturation = aws_cloudwatch_metric_alarm.database_pool_saturation.alarm_name
    HeadlessReplicaLag             = aws_cloudwatch_metric_alarm.replica_lag.alarm_name
    HeadlessDiskFilling            = aws_cloudwatch_metric_alarm.disk_filling.alarm_name
  }
}
