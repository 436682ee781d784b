variable "name" {
  description = "Name prefix of the schedules and the scheduler role."
  type        = string
}

variable "account_id" {
  description = "AWS account of the schedules (confused-deputy condition of the scheduler role's trust)."
  type        = string
}

variable "partition" {
  description = "AWS partition (aws, aws-cn, aws-us-gov)."
  type        = string
  default     = "aws"
}

variable "application_id" {
  description = "EMR Serverless application the job runs go to (the stream module's application)."
  type        = string
}

variable "application_arn" {
  description = "ARN of that application (the scheduler role may start runs on it only)."
  type        = string
}

variable "job_role_arn" {
  description = "Runtime role of the upkeep runs: the writer role (the scheduler role may pass only this one)."
  type        = string
}

variable "upkeep_entry_point_uri" {
  description = "s3:// URI of the job bundle's upkeep.py (`cdclake deploy upload`)."
  type        = string
}

variable "python_archive_uri" {
  description = "s3:// URI of the job bundle's cdclake-python.tar.gz."
  type        = string
}

variable "spark_jars" {
  description = "s3:// URIs of the job bundle's jars (the same as the stream's)."
  type        = list(string)
}

variable "job_environment" {
  description = "CDCLAKE_* settings of the runs (the stream's, plus the source connection for reconcile); no secrets: the source password comes from CDCLAKE_SOURCE__PASSWORD_SECRET-style settings or the role."
  type        = map(string)
  default     = {}
}

variable "log_uri" {
  description = "s3:// URI of the runs' logs; null for EMR Serverless managed storage only."
  type        = string
  default     = null
}

variable "timezone" {
  description = "Time zone of the cron expressions: the day boundary of the snapshots (timetravel.day_zone)."
  type        = string
  default     = "UTC"
}

variable "schedules" {
  description = "Upkeep job runs: name -> schedule expression, `cdclake` arguments, enabled."
  type = map(object({
    expression = string
    arguments  = list(string)
    enabled    = optional(bool, true)
  }))
  default = {
    snapshots = { expression = "cron(30 0 * * ? *)", arguments = ["snapshot", "--due"] }
    catalog   = { expression = "cron(15 * * * ? *)", arguments = ["catalog", "sync"] }
    reconcile = { expression = "cron(0 3 * * ? *)", arguments = ["reconcile", "--sample", "1%"] }
    # Exit 1 when the connector needs a binlog the source purged: the run fails, which alarms.
    binlog-gap = { expression = "cron(45 * * * ? *)", arguments = ["capture", "gap"] }
  }
}

variable "tags" {
  description = "Tags of the scheduler role."
  type        = map(string)
  default     = {}
}
