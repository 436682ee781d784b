"""Deny-by-default resource policies of the lake: the bucket policy, the KMS key policy, the Glue catalog policy.

The IAM documents of ``policies.py`` say what each lake role may do; they cannot stop a role they
are not attached to. Any other principal of the account with broad ``s3:GetObject`` and
``kms:Decrypt`` (an admin, a data-science role, a CI role) would read ``<root>/finance/*``. These
resource policies close that: every *space* of the lake (each domain's prefix, ``_system``, the
checkpoints and each reader's results when they live in the lake bucket) is denied to every
principal except the space's own roles and one explicit break-glass role. Deny wins over any
Allow, so no identity policy anywhere in the account can reopen a space.

- Bucket: objects of a space (``s3:*``) and listings whose ``s3:prefix`` is in the space are denied
  outside its principals; listings with a prefix outside every space (the bucket root, the lake
  root, ``<root>/f``) are denied to all but break-glass, so no shorter prefix reveals a space's keys.
- KMS: the key policy does not delegate to IAM (no ``kms:*`` for the account root), so only the
  lake roles, break-glass and ``key_user_arns`` can use the key at all; and Decrypt of an object in a
  space is denied outside its principals by the S3 encryption context (``aws:s3:arn`` is the object
  ARN only without S3 Bucket Keys: the lake bucket turns them off).
- Glue: each domain's databases and tables are denied outside the domain's principals.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from cdc.access.policies import (
    SYSTEM_DOMAIN,
    VERSION,
    WRITER,
    Arns,
    dumps,
    lake_location,
    principals,
    results_location,
)
from cdc.settings import Settings
from lakehouse_schemas.contract import TableContract

BREAK_GLASS = "break-glass"
KEY_ADMIN = [
    "kms:CancelKeyDeletion",
    "kms:Create*",
    "kms:Delete*",
    "kms:Describe*",
    "kms:Disable*",
    "kms:Enable*",
    "kms:Get*",
    "kms:List*",
    "kms:Put*",
    "kms:Revoke*",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:Update*",
]
KEY_USE = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncrypt*"]
KEY_DECRYPT = ["kms:Decrypt", "kms:ReEncrypt*"]


class Space(BaseModel):
    """A key prefix of the lake bucket and the principals (by name) that may touch it."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: str  # domain | system | checkpoints | results
    bucket: str
    prefix: str
    principals: tuple[str, ...]
    glue_databases: tuple[str, ...] = ()


def role_arn(settings: Settings, principal: str) -> str:
    a = settings.access
    if principal == BREAK_GLASS:
        return a.break_glass_role_arn or ""
    return f"arn:{a.partition}:iam::{a.account_id}:role/{a.role_prefix}{principal}"


def spaces(settings: Settings, contracts: list[TableContract]) -> list[Space]:
    loc = lake_location(settings)
    ps = principals(settings, contracts)
    out = []
    for domain in sorted({c.domain for c in contracts}):
        readers = tuple(p.name for p in ps if p.kind == "reader" and domain in p.domains)
        dbs = tuple(sorted({c.glue_database for c in contracts if c.domain == domain}))
        out.append(
            Space(name=domain, kind="domain", bucket=loc.bucket, prefix=loc.domain_prefix(domain), principals=(WRITER, *readers), glue_databases=dbs)
        )
    # Dead letters keep raw change values: the writer's alone.
    out.append(Space(name=SYSTEM_DOMAIN, kind="system", bucket=loc.bucket, prefix=loc.domain_prefix(SYSTEM_DOMAIN), principals=(WRITER,)))
    if loc.checkpoint_bucket == loc.bucket and loc.checkpoint_prefix:
        out.append(Space(name="checkpoints", kind="checkpoints", bucket=loc.bucket, prefix=loc.checkpoint_prefix, principals=(WRITER,)))
    for p in ps:
        if p.kind != "reader":
            continue
        # A reader's query results hold its domains' data: its own, wherever the results bucket is.
        bucket, prefix = results_location(settings, p.name)
        out.append(Space(name=f"results:{p.name}", kind="results", bucket=bucket, prefix=prefix, principals=(p.name,)))
    return out


def exempt(settings: Settings, space: Space) -> list[str]:
    arns = [role_arn(settings, p) for p in space.principals]
    if settings.access.break_glass_role_arn:
        arns.append(settings.access.break_glass_role_arn)
    return sorted(set(arns))


def _not_principals(arns: list[str]) -> dict:
    return {"ArnNotLike": {"aws:PrincipalArn": arns}}


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace(":", "_").replace("-", "_").split("_") if part)


def _deny(sid: str, actions: list[str], resources: list[str] | str, condition: dict) -> dict:
    return {"Sid": sid, "Effect": "Deny", "Principal": "*", "Action": sorted(actions), "Resource": resources, "Condition": condition}


def bucket_policy(settings: Settings, contracts: list[TableContract], bucket_name: str | None = None) -> dict:
    """Deny-by-default statements of one bucket (default: the lake's) over the spaces it holds."""
    arn = Arns(settings)
    bucket_name = bucket_name or lake_location(settings).bucket
    bucket = arn.bucket(bucket_name)
    statements = []
    inside = []
    for s in spaces(settings, contracts):
        if s.bucket != bucket_name:
            continue
        prefixes = [f"{s.prefix}/", f"{s.prefix}/*"]
        inside += prefixes
        ex = _not_principals(exempt(settings, s))
        statements.append(_deny(f"DenyObjects{_camel(s.name)}", ["s3:*"], [arn.objects(bucket_name, s.prefix)], ex))
        statements.append(_deny(f"DenyListing{_camel(s.name)}", ["s3:ListBucket", "s3:ListBucketVersions"], [bucket], {"StringLike": {"s3:prefix": prefixes}, **ex}))
    outside: dict = {"StringNotLike": {"s3:prefix": sorted(inside)}}
    if settings.access.break_glass_role_arn:
        outside |= _not_principals([settings.access.break_glass_role_arn])
    # A prefix above or beside the spaces (none, the lake root, "<root>/f") would list their keys.
    statements.append(_deny("DenyListingOutsideSpaces", ["s3:ListBucket", "s3:ListBucketVersions"], [bucket], outside))
    return {"Version": VERSION, "Statement": statements}


def kms_key_policy(settings: Settings, contracts: list[TableContract]) -> dict:
    a = settings.access
    admins = list(a.key_admin_arns) or [f"arn:{a.partition}:iam::{a.account_id}:root"]
    users = [role_arn(settings, p.name) for p in principals(settings, contracts)]
    users += [a.break_glass_role_arn] if a.break_glass_role_arn else []
    users += list(a.key_user_arns)
    statements: list[dict] = [
        # Administration only: without kms:* for the account root, IAM policies cannot grant use of the key.
        {"Sid": "KeyAdministration", "Effect": "Allow", "Principal": {"AWS": sorted(set(admins))}, "Action": KEY_ADMIN, "Resource": "*"},
        {"Sid": "LakeRolesUseTheKey", "Effect": "Allow", "Principal": {"AWS": sorted(set(users))}, "Action": KEY_USE, "Resource": "*"},
    ]
    for s in spaces(settings, contracts):
        objects = f"arn:{a.partition}:s3:::{s.bucket}/{s.prefix}/*"
        cond = {"StringLike": {"kms:EncryptionContext:aws:s3:arn": [objects]}, **_not_principals(exempt(settings, s))}
        statements.append(_deny(f"DenyDecrypt{_camel(s.name)}", KEY_DECRYPT, "*", cond))
    return {"Version": VERSION, "Statement": statements}


def glue_policy(settings: Settings, contracts: list[TableContract]) -> dict:
    arn = Arns(settings)
    statements = []
    for s in spaces(settings, contracts):
        if not s.glue_databases:
            continue
        resources = sorted([arn.glue("database", d) for d in s.glue_databases] + [arn.glue("table", d, "*") for d in s.glue_databases])
        statements.append(_deny(f"DenyCatalog{_camel(s.name)}", ["glue:*"], resources, _not_principals(exempt(settings, s))))
    return {"Version": VERSION, "Statement": statements}


def generate(settings: Settings, contracts: list[TableContract]) -> dict[str, dict]:
    """resource name -> its policy document (what Terraform puts on the bucket, the key, the catalog)."""
    out = {
        "bucket": bucket_policy(settings, contracts),
        "kms": kms_key_policy(settings, contracts),
        "glue": glue_policy(settings, contracts),
    }
    lake_bucket = lake_location(settings).bucket
    results = sorted({s.bucket for s in spaces(settings, contracts) if s.bucket != lake_bucket})
    for bucket in results:
        # Athena results in a bucket of their own (the Terraform layout): it gets the same treatment.
        out["results-bucket" if len(results) == 1 else f"bucket-{bucket}"] = bucket_policy(settings, contracts, bucket)
    return out


def resource_file(out: Path, name: str) -> Path:
    return out / "resource" / f"{name}.json"


def write_documents(documents: dict[str, dict], out: Path) -> list[Path]:
    paths = []
    for name, doc in sorted(documents.items()):
        path = resource_file(out, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dumps(doc))
        paths.append(path)
    return paths


def lake_formation_grants(settings: Settings, contracts: list[TableContract]) -> dict:
    """Optional Lake Formation grants mirroring the domains (Terraform: lake_formation_grants_file, off by default).

    Each reader: DESCRIBE on its domains' databases, SELECT/DESCRIBE on all their tables; the
    writer: create and alter tables in every domain database and write their rows.
    """
    grants = []
    for p in principals(settings, contracts):
        dbs = sorted({c.glue_database for c in contracts if c.domain in p.domains})
        writer = p.kind == "writer"
        for db in dbs:
            grants.append(
                {
                    "principal": role_arn(settings, p.name),
                    "database": db,
                    "database_permissions": ["ALTER", "CREATE_TABLE", "DESCRIBE"] if writer else ["DESCRIBE"],
                    "table_permissions": ["ALTER", "DELETE", "DESCRIBE", "INSERT", "SELECT"] if writer else ["DESCRIBE", "SELECT"],
                }
            )
    return {"Grants": grants}
