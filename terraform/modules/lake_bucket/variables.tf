variable "bucket_name" {
  description = "Name of the S3 bucket (globally unique)."
  type        = string
}

variable "force_destroy" {
  description = "Allow `terraform destroy` to delete a bucket that still holds objects. Keep false for the lake."
  type        = bool
  default     = false
}

variable "create_kms_key" {
  description = "Create a customer managed KMS key for the bucket's default SSE-KMS encryption. When false, kms_key_arn must be given."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "ARN of an existing KMS key for SSE-KMS; used only when create_kms_key is false."
  type        = string
  default     = null
}

variable "kms_key_alias" {
  description = "Alias (without the `alias/` prefix) for the created KMS key; null for none."
  type        = string
  default     = null
}

variable "kms_key_deletion_window_in_days" {
  description = "Waiting period before a deleted KMS key is destroyed (7-30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_key_deletion_window_in_days >= 7 && var.kms_key_deletion_window_in_days <= 30
    error_message = "kms_key_deletion_window_in_days must be between 7 and 30."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent object versions (overwritten or deleted Hudi files) are expired. Hudi's own time travel does not use S3 versions."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which incomplete multipart uploads are aborted."
  type        = number
  default     = 7
}

variable "expiration_days" {
  description = "Expire current object versions after this many days; null (the default) for never. Set it for a query-results bucket, never for the lake."
  type        = number
  default     = null
}

variable "transitions" {
  description = <<-EOT
    Storage-class transitions of current versions. Only classes Athena can read synchronously are
    accepted (STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING); Glacier and Deep Archive classes are
    rejected because Athena cannot query objects in them. Default: none.
  EOT
  type = list(object({
    days          = number
    storage_class = string
  }))
  default = []

  validation {
    condition = alltrue([
      for t in var.transitions : contains(["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING"], t.storage_class)
    ])
    error_message = "transitions may only use STANDARD_IA, ONEZONE_IA or INTELLIGENT_TIERING: Athena cannot read objects in GLACIER, GLACIER_IR or DEEP_ARCHIVE."
  }

  validation {
    condition     = alltrue([for t in var.transitions : t.storage_class == "INTELLIGENT_TIERING" || t.days >= 30])
    error_message = "S3 requires at least 30 days before a transition to STANDARD_IA or ONEZONE_IA."
  }
}

variable "tags" {
  description = "Tags for every resource of the module."
  type        = map(string)
  default     = {}
}

variable "kms_key_policy_json" {
  description = "Key policy of the created KMS key (JSON): the generated resource/kms.json (`cdclake access render`). Null: AWS's default key policy, which lets any IAM policy of the account grant use of the key."
  type        = string
  default     = null
}

variable "bucket_policy_json" {
  description = "Extra bucket policy statements (JSON document), merged with the TLS-only statement: the generated deny-by-default resource/bucket.json for the lake."
  type        = string
  default     = null
}

variable "bucket_key_enabled" {
  description = "Use S3 Bucket Keys (fewer KMS requests). Turn off for the lake: with them the KMS encryption context is the bucket, so the key policy cannot deny a prefix."
  type        = bool
  default     = true
}

variable "access_log_bucket" {
  description = "Bucket that receives this bucket's S3 server access logs (under <bucket_name>/); see the access_log_bucket module."
  type        = string
  default     = null
}
