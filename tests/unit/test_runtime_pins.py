"""The runtime Terraform deploys is the one the tests run: same Spark minor, Scala, Java and Hudi bundle."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import pytest

from cdc import versions

TF = Path(__file__).resolve().parents[2] / "terraform"
MODULE_VARS = TF / "modules" / "emr_serverless_stream" / "variables.tf"
DEV_VARS = TF / "envs" / "dev" / "variables.tf"


def variable_default(tf_text: str, name: str) -> str | list[str]:
    """The default of ``variable "name"`` in a variables.tf: a string or a list of strings."""
    block = re.search(rf'variable "{re.escape(name)}" \{{(.*?)\n\}}', tf_text, re.DOTALL)
    assert block, f"variable {name} not found"
    m = re.search(r"^\s*default\s*=\s*(\"[^\"]*\"|\[.*?\])", block.group(1), re.DOTALL | re.MULTILINE)
    assert m, f"variable {name} has no default"
    value = m.group(1)
    return re.findall(r'"([^"]*)"', value) if value.startswith("[") else value.strip('"')


def runtime_drift(module_vars: str, dev_vars: str) -> list[str]:
    """Every difference between what Terraform deploys and what `make test` runs."""
    problems = []
    for where, text, var in (("module", module_vars, "release_label"), ("envs/dev", dev_vars, "emr_release_label")):
        release = variable_default(text, var)
        if release != versions.EMR_PROFILE["release"]:
            problems.append(f"{where} deploys {release}, cdc/versions.py EMR_PROFILE says {versions.EMR_PROFILE['release']}")
        runtime = versions.EMR_RELEASE_RUNTIMES.get(release)
        tested = {"spark_minor": versions.EMR_PROFILE["spark_minor"], "scala": versions.SCALA_BINARY, "java": versions.EMR_PROFILE["java"]}
        if runtime != tested:
            problems.append(f"{where}: {release} runs {runtime}, the tests run {tested}")
    jars = variable_default(dev_vars, "job_jars")
    expected = [versions.jar_file_name(c) for c in versions.JOB_JARS]
    if jars != expected:
        problems.append(f"envs/dev job_jars {jars} != the job bundle's {expected}")
    return problems


def test_terraform_deploys_the_tested_runtime():
    assert runtime_drift(MODULE_VARS.read_text(), DEV_VARS.read_text()) == []


def test_the_tested_runtime_is_what_is_installed():
    assert version("pyspark") == versions.PYSPARK
    assert versions.EMR_PROFILE["spark_minor"] == ".".join(version("pyspark").split(".")[:2])
    hudi = [c for c in versions.JOB_JARS if ":hudi-spark" in c]
    assert hudi == [f"org.apache.hudi:hudi-spark{versions.EMR_PROFILE['spark_minor']}-bundle_{versions.SCALA_BINARY}:{versions.HUDI}"]
    assert hudi[0] in versions.SPARK_JARS  # the bundle the tests load is the bundle the job ships


@pytest.mark.parametrize(
    "path,old,new",
    [
        ("module", 'default     = "emr-7.12.0"', 'default     = "emr-spark-8.0.0"'),
        ("dev", 'default     = "emr-7.12.0"', 'default     = "emr-7.13.0"'),
        ("dev", '"hudi-spark3.5-bundle_2.12-1.1.1.jar"', '"hudi-spark3.5-bundle_2.12-1.0.2.jar"'),
        ("dev", '"aws-msk-iam-auth-2.3.9-all.jar",\n', ""),
    ],
)
def test_drift_is_caught(path, old, new):
    module_vars, dev_vars = MODULE_VARS.read_text(), DEV_VARS.read_text()
    if path == "module":
        assert old in module_vars
        module_vars = module_vars.replace(old, new)
    else:
        assert old in dev_vars
        dev_vars = dev_vars.replace(old, new)
    assert runtime_drift(module_vars, dev_vars) != []
