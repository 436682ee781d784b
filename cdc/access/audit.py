"""Who can read each space of the lake, computed from the rendered documents (``cdclake access audit``).

A small policy evaluator, enough for the documents this package renders: Allow/Deny, Action and
Resource wildcards, Principal ``*`` or ``{"AWS": [...]}``, and the condition operators the
documents use. A missing condition key makes a positive operator false and a negated one true,
as IAM does. Decision for a request: some Allow (identity policy, or the key policy for KMS, which
does not delegate to IAM) and no Deny anywhere.

Besides the lake roles it asks the same of break-glass and of "any other role in the account",
both given a broad identity policy (``s3:*``, ``kms:*``, ``glue:*`` on ``*``): what the deny
policies alone leave them.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from cdc.access import guard, policies
from cdc.settings import Settings
from lakehouse_schemas.contract import TableContract

OTHER = "any-other-role"
BROAD = {"Version": policies.VERSION, "Statement": [{"Effect": "Allow", "Action": ["s3:*", "kms:*", "glue:*"], "Resource": "*"}]}


def _list(v) -> list[str]:
    return [v] if isinstance(v, str) else list(v)


def _like(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern)


_OPS = {
    "StringEquals": (lambda p, v: p == v, False),
    "StringLike": (_like, False),
    "ArnLike": (_like, False),
    "ArnEquals": (lambda p, v: p == v, False),
    "StringNotEquals": (lambda p, v: p == v, True),
    "StringNotLike": (_like, True),
    "ArnNotLike": (_like, True),
    "ArnNotEquals": (lambda p, v: p == v, True),
    "Bool": (lambda p, v: str(p).lower() == str(v).lower(), False),
}


def _condition_holds(condition: dict, context: dict) -> bool:
    for op, tests in condition.items():
        test, negated = _OPS[op]
        for key, values in tests.items():
            if key not in context:
                if not negated:
                    return False
                continue
            hit = any(test(p, context[key]) for p in _list(values))
            if hit == negated:
                return False
    return True


def _principal_matches(st: dict, principal_arn: str) -> bool:
    if "Principal" not in st:
        return True  # an identity policy: it applies to the principal it is attached to
    p = st["Principal"]
    if p == "*":
        return True
    return any(_like(x, principal_arn) for x in _list(p.get("AWS", [])))


def statements_matching(doc: dict, effect: str, principal_arn: str, action: str, resource: str, context: dict) -> list[dict]:
    ctx = {"aws:PrincipalArn": principal_arn, **context}
    out = []
    for st in doc["Statement"]:
        if st["Effect"] != effect or not _principal_matches(st, principal_arn):
            continue
        if not any(_like(a, action) for a in _list(st["Action"])):
            continue
        if not any(_like(r, resource) for r in _list(st["Resource"])):
            continue
        if _condition_holds(st.get("Condition", {}), ctx):
            out.append(st)
    return out


def allowed(allow_docs: list[dict], deny_docs: list[dict], principal_arn: str, action: str, resource: str, context: dict | None = None) -> bool:
    context = context or {}
    if any(statements_matching(d, "Deny", principal_arn, action, resource, context) for d in allow_docs + deny_docs):
        return False
    return any(statements_matching(d, "Allow", principal_arn, action, resource, context) for d in allow_docs)


@dataclass(frozen=True)
class Row:
    space: str
    prefix: str
    databases: tuple[str, ...]
    objects: tuple[str, ...]
    listing: tuple[str, ...]
    decrypt: tuple[str, ...]
    catalog: tuple[str, ...]


def _row(space: guard.Space, identities: dict[str, tuple[str, dict]], bucket_doc: dict, res: dict[str, dict], arns: policies.Arns) -> Row:
    obj = arns.objects(space.bucket, space.prefix).replace("/*", "/probe/part-0.parquet")
    bucket = arns.bucket(space.bucket)
    listing = {"s3:prefix": f"{space.prefix}/"}
    kms_ctx = {"kms:EncryptionContext:aws:s3:arn": obj}
    tables = [arns.glue("table", d, "probe") for d in space.glue_databases]
    out: dict[str, list[str]] = {"objects": [], "listing": [], "decrypt": [], "catalog": []}
    for name, (arn, doc) in identities.items():
        if allowed([doc], [bucket_doc], arn, "s3:GetObject", obj):
            out["objects"].append(name)
        if allowed([doc], [bucket_doc], arn, "s3:ListBucket", bucket, listing):
            out["listing"].append(name)
        if allowed([res["kms"]], [], arn, "kms:Decrypt", "*", kms_ctx):
            out["decrypt"].append(name)
        if tables and all(allowed([doc], [res["glue"]], arn, "glue:GetTable", t) for t in tables):
            out["catalog"].append(name)
    return Row(
        space=space.name,
        prefix=f"s3://{space.bucket}/{space.prefix}/",
        databases=space.glue_databases,
        **{k: tuple(v) for k, v in out.items()},
    )


def who(settings: Settings, contracts: list[TableContract]) -> list[Row]:
    iam = policies.generate(settings, contracts)
    res = guard.generate(settings, contracts)
    lake_bucket = policies.lake_location(settings).bucket
    a = settings.access
    identities: dict[str, tuple[str, dict]] = {name: (guard.role_arn(settings, name), doc) for name, doc in iam.items()}
    if a.break_glass_role_arn:
        identities[guard.BREAK_GLASS] = (a.break_glass_role_arn, BROAD)
    identities[OTHER] = (f"arn:{a.partition}:iam::{a.account_id}:role/{OTHER}", BROAD)
    rows = []
    for s in guard.spaces(settings, contracts):
        bucket_doc = res["bucket"] if s.bucket == lake_bucket else guard.bucket_policy(settings, contracts, s.bucket)
        rows.append(_row(s, identities, bucket_doc, res, policies.Arns(settings)))
    return rows


def table(rows: list[Row]) -> str:
    head = ("space", "prefix", "read objects", "list", "decrypt (key)", "glue databases", "read catalog")
    body = [
        (r.space, r.prefix, ", ".join(r.objects) or "-", ", ".join(r.listing) or "-", ", ".join(r.decrypt) or "-",
         ", ".join(r.databases) or "-", ", ".join(r.catalog) or "-")
        for r in rows
    ]
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in [head, *body]]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])
