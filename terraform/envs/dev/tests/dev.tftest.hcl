# Offline tests of envs/dev and its modules: a mocked AWS provider (no credentials, no network),
# so these check the wiring, the expressions and the validations, not AWS itself.
# Run from terraform/envs/dev (Terraform >= 1.7 for mock_provider):
#   terraform init -backend=false && terraform test

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111122223333" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  # The provider still validates ARN-typed arguments, so computed ARNs need ARN-shaped mocks.
  mock_resource "aws_glue_catalog_database" {
    defaults = { arn = "arn:aws:glue:eu-west-1:111122223333:database/mocked" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-0000-0000-000000000000" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::mocked-bucket" }
  }
  mock_resource "aws_iam_policy" {
    defaults = { arn = "arn:aws:iam::111122223333:policy/mocked" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::111122223333:role/mocked" }
  }
  mock_resource "aws_mskconnect_custom_plugin" {
    defaults = { arn = "arn:aws:kafkaconnect:eu-west-1:111122223333:custom-plugin/mocked/00000000-0000-0000-0000-000000000000-1", latest_revision = 1 }
  }
  mock_resource "aws_mskconnect_worker_configuration" {
    defaults = { arn = "arn:aws:kafkaconnect:eu-west-1:111122223333:worker-configuration/mocked/00000000-0000-0000-0000-000000000000-1", latest_revision = 1 }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:eu-west-1:111122223333:mocked" }
  }
  mock_resource "aws_emrserverless_application" {
    defaults = { arn = "arn:aws:emr-serverless:eu-west-1:111122223333:/applications/00mockedapp", id = "00mockedapp" }
  }
}

variables {
  region                     = "eu-west-1"
  lake_bucket_name           = "example-cdclake-dev-lake"
  athena_results_bucket_name = "example-cdclake-dev-athena-results"
  artifacts_bucket_name      = "example-cdclake-dev-artifacts"
  connector_config_path      = "tests/fixtures/connector.msk.json"
  source_secret_arn          = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:cdclake/dev/source-AbCdEf"
  msk_cluster_arn            = "arn:aws:kafka:eu-west-1:111122223333:cluster/cdclake-dev/00000000-0000-0000-0000-000000000000-1"
  msk_bootstrap_servers      = "b-1.example.kafka.eu-west-1.amazonaws.com:9098"
  subnet_ids                 = ["subnet-00000000000000001"]
  connect_security_group_ids = ["sg-00000000000000001"]
  emr_security_group_ids     = ["sg-00000000000000002"]
  policy_document_files = {
    writer   = { lake = "tests/fixtures/policy.writer.json" }
    analysts = { lake = "tests/fixtures/policy.analysts.json" }
    finance  = { lake = "tests/fixtures/policy.finance.json" }
  }
  resource_policy_files = {
    bucket           = "tests/fixtures/resource.bucket.json"
    kms              = "tests/fixtures/resource.kms.json"
    glue             = "tests/fixtures/resource.glue.json"
    "results-bucket" = "tests/fixtures/resource.results-bucket.json"
  }
  access_log_bucket_name  = "example-cdclake-dev-access-logs"
  analysts_principal_arns = ["arn:aws:iam::111122223333:role/analyst-sso"]
  finance_principal_arns  = ["arn:aws:iam::111122223333:role/finance-sso"]
  break_glass_role_arn    = "arn:aws:iam::111122223333:role/cdclake-break-glass"
}

run "dev_applies" {
  command = apply

  assert {
    condition     = module.glue_catalog.database_names == { finance = "cdclake_dev_finance", general = "cdclake_dev_general" }
    error_message = "one Glue database per domain, named <prefix><domain>"
  }

  assert {
    condition     = module.glue_catalog.location_uris["finance"] == "s3://example-cdclake-dev-lake/warehouse/finance/"
    error_message = "a domain database sits at <lake_root>/<domain>/"
  }

  assert {
    condition = module.athena_workgroups.result_locations == {
      analysts = "s3://example-cdclake-dev-athena-results/cdclake-dev-analysts/"
      finance  = "s3://example-cdclake-dev-athena-results/cdclake-dev-finance/"
    }
    error_message = "each workgroup writes under s3://<results bucket>/<workgroup>/"
  }

  assert {
    condition     = module.athena_workgroups.workgroup_names == { analysts = "cdclake-dev-analysts", finance = "cdclake-dev-finance" }
    error_message = "analysts and finance workgroups"
  }

  assert {
    condition     = module.msk_connect_debezium.connector_configuration["database.password"] == "$${secretsmanager:arn%3Aaws%3Asecretsmanager%3Aeu-west-1%3A111122223333%3Asecret%3Acdclake%2Fdev%2Fsource-AbCdEf:password}"
    error_message = "the secret ARN in the password reference is URL-encoded for Kafka's config-reference parser"
  }

  assert {
    condition     = module.msk_connect_debezium.connector_configuration["schema.history.internal.producer.sasl.mechanism"] == "AWS_MSK_IAM"
    error_message = "schema-history clients get IAM auth settings"
  }

  assert {
    condition     = module.msk_connect_debezium.connector_configuration["table.include.list"] == jsondecode(file("tests/fixtures/connector.msk.json"))["table.include.list"]
    error_message = "the rendered connector config is passed through unchanged"
  }

  assert {
    condition     = length(module.iam_access.policy_arns) == 3 && contains(keys(module.iam_access.policy_arns), "finance/lake")
    error_message = "one managed policy per given document, nothing else"
  }

  assert {
    condition     = strcontains(module.emr_serverless_stream.start_job_run_command, "--mode STREAMING")
    error_message = "the documented job run is a STREAMING job"
  }

  assert {
    condition     = strcontains(module.emr_serverless_stream.job_driver, "spark.emr-serverless.driverEnv.CDCLAKE_LAKE__ROOT=s3://example-cdclake-dev-lake/warehouse")
    error_message = "the job gets the lake root as CDCLAKE_LAKE__ROOT"
  }

  assert {
    condition     = jsondecode(module.scheduled_upkeep.job_run_inputs["binlog-gap"]).JobDriver.SparkSubmit.EntryPointArguments == ["capture", "gap"]
    error_message = "the binlog-gap check runs on a schedule"
  }

  assert {
    condition     = strcontains(jsondecode(module.scheduled_upkeep.job_run_inputs["binlog-gap"]).JobDriver.SparkSubmit.SparkSubmitParameters, "spark.emr-serverless.driverEnv.CDCLAKE_CONNECT__OFFSETS_TOPIC=cdclake-dev-chinook-connect-offsets")
    error_message = "the gap check reads the offsets topic the MSK Connect workers write (no Connect REST API on MSK)"
  }

  assert {
    condition     = strcontains(module.msk_connect_debezium.worker_properties, "offset.storage.topic=cdclake-dev-chinook-connect-offsets")
    error_message = "the MSK Connect workers keep their offsets in the named topic the gap check reads"
  }
}

run "trust_names_its_principals" {
  command = plan

  assert {
    condition     = jsondecode(module.iam_access.trust_policies["finance"]).Statement[0].Principal.AWS == ["arn:aws:iam::111122223333:role/finance-sso"]
    error_message = "the finance role trusts exactly the named principals"
  }
}

run "trust_refuses_an_empty_principal_list" {
  command = plan

  variables {
    finance_principal_arns = []
  }

  expect_failures = [var.finance_principal_arns]
}

run "trust_refuses_the_account_root" {
  command = plan

  variables {
    analysts_principal_arns = ["arn:aws:iam::111122223333:root"]
  }

  expect_failures = [var.analysts_principal_arns]
}

run "deny_policies_are_attached" {
  command = plan

  assert {
    condition     = module.lake_bucket.kms_key_policy == jsonencode(jsondecode(file("tests/fixtures/resource.kms.json")))
    error_message = "the lake key gets the generated key policy"
  }

  assert {
    condition     = module.lake_bucket.bucket_key_enabled == false
    error_message = "the lake bucket has no S3 Bucket Keys (the key policy denies per prefix by encryption context)"
  }
}

run "roles_without_documents_get_no_policies" {
  command = apply

  variables {
    policy_document_files = {}
  }

  assert {
    condition     = length(module.iam_access.policy_arns) == 0 && length(module.iam_access.role_arns) == 3
    error_message = "roles exist with no permissions until documents are given"
  }
}

run "lake_bucket_rejects_glacier" {
  command = plan

  module {
    source = "../../modules/lake_bucket"
  }

  variables {
    bucket_name = "example-bucket"
    transitions = [{ days = 90, storage_class = "GLACIER" }]
  }

  expect_failures = [var.transitions]
}

run "lake_bucket_rejects_glacier_ir" {
  command = plan

  module {
    source = "../../modules/lake_bucket"
  }

  variables {
    bucket_name = "example-bucket"
    transitions = [{ days = 90, storage_class = "GLACIER_IR" }]
  }

  expect_failures = [var.transitions]
}

run "lake_bucket_allows_intelligent_tiering" {
  command = plan

  module {
    source = "../../modules/lake_bucket"
  }

  variables {
    bucket_name = "example-bucket"
    transitions = [{ days = 0, storage_class = "INTELLIGENT_TIERING" }]
  }

  assert {
    condition     = one(aws_s3_bucket_lifecycle_configuration.this.rule).status == "Enabled"
    error_message = "lifecycle rule present"
  }
}

run "athena_rejects_tiny_cutoff" {
  command = plan

  module {
    source = "../../modules/athena_workgroups"
  }

  variables {
    results_bucket_name            = "example-results"
    kms_key_arn                    = "arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-0000-0000-000000000000"
    bytes_scanned_cutoff_per_query = 1000
  }

  expect_failures = [var.bytes_scanned_cutoff_per_query]
}

run "iam_access_rejects_unknown_role" {
  command = plan

  module {
    source = "../../modules/iam_access"
  }

  variables {
    roles = {
      admin = {
        assume_role_policy_json = "{}"
        policy_documents        = {}
      }
    }
  }

  expect_failures = [var.roles]
}

run "msk_rejects_local_render" {
  command = plan

  module {
    source = "../../modules/msk_connect_debezium"
  }

  variables {
    name = "cdclake-test"
    connector_configuration = {
      "connector.class"   = "io.debezium.connector.mysql.MySqlConnector"
      "database.password" = "$${env:CDCLAKE_SOURCE__PASSWORD}"
    }
    source_secret_arn  = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:x-AbCdEf"
    plugin_bucket_arn  = "arn:aws:s3:::example-artifacts"
    plugin_object_key  = "plugin.zip"
    bootstrap_servers  = "b-1.example:9098"
    msk_cluster_arn    = "arn:aws:kafka:eu-west-1:111122223333:cluster/x/00000000-0000-0000-0000-000000000000-1"
    subnet_ids         = ["subnet-1"]
    security_group_ids = ["sg-1"]
  }

  expect_failures = [aws_mskconnect_connector.this]
}

run "msk_rejects_mariadb_connector" {
  command = plan

  module {
    source = "../../modules/msk_connect_debezium"
  }

  variables {
    name = "cdclake-test"
    connector_configuration = {
      "connector.class"   = "io.debezium.connector.mariadb.MariaDbConnector"
      "database.password" = "$${secretsmanager:arn:aws:secretsmanager:eu-west-1:111122223333:secret:x-AbCdEf:password}"
    }
    source_secret_arn  = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:x-AbCdEf"
    plugin_bucket_arn  = "arn:aws:s3:::example-artifacts"
    plugin_object_key  = "plugin.zip"
    bootstrap_servers  = "b-1.example:9098"
    msk_cluster_arn    = "arn:aws:kafka:eu-west-1:111122223333:cluster/x/00000000-0000-0000-0000-000000000000-1"
    subnet_ids         = ["subnet-1"]
    security_group_ids = ["sg-1"]
  }

  expect_failures = [aws_mskconnect_connector.this]
}

run "msk_rejects_unauthenticated" {
  command = plan

  module {
    source = "../../modules/msk_connect_debezium"
  }

  variables {
    name = "cdclake-test"
    connector_configuration = {
      "connector.class"   = "io.debezium.connector.mysql.MySqlConnector"
      "database.password" = "$${secretsmanager:arn:aws:secretsmanager:eu-west-1:111122223333:secret:x-AbCdEf:password}"
    }
    authentication_type = "NONE"
    source_secret_arn   = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:x-AbCdEf"
    plugin_bucket_arn   = "arn:aws:s3:::example-artifacts"
    plugin_object_key   = "plugin.zip"
    bootstrap_servers   = "b-1.example:9098"
    msk_cluster_arn     = "arn:aws:kafka:eu-west-1:111122223333:cluster/x/00000000-0000-0000-0000-000000000000-1"
    subnet_ids          = ["subnet-1"]
    security_group_ids  = ["sg-1"]
  }

  expect_failures = [var.authentication_type]
}

run "msk_rejects_plaintext" {
  command = plan

  module {
    source = "../../modules/msk_connect_debezium"
  }

  variables {
    name = "cdclake-test"
    connector_configuration = {
      "connector.class"   = "io.debezium.connector.mysql.MySqlConnector"
      "database.password" = "$${secretsmanager:arn:aws:secretsmanager:eu-west-1:111122223333:secret:x-AbCdEf:password}"
    }
    encryption_in_transit = "PLAINTEXT"
    source_secret_arn     = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:x-AbCdEf"
    plugin_bucket_arn     = "arn:aws:s3:::example-artifacts"
    plugin_object_key     = "plugin.zip"
    bootstrap_servers     = "b-1.example:9098"
    msk_cluster_arn       = "arn:aws:kafka:eu-west-1:111122223333:cluster/x/00000000-0000-0000-0000-000000000000-1"
    subnet_ids            = ["subnet-1"]
    security_group_ids    = ["sg-1"]
  }

  expect_failures = [var.encryption_in_transit]
}

run "msk_connect_reaches_only_its_topics" {
  command = plan

  module {
    source = "../../modules/msk_connect_debezium"
  }

  variables {
    name = "cdclake-test"
    connector_configuration = {
      "connector.class"                     = "io.debezium.connector.mysql.MySqlConnector"
      "database.password"                   = "$${secretsmanager:arn:aws:secretsmanager:eu-west-1:111122223333:secret:x-AbCdEf:password}"
      "topic.prefix"                        = "chinook"
      "schema.history.internal.kafka.topic" = "_schema-history.chinook"
    }
    source_secret_arn  = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:x-AbCdEf"
    plugin_bucket_arn  = "arn:aws:s3:::example-artifacts"
    plugin_object_key  = "plugin.zip"
    bootstrap_servers  = "b-1.example:9098"
    msk_cluster_arn    = "arn:aws:kafka:eu-west-1:111122223333:cluster/x/00000000-0000-0000-0000-000000000000-1"
    subnet_ids         = ["subnet-1"]
    security_group_ids = ["sg-1"]
  }

  assert {
    condition = toset(output.topic_arns) == toset([
      "arn:aws:kafka:eu-west-1:111122223333:topic/x/00000000-0000-0000-0000-000000000000-1/chinook.*",
      "arn:aws:kafka:eu-west-1:111122223333:topic/x/00000000-0000-0000-0000-000000000000-1/__debezium-heartbeat.chinook",
      "arn:aws:kafka:eu-west-1:111122223333:topic/x/00000000-0000-0000-0000-000000000000-1/__amazon_msk_connect_*",
      "arn:aws:kafka:eu-west-1:111122223333:topic/x/00000000-0000-0000-0000-000000000000-1/_schema-history.chinook",
    ])
    error_message = "the connector role reaches its source's topics and MSK Connect's internal ones, nothing else"
  }
}

run "lake_formation_is_off_by_default" {
  command = plan

  assert {
    condition     = length(module.glue_catalog.lake_formation_grants) == 0
    error_message = "no Lake Formation grants unless a grants file is given"
  }
}

run "lake_formation_grants_follow_the_domains" {
  command = plan

  variables {
    lake_formation_grants_file = "tests/fixtures/lakeformation.grants.json"
  }

  assert {
    condition     = module.glue_catalog.lake_formation_grants["arn:aws:iam::111122223333:role/cdclake-dev-finance chinook_finance"] == tolist(["DESCRIBE", "SELECT"])
    error_message = "finance reads the finance database"
  }

  assert {
    condition     = !contains(keys(module.glue_catalog.lake_formation_grants), "arn:aws:iam::111122223333:role/cdclake-dev-analysts chinook_finance")
    error_message = "analysts get nothing on the finance database"
  }
}
