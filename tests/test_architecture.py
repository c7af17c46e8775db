"""The import rules of docs/architecture.md, read from every module's source (imports inside
functions included), plus what importing the Django-free packages pulls in at run time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# package -> top-level names (or dotted prefixes) it must never import
FORBIDDEN = {
    "pairwise": ("django", "rest_framework", "celery", "arena", "ranking", "config"),
    "ranking/stats": ("django", "rest_framework", "celery", "arena", "config", "ranking."),
    "arena": ("ranking",),
}
ALLOWED_INSIDE = {"ranking/stats": ("ranking.stats",)}


def imported_names(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append((node.lineno, node.module))
    return names


def breaks(name: str, forbidden: tuple[str, ...], allowed: tuple[str, ...]) -> bool:
    if any(name == ok or name.startswith(ok + ".") for ok in allowed):
        return False
    return any(
        name.startswith(rule) if rule.endswith(".") else name == rule or name.startswith(rule + ".")
        for rule in forbidden
    )


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_module_imports_what_its_layer_must_not(package):
    forbidden, allowed = FORBIDDEN[package], ALLOWED_INSIDE.get(package, ())
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
        for line, name in imported_names(path)
        if breaks(name, forbidden, allowed)
    ]
    assert found == []


def test_the_rule_checker_sees_a_lazy_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from ranking.services import x\n")
    [(line, name)] = imported_names(module)
    assert (line, name) == (2, "ranking.services") and breaks(name, ("ranking",), ())
    assert not breaks("ranking.stats.types", ("ranking.",), ("ranking.stats",))


@pytest.mark.parametrize("package", ["pairwise", "ranking.stats"])
def test_importing_a_django_free_package_does_not_import_django(package):
    code = f"import sys, {package}; assert 'django' not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_the_ranking_package_init_stays_empty():
    """Importing ranking.stats must not run Django code through ranking/__init__.py."""
    assert (ROOT / "ranking" / "__init__.py").read_text().strip() == ""
