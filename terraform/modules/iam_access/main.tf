# The lake's access roles. This module decides nothing about permissions: it attaches exactly
# the JSON policy documents it is given (generated from the table contracts), one customer
# managed policy per document, and removes anything else attached to the roles.

locals {
  role_policies = merge([
    for role, r in var.roles : {
      for doc_name, doc in r.policy_documents : "${role}/${doc_name}" => {
        role     = role
        doc_name = doc_name
        document = doc
      }
    }
  ]...)
}

resource "aws_iam_role" "this" {
  for_each = var.roles

  name                 = "${var.name_prefix}${each.key}"
  path                 = var.path
  description          = each.value.description
  assume_role_policy   = each.value.assume_role_policy_json
  max_session_duration = each.value.max_session_duration
  permissions_boundary = each.value.permissions_boundary_arn
  tags                 = var.tags
}

resource "aws_iam_policy" "this" {
  for_each = local.role_policies

  name        = "${var.name_prefix}${each.value.role}-${each.value.doc_name}"
  path        = var.path
  description = "cdclake ${each.value.role}: ${each.value.doc_name} (generated from the table contracts)"
  policy      = each.value.document
  tags        = var.tags
}

resource "aws_iam_role_policy_attachment" "this" {
  for_each = local.role_policies

  role       = aws_iam_role.this[each.value.role].name
  policy_arn = aws_iam_policy.this[each.key].arn
}

# Exactly the given documents: a policy attached by hand shows up as drift and is detached on apply.
resource "aws_iam_role_policy_attachments_exclusive" "this" {
  for_each = var.roles

  role_name   = aws_iam_role.this[each.key].name
  policy_arns = [for k, p in aws_iam_policy.this : p.arn if local.role_policies[k].role == each.key]

  depends_on = [aws_iam_role_policy_attachment.this]
}

# And no inline policies at all.
resource "aws_iam_role_policies_exclusive" "this" {
  for_each = var.roles

  role_name    = aws_iam_role.this[each.key].name
  policy_names = []
}
