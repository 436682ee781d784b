"""The generated policies, enforced for real on the local S3 server (MinIO).

MinIO evaluates IAM-style S3 policies (actions, resources, ``s3:prefix`` conditions) but rejects
non-S3 actions, so each user gets the S3 statements of its generated IAM document, unchanged
(``policies.s3_only``), plus the deny-by-default bucket policy's statements that apply to it
(``bucket_denials``): one source of truth. The admin API is driven with the ``minio`` PyPI
package's ``MinioAdmin`` (it speaks MinIO's admin HTTP API itself; no ``mc`` binary needed).
"""

from __future__ import annotations

import fnmatch
import json
import secrets
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, SecretStr

from cdc.access.policies import s3_only
from cdc.errors import ConfigError
from cdc.settings import Settings


def bucket_denials(bucket_policy: dict, principal_arn: str) -> list[dict]:
    """The bucket policy's Deny statements that apply to ``principal_arn``, as identity-policy statements.

    MinIO has no IAM roles, so ``aws:PrincipalArn`` means nothing there: the principal condition
    is resolved here (a statement whose ``ArnNotLike`` list matches the principal is left out),
    and MinIO evaluates the rest for real: actions, resources, ``s3:prefix`` conditions, Deny over Allow.
    """
    out = []
    for st in bucket_policy["Statement"]:
        if st["Effect"] != "Deny":
            continue
        cond = {op: dict(tests) for op, tests in st.get("Condition", {}).items()}
        exempt = cond.get("ArnNotLike", {}).pop("aws:PrincipalArn", [])
        if any(fnmatch.fnmatchcase(principal_arn, p) for p in exempt):
            continue
        cond = {op: tests for op, tests in cond.items() if tests}
        resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        stmt = {"Sid": st["Sid"], "Effect": "Deny", "Action": st["Action"], "Resource": resources}
        out.append({**stmt, "Condition": cond} if cond else stmt)
    return out


def local_documents(settings: Settings, contracts, extra: dict[str, tuple[str, dict]] | None = None) -> dict[str, dict]:
    """Per local user: its generated IAM document's S3 statements plus the bucket policy's denials for it.

    ``extra``: more users, name -> (the role ARN it stands for, its identity policy), e.g. a broad reader.
    """
    from cdc.access import guard, policies

    bucket = guard.bucket_policy(settings, contracts)
    users = {name: (guard.role_arn(settings, name), s3_only(doc)) for name, doc in policies.generate(settings, contracts).items()}
    users |= extra or {}
    return {
        name: {"Version": doc["Version"], "Statement": [*doc["Statement"], *bucket_denials(bucket, arn)]}
        for name, (arn, doc) in users.items()
    }


class LocalUser(BaseModel):
    model_config = ConfigDict(frozen=True)

    principal: str
    access_key: str
    secret_key: SecretStr
    policy_name: str


def admin_client(settings: Settings):
    from minio import MinioAdmin
    from minio.credentials import StaticProvider

    endpoint = settings.s3_endpoint()
    if not endpoint:
        raise ConfigError("no local S3 endpoint configured", next_step="start it with `cdclake stack up s3`")
    parsed = urlparse(endpoint)
    access, secret = settings.s3_credentials()
    return MinioAdmin(endpoint=parsed.netloc, credentials=StaticProvider(access, secret), secure=parsed.scheme == "https")


def ensure_users(
    settings: Settings,
    documents: dict[str, dict],
    *,
    name_prefix: str = "cdclake-",
    secrets_by_principal: dict[str, str] | None = None,
    admin=None,
) -> dict[str, LocalUser]:
    """Create (or update) one MinIO user + canned policy per principal; returns their credentials.

    Re-running replaces each policy's text and re-attaches it, so the users always have exactly
    the current generated S3 statements.
    """
    admin = admin or admin_client(settings)
    given = secrets_by_principal or {}
    users = {}
    for principal, doc in sorted(documents.items()):
        name = f"{name_prefix}{principal}"
        secret = given.get(principal) or secrets.token_hex(20)
        admin.policy_add(name, policy=s3_only(doc))
        admin.user_add(name, secret)
        _attach_exactly(admin, name, name)
        users[principal] = LocalUser(principal=principal, access_key=name, secret_key=SecretStr(secret), policy_name=name)
    return users


def _attach_exactly(admin, policy: str, user: str) -> None:
    info = json.loads(admin.user_info(user) or "{}")
    current = [p for p in (info.get("policyName") or "").split(",") if p]
    stale = [p for p in current if p != policy]
    if stale:
        admin.detach_policy(stale, user=user)
    if policy not in current:
        admin.attach_policy([policy], user=user)


def remove_users(settings: Settings, users: dict[str, LocalUser], admin=None) -> None:
    admin = admin or admin_client(settings)
    for u in users.values():
        admin.user_remove(u.access_key)
        admin.policy_remove(u.policy_name)


def policy_text(admin, name: str) -> dict:
    return json.loads(admin.policy_info(name))
