region                        = "us-east-1"
backup_region                 = "us-west-2"
name                          = "headless-us"
vpc_cidr                      = "10.50.0.0/16"
zone_id                       = "Z0000000000000000000"
site_hostname                 = "us.shop.example.com"
api_hostname                  = "api.shop.example.com"
origin_hostname               = "api-us.shop.example.com"
geolocation                   = { country = "*" }
smtp_host                     = "email-smtp.us-east-1.amazonaws.com"
alarm_emails                  = ["oncall@shop.example.com"]
cost_emails                   = ["finance@shop.example.com", "oncall@shop.example.com"]
monthly_budget_usd            = 1600
activate_cost_allocation_tags = false
operator_role_arn             = "arn:aws:iam::111111111111:role/headless-operators"
residency_region              = "us"
region_api_base_urls          = { eu = "https://api-eu.shop.example.com", us = "https://api-us.shop.example.com" }
# image_tag and test_traffic_header_value come from the pipeline (-var / TF_VAR_…).
