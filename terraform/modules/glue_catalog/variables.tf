variable "domains" {
  description = "Access domains of the lake (the `domain` field of the table contracts, e.g. finance, general); one Glue database each."
  type        = set(string)

  validation {
    condition     = length(var.domains) > 0 && alltrue([for d in var.domains : can(regex("^[a-z][a-z0-9_]*$", d))])
    error_message = "domains must be non-empty lowercase identifiers (a-z, 0-9, _), as Glue and Athena expect."
  }
}

variable "database_name_prefix" {
  description = "Prefix of every database name: the database of domain `finance` is \"<prefix>finance\"."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^[a-z0-9_]*$", var.database_name_prefix))
    error_message = "database_name_prefix may only contain a-z, 0-9 and _."
  }
}

variable "lake_root_uri" {
  description = "s3:// URI of the lake root (CDCLAKE_LAKE__ROOT with s3://). A domain's database location is <lake_root_uri>/<domain>/, matching the layout <lake_root>/<domain>/<target_database>/<target_table>."
  type        = string

  validation {
    condition     = startswith(var.lake_root_uri, "s3://")
    error_message = "lake_root_uri must start with s3://."
  }
}

variable "descriptions" {
  description = "Optional description per domain."
  type        = map(string)
  default     = {}
}

variable "catalog_id" {
  description = "Glue Data Catalog ID (AWS account ID); null for the caller's account."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every database."
  type        = map(string)
  default     = {}
}

variable "encrypt_catalog" {
  description = "Set the account's Data Catalog encryption (at rest and connection passwords) to encryption_kms_key_arn. One setting per account and region: only one configuration may own it."
  type        = bool
  default     = false
}

variable "encryption_kms_key_arn" {
  description = "KMS key that encrypts the Data Catalog (the lake key); used when encrypt_catalog is true."
  type        = string
  default     = null
}

variable "resource_policy_json" {
  description = "Glue resource policy (JSON): the generated resource/glue.json that denies each domain's databases outside its roles."
  type        = string
  default     = null
}

variable "lake_formation_grants" {
  description = "Lake Formation grants (the Grants list of `cdclake access render`'s lakeformation/grants.json); empty (the default): no Lake Formation grants."
  type = list(object({
    principal            = string
    database             = string
    database_permissions = list(string)
    table_permissions    = list(string)
  }))
  default = []
}
