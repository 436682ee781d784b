output "bucket_name" {
  description = "Name of the bucket."
  value       = aws_s3_bucket.this.bucket
}

output "bucket_id" {
  description = "ID of the bucket (same as its name)."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "ARN of the bucket."
  value       = aws_s3_bucket.this.arn
}

output "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the bucket by default (created or given)."
  value       = local.kms_key_arn
}

output "s3_uri" {
  description = "s3:// URI of the bucket root."
  value       = "s3://${aws_s3_bucket.this.bucket}"
}

output "kms_key_policy" {
  description = "Key policy given to the created KMS key (null: AWS's default)."
  value       = var.kms_key_policy_json
}

output "bucket_key_enabled" {
  description = "Whether S3 Bucket Keys are on (off for the lake: per-prefix key denials need the object ARN as encryption context)."
  value       = var.bucket_key_enabled
}
