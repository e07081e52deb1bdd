"""A load killed midway (SIGKILL of the loader process) leaves the old data or the new, never a mix.

Neo4j: the loader writes in one transaction; the test waits until that transaction is running in the server, kills
the process, and checks that the server rolled it back. Memory: the test waits until the loader is writing its
temporary file, kills it, and checks that graph.json is still the old, whole file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qgraph.loaders import default_data_dir, read_graph
from qgraph.model import Graph, Node
from qgraph.store import Store, Write
from qgraph.stores.memory import MemoryStore

N = 15_000  # institutions; as many two-party agreements: big enough that writing takes a moment


def write_bulk(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "institutions.csv", "w", encoding="utf-8") as f:
        f.write("id,name,type,nation,external,external_note\n")
        for i in range(N):
            f.write(f"bulk-inst-{i},Bulk institution {i},university,jp,true,crash-safety test data\n")
    with open(folder / "agreements.csv", "w", encoding="utf-8") as f:
        f.write("id,name,kind,parties,date,external,external_note\n")
        for i in range(N):
            f.write(f"bulk-agr-{i},Bulk agreement {i},mou,bulk-inst-{i}|bulk-inst-{(i + 1) % N},2020-01-0{1 + i % 9},"
                    "true,crash-safety test data\n")
    return folder


def start_loader(folder: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    qgraph = Path(sys.executable).with_name("qgraph")  # the console script installed beside this interpreter
    return subprocess.Popen([str(qgraph), "load", str(folder)], env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill_when(proc: subprocess.Popen[bytes], ready, deadline: float = 120) -> bool:
    """SIGKILL the process as soon as ``ready()``; False when it finished first."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        if ready():
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.005)
    proc.kill()
    raise AssertionError("the loader neither wrote nor finished in time")


def test_memory_store_file_is_never_half_written(tmp_path: Path) -> None:
    """The writer appends its changeset to the journal, then writes the graph's temporary file: killed while that
    file is being written, it leaves the old graph and a journal tail beyond the committed length — graph and
    history both old."""
    data = tmp_path / "data"
    store = MemoryStore(data / "graph.json")
    store.load(read_graph([default_data_dir()], store))
    old, journal_size = store.checksum(), store.journal_path.stat().st_size
    folder = write_bulk(tmp_path / "bulk")
    proc = start_loader(folder, {"QGRAPH_STORE": "memory", "QGRAPH_DATA_DIR": str(data)})
    killed = kill_when(proc, lambda: any(data.glob(".graph-*.tmp")))
    assert killed, "the load finished before it could be caught writing its temporary file; raise N"
    assert any(data.glob(".graph-*.tmp")), "the loader was killed, but not while it was writing"
    reread = MemoryStore(data / "graph.json")  # a fresh reader: the file on disk must parse whole
    assert reread.checksum() == old
    assert store.journal_path.stat().st_size > journal_size  # the killed writer's changeset was appended …
    assert [c.number for c in reread.changesets()] == [1]  # … but is not part of the history
    assert reread.damaged() is None
    # The next writer cleans up what the killed one left (temporary file, journal tail), and writes fine.
    reread.load(read_graph([default_data_dir()], reread))
    assert not list(data.glob(".graph-*.tmp"))
    assert reread.checksum() == old
    assert [c.number for c in MemoryStore(data / "graph.json").changesets()] == [1]  # the same data: no change
    assert MemoryStore(data / "graph.json").damaged() is None


@pytest.mark.neo4j
def test_neo4j_keeps_old_or_new_data_never_a_mix(neo4j_store: Store, tmp_path: Path) -> None:
    neo4j_store.load(read_graph([default_data_dir()], neo4j_store))
    old_counts, old_sum = neo4j_store.counts(), neo4j_store.checksum()
    folder = write_bulk(tmp_path / "bulk")
    driver = neo4j_store.driver  # type: ignore[attr-defined]

    def writing() -> bool:
        # The needle is a parameter: written into the query, it would match this very query.
        rows, _, _ = driver.execute_query(
            "SHOW TRANSACTIONS YIELD currentQuery WHERE currentQuery CONTAINS $needle RETURN count(*) AS n",
            needle="UNWIND $rows")
        return rows[0]["n"] > 0

    proc = start_loader(folder, {"QGRAPH_STORE": "neo4j", "NEO4J_URI": os.environ["NEO4J_URI"]})
    killed = kill_when(proc, writing)
    assert killed, "the load finished before it could be caught writing; raise N"
    # The server notices the closed connection and rolls the transaction back.
    end = time.monotonic() + 60
    while writing() and time.monotonic() < end:
        time.sleep(0.2)
    assert not writing()
    assert neo4j_store.counts() == old_counts
    assert neo4j_store.checksum() == old_sum


KILLED_BEFORE_HEAD = """
import os, signal, sys
from qgraph.model import Graph, Node
from qgraph.store import Write
from qgraph.stores.memory import MemoryStore

def killed(self, *args):  # the journal line is written and synced: die before the head is replaced
    assert self.journal_path.stat().st_size > int(sys.argv[2])
    os.kill(os.getpid(), signal.SIGKILL)

MemoryStore._write_head = killed
store = MemoryStore(sys.argv[1])
node = store.get_node("aist")
store.commit(Write(graph=Graph(nodes=[Node(id=node.id, kind=node.kind, sources=node.sources,
                                           properties={**node.properties, "name": "renamed"})])), actor="a")
"""


def test_memory_store_writer_killed_between_journal_and_head_leaves_both_old(tmp_path: Path) -> None:
    """A small write's two steps are the journal append and the head replace: a writer process SIGKILLed between
    them leaves the changeset beyond the committed length — graph and history both old, and the next writer fine."""
    store = MemoryStore(tmp_path / "graph.json")
    store.load(read_graph([default_data_dir()], store))
    old, journal_size = store.checksum(), store.journal_path.stat().st_size
    proc = subprocess.run([sys.executable, "-c", KILLED_BEFORE_HEAD, str(tmp_path / "graph.json"), str(journal_size)],
                          capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    assert store.journal_path.stat().st_size > journal_size and not store.head_path.exists()
    reread = MemoryStore(tmp_path / "graph.json")
    assert reread.checksum() == old and [c.number for c in reread.changesets()] == [1] and reread.damaged() is None
    assert reread.get_node("aist").properties["name"] != "renamed"
    node = reread.get_node("kriss")
    reread.commit(Write(graph=Graph(nodes=[Node(id=node.id, kind=node.kind, sources=node.sources,
                                                properties={**node.properties, "name": "KRISS 2"})])), actor="a")
    again = MemoryStore(tmp_path / "graph.json")
    assert [c.number for c in again.changesets()] == [1, 2] and again.damaged() is None
    assert again.get_node("kriss").properties["name"] == "KRISS 2" and store.journal_path.stat().st_size > journal_size
