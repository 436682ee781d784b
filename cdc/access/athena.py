"""Athena workgroups, one per reader principal, rendered from settings and applied with boto3.

Each workgroup enforces its configuration (clients cannot override the result location or the
encryption), writes results under its own prefix (the only place its role may write), encrypts
them (SSE-KMS with the lake key when one is configured, else SSE-S3) and cancels any query that
scans more than ``access.bytes_scanned_cutoff`` bytes.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from cdc.access.policies import principals, results_location, workgroup_name
from cdc.errors import TerminalError
from cdc.log import Log
from cdc.settings import Settings
from lakehouse_schemas.contract import TableContract

ENGINE_VERSION = "Athena engine version 3"  # engine 3 reads Hudi tables


class Workgroup(BaseModel):
    model_config = ConfigDict(frozen=True)

    principal: str
    name: str
    description: str
    output_location: str
    kms_key_arn: str | None
    bytes_scanned_cutoff: int

    def encryption(self) -> dict:
        if self.kms_key_arn:
            return {"EncryptionOption": "SSE_KMS", "KmsKey": self.kms_key_arn}
        return {"EncryptionOption": "SSE_S3"}

    def configuration(self) -> dict:
        return {
            "ResultConfiguration": {"OutputLocation": self.output_location, "EncryptionConfiguration": self.encryption()},
            "EnforceWorkGroupConfiguration": True,
            "PublishCloudWatchMetricsEnabled": True,
            "BytesScannedCutoffPerQuery": self.bytes_scanned_cutoff,
            "RequesterPaysEnabled": False,
            "EngineVersion": {"SelectedEngineVersion": ENGINE_VERSION},
        }

    def create_request(self) -> dict:
        """The ``CreateWorkGroup`` request (also what ``cdclake access render`` writes)."""
        return {
            "Name": self.name,
            "Description": self.description,
            "Configuration": self.configuration(),
            "Tags": [{"Key": "cdclake:principal", "Value": self.principal}],
        }

    def update_request(self) -> dict:
        c = self.configuration()
        return {
            "WorkGroup": self.name,
            "Description": self.description,
            "State": "ENABLED",
            "ConfigurationUpdates": {
                "ResultConfigurationUpdates": {
                    "OutputLocation": c["ResultConfiguration"]["OutputLocation"],
                    "EncryptionConfiguration": c["ResultConfiguration"]["EncryptionConfiguration"],
                },
                "EnforceWorkGroupConfiguration": True,
                "PublishCloudWatchMetricsEnabled": True,
                "BytesScannedCutoffPerQuery": self.bytes_scanned_cutoff,
                "RequesterPaysEnabled": False,
                "EngineVersion": c["EngineVersion"],
            },
        }


def workgroups(settings: Settings, contracts: list[TableContract]) -> list[Workgroup]:
    out = []
    for p in principals(settings, contracts):
        if p.kind != "reader":
            continue
        bucket, prefix = results_location(settings, p.name)
        out.append(
            Workgroup(
                principal=p.name,
                name=workgroup_name(settings, p.name),
                description=f"cdclake {p.name}: tables of domain(s) {', '.join(p.domains)}",
                output_location=f"s3://{bucket}/{prefix}/",
                kms_key_arn=settings.access.kms_key_arn,
                bytes_scanned_cutoff=settings.access.bytes_scanned_cutoff,
            )
        )
    return out


def _matches(current: dict, wanted: Workgroup) -> bool:
    """Is the live workgroup's enforced configuration already what we want?"""
    conf = current.get("Configuration", {})
    res = conf.get("ResultConfiguration", {})
    enc = res.get("EncryptionConfiguration", {})
    want_enc = wanted.encryption()
    return (
        current.get("State", "ENABLED") == "ENABLED"
        and conf.get("EnforceWorkGroupConfiguration") is True
        and res.get("OutputLocation") == wanted.output_location
        and enc.get("EncryptionOption") == want_enc["EncryptionOption"]
        and enc.get("KmsKey") == want_enc.get("KmsKey")
        and conf.get("BytesScannedCutoffPerQuery") == wanted.bytes_scanned_cutoff
    )


def apply(settings: Settings, contracts: list[TableContract], *, client=None, log: Log = print) -> dict[str, str]:
    """Create missing workgroups and bring drifted ones back to the rendered configuration; name -> action."""
    import boto3
    from botocore.exceptions import ClientError

    client = client or boto3.client("athena", region_name=settings.access.region)
    actions = {}
    for wg in workgroups(settings, contracts):
        try:
            current = client.get_work_group(WorkGroup=wg.name).get("WorkGroup")
        except ClientError as exc:
            # AWS answers InvalidRequestException for a missing workgroup.
            if exc.response.get("Error", {}).get("Code") != "InvalidRequestException":
                raise TerminalError(f"cannot read Athena workgroup {wg.name}: {exc}", next_step="check credentials and region") from exc
            current = None
        if current is None:
            client.create_work_group(**wg.create_request())
            actions[wg.name] = "created"
        elif _matches(current, wg):
            actions[wg.name] = "unchanged"
        else:
            client.update_work_group(**wg.update_request())
            actions[wg.name] = "updated"
        log(f"athena workgroup {wg.name}: {actions[wg.name]} (results {wg.output_location})")
    return actions
