"""`jobbskaparna --version` says which release runs, and needs no settings to say it."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from bot import cli

ROOT = Path(__file__).resolve().parents[2]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_version_is_the_projects(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"jobbskaparna {VERSION}"


def test_version_answers_even_when_a_setting_is_wrong(tmp_path: Path):
    # An operator asks which release runs before anything else; a broken .env must not stand in the way.
    environ = os.environ | {"DEFAULT_LANGUAGE": "klingon", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "bot", "--version"], cwd=tmp_path, env=environ,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"jobbskaparna {VERSION}"
