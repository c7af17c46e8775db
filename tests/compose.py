"""docker-compose.yml as Docker Compose reads it: YAML (with merge keys), then variable
interpolation from the operator's environment, so tests see the values an operator gets."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"

# $$ (a literal $), ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}, $NAME
_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)"
    r"(?:(?P<operator>:?[-?])(?P<argument>[^}]*))?\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))"
)


class MissingVariable(ValueError):
    pass


def interpolate(text: str, environment: dict[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["plain"]
        value, operator = environment.get(name), match["operator"] or ""
        unset = value is None or (operator.startswith(":") and value == "")
        if operator.endswith("-"):
            return match["argument"] if unset else value
        if operator.endswith("?") and unset:
            raise MissingVariable(f"{name}: {match['argument']}")
        return value or ""

    return _VARIABLE.sub(substitute, text)


def _interpolated(node: object, environment: dict[str, str]) -> object:
    if isinstance(node, str):
        return interpolate(node, environment)
    if isinstance(node, list):
        return [_interpolated(item, environment) for item in node]
    if isinstance(node, dict):
        return {key: _interpolated(value, environment) for key, value in node.items()}
    return node


def raw_compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def load_compose(environment: dict[str, str]) -> dict:
    """The compose model after interpolation, as `docker compose config` would print it."""
    return _interpolated(raw_compose(), environment)


def operator_environment() -> dict[str, str]:
    """What an operator who followed the README has: .env.example with a real secret key."""
    environment = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            environment[name.strip()] = value.strip()
    return environment | {"SECRET_KEY": secrets.token_urlsafe(50)}
