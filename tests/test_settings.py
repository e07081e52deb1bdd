"""Settings from the environment: an empty variable is treated as unset (its default applies)."""

from __future__ import annotations

import pytest

from qgraph.config import Settings


def test_an_empty_variable_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_DATABASE", "")
    monkeypatch.setenv("QGRAPH_STORE", "")
    monkeypatch.setenv("QGRAPH_BATCH_SIZE", "")
    settings = Settings(_env_file=None)
    assert settings.neo4j_database is None
    assert settings.store == "memory"
    assert settings.batch_size == 1000


def test_a_set_variable_still_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_DATABASE", "qgraph")
    assert Settings(_env_file=None).neo4j_database == "qgraph"
