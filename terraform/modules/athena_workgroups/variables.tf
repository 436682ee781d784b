variable "results_bucket_name" {
  description = "Bucket for query results; each workgroup writes under s3://<results_bucket_name>/<workgroup name>/."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key ARN for SSE_KMS encryption of query results."
  type        = string
}

variable "workgroups" {
  description = "Workgroups by key; the workgroup name is name_prefix + key. Per-workgroup bytes_scanned_cutoff_per_query overrides the module-wide one."
  type = map(object({
    description                    = optional(string, "")
    bytes_scanned_cutoff_per_query = optional(number)
  }))
  default = {
    analysts = { description = "Analysts: tables of the general domain" }
    finance  = { description = "Finance: tables of the finance and general domains" }
  }

  validation {
    condition     = alltrue([for k in keys(var.workgroups) : can(regex("^[a-zA-Z0-9._-]+$", k))])
    error_message = "Workgroup keys may only contain letters, digits, '.', '_' and '-'."
  }
}

variable "name_prefix" {
  description = "Prefix of every workgroup name (and so of its result prefix)."
  type        = string
  default     = ""
}

variable "bytes_scanned_cutoff_per_query" {
  description = "Default per-query data-scanned limit in bytes (Athena cancels a query that scans more). Minimum 10 MB."
  type        = number
  default     = 10737418240 # 10 GiB

  validation {
    condition     = var.bytes_scanned_cutoff_per_query >= 10485760
    error_message = "bytes_scanned_cutoff_per_query must be at least 10485760 (10 MB), Athena's minimum."
  }
}

variable "engine_version" {
  description = "Athena engine version (engine 3 reads Hudi tables)."
  type        = string
  default     = "Athena engine version 3"
}

variable "publish_cloudwatch_metrics_enabled" {
  description = "Publish per-workgroup query metrics to CloudWatch."
  type        = bool
  default     = true
}

variable "expected_bucket_owner" {
  description = "Account ID that must own the results bucket; null to skip the check."
  type        = string
  default     = null
}

variable "force_destroy" {
  description = "Let terraform delete a workgroup that still has saved queries."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every workgroup."
  type        = map(string)
  default     = {}
}
