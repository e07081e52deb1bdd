"""The history issue's scenario (tests/test_changes.py, tests/test_history_api.py): load the curated data, then a
copy of it with a date changed, an agreement added and a party removed, as a replace load."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import yaml

from qgraph.loaders import default_data_dir, read_graph
from qgraph.store import Store

DATED = "jp-us-summit-2023-05"  # its date changes
SHRUNK = "utokyo-uchicago-ibm-agreement-2023-05"  # loses the party ibm
NEW = "jp-us-test-mou-2026-11"


def edited_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(default_data_dir(), folder, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    path = folder / "agreements.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    by_id = {a["id"]: a for a in doc["agreements"]}
    by_id[DATED]["date"] = "2023-06"
    by_id[SHRUNK]["parties"].remove("ibm")
    doc["agreements"].append({"id": NEW, "name": "A test MOU", "kind": "mou", "parties": ["jp", "quantum-industry-canada"],
                              "date": "2026-11", "status": "signed",
                              "sources": copy.deepcopy(by_id[DATED]["sources"])})  # shared, it would dump as an alias
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


def scenario(store: Store, tmp_path: Path) -> str:
    store.load(read_graph([default_data_dir()], store), replace=True, actor="curator")
    first = store.meta()["data_version"]
    folder = edited_copy(tmp_path)
    result = store.load(read_graph([folder], store), replace=True, actor="curator", message="edits")
    assert result.data_version != first
    return first
