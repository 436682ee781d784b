variable "name" {
  description = "Name of the EMR Serverless application."
  type        = string
}

variable "release_label" {
  description = "EMR release of the application: the Spark minor, Scala and Java that `make test` runs (cdc/versions.py EMR_PROFILE; tests/unit/test_runtime_pins.py compares)."
  type        = string
  default     = "emr-7.12.0"

  validation {
    # emr-7.x: Spark 3.5, Scala 2.12, Java 17, the line the job bundle's Hudi and Kafka jars are built for.
    condition     = startswith(var.release_label, "emr-7.")
    error_message = "release_label must be an emr-7.x release (Spark 3.5 / Scala 2.12): the job bundle's jars are built for it."
  }
}

variable "architecture" {
  description = "CPU architecture of the workers: X86_64 or ARM64."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.architecture)
    error_message = "architecture must be X86_64 or ARM64."
  }
}

variable "maximum_capacity" {
  description = "Upper bound of the resources all running jobs of the application may use together."
  type = object({
    cpu    = string
    memory = string
    disk   = optional(string)
  })
  default = {
    cpu    = "16 vCPU"
    memory = "64 GB"
    disk   = "200 GB"
  }
}

variable "auto_stop_idle_timeout_minutes" {
  description = "Stop the application after this many idle minutes (a running streaming job keeps it busy)."
  type        = number
  default     = 15
}

variable "subnet_ids" {
  description = "Private subnets for the jobs (must reach the MSK brokers; S3 and Glue through endpoints or NAT). Empty: no VPC access."
  type        = list(string)
  default     = []
}

variable "security_group_ids" {
  description = "Security groups of the jobs (allowed by the brokers' security group)."
  type        = list(string)
  default     = []
}

variable "image_uri" {
  description = "Custom image (ECR URI) built FROM the release's EMR Serverless Spark image with cdclake installed; null for the release's default image (then ship cdclake with python_archive_uri)."
  type        = string
  default     = null
}

# -- the job run, for the documented start-job-run command (nothing below is created) -----------

variable "job_execution_role_arn" {
  description = "Runtime role of the job: the writer role of the iam_access module (trusted by emr-serverless.amazonaws.com). Used only in the documented command."
  type        = string
  default     = null
}

variable "entry_point_uri" {
  description = "s3:// URI of spark_jobs/stream.py as uploaded (it imports cdc, spark_jobs and lakehouse_schemas from the Python environment)."
  type        = string
}

variable "entry_point_arguments" {
  description = "Arguments of spark_jobs/stream.py."
  type        = list(string)
  default     = ["--trigger", "continuous", "--interval", "60 seconds"]
}

variable "streaming" {
  description = "Start the job in STREAMING mode (long-running, restarted on failure by the retry policy); false for a BATCH run such as --trigger available-now."
  type        = bool
  default     = true
}

variable "max_failed_attempts_per_hour" {
  description = "Retry policy of a STREAMING job."
  type        = number
  default     = 5
}

variable "python_archive_uri" {
  description = "s3:// URI of the job bundle's Python archive (`cdclake deploy bundle`: cdclake and its dependencies, no pyspark), unpacked as ./cdclake on PYTHONPATH; null when image_uri already has cdclake."
  type        = string
  default     = null
}

variable "job_environment" {
  description = "CDCLAKE_* settings of the job (cdc/settings.py), set on the driver and executors, e.g. CDCLAKE_LAKE__ROOT=s3://<lake>/warehouse, CDCLAKE_KAFKA__BOOTSTRAP_SERVERS. No secrets: the job reads S3, Glue and Kafka with its runtime role. CDCLAKE_SPARK__ADD_JARS=false is always set (the platform provides the jars)."
  type        = map(string)
  default     = {}
}

variable "spark_jars" {
  description = "spark.jars of the job: s3:// URIs of the job bundle's jars (cdc/versions.py JOB_JARS: the tested Hudi bundle, the Kafka source, aws-msk-iam-auth). Passed by path: nothing is downloaded at job start, and EMR's own Hudi is not used."
  type        = list(string)
  default     = []
}

variable "extra_spark_conf" {
  description = "Further --conf key=value pairs of the job (values without spaces)."
  type        = map(string)
  default     = {}
}

variable "log_uri" {
  description = "s3:// URI for the job's driver and executor logs; null for EMR Serverless managed storage only."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags of the application."
  type        = map(string)
  default     = {}
}
