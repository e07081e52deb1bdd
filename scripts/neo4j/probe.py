"""Readiness / info probe for the local Neo4j test server.

Used by scripts/neo4j-local. Exit codes:
  0  success
  2  the `neo4j` Python driver is not importable (caller falls back)
  1  anything else (server not reachable before the deadline, query error)

Usage:
  probe.py wait URI DEADLINE_SECONDS [PID]   wait until Bolt answers RETURN 1
  probe.py version URI                        print "<name> <version> <edition>"
  probe.py port HOST PORT DEADLINE [PID]      plain TCP wait (no driver needed)
"""

import os
import socket
import sys
import time


def _alive(pid):
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _driver():
    try:
        import neo4j  # noqa: F401
        from neo4j import GraphDatabase
    except ImportError:
        sys.exit(2)
    return GraphDatabase


def wait(uri, deadline_s, pid=None):
    GraphDatabase = _driver()
    end = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < end:
        if not _alive(pid):
            print(f"server process {pid} exited", file=sys.stderr)
            return 1
        try:
            with GraphDatabase.driver(uri, auth=None, connection_timeout=3,
                                      connection_acquisition_timeout=5) as drv:
                drv.verify_connectivity()
                records, _, _ = drv.execute_query("RETURN 1 AS one")
                if records and records[0]["one"] == 1:
                    return 0
        except Exception as exc:  # ServiceUnavailable, DatabaseUnavailable, ...
            last = exc
        time.sleep(0.5)
    print(f"timed out after {deadline_s}s waiting for {uri}: {last!r}", file=sys.stderr)
    return 1


def version(uri):
    GraphDatabase = _driver()
    with GraphDatabase.driver(uri, auth=None, connection_timeout=3,
                              connection_acquisition_timeout=5) as drv:
        records, _, _ = drv.execute_query(
            "CALL dbms.components() YIELD name, versions, edition "
            "RETURN name, versions, edition"
        )
    for r in records:
        print(f"{r['name']} {','.join(r['versions'])} {r['edition']}")
    return 0


def port(host, port_no, deadline_s, pid=None):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if not _alive(pid):
            print(f"server process {pid} exited", file=sys.stderr)
            return 1
        try:
            with socket.create_connection((host, port_no), timeout=2):
                return 0
        except OSError:
            time.sleep(0.5)
    print(f"timed out after {deadline_s}s waiting for {host}:{port_no}", file=sys.stderr)
    return 1


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 1
    cmd, args = argv[1], argv[2:]
    if cmd == "wait":
        pid = int(args[2]) if len(args) > 2 else None
        return wait(args[0], float(args[1]), pid)
    if cmd == "version":
        return version(args[0])
    if cmd == "port":
        pid = int(args[3]) if len(args) > 3 else None
        return port(args[0], int(args[1]), float(args[2]), pid)
    print(f"unknown command {cmd}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
