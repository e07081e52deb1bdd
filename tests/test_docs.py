"""Docs that stay true: a setting, endpoint, command, data field or query file that is not documented (or a
documented query file that does not exist) fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qgraph import cypher
from qgraph.api import create_app
from qgraph.cli import app as cli_app
from qgraph.config import Settings
from qgraph.model import RECORD_TYPES, Citation

from conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
DATASET_DOC = (REPO / "docs" / "dataset.md").read_text(encoding="utf-8")


def env_names() -> list[str]:
    names = []
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        names.append(alias.choices[0] if alias is not None else f"QGRAPH_{name.upper()}")  # type: ignore[union-attr]
    return names


@pytest.mark.parametrize("variable", env_names())
def test_every_setting_is_in_the_readme(variable: str) -> None:
    assert f"`{variable}`" in README


def test_every_endpoint_is_in_the_readme() -> None:
    # from the OpenAPI schema: FastAPI keeps included routers as one entry each in app.routes (no path of their own)
    routes = {f"{method.upper()} {path}" for path, ops in create_app().openapi()["paths"].items() for method in ops
              if method != "head"}
    assert len(routes) > 10
    # parameter names may differ ({id} in the README, {entity_id} in the code)
    readme = re.sub(r"\{[^}]+\}", "{}", README)
    missing = [r for r in sorted(routes) if "`" + re.sub(r"\{[^}]+\}", "{}", r) not in readme]
    assert not missing, missing


def test_every_command_is_in_the_readme() -> None:
    import typer.main

    group = typer.main.get_command(cli_app)
    missing = [name for name in group.commands if f"qgraph {name}" not in README]  # type: ignore[attr-defined]
    assert not missing, missing


def test_every_record_field_is_in_the_dataset_doc() -> None:
    fields = {f for cls in RECORD_TYPES for f in cls.model_fields} | set(Citation.model_fields)
    missing = sorted(f for f in fields if f"`{f}`" not in DATASET_DOC)
    assert not missing, missing


def test_every_query_file_is_used_and_every_used_query_exists() -> None:
    code = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "qgraph").rglob("*.py"))
    used = set(re.findall(r'(?:query|read)\("([a-z_]+)"', code))
    assert used, "no query use found: the pattern is out of date"
    assert used == set(cypher.names())


def test_no_test_module_imports_another() -> None:
    """What several test modules share lives in helper modules (conftest, chromium, hostile, ingest_extra, scenario),
    so that importing one test module never collects, skips or fixes up another."""
    tests = Path(__file__).parent
    offenders = [f"{p.name}: {line.strip()}" for p in sorted(tests.glob("*.py"))
                 for line in p.read_text(encoding="utf-8").splitlines()
                 if re.match(r"\s*(from|import)\s+test_\w+", line)]
    assert offenders == []
