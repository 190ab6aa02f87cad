output "alb_certificate_arn" {
  description = "ACM certificate (this region) for the load balancer: the origin and API host names."
  value       = module.alb_certificate.acm_certificate_arn
}

output "distribution_id" {
  description = "CloudFront distribution id (invalidations after a storefront publish)."
  value       = aws_cloudfront_distribution.shop.id
}

output "distribution_domain_name" {
  description = "CloudFront's own domain name."
  value       = aws_cloudfront_distribution.shop.domain_name
}

output "bucket_names" {
  description = "Names of the site, images and backups buckets."
  value       = { for key, bucket in module.bucket : key => bucket.s3_bucket_id }
}

output "bucket_arns" {
  description = "ARNs of the site, images and backups buckets."
  value       = { for key, bucket in module.bucket : key => bucket.s3_bucket_arn }
}
