"""The longer API fuzzing run: the same test as the suite's, with many more examples per operation.

    .venv/bin/python benchmarks/fuzz.py [--examples 500]

Needs NEO4J_URI for the Neo4j half (or run it through scripts/test: ``scripts/test tests/test_fuzz_api.py`` with
QGRAPH_FUZZ_EXAMPLES set).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=500, help="examples per operation (the suite uses 25)")
    args = parser.parse_args()
    env = {**os.environ, "QGRAPH_FUZZ_EXAMPLES": str(args.examples)}
    return subprocess.call([sys.executable, "-m", "pytest", "-q", str(REPO / "tests" / "test_fuzz_api.py")], env=env)


if __name__ == "__main__":
    sys.exit(main())
