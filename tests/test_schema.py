"""The one schema declaration (qgraph/schema.yaml): checked whole at import, and the only place a kind is added.

A new agreement kind is tried in a temporary copy of the declaration, named by ``QGRAPH_SCHEMA`` in a subprocess (the
declaration is read once per process): no other file changes, and the kind is validated, stored, drawn with its
colour in the legend, offered as an explorer checkbox (the canvas legend the page makes its checkboxes from),
labelled in both languages on the explorer page (the declaration's labels it embeds), phrased in a path summary and
drawn by the synthetic generator by its declared share.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from qgraph import model, schema
from qgraph.loaders import DatasetError, default_data_dir, read_graph
from qgraph.loaders.files import LIST_COLUMNS, SECTIONS
from qgraph.store import Store
from qgraph.viz import style

SHIPPED = Path(schema.__file__).with_name("schema.yaml")


def declaration() -> dict:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def test_the_shipped_declaration_is_what_the_code_uses() -> None:
    assert schema.default_path() == SHIPPED or os.environ.get(schema.SCHEMA_ENV)
    raw = declaration()
    assert [k.value for k in model.NodeKind] == list(raw["nodes"])
    assert [k.value for k in model.AgreementKind] == list(raw["enums"]["AgreementKind"]["members"])
    assert SECTIONS == ("documents", *(n["plural"] for n in raw["nodes"].values()))
    assert "parties" in LIST_COLUMNS and "domains" in LIST_COLUMNS and "aliases" in LIST_COLUMNS
    assert style.AGREEMENT_COLOUR["mou"] == raw["enums"]["AgreementKind"]["members"]["mou"]["colour"]
    # the whitelist follows from the links: MEMBER_OF joins nations and institutions to frameworks and institutions
    assert model.EDGE_SPECS["MEMBER_OF"].targets == {model.NodeKind.FRAMEWORK, model.NodeKind.INSTITUTION}
    assert model.PARTY_KINDS == {model.NodeKind.NATION, model.NodeKind.INSTITUTION, model.NodeKind.HUB}


def test_one_error_names_every_missing_entry() -> None:
    raw = declaration()
    broken = copy.deepcopy(raw)
    del broken["enums"]["AgreementKind"]["members"]["moc"]["colour"]
    del broken["nodes"]["Hub"]["label"]["ja"]
    broken["nodes"]["Agreement"]["links"]["framework"]["targets"] = ["Frame"]
    del broken["edges"]["HOSTED_BY"]
    del broken["nodes"]["Facility"]["fields"]["status"]["label"]["en"]
    broken["enums"]["AgreementStatus"]["members"]["held"]["share"] = 0
    del broken["enums"]["InstitutionType"]["members"]["company"]["share"]
    with pytest.raises(schema.SchemaError) as caught:
        schema.check(broken, "copy.yaml")
    text = str(caught.value)
    assert text.startswith("copy.yaml: the schema declaration has 7 problem(s):")
    for expected in ("enums.AgreementKind.moc: no colour", "nodes.Hub: no ja label",
                     "nodes.Agreement.links.framework: unknown target kind 'Frame'",
                     "nodes.Hub.links.host: unknown edge type 'HOSTED_BY'",
                     "nodes.Facility.fields.status: no en label",
                     "enums.AgreementStatus.held: share 0 is not a positive number",
                     "enums.InstitutionType.company: no share (every InstitutionType member needs one)"):
        assert expected in text
    schema.check(raw)  # the untouched declaration passes


def test_a_declaration_file_that_is_not_there_is_named(tmp_path: Path) -> None:
    with pytest.raises(schema.SchemaError, match="missing.yaml: the schema declaration has 1 problem"):
        schema.load(tmp_path / "missing.yaml")


_TREATY = {"label": {"en": "Treaty", "ja": "条約"}, "noun": {"en": "treaty", "ja": "条約"},
           "phrase": "a treaty", "colour": "#ABCDEF", "share": 20}

_PROGRAM = r"""
import json, sys
from pathlib import Path
from fastapi.testclient import TestClient
from qgraph.api.app import create_app
from qgraph.config import get_settings
from qgraph.loaders import default_data_dir, read_graph
from qgraph.queries import Queries
from qgraph.store import open_store
from qgraph.synth import generate
from qgraph.viz import MapOptions, export
from qgraph.viz.views import subgraph

extra = Path(sys.argv[1])
with open_store(get_settings(), write=True) as store:
    store.clear()
    graph = read_graph([default_data_dir(), extra], store)
    store.load(graph)
    node = store.get_node("kriss-nrc-canada-treaty-2024")
    q = Queries(store)
    paths = q.paths("kriss", "nrc-canada", k=1, max_hops=2)
    view = subgraph(q, focus="kriss", depth=1)
    html = export(view, "html", MapOptions()).decode()
    with TestClient(create_app(store=store)) as client:
        # the explorer's legend, from which its page makes one checkbox per agreement kind on the canvas
        canvas = client.post("/explorer/graph", json={"entities": ["kriss", "nrc-canada"]}).json()
        # the page's labels: the declaration's client view, embedded as a JSON data block
        page = client.get("/").text
        start = page.index('<script type="application/json" id="qgraph-schema">')
        labels = json.loads(page[page.index(">", start) + 1:page.index("</script>", start)])
    # the synthetic generator draws the new kind by its share, and the loader takes what it wrote
    synthetic = read_graph([generate(extra.parent / "synth", entities=40, agreements=400).out_dir])
    treaties = sum(1 for a in synthetic.nodes if a.properties.get("kind") == "treaty")
    print(json.dumps({"kind": node.properties["kind"] if node else None, "synthetic_treaties": treaties, "summary": paths.paths[0].summary,
                      "legend": "#ABCDEF" in html and "Treaty" in html,
                      "checkbox": {"kind": "treaty", "colour": "#ABCDEF", "label": "Treaty"} in [
                          {k: a.get(k) for k in ("kind", "colour", "label")} for a in canvas["legend"]["agreements"]],
                      "page": labels["enums"]["AgreementKind"].get("treaty")}))
"""


def test_a_new_agreement_kind_is_one_entry_in_the_declaration(store: Store, tmp_path: Path) -> None:
    raw = declaration()
    raw["enums"]["AgreementKind"]["members"]["treaty"] = _TREATY
    declared = tmp_path / "schema.yaml"
    declared.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    extra = tmp_path / "treaty.yaml"
    extra.write_text(yaml.safe_dump({"agreements": [{
        "id": "kriss-nrc-canada-treaty-2024", "name": "KRISS–NRC treaty (test)", "kind": "treaty",
        "parties": ["kriss", "nrc-canada"], "date": "2024-02", "status": "signed",
        "external": True, "external_note": "a test record"}]}), encoding="utf-8")
    env = {**os.environ, schema.SCHEMA_ENV: str(declared), "QGRAPH_STORE": store.kind,
           "QGRAPH_DATA_DIR": str(tmp_path / "store")}
    done = subprocess.run([sys.executable, "-c", _PROGRAM, str(extra)], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["kind"] == "treaty"
    assert seen["synthetic_treaties"] > 0
    assert "signed a treaty — KRISS–NRC treaty (test)" in seen["summary"] and "in 2024-02" in seen["summary"]
    assert seen["legend"] and seen["checkbox"]
    assert seen["page"] == {"label": {"en": "Treaty", "ja": "条約"}, "colour": "#ABCDEF"}  # the explorer's labels
    # ... and without the entry (this process reads the shipped declaration), the loader refuses the same record:
    # the enum is the declaration's (in-process: a second subprocess per store cost ~5 s for the same check)
    assert "treaty" not in [k.value for k in model.AgreementKind]
    with pytest.raises(DatasetError, match="record 'kriss-nrc-canada-treaty-2024', field 'kind': Input should be"):
        read_graph([default_data_dir(), extra])
