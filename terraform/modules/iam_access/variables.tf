variable "name_prefix" {
  description = "Prefix of every role and policy name, e.g. \"cdclake-dev-\"."
  type        = string
  default     = "cdclake-"
}

variable "path" {
  description = "IAM path of the roles and policies."
  type        = string
  default     = "/"
}

variable "roles" {
  description = <<-EOT
    The lake's access roles, keyed writer, analysts and/or finance. Everything each role may do
    comes from policy_documents: JSON IAM policy documents (name => JSON string), produced from
    the table contracts by a generator, not written here. The module creates one customer managed
    policy per document and attaches exactly those: any other managed policy attached to the role
    outside Terraform, and any inline policy, is removed on the next apply.
    assume_role_policy_json is the role's trust policy (who may assume it), also JSON.
  EOT
  type = map(object({
    assume_role_policy_json  = string
    policy_documents         = map(string)
    description              = optional(string, "")
    max_session_duration     = optional(number, 3600)
    permissions_boundary_arn = optional(string)
  }))

  validation {
    condition     = alltrue([for k in keys(var.roles) : contains(["writer", "analysts", "finance"], k)])
    error_message = "roles keys must be among writer, analysts, finance."
  }

  validation {
    condition = alltrue(flatten([
      for r in values(var.roles) : concat(
        [can(jsondecode(r.assume_role_policy_json))],
        [for doc in values(r.policy_documents) : can(jsondecode(doc))],
      )
    ]))
    error_message = "Every assume_role_policy_json and policy_documents value must be a JSON document."
  }

  validation {
    condition = alltrue(flatten([
      for r in values(var.roles) : [for name in keys(r.policy_documents) : can(regex("^[A-Za-z0-9+=,.@_-]+$", name))]
    ]))
    error_message = "policy_documents keys become part of IAM policy names: use only A-Z a-z 0-9 + = , . @ _ -."
  }

  validation {
    condition     = alltrue([for r in values(var.roles) : length(r.policy_documents) <= 10])
    error_message = "At most 10 policy documents per role (the default IAM quota of managed policies per role)."
  }
}

variable "tags" {
  description = "Tags for every role and policy."
  type        = map(string)
  default     = {}
}
