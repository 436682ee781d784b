"""`terraform validate` and `terraform test` of envs/dev (every module is wired there), offline.

The tests run against a mocked AWS provider (terraform/envs/dev/tests/dev.tftest.hcl), so they need
Terraform >= 1.7 and the hashicorp/aws provider in a local plugin folder: no registry is reachable
from the machines this runs on. ``TF_PLUGIN_DIR`` (default /opt/tf-plugins) names that folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_DIR = Path(os.environ.get("TF_PLUGIN_DIR", "/opt/tf-plugins"))

pytestmark = pytest.mark.terraform


def _terraform(args: list[str], cwd: Path, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "NO_COLOR": "1"}
    return subprocess.run(["terraform", *args, "-no-color"], check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def dev_env(tmp_path_factory) -> Path:
    if shutil.which("terraform") is None or not PLUGIN_DIR.is_dir():
        pytest.fail(
            f"terraform on PATH and the hashicorp/aws provider under {PLUGIN_DIR} are needed "
            "(set TF_PLUGIN_DIR to a `terraform providers mirror` folder)"
        )
    # A copy: init writes .terraform/ and a lock file, which do not belong in the repository.
    copy = tmp_path_factory.mktemp("tf") / "terraform"
    shutil.copytree(ROOT / "terraform", copy, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    dev = copy / "envs" / "dev"
    init = _terraform(["init", "-backend=false", "-input=false", f"-plugin-dir={PLUGIN_DIR}"], dev)
    assert init.returncode == 0, init.stdout + init.stderr
    return dev


def test_validate(dev_env):
    out = _terraform(["validate"], dev_env)
    assert out.returncode == 0 and "The configuration is valid" in out.stdout, out.stdout + out.stderr


def test_terraform_test_passes_and_an_assertion_can_fail(dev_env):
    out = _terraform(["test"], dev_env)
    assert out.returncode == 0 and " 0 failed" in out.stdout, out.stdout[-3000:] + out.stderr[:3000]
    # The same wiring with one expected value changed must fail: the assertions are evaluated.
    text = (dev_env / "tests" / "dev.tftest.hcl").read_text()
    assert 'EntryPointArguments == ["capture", "gap"]' in text
    header = text[: text.index('run "dev_applies"')]  # the mocked provider and the variables
    (dev_env / "tests" / "mutated.tftest.hcl").write_text(
        header
        + 'run "mutated" {\n  command = apply\n  assert {\n'
        + '    condition     = jsondecode(module.scheduled_upkeep.job_run_inputs["binlog-gap"]).JobDriver.SparkSubmit.EntryPointArguments == ["capture", "gap-x"]\n'
        + '    error_message = "the mutated expectation failed"\n  }\n}\n'
    )
    bad = _terraform(["test", "-filter=tests/mutated.tftest.hcl"], dev_env)
    assert bad.returncode != 0 and "the mutated expectation failed" in bad.stdout + bad.stderr, bad.stdout[-2000:]
