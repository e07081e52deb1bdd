"""A big YAML data file, and the time and peak memory of ``qgraph load --dry-run`` on it.

    python -m benchmarks.big_yaml --records 120000 --out /tmp/big.yaml        # about 16 MB
    python -m benchmarks.big_yaml --records 120000 --out /tmp/big.yaml --run  # and time a dry run of it

``--run`` runs ``/usr/bin/time -v qgraph load --dry-run --store memory FILE`` in a fresh process (a temporary
``QGRAPH_DATA_DIR``, so no store of yours is touched) and prints the wall time, the CPU time (user + system: less
sensitive to a busy machine) and the peak RSS it reports; ``QGRAPH_BIN`` names another ``qgraph`` to time. The
records are institutions, each with one citation, the shape of the curated data (about 140 bytes a record: 120k
records make 16.7 MB).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path


def write(path: Path, records: int) -> int:
    """Write ``records`` institutions (plus their document and nations) to ``path``; return its size in bytes."""
    nations = ["jp", "us", "gb", "de", "fr", "kr", "au", "ca", "nl", "fi"]
    types = ["company", "university", "national-lab", "government-body"]
    with path.open("w", encoding="utf-8") as fh:
        fh.write("documents:\n  - id: big\n    title: 大きな文書\n    title_en: A big document\n"
                 "    publisher: qgraph benchmarks\n    date: 2024\n")
        fh.write("nations:\n")
        for code in nations:
            fh.write(f"  - id: {code}\n    code: {code.upper()}\n    name: Nation {code.upper()}\n"
                     f"    sources: [{{document: big, section: '1', quote: nation {code}}}]\n")
        fh.write("institutions:\n")
        for i in range(records):
            fh.write(f"  - id: inst-{i:07d}\n    name: Inst {i}\n    type: {types[i % len(types)]}\n"
                     f"    nation: {nations[i % len(nations)]}\n"
                     f"    sources: [{{document: big, section: '2', quote: r{i}}}]\n")
    return path.stat().st_size


def dry_run(path: Path) -> dict[str, str]:
    """Wall time and peak RSS of a dry run, from ``/usr/bin/time -v``."""
    qgraph = Path(os.environ.get("QGRAPH_BIN") or Path(sys.executable).with_name("qgraph"))
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "QGRAPH_DATA_DIR": data_dir, "QGRAPH_STORE": "memory"}
        proc = subprocess.run(["/usr/bin/time", "-v", str(qgraph), "load", "--dry-run", "--quiet", str(path)],
                              env=env, capture_output=True, text=True, check=False)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", proc.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    cpu = [float(m) for m in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", proc.stderr)]
    return {"exit": str(proc.returncode), "wall": wall.group(1) if wall else "?",
            "cpu_s": f"{sum(cpu):.1f}" if cpu else "?",
            "peak_rss_mb": f"{int(rss.group(1)) / 1024:.0f}" if rss else "?", "stdout": proc.stdout.strip()[-200:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=120_000)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "qgraph-big.yaml")
    parser.add_argument("--run", action="store_true", help="time a dry run of the file")
    args = parser.parse_args()
    size = write(args.out, args.records)
    print(f"wrote {args.out}: {args.records} records, {size / 1e6:.1f} MB")
    if args.run:
        for key, value in dry_run(args.out).items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
