# The API in one region: one image, two roles. The web role serves HTTP behind the load balancer (two or more
# tasks over the zones, scaled on CPU and on requests per task); the worker role runs the outbox consumers,
# jobs and search indexing. Both read their settings from the environment alone (Headless__…), secrets
# from Secrets Manager, and run as Production, which refuses to start while any setting is missing.
#
# Web deployments are ECS-native blue/green: a new image tag starts the new colour beside the old one behind
# the green target group, the X-Headless-Test-Traffic header reaches it first (the pipeline's smoke test),
# then production traffic moves, and the old colour stays ready for bake_time_minutes. Any of
# rollback_alarm_names firing in that window, or the circuit breaker, moves traffic back. ECS rewrites the
# listener rules while it does this, so Terraform ignores their actions.

locals {
  container_port = 8080
  image          = "${aws_ecr_repository.api.repository_url}:${var.image_tag}"

  environment = {
    ASPNETCORE_ENVIRONMENT                       = "Production"
    Urls                                         = "http://+:${local.container_port}"
    AWS_REGION                                   = var.region
    Headless__Database__ConnectionString         = "Host=${var.database_host};Port=5432;Database=headless;SSL Mode=VerifyFull;Root Certificate=/app/certs/rds-global-bundle.pem"
    Headless__Payments__Provider                 = "stripe"
    Headless__Catalog__LoadDemoCatalog           = "false"
    Headless__DataProtection__KmsKeyId           = var.kms_key_arn
    Headless__Email__Smtp__Host                  = var.smtp_host
    Headless__Email__Smtp__Port                  = tostring(var.smtp_port)
    Headless__Email__Smtp__EnableSsl             = "true"
    Headless__Search__Engine                     = "opensearch"
    Headless__Search__OpenSearch__Url            = var.opensearch_url
    Headless__Search__OpenSearch__Region         = var.region
    Headless__ObjectStore__S3Bucket              = var.images_bucket
    Headless__ObjectStore__S3Region              = var.region
    Headless__ObjectStore__PublicBaseUrl         = "${var.public_base_url}/media"
    Headless__ErasureJournal__S3Bucket           = var.erasures_bucket
    Headless__ErasureJournal__S3Region           = var.region
    Headless__Accounts__PublicBaseUrl            = var.public_base_url
    Headless__Http__KnownNetworks                = var.vpc_cidr_block
    Headless__Residency__Region                  = var.residency_region
    Headless__Residency__Regions__eu__ApiBaseUrl = var.region_api_base_urls["eu"]
    Headless__Residency__Regions__us__ApiBaseUrl = var.region_api_base_urls["us"]

    # This region's personal-data vault: a database of its own on the region's RDS instance; its data keys are
    # wrapped by the region's KMS key. The API never connects to the other region's vault.
    "Headless__Residency__Regions__${var.residency_region}__ConnectionString" = "Host=${var.database_host};Port=5432;Database=headless_vault_${var.residency_region};SSL Mode=VerifyFull;Root Certificate=/app/certs/rds-global-bundle.pem"
    "Headless__Residency__Regions__${var.residency_region}__KmsKeyId"         = var.kms_key_arn

    OTEL_EXPORTER_OTLP_ENDPOINT                  = "http://127.0.0.1:4317"
    OTEL_SERVICE_NAME                            = "headless"
  }

  # Npgsql takes the user and password from PGUSER/PGPASSWORD when the connection string has none, so the
  # rotated login comes straight from its secret's JSON keys and the connection string holds no secret.
  app_secrets = {
    PGUSER                                    = "${var.database_app_secret_arn}:username::"
    PGPASSWORD                                = "${var.database_app_secret_arn}:password::"
    Headless__Payments__Stripe__SecretKey      = "${aws_secretsmanager_secret.app["stripe"].arn}:secret_key::"
    Headless__Payments__Stripe__PublishableKey = "${aws_secretsmanager_secret.app["stripe"].arn}:publishable_key::"
    Headless__Payments__Stripe__WebhookSecret  = "${aws_secretsmanager_secret.app["stripe"].arn}:webhook_secret::"
    Headless__Email__Smtp__User                = "${aws_secretsmanager_secret.app["smtp"].arn}:user::"
    Headless__Email__Smtp__Password            = "${aws_secretsmanager_secret.app["smtp"].arn}:password::"

    "Headless__Residency__Regions__${var.residency_region}__BlindIndexKey" = "${aws_secretsmanager_secret.app["vault"].arn}:blind_index_key::"
  }

  owner_secrets = {
    PGUSER     = "${var.database_owner_secret_arn}:username::"
    PGPASSWORD = "${var.database_owner_secret_arn}:password::"
  }

  # The AWS Distro for OpenTelemetry collector beside the API: it receives the API's OTLP metrics and scrapes
  # its loopback /metrics, and writes them as CloudWatch embedded metrics into the Headless namespace, where
  # the observability module's alarms read them.
  collector_config = yamlencode({
    receivers = {
      otlp = { protocols = { grpc = { endpoint = "127.0.0.1:4317" } } }
      prometheus = {
        config = {
          scrape_configs = [{
            job_name        = "headless"
            scrape_interval = "30s"
            static_configs  = [{ targets = ["127.0.0.1:${local.container_port}"] }]
          }]
        }
      }
    }
    exporters = {
      awsemf = {
        namespace               = "Headless"
        log_group_name          = aws_cloudwatch_log_group.tasks["metrics"].name
        dimension_rollup_option = "ZeroAndSingleDimensionRollup"
      }
    }
    service = {
      pipelines = {
        metrics = { receivers = ["otlp", "prometheus"], exporters = ["awsemf"] }
      }
    }
  })

  # The same probe as the image's HEALTHCHECK: the runtime image has no curl, bash's /dev/tcp is enough.
  health_check = "bash -c 'exec 3<>/dev/tcp/127.0.0.1/${local.container_port} && printf \"GET /health/live HTTP/1.0\\r\\n\\r\\n\" >&3 && head -n 1 <&3 | grep -q \" 200 \"'"

  roles = {
    web    = { cpu = var.web_cpu, memory = var.web_memory }
    worker = { cpu = 1024, memory = 2048 }
  }
}

data "aws_caller_identity" "current" {}

data "aws_ec2_managed_prefix_list" "cloudfront" {
  name = "com.amazonaws.global.cloudfront.origin-facing"
}

# ---------------------------------------------------------------- image, secrets, logs

resource "aws_ecr_repository" "api" {
  name                 = "${var.name}-api"
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }
}

resource "aws_ecr_lifecycle_policy" "api" {
  repository = aws_ecr_repository.api.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last 50 images (rollbacks reach far back enough)"
      selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = 50 }
      action       = { type = "expire" }
    }]
  })
}

# Values are put in by an operator (docs/operations.md); with no value a task cannot start, so a forgotten
# secret fails closed instead of running with a placeholder.
resource "aws_secretsmanager_secret" "app" {
  for_each = {
    stripe = "Stripe keys: JSON with secret_key, publishable_key, webhook_secret"
    smtp   = "SMTP relay login: JSON with user, password"
    vault  = "Personal-data vault: JSON with blind_index_key (32 random bytes, base64; never change it)"
  }

  name                    = "${var.name}/${each.key}"
  description             = each.value
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 30
}

resource "aws_cloudwatch_log_group" "tasks" {
  for_each = toset(["web", "worker", "migrate", "collector", "metrics"])

  name              = "/headless/${var.name}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

# ---------------------------------------------------------------- IAM

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${var.name}-task-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy_attachment" "execution_managed" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "execution_secrets" {
  statement {
    sid     = "ReadTheTasksSecrets"
    actions = ["secretsmanager:GetSecretValue"]
    resources = concat(
      [for secret in aws_secretsmanager_secret.app : secret.arn],
      [var.database_app_secret_arn, var.database_owner_secret_arn],
    )
  }

  statement {
    sid       = "DecryptThem"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "execution_secrets" {
  name   = "secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution_secrets.json
}

resource "aws_iam_role" "task" {
  name               = "${var.name}-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "task" {
  statement {
    sid       = "DataProtectionKeyRing"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "Objects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${var.images_bucket_arn}/*", "${var.site_bucket_arn}/*"]
  }

  statement {
    sid       = "ListObjects"
    actions   = ["s3:ListBucket"]
    resources = [var.images_bucket_arn, var.site_bucket_arn, var.erasures_bucket_arn]
  }

  # The erasure journal is append-only for the API: it writes and reads erasures, never deletes them.
  statement {
    sid       = "ErasureJournal"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${var.erasures_bucket_arn}/erasures/*"]
  }

  statement {
    sid       = "Search"
    actions   = ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut", "es:ESHttpDelete"]
    resources = ["arn:aws:es:${var.region}:${data.aws_caller_identity.current.account_id}:domain/*"]
  }

  statement {
    sid       = "CollectorWritesEmbeddedMetrics"
    actions   = ["logs:PutLogEvents", "logs:CreateLogStream", "logs:DescribeLogStreams"]
    resources = ["${aws_cloudwatch_log_group.tasks["metrics"].arn}:*"]
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "app"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

data "aws_iam_policy_document" "ecs_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs.amazonaws.com"]
    }
  }
}

# ECS moves the listener rules between the target groups during a blue/green deployment with this role.
resource "aws_iam_role" "ecs_infrastructure" {
  name               = "${var.name}-ecs-blue-green"
  assume_role_policy = data.aws_iam_policy_document.ecs_assume.json
}

resource "aws_iam_role_policy_attachment" "ecs_infrastructure" {
  role       = aws_iam_role.ecs_infrastructure.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"
}

# ---------------------------------------------------------------- network

resource "aws_security_group" "tasks" {
  for_each = toset(["web", "worker", "migrate"])

  name        = "${var.name}-${each.key}"
  description = "Headless ${each.key} tasks"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "web_from_alb" {
  security_group_id            = aws_security_group.tasks["web"].id
  description                  = "HTTP from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = local.container_port
  to_port                      = local.container_port
  referenced_security_group_id = module.alb.security_group_id
}

resource "aws_vpc_security_group_egress_rule" "tasks_https" {
  for_each = aws_security_group.tasks

  security_group_id = each.value.id
  description       = "HTTPS out: AWS endpoints, OpenSearch, Stripe"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "tasks_postgres" {
  for_each = aws_security_group.tasks

  security_group_id = each.value.id
  description       = "PostgreSQL in the VPC"
  ip_protocol       = "tcp"
  from_port         = 5432
  to_port           = 5432
  cidr_ipv4         = var.vpc_cidr_block
}

resource "aws_vpc_security_group_egress_rule" "tasks_smtp" {
  for_each = aws_security_group.tasks

  security_group_id = each.value.id
  description       = "SMTP submission to the relay"
  ip_protocol       = "tcp"
  from_port         = var.smtp_port
  to_port           = var.smtp_port
  cidr_ipv4         = "0.0.0.0/0"
}

# ---------------------------------------------------------------- load balancer

module "alb_logs" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "~> 5.15"

  bucket_prefix = "${var.name}-alb-logs-"

  # Access logs can only be delivered to a bucket encrypted with S3-managed keys.
  server_side_encryption_configuration = {
    rule = { apply_server_side_encryption_by_default = { sse_algorithm = "AES256" } }
  }

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true

  control_object_ownership = true
  object_ownership         = "BucketOwnerEnforced"

  attach_elb_log_delivery_policy        = true
  attach_deny_insecure_transport_policy = true
  attach_require_latest_tls_policy      = true

  versioning = { enabled = true }

  lifecycle_rule = [{
    id                                     = "expire-access-logs"
    enabled                                = true
    filter                                 = {}
    expiration                             = { days = var.alb_logs_retention_days }
    noncurrent_version_expiration          = { days = 7 }
    abort_incomplete_multipart_upload_days = 1
  }]

  force_destroy = false
}

module "alb" {
  source  = "terraform-aws-modules/alb/aws"
  version = "~> 10.5"

  name               = "${var.name}-api"
  load_balancer_type = "application"
  vpc_id             = var.vpc_id
  subnets            = var.public_subnets
  internal           = false

  enable_deletion_protection = true
  drop_invalid_header_fields = true
  idle_timeout               = 60

  # 443 from anywhere: CloudFront's origin requests and the API host name for server-to-server clients
  # (ERP feeds, other frontends), both behind the WAF (CloudFront's and the regional one on this ALB).
  security_group_ingress_rules = {
    https_ipv4 = { from_port = 443, to_port = 443, ip_protocol = "tcp", cidr_ipv4 = "0.0.0.0/0", description = "HTTPS" }
    https_ipv6 = { from_port = 443, to_port = 443, ip_protocol = "tcp", cidr_ipv6 = "::/0", description = "HTTPS" }
    http_ipv4  = { from_port = 80, to_port = 80, ip_protocol = "tcp", cidr_ipv4 = "0.0.0.0/0", description = "HTTP, redirected to HTTPS" }
  }
  security_group_egress_rules = {
    to_tasks = { from_port = local.container_port, to_port = local.container_port, ip_protocol = "tcp", cidr_ipv4 = var.vpc_cidr_block, description = "the web tasks" }
  }

  access_logs = {
    bucket  = module.alb_logs.s3_bucket_id
    enabled = true
  }

  listeners = {
    http = {
      port     = 80
      protocol = "HTTP"
      redirect = { port = "443", protocol = "HTTPS", status_code = "HTTP_301" }
    }
  }
}

resource "aws_lb_target_group" "web" {
  for_each = toset(["blue", "green"])

  name                 = "${substr(var.name, 0, 20)}-${each.key}"
  port                 = local.container_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  health_check {
    path                = "/health/ready"
    matcher             = "200"
    interval            = 10
    healthy_threshold   = 2
    unhealthy_threshold = 3
    timeout             = 5
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = module.alb.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type = "fixed-response"

    fixed_response {
      content_type = "text/plain"
      message_body = "Not found"
      status_code  = "404"
    }
  }
}

resource "aws_lb_listener_rule" "production" {
  listener_arn = aws_lb_listener.https.arn
  priority     = 100

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.web["blue"].arn
  }

  condition {
    path_pattern {
      values = ["/*"]
    }
  }

  lifecycle {
    ignore_changes = [action]
  }
}

resource "aws_lb_listener_rule" "test" {
  listener_arn = aws_lb_listener.https.arn
  priority     = 10

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.web["blue"].arn
  }

  condition {
    http_header {
      http_header_name = "X-Headless-Test-Traffic"
      values           = [var.test_traffic_header_value]
    }
  }

  lifecycle {
    ignore_changes = [action]
  }
}

# ---------------------------------------------------------------- tasks and services

module "cluster" {
  source  = "terraform-aws-modules/ecs/aws//modules/cluster"
  version = "~> 7.5"

  name = var.name

  setting = [{ name = "containerInsights", value = "enhanced" }]

  create_cloudwatch_log_group            = true
  cloudwatch_log_group_retention_in_days = var.log_retention_days
  cloudwatch_log_group_kms_key_id        = var.kms_key_arn

  default_capacity_provider_strategy = {
    FARGATE = { weight = 100, base = 2 }
  }
}

resource "aws_ecs_task_definition" "role" {
  for_each = local.roles

  family                   = "${var.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = each.value.cpu
  memory                   = each.value.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "ARM64"
  }

  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([
    {
      name                   = "api"
      image                  = local.image
      essential              = true
      readonlyRootFilesystem = true
      portMappings           = each.key == "web" ? [{ containerPort = local.container_port, protocol = "tcp" }] : []
      environment            = [for key, value in merge(local.environment, { Headless__Role = each.key }) : { name = key, value = value }]
      secrets                = [for key, value in local.app_secrets : { name = key, valueFrom = value }]
      mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
      healthCheck = {
        command     = ["CMD-SHELL", local.health_check]
        interval    = 15
        timeout     = 5
        retries     = 3
        startPeriod = 60
      }
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.tasks[each.key].name
          awslogs-region        = var.region
          awslogs-stream-prefix = each.key
        }
      }
    },
    {
      name                   = "collector"
      image                  = "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.3"
      essential              = false
      readonlyRootFilesystem = true
      environment            = [{ name = "AOT_CONFIG_CONTENT", value = local.collector_config }]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.tasks["collector"].name
          awslogs-region        = var.region
          awslogs-stream-prefix = each.key
        }
      }
    },
  ])
}

# The deploy step: pending migrations as the schema owner, before the new colour starts (the pipeline runs it
# with `aws ecs run-task`). Migrations are expand-then-contract, so the old colour keeps working on them.
resource "aws_ecs_task_definition" "migrate" {
  family                   = "${var.name}-migrate"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 512
  memory                   = 1024
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "ARM64"
  }

  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([{
    name                   = "migrate"
    image                  = local.image
    essential              = true
    readonlyRootFilesystem = true
    command                = ["migrate"]
    environment = [for key, value in merge(local.environment, {
      Headless__Database__MigrationConnectionString = local.environment.Headless__Database__ConnectionString

      "Headless__Residency__Regions__${var.residency_region}__MigrationConnectionString" = local.environment["Headless__Residency__Regions__${var.residency_region}__ConnectionString"]
    }) : { name = key, value = value }]
    secrets     = [for key, value in local.owner_secrets : { name = key, valueFrom = value }]
    mountPoints = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.tasks["migrate"].name
        awslogs-region        = var.region
        awslogs-stream-prefix = "migrate"
      }
    }
  }])
}

resource "aws_ecs_service" "web" {
  name                              = "${var.name}-web"
  cluster                           = module.cluster.arn
  task_definition                   = aws_ecs_task_definition.role["web"].arn
  desired_count                     = var.web_min_tasks
  launch_type                       = "FARGATE"
  platform_version                  = "LATEST"
  health_check_grace_period_seconds = 60
  availability_zone_rebalancing     = "ENABLED"
  propagate_tags                    = "SERVICE"
  enable_execute_command            = false

  network_configuration {
    subnets          = var.private_subnets
    security_groups  = [aws_security_group.tasks["web"].id]
    assign_public_ip = false
  }

  deployment_configuration {
    strategy             = "BLUE_GREEN"
    bake_time_in_minutes = var.bake_time_minutes
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  deployment_alarms {
    enable      = true
    rollback    = true
    alarm_names = var.rollback_alarm_names
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.web["blue"].arn
    container_name   = "api"
    container_port   = local.container_port

    advanced_configuration {
      alternate_target_group_arn = aws_lb_target_group.web["green"].arn
      production_listener_rule   = aws_lb_listener_rule.production.arn
      test_listener_rule         = aws_lb_listener_rule.test.arn
      role_arn                   = aws_iam_role.ecs_infrastructure.arn
    }
  }

  lifecycle {
    # Autoscaling owns the task count; ECS swaps the target group between the colours.
    ignore_changes = [desired_count, load_balancer]
  }
}

resource "aws_ecs_service" "worker" {
  name                               = "${var.name}-worker"
  cluster                            = module.cluster.arn
  task_definition                    = aws_ecs_task_definition.role["worker"].arn
  desired_count                      = var.worker_tasks
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  availability_zone_rebalancing      = "ENABLED"
  propagate_tags                     = "SERVICE"
  enable_execute_command             = false
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  network_configuration {
    subnets          = var.private_subnets
    security_groups  = [aws_security_group.tasks["worker"].id]
    assign_public_ip = false
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  deployment_alarms {
    enable      = true
    rollback    = true
    alarm_names = var.rollback_alarm_names
  }
}

# ---------------------------------------------------------------- autoscaling

resource "aws_appautoscaling_target" "web" {
  service_namespace  = "ecs"
  resource_id        = "service/${module.cluster.name}/${aws_ecs_service.web.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.web_min_tasks
  max_capacity       = var.web_max_tasks
}

resource "aws_appautoscaling_policy" "web_cpu" {
  name               = "${var.name}-web-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.web.service_namespace
  resource_id        = aws_appautoscaling_target.web.resource_id
  scalable_dimension = aws_appautoscaling_target.web.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "web_requests" {
  for_each = aws_lb_target_group.web

  name               = "${var.name}-web-requests-${each.key}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.web.service_namespace
  resource_id        = aws_appautoscaling_target.web.resource_id
  scalable_dimension = aws_appautoscaling_target.web.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.requests_per_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = "${module.alb.arn_suffix}/${each.value.arn_suffix}"
    }
  }
}
