// Static checks of the Terraform code, for machines with no Terraform binary (these ones). Every .tf file is
// parsed by HashiCorp's own HCL parser (npm @cdktf/hcl2json, a WebAssembly build that runs offline), then:
//   - references: every var., local., module., data. and resource reference resolves, local modules get only
//     the variables they declare and every variable they require, and module.X.Y names an output of X;
//   - typed-variables: every variable has a type and a description, every output a description;
//   - pinned-versions, state-locking: registry modules and providers carry version constraints, every
//     environment keeps its state in S3 with locking;
//   - policy rules in the spirit of checkov: encryption, public-buckets, open-ingress, iam-wildcards,
//     deletion-protection, multi-az, backup-retention, waf, tls, log-retention.
// Each rule has a fixture under tests/fixtures/<rule>/ that breaks it, so a rule that stops finding anything
// fails its test.
//
// Usage: node infra-terraform/tests/check.mjs [--json] [--rules] [dir]
//   dir defaults to infra-terraform (its tests/ folder left out); exit 0 when nothing was found, 1 otherwise.

import { parse } from "@cdktf/hcl2json";
import { readdirSync, readFileSync, statSync, existsSync } from "node:fs";
import { join, relative, resolve, dirname, basename } from "node:path";
import { fileURLToPath } from "node:url";

export const RULES = [
  "references",
  "typed-variables",
  "pinned-versions",
  "state-locking",
  "encryption",
  "public-buckets",
  "open-ingress",
  "iam-wildcards",
  "deletion-protection",
  "multi-az",
  "backup-retention",
  "waf",
  "tls",
  "log-retention",
];

const META_ARGUMENTS = new Set(["source", "version", "providers", "count", "for_each", "depends_on"]);
const OPEN_CIDRS = new Set(["0.0.0.0/0", "::/0"]);
const MIN_BACKUP_DAYS = 7;

// ------------------------------------------------------------------------------------------ parsing

function tfFiles(dir) {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".tf"))
    .map((name) => join(dir, name));
}

function moduleDirs(root, skipTests) {
  const dirs = [];
  const walk = (dir) => {
    if (tfFiles(dir).length > 0) dirs.push(dir);
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (!statSync(path).isDirectory() || name.startsWith(".") || name === "node_modules") continue;
      if (skipTests && dir === root && name === "tests") continue;
      walk(path);
    }
  };
  walk(root);
  return dirs;
}

const parsedModules = new Map();

/** The blocks of one Terraform module (a folder), each remembering the file it came from. */
async function loadModule(dir) {
  if (parsedModules.has(dir)) return parsedModules.get(dir);
  const mod = { dir, variables: {}, locals: {}, outputs: {}, modules: {}, resources: {}, data: {}, terraform: [], providers: [] };
  for (const file of tfFiles(dir)) {
    const json = await parse(file, readFileSync(file, "utf8"));
    for (const [name, [body]] of Object.entries(json.variable ?? {})) mod.variables[name] = { body, file };
    for (const locals of json.locals ?? []) for (const [name, value] of Object.entries(locals)) mod.locals[name] = { value, file };
    for (const [name, [body]] of Object.entries(json.output ?? {})) mod.outputs[name] = { body, file };
    for (const [name, [body]] of Object.entries(json.module ?? {})) mod.modules[name] = { body, file };
    for (const [type, byName] of Object.entries(json.resource ?? {}))
      for (const [name, [body]] of Object.entries(byName)) mod.resources[`${type}.${name}`] = { type, name, body, file };
    for (const [type, byName] of Object.entries(json.data ?? {}))
      for (const [name, [body]] of Object.entries(byName)) mod.data[`${type}.${name}`] = { type, name, body, file };
    for (const body of json.terraform ?? []) mod.terraform.push({ body, file });
    for (const [name, bodies] of Object.entries(json.provider ?? {})) for (const body of bodies) mod.providers.push({ name, body, file });
  }
  parsedModules.set(dir, mod);
  return mod;
}

// ------------------------------------------------------------------------------------------ expressions

/** The ${…} parts of every string under value. */
function interpolations(value, out = []) {
  if (typeof value === "string") {
    let at = value.indexOf("${");
    while (at >= 0) {
      let depth = 0;
      let end = at + 1;
      for (; end < value.length; end++) {
        if (value[end] === "{") depth++;
        else if (value[end] === "}" && --depth === 0) break;
      }
      out.push(value.slice(at + 2, end));
      at = value.indexOf("${", end);
    }
  } else if (Array.isArray(value)) {
    for (const item of value) interpolations(item, out);
  } else if (value && typeof value === "object") {
    for (const item of Object.values(value)) interpolations(item, out);
  }
  return out;
}

const REFERENCE = /(?<![\w.])(var|local|module|data)\.([A-Za-z_][\w-]*)(?:\.([A-Za-z_][\w-]*))?(?:\.([A-Za-z_][\w-]*))?|(?<![\w."])((?:aws|random|tls|null|time|archive)_[a-z0-9_]+)\.([A-Za-z_][\w-]*)/g;

function references(value) {
  const refs = [];
  for (const expression of interpolations(value)) {
    // Quoted strings inside an expression are data, not references.
    const code = expression.replace(/"(?:[^"\\]|\\.)*"/g, '""');
    for (const match of code.matchAll(REFERENCE)) {
      if (match[1]) refs.push({ kind: match[1], parts: [match[2], match[3], match[4]].filter(Boolean) });
      else refs.push({ kind: "resource", parts: [match[5], match[6]] });
    }
  }
  return refs;
}

/** First element of a block list (hcl2json writes nested blocks as arrays), the value itself otherwise. */
function one(value) {
  return Array.isArray(value) ? value[0] : value;
}

function get(body, ...path) {
  let value = body;
  for (const key of path) {
    value = one(value);
    if (value === undefined || value === null || typeof value !== "object") return undefined;
    value = value[key];
  }
  return value;
}

/** A literal, or what a plain ${var.x} / ${local.x} stands for when that is a literal default. */
function literal(mod, value) {
  if (typeof value !== "string") return value;
  const match = /^\$\{(var|local)\.([\w-]+)\}$/.exec(value.trim());
  if (!match) return value;
  if (match[1] === "var") {
    const variable = mod.variables[match[2]];
    return variable && "default" in variable.body ? variable.body.default : undefined;
  }
  return literal(mod, mod.locals[match[2]]?.value);
}

const isSet = (value) => value !== undefined && value !== null && value !== "";
const isTrue = (mod, value) => literal(mod, value) === true;
const asNumber = (mod, value) => {
  const resolved = literal(mod, value);
  return typeof resolved === "number" ? resolved : undefined;
};

function strings(value, out = []) {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const item of value) strings(item, out);
  else if (value && typeof value === "object") for (const item of Object.values(value)) strings(item, out);
  return out;
}

const moduleSource = (body) => (typeof body.source === "string" ? body.source : "");
const isRegistry = (source, name) => source.startsWith(`terraform-aws-modules/${name}/aws`);

// ------------------------------------------------------------------------------------------ rules

function checkReferences(mod, report) {
  const check = (value, file, where) => {
    for (const ref of references(value)) {
      const [a, b] = ref.parts;
      if (ref.kind === "var" && !mod.variables[a]) report("references", file, `${where}: var.${a} is not declared`);
      if (ref.kind === "local" && !mod.locals[a]) report("references", file, `${where}: local.${a} is not declared`);
      if (ref.kind === "data" && !mod.data[`${a}.${b}`]) report("references", file, `${where}: data.${a}.${b} is not declared`);
      if (ref.kind === "resource" && !mod.resources[`${a}.${b}`]) report("references", file, `${where}: ${a}.${b} is not declared`);
      if (ref.kind === "module") {
        const call = mod.modules[a];
        if (!call) {
          report("references", file, `${where}: module.${a} is not declared`);
        } else if (b && moduleSource(call.body).startsWith(".")) {
          const child = parsedModules.get(resolve(mod.dir, moduleSource(call.body)));
          if (child && !child.outputs[b]) report("references", file, `${where}: module.${a} has no output ${b}`);
        }
      }
    }
  };
  for (const [name, { body, file }] of Object.entries(mod.variables)) {
    const { type, ...rest } = body;
    check(rest, file, `variable ${name}`);
  }
  for (const [name, { value, file }] of Object.entries(mod.locals)) check(value, file, `local ${name}`);
  for (const [name, { body, file }] of Object.entries(mod.outputs)) check(body, file, `output ${name}`);
  for (const [name, { body, file }] of Object.entries(mod.modules)) check(body, file, `module ${name}`);
  for (const [key, { body, file }] of Object.entries(mod.resources)) check(body, file, key);
  for (const [key, { body, file }] of Object.entries(mod.data)) check(body, file, `data.${key}`);
  for (const { name, body, file } of mod.providers) check(body, file, `provider ${name}`);
}

async function checkModuleCalls(mod, report) {
  for (const [name, { body, file }] of Object.entries(mod.modules)) {
    const source = moduleSource(body);
    if (!source.startsWith(".")) continue;
    const childDir = resolve(mod.dir, source);
    if (!existsSync(childDir)) {
      report("references", file, `module ${name}: source ${source} does not exist`);
      continue;
    }
    const child = await loadModule(childDir);
    for (const argument of Object.keys(body)) {
      if (!META_ARGUMENTS.has(argument) && !child.variables[argument])
        report("references", file, `module ${name}: ${source} has no variable ${argument}`);
    }
    for (const [variable, { body: declared }] of Object.entries(child.variables)) {
      if (!("default" in declared) && !(variable in body))
        report("references", file, `module ${name}: required variable ${variable} of ${source} is not set`);
    }
  }
}

function checkTypes(mod, report) {
  for (const [name, { body, file }] of Object.entries(mod.variables)) {
    if (!isSet(body.type)) report("typed-variables", file, `variable ${name} has no type`);
    if (!isSet(body.description)) report("typed-variables", file, `variable ${name} has no description`);
  }
  for (const [name, { body, file }] of Object.entries(mod.outputs)) {
    if (!isSet(body.description)) report("typed-variables", file, `output ${name} has no description`);
  }
}

function checkVersions(mod, report) {
  const pinned = (version) => typeof version === "string" && /^(~>\s*\d+\.\d+(\.\d+)?|=?\s*\d+\.\d+\.\d+)$/.test(version.trim());
  for (const [name, { body, file }] of Object.entries(mod.modules)) {
    const source = moduleSource(body);
    if (!source.startsWith(".") && !pinned(body.version))
      report("pinned-versions", file, `module ${name}: ${source} needs a version constraint like "~> 6.6" (it has ${JSON.stringify(body.version ?? null)})`);
  }
  for (const { body, file } of mod.terraform) {
    for (const [provider, requirement] of Object.entries(one(body.required_providers) ?? {})) {
      if (!pinned(requirement?.version)) report("pinned-versions", file, `provider ${provider} needs a version constraint like "~> 6.42"`);
    }
  }
}

function checkStateLocking(mod, report, isEnvironment) {
  const backends = mod.terraform.flatMap(({ body, file }) => Object.entries(one(body.backend) ?? {}).map(([type, config]) => ({ type, config: one(config), file })));
  if (isEnvironment && backends.length === 0) report("state-locking", join(mod.dir, "backend.tf"), "an environment needs a remote backend (S3 with locking)");
  for (const { type, config, file } of backends) {
    if (type !== "s3") report("state-locking", file, `backend ${type}: keep state in S3`);
    else {
      if (config.encrypt !== true) report("state-locking", file, "backend s3: encrypt = true");
      if (config.use_lockfile !== true && !isSet(config.dynamodb_table)) report("state-locking", file, "backend s3: lock the state (use_lockfile = true, or dynamodb_table)");
    }
  }
}

function checkPolicies(mod, report) {
  const resources = Object.values(mod.resources);
  const ofType = (type) => resources.filter((r) => r.type === type);
  const mentions = (body, resource) => strings(body).some((s) => s.includes(`${resource.type}.${resource.name}`));
  const where = (r) => `${r.type}.${r.name}`;

  // encryption
  for (const r of ofType("aws_s3_bucket")) {
    if (!ofType("aws_s3_bucket_server_side_encryption_configuration").some((c) => mentions(c.body, r)))
      report("encryption", r.file, `${where(r)} has no server-side encryption configuration`);
  }
  for (const r of ofType("aws_db_instance")) if (!isTrue(mod, r.body.storage_encrypted)) report("encryption", r.file, `${where(r)}: storage_encrypted = true`);
  for (const r of ofType("aws_rds_cluster")) if (!isTrue(mod, r.body.storage_encrypted)) report("encryption", r.file, `${where(r)}: storage_encrypted = true`);
  for (const r of ofType("aws_opensearch_domain")) {
    if (!isTrue(mod, get(r.body, "encrypt_at_rest", "enabled"))) report("encryption", r.file, `${where(r)}: encrypt_at_rest { enabled = true }`);
    if (!isTrue(mod, get(r.body, "node_to_node_encryption", "enabled"))) report("encryption", r.file, `${where(r)}: node_to_node_encryption { enabled = true }`);
  }
  for (const r of ofType("aws_cloudwatch_log_group")) if (!isSet(r.body.kms_key_id)) report("encryption", r.file, `${where(r)}: kms_key_id`);
  for (const r of ofType("aws_sns_topic")) if (!isSet(r.body.kms_master_key_id)) report("encryption", r.file, `${where(r)}: kms_master_key_id`);
  for (const r of ofType("aws_secretsmanager_secret")) if (!isSet(r.body.kms_key_id)) report("encryption", r.file, `${where(r)}: kms_key_id (a customer key)`);
  for (const r of ofType("aws_ecr_repository")) if (get(r.body, "encryption_configuration", "encryption_type") !== "KMS") report("encryption", r.file, `${where(r)}: encryption_configuration { encryption_type = "KMS" }`);
  for (const r of ofType("aws_kms_key")) if (!isTrue(mod, r.body.enable_key_rotation)) report("encryption", r.file, `${where(r)}: enable_key_rotation = true`);
  for (const r of ofType("aws_ebs_volume")) if (!isTrue(mod, r.body.encrypted)) report("encryption", r.file, `${where(r)}: encrypted = true`);

  for (const [name, { body, file }] of Object.entries(mod.modules)) {
    const source = moduleSource(body);
    if (isRegistry(source, "s3-bucket")) {
      if (!isSet(body.server_side_encryption_configuration)) report("encryption", file, `module ${name}: server_side_encryption_configuration`);
      for (const flag of ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"])
        if (!isTrue(mod, body[flag])) report("public-buckets", file, `module ${name}: ${flag} = true`);
      if (typeof body.acl === "string" && body.acl.startsWith("public")) report("public-buckets", file, `module ${name}: acl ${body.acl}`);
      if (get(body, "versioning", "enabled") !== true) report("encryption", file, `module ${name}: versioning = { enabled = true } (protects against overwrites)`);
    }
    if (isRegistry(source, "rds")) {
      if (!isTrue(mod, body.storage_encrypted)) report("encryption", file, `module ${name}: storage_encrypted = true`);
      if (!isSet(body.kms_key_id)) report("encryption", file, `module ${name}: kms_key_id (a customer key)`);
      if (!isTrue(mod, body.deletion_protection)) report("deletion-protection", file, `module ${name}: deletion_protection = true`);
      if (isTrue(mod, body.skip_final_snapshot)) report("deletion-protection", file, `module ${name}: skip_final_snapshot must stay false`);
      if (!isTrue(mod, body.multi_az)) report("multi-az", file, `module ${name}: multi_az = true`);
      const days = asNumber(mod, body.backup_retention_period);
      if (!(days >= MIN_BACKUP_DAYS)) report("backup-retention", file, `module ${name}: backup_retention_period >= ${MIN_BACKUP_DAYS} (has ${days})`);
      if (isTrue(mod, body.publicly_accessible)) report("open-ingress", file, `module ${name}: publicly_accessible`);
    }
    if (isRegistry(source, "alb")) {
      if (!isTrue(mod, body.enable_deletion_protection)) report("deletion-protection", file, `module ${name}: enable_deletion_protection = true`);
      for (const [rule, spec] of Object.entries(body.security_group_ingress_rules ?? {})) {
        const open = OPEN_CIDRS.has(spec.cidr_ipv4) || OPEN_CIDRS.has(spec.cidr_ipv6);
        const webPort = spec.from_port === spec.to_port && (spec.from_port === 443 || spec.from_port === 80);
        if (open && !webPort) report("open-ingress", file, `module ${name}: ingress ${rule} opens ports ${spec.from_port}-${spec.to_port} to the internet (only 80 and 443 may be)`);
      }
      for (const [listener, spec] of Object.entries(body.listeners ?? {})) {
        if (spec.protocol === "HTTPS" && !goodElbPolicy(spec.ssl_policy)) report("tls", file, `module ${name}: listener ${listener} ssl_policy must allow TLS 1.2+ only`);
      }
    }
    if (isRegistry(source, "sns") && !isSet(body.kms_master_key_id)) report("encryption", file, `module ${name}: kms_master_key_id`);
    if (isRegistry(source, "cloudfront")) checkDistribution(mod, body, file, `module ${name}`, report);
    for (const argument of Object.keys(body)) {
      if (/^create_.*cloudwatch_log_group$/.test(argument) && isTrue(mod, body[argument])) {
        const prefix = argument.replace(/^create_/, "").replace(/cloudwatch_log_group$/, "");
        const retention = body[`${prefix}cloudwatch_log_group_retention_in_days`];
        if (!isSet(retention)) report("log-retention", file, `module ${name}: ${prefix}cloudwatch_log_group_retention_in_days`);
      }
    }
    for (const value of Object.entries(body).filter(([k]) => /ingress_cidr_blocks$/.test(k)).map(([, v]) => v)) {
      if (strings(value).some((cidr) => OPEN_CIDRS.has(cidr))) report("open-ingress", file, `module ${name}: ingress from the internet`);
    }
  }

  // public buckets
  for (const r of ofType("aws_s3_bucket")) {
    const block = ofType("aws_s3_bucket_public_access_block").find((b) => mentions(b.body, r));
    if (!block || !["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"].every((f) => isTrue(mod, block.body[f])))
      report("public-buckets", r.file, `${where(r)} needs an aws_s3_bucket_public_access_block with all four settings true`);
  }
  for (const r of ofType("aws_s3_bucket_acl")) if (typeof r.body.acl === "string" && r.body.acl.startsWith("public")) report("public-buckets", r.file, `${where(r)}: acl ${r.body.acl}`);

  // open ingress (hand-written security groups have no exception: the load balancer's come from the alb module)
  for (const r of ofType("aws_security_group")) {
    for (const ingress of [r.body.ingress ?? []].flat()) {
      if (strings([ingress.cidr_blocks, ingress.ipv6_cidr_blocks]).some((c) => OPEN_CIDRS.has(c))) report("open-ingress", r.file, `${where(r)}: ingress from the internet`);
    }
  }
  for (const r of ofType("aws_vpc_security_group_ingress_rule")) {
    if (OPEN_CIDRS.has(r.body.cidr_ipv4) || OPEN_CIDRS.has(r.body.cidr_ipv6)) report("open-ingress", r.file, `${where(r)}: ingress from the internet`);
  }
  for (const r of ofType("aws_security_group_rule")) {
    if (r.body.type === "ingress" && strings([r.body.cidr_blocks, r.body.ipv6_cidr_blocks]).some((c) => OPEN_CIDRS.has(c))) report("open-ingress", r.file, `${where(r)}: ingress from the internet`);
  }
  for (const r of ofType("aws_db_instance")) if (isTrue(mod, r.body.publicly_accessible)) report("open-ingress", r.file, `${where(r)}: publicly_accessible`);

  // IAM wildcards: a wildcard action ("*" or "service:*") on every resource
  const wildAction = (a) => a === "*" || /^[\w-]+:\*$/.test(a);
  for (const d of Object.values(mod.data).filter((d) => d.type === "aws_iam_policy_document")) {
    for (const statement of [d.body.statement ?? []].flat()) {
      if ((statement.effect ?? "Allow") !== "Allow") continue;
      const actions = strings(statement.actions);
      const resourcesOf = strings(statement.resources);
      if (actions.some(wildAction) && resourcesOf.includes("*")) report("iam-wildcards", d.file, `data.${d.type}.${d.name}: statement ${statement.sid ?? ""} allows ${actions.filter(wildAction).join(", ")} on "*"`);
    }
  }
  for (const r of resources.filter((r) => /^aws_iam_(role_)?policy$|^aws_iam_(user|group)_policy$/.test(r.type))) {
    const policy = strings(r.body.policy).join(" ");
    const action = /Action"?\s*[=:]\s*\[?\s*"(\*|[\w-]+:\*)"/.test(policy);
    const resource = /Resource"?\s*[=:]\s*\[?\s*"\*"/.test(policy);
    if (action && resource) report("iam-wildcards", r.file, `${where(r)}: a wildcard action on "*"`);
  }
  for (const r of ofType("aws_iam_role_policy_attachment")) {
    if (strings(r.body.policy_arn).some((arn) => /policy\/(AdministratorAccess|PowerUserAccess)$/.test(arn))) report("iam-wildcards", r.file, `${where(r)}: administrator policy`);
  }

  // deletion protection, Multi-AZ, backups
  for (const r of ofType("aws_db_instance")) {
    if (!isTrue(mod, r.body.deletion_protection)) report("deletion-protection", r.file, `${where(r)}: deletion_protection = true`);
    if (!isTrue(mod, r.body.multi_az)) report("multi-az", r.file, `${where(r)}: multi_az = true`);
    const days = asNumber(mod, r.body.backup_retention_period);
    if (!(days >= MIN_BACKUP_DAYS)) report("backup-retention", r.file, `${where(r)}: backup_retention_period >= ${MIN_BACKUP_DAYS}`);
  }
  for (const r of ofType("aws_db_instance_automated_backups_replication")) {
    const days = asNumber(mod, r.body.retention_period);
    if (!(days >= MIN_BACKUP_DAYS)) report("backup-retention", r.file, `${where(r)}: retention_period >= ${MIN_BACKUP_DAYS}`);
  }
  for (const r of ofType("aws_lb")) {
    if (!isTrue(mod, r.body.enable_deletion_protection)) report("deletion-protection", r.file, `${where(r)}: enable_deletion_protection = true`);
  }
  for (const r of ofType("aws_opensearch_domain")) {
    const cluster = one(r.body.cluster_config) ?? {};
    const zones = asNumber(mod, get(cluster, "zone_awareness_config", "availability_zone_count")) ?? 2;
    if (!isTrue(mod, cluster.zone_awareness_enabled) || zones < 2 || !(asNumber(mod, cluster.instance_count) >= 2))
      report("multi-az", r.file, `${where(r)}: zone_awareness_enabled over 2 or more zones, with 2 or more nodes`);
    if (!isTrue(mod, get(r.body, "advanced_security_options", "enabled"))) report("encryption", r.file, `${where(r)}: fine-grained access control (advanced_security_options)`);
    if (!isTrue(mod, get(r.body, "domain_endpoint_options", "enforce_https"))) report("tls", r.file, `${where(r)}: enforce_https = true`);
    if (!/^Policy-Min-TLS-1-2/.test(get(r.body, "domain_endpoint_options", "tls_security_policy") ?? "")) report("tls", r.file, `${where(r)}: tls_security_policy Policy-Min-TLS-1-2-…`);
  }
  for (const r of ofType("aws_ecs_service")) {
    if (r.body.load_balancer && !(asNumber(mod, r.body.desired_count) >= 2)) report("multi-az", r.file, `${where(r)}: a service behind a load balancer runs 2 or more tasks`);
  }

  // WAF and TLS at the edge
  for (const r of ofType("aws_cloudfront_distribution")) checkDistribution(mod, r.body, r.file, where(r), report);
  for (const r of ofType("aws_lb_listener")) {
    if (r.body.protocol === "HTTPS" && !goodElbPolicy(r.body.ssl_policy)) report("tls", r.file, `${where(r)}: ssl_policy must allow TLS 1.2+ only`);
  }

  // log retention
  for (const r of ofType("aws_cloudwatch_log_group")) {
    const days = literal(mod, r.body.retention_in_days);
    if (!isSet(days) || days === 0) report("log-retention", r.file, `${where(r)}: retention_in_days`);
  }
}

function goodElbPolicy(policy) {
  return typeof policy === "string" && (/TLS13/.test(policy) || /TLS-1-2/.test(policy));
}

function checkDistribution(mod, body, file, where, report) {
  if (!isSet(body.web_acl_id)) report("waf", file, `${where}: web_acl_id (a WAF web ACL)`);
  const certificate = one(body.viewer_certificate) ?? {};
  if (certificate.cloudfront_default_certificate === true) report("tls", file, `${where}: the default certificate allows TLS 1.0; use an ACM certificate`);
  if (!/^TLSv1\.2_20(19|21)|^TLSv1\.3/.test(certificate.minimum_protocol_version ?? "")) report("tls", file, `${where}: minimum_protocol_version TLSv1.2_2021`);
  for (const origin of [body.origin ?? []].flat()) {
    const protocols = strings(get(origin, "custom_origin_config", "origin_ssl_protocols"));
    if (protocols.some((p) => ["SSLv3", "TLSv1", "TLSv1.1"].includes(p))) report("tls", file, `${where}: origin ${origin.origin_id} allows ${protocols.join(", ")}`);
  }
}

// ------------------------------------------------------------------------------------------ main

export async function check(root, { skipTests = true } = {}) {
  const findings = [];
  const absolute = resolve(root);
  const dirs = moduleDirs(absolute, skipTests);
  for (const dir of dirs) await loadModule(dir);
  for (const dir of dirs) {
    const mod = parsedModules.get(dir);
    const report = (rule, file, message) => findings.push({ rule, file: relative(process.cwd(), file), message });
    await checkModuleCalls(mod, report);
    checkReferences(mod, report);
    checkTypes(mod, report);
    checkVersions(mod, report);
    checkStateLocking(mod, report, basename(dirname(dir)) === "environments");
    checkPolicies(mod, report);
  }
  return { modules: dirs.map((d) => relative(process.cwd(), d)), findings };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args.includes("--rules")) {
    console.log(JSON.stringify(RULES));
    process.exit(0);
  }
  const here = dirname(fileURLToPath(import.meta.url));
  const root = args.find((a) => !a.startsWith("--")) ?? resolve(here, "..");
  const result = await check(root, { skipTests: resolve(root) === resolve(here, "..") });
  if (args.includes("--json")) {
    console.log(JSON.stringify(result));
  } else {
    for (const f of result.findings) console.log(`${f.file}: [${f.rule}] ${f.message}`);
    console.log(`${result.modules.length} modules checked, ${result.findings.length} findings`);
  }
  process.exit(result.findings.length === 0 ? 0 : 1);
}
