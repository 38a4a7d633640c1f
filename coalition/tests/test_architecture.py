"""Who may import whom: the rooms of the house and their doors (CONTRIBUTING.md draws them)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Each app and the top-level packages it must never import (its tests included).
FORBIDDEN = {
    "coalition": {"campaign", "petitions"},
    "testimonies": {"campaign", "petitions"},
    "petitions": {"campaign", "testimonies"},
    # The page cache serves every app, so it imports none of them.
    "pagecache": {"campaign", "petitions", "coalition", "testimonies"},
    # The languages' shared pieces (URL prefixes, missing translations, the admin's
    # column) serve every app, coalition and testimonies included, so they import none.
    "translations": {"campaign", "petitions", "coalition", "testimonies"},
}


def imported_packages(app):
    """``(file, top-level package)`` for every absolute import in an app's Python files."""
    for path in (ROOT / app).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                yield path.relative_to(ROOT), name.split(".")[0]


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_app_imports_only_what_the_house_allows(app):
    offenders = [
        f"{path}: {package}" for path, package in imported_packages(app) if package in FORBIDDEN[app]
    ]
    assert offenders == []
