"""The lock files: every dependency pinned with hashes, and the environment is what they say.

`make run`, `make test`, `.ci/run` and the Dockerfile install from these files with
`--require-hashes`, so the product that was tested is the product a user installs.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
RUNTIME_LOCK = ROOT / "requirements" / "runtime.txt"
DEV_LOCK = ROOT / "requirements" / "dev.txt"
ENTRY = re.compile(r"^(?P<requirement>[A-Za-z0-9][^\s\\]*(?: ;[^\\]+)?) \\$")


@dataclass
class Pin:
    requirement: Requirement
    hashes: int = 0


def pins(lock: Path) -> dict[str, Requirement]:
    """Each entry of a lock file by its canonical name (hashes checked on the way)."""
    entries: dict[str, Pin] = {}
    current = None
    for line in lock.read_text().splitlines():
        if match := ENTRY.match(line):
            current = Pin(Requirement(match["requirement"].strip()))
            key = canonicalize_name(current.requirement.name)
            # One version for every Python (fewest forks): the same libraries, and the same
            # video encoder, on every machine.
            assert key not in entries, f"{lock.name} pins {key} twice"
            entries[key] = current
        elif line.strip().startswith("--hash=sha256:") and current is not None:
            current.hashes += 1
    for key, pin in entries.items():
        assert pin.hashes >= 1, f"{lock.name}: {key} has no hash"
    return {key: pin.requirement for key, pin in entries.items()}


def exact_version(requirement: Requirement) -> str:
    [specifier] = requirement.specifier
    assert specifier.operator == "==", f"{requirement} is not an exact pin"
    return specifier.version


@pytest.mark.parametrize("lock", [RUNTIME_LOCK, DEV_LOCK], ids=lambda p: p.name)
def test_every_entry_is_an_exact_version_with_hashes(lock):
    entries = pins(lock)
    assert len(entries) > 20
    for requirement in entries.values():
        exact_version(requirement)


@pytest.mark.parametrize(
    ("lock", "groups"),
    [(RUNTIME_LOCK, ()), (DEV_LOCK, ("dev", "bench"))],
    ids=["runtime", "dev"],
)
def test_the_lock_satisfies_every_dependency_of_pyproject(lock, groups):
    entries = pins(lock)
    wanted = list(PYPROJECT["project"]["dependencies"])
    wanted += PYPROJECT["build-system"]["requires"]
    for group in groups:
        wanted += PYPROJECT["project"]["optional-dependencies"][group]
    for text in wanted:
        requirement = Requirement(text)
        key = canonicalize_name(requirement.name)
        assert key in entries, f"{requirement.name} is in pyproject.toml but not in {lock.name}"
        version = exact_version(entries[key])
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{lock.name} pins {requirement.name}=={version}, outside {requirement.specifier}"
        )


def test_runtime_and_dev_locks_agree_on_every_shared_package():
    runtime, dev = pins(RUNTIME_LOCK), pins(DEV_LOCK)
    assert set(runtime) <= set(dev)
    for key, requirement in runtime.items():
        assert exact_version(requirement) == exact_version(dev[key]), key


def test_this_environment_has_exactly_the_locked_versions():
    """What `make install-dev` installed is what the lock says, package by package."""
    for requirement in pins(DEV_LOCK).values():
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        installed = metadata.version(requirement.name)
        assert installed == exact_version(requirement), (
            f"{requirement.name} {installed} is installed but the lock says "
            f"{exact_version(requirement)}: run `make install-dev`"
        )
