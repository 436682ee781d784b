variable "name" {
  description = "Name prefix of the alarms and the SNS topic."
  type        = string
}

variable "namespace" {
  description = "CloudWatch namespace the streaming job publishes to (CDCLAKE_METRICS__CLOUDWATCH_NAMESPACE)."
  type        = string
  default     = "cdclake"
}

variable "tables" {
  description = "Per table (<database>.<table> of the source) its freshness limit in seconds: render with `cdclake observe render` (observe.auto.tfvars.json)."
  type = list(object({
    table             = string
    freshness_alert_s = number
  }))
}

variable "connector_name" {
  description = "MSK Connect connector whose own CloudWatch metrics (AWS/KafkaConnect) replace the local exporter."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the SNS topic (the lake key will do)."
  type        = string
}

variable "alarm_emails" {
  description = "Addresses subscribed to the alarm topic (each confirms by mail)."
  type        = list(string)
  default     = []
}

variable "job_stall_minutes" {
  description = "Minutes without a published batch before the job counts as not progressing."
  type        = number
  default     = 15
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
  default     = {}
}
