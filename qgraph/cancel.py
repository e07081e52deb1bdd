"""Cooperative cancellation: expensive work stops when the deadline of the request it serves has passed.

The API's deadline middleware (``qgraph.api.deadline``) sets the deadline in a context variable for the request;
the thread that runs a route gets a copy of the request's context, so code anywhere below it (the query layer, the
drawing of a map) calls ``check()`` in its long loops and raises ``Cancelled`` once the deadline has passed: the
CPU work stops within one loop step of the 503, instead of running on for minutes after the client was told to go.
Neo4j queries get the time left as their transaction timeout (``remaining()``), so the server stops them too.

Outside a request (the CLI, tests) there is no deadline and ``check()`` costs one context-variable read.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_deadline: ContextVar[float | None] = ContextVar("qgraph_deadline", default=None)


class Cancelled(Exception):
    """The deadline of the work passed; nobody is waiting for its result any more."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Code in this block (and threads started from its context) must finish within ``seconds``."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def check() -> None:
    """Raise ``Cancelled`` if the current deadline has passed."""
    at = _deadline.get()
    if at is not None and time.monotonic() > at:
        raise Cancelled


def remaining() -> float | None:
    """Seconds left before the current deadline (never below 0), or None without one."""
    at = _deadline.get()
    return None if at is None else max(0.0, at - time.monotonic())
