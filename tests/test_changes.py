"""The issue's scenario on both stores: load the curated data, change a date, add an agreement, remove a party,
reload with --replace; the briefing since the first version lists exactly those three changes with old and new
values and citations; the changed entity's history lists the changesets; revert restores the data version exactly; a
conflicting revert is refused. Then the same over HTTP (/changes, /history, /admin/revert)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qgraph.changes import briefing, entity_history, history_page, resolve
from qgraph.queries import BadParameter
from qgraph.store import RevertConflict, Store

from scenario import DATED, NEW, SHRUNK, scenario


def test_changes_since_the_first_version_list_exactly_the_three_changes(store: Store, tmp_path: Path) -> None:
    first = scenario(store, tmp_path)
    brief = briefing(store, first)
    assert (brief.since.number, brief.until.number) == (1, 2)
    assert [a.id for a in brief.agreements.added] == [NEW]
    assert sorted(p.id for p in brief.agreements.added[0].parties) == ["jp", "quantum-industry-canada"]
    assert brief.agreements.added[0].sources  # with its citation
    assert brief.agreements.removed == []
    changed = {a.id: a for a in brief.agreements.changed}
    assert sorted(changed) == sorted([DATED, SHRUNK])
    date = {c.field: (c.old, c.new) for c in changed[DATED].changes}
    assert date["date"] == ("2023-05", "2023-06")
    assert date["date_from"] == ("2023-05-01", "2023-06-01")
    assert changed[DATED].sources and changed[DATED].parties_removed == []
    [removed] = changed[SHRUNK].parties_removed
    assert removed.entity.id == "ibm" and removed.sources  # the removed edge's citation
    assert changed[SHRUNK].changes == [] and changed[SHRUNK].parties_added == []
    assert brief.entities.added == brief.entities.removed == brief.entities.changed == []
    assert brief.relations == []
    # Partnerships: the new MOU connects jp and quantum-industry-canada, which shared no agreement; ibm still shares
    # another agreement (keio-…-education) with utokyo and uchicago, so nobody is disconnected.
    [connected] = brief.partnerships.connected
    assert sorted(r.id for r in connected.parties) == ["jp", "quantum-industry-canada"]
    assert connected.agreements == [NEW] and connected.sources
    assert brief.partnerships.disconnected == []
    # The same window by number, and an empty window.
    assert briefing(store, "1").model_dump() == brief.model_dump()
    assert briefing(store, "2").agreements.changed == []


def test_history_of_the_changed_entity_lists_its_changesets(store: Store, tmp_path: Path) -> None:
    scenario(store, tmp_path)
    ibm = entity_history(store, "ibm")
    assert [h.changeset.number for h in ibm.changesets] == [1, 2]
    assert any(c.fact == f"edge:PARTY_TO:ibm:{SHRUNK}" and c.op == "removed" for c in ibm.changesets[1].changes)
    jp = entity_history(store, "jp")
    assert [h.changeset.number for h in jp.changesets] == [1, 2]  # its agreements changed (date, new MOU)
    page = history_page(store, limit=1)
    assert page.total == 2 and [c.number for c in page.changesets] == [2]
    assert history_page(store, limit=1, offset=1).changesets[0].actor == "curator"


def test_revert_restores_the_first_version_and_a_conflicting_revert_is_refused(store: Store, tmp_path: Path) -> None:
    first = scenario(store, tmp_path)
    with pytest.raises(RevertConflict) as caught:
        store.revert(1, actor="admin")
    assert caught.value.later == [2]
    store.revert(2, actor="admin")
    assert store.meta()["data_version"] == first
    assert briefing(store, "1").agreements.changed == []  # folded: changed then changed back
    [gone] = briefing(store, "2").partnerships.disconnected  # the revert removed the new MOU
    assert sorted(r.id for r in gone.parties) == ["jp", "quantum-industry-canada"]


def test_points_by_date_and_bad_points(store: Store, tmp_path: Path) -> None:
    scenario(store, tmp_path)
    assert resolve(store, "2000-01-01", "since").number == 0
    assert resolve(store, "2999-12", "until", end=True).number == 2
    for bad in ("2024", "yesterday", "99"):
        with pytest.raises(BadParameter):
            resolve(store, bad, "since")
