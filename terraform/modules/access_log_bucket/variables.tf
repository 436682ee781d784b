variable "bucket_name" {
  description = "Name of the access-log bucket (globally unique)."
  type        = string
}

variable "source_bucket_arns" {
  description = "ARNs of the buckets whose server access logs land here (the only sources S3's log delivery may write for)."
  type        = list(string)

  validation {
    condition     = length(var.source_bucket_arns) > 0
    error_message = "Name at least one source bucket."
  }
}

variable "retention_days" {
  description = "Days the access logs are kept."
  type        = number
  default     = 365

  validation {
    condition     = var.retention_days >= 90
    error_message = "Keep access logs at least 90 days: an investigation needs them after the fact."
  }
}

variable "force_destroy" {
  description = "Allow `terraform destroy` to delete the bucket with its logs."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource of the module."
  type        = map(string)
  default     = {}
}
