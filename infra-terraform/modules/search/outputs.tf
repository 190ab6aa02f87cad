output "endpoint_url" {
  description = "HTTPS URL of the domain, for Headless__Search__OpenSearch__Url."
  value       = "https://${aws_opensearch_domain.search.endpoint}"
}

output "domain_name" {
  description = "The domain's name (CloudWatch dimension DomainName)."
  value       = aws_opensearch_domain.search.domain_name
}
