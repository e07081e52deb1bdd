"""Cooperative cancellation: expensive work stops when the deadline of the request it serves has passed, or when
its client has gone away.

The API's deadline middleware (``qgraph.api.deadline``) sets a ``Budget`` in a context variable for the request;
the thread that runs a route gets a copy of the request's context (the same ``Budget`` object), so code anywhere
below it (the query layer, the stores' scans, the drawing of a map) calls ``check()`` in its long loops and raises
``Cancelled`` once the deadline has passed or the budget was abandoned (``Budget.abandon``: the middleware that
limits expensive requests does so when the client disconnects): the CPU work stops within one loop step, instead of
running on for minutes after the client was told to go (or left). Neo4j queries get the time left as their
transaction timeout (``remaining()``), so the server stops them too.

Outside a request (the CLI, tests) there is no budget and ``check()`` costs one context-variable read.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class Budget:
    """When the work of one request must end (``at``, a ``time.monotonic()`` instant), and whether nobody waits for
    it any more (``abandoned``). Shared by every thread that inherits the request's context."""

    __slots__ = ("at", "abandoned")

    def __init__(self, at: float) -> None:
        self.at, self.abandoned = at, False

    def abandon(self) -> None:
        """Nobody waits for this work any more (its client went away): stop at the next ``check()``."""
        self.abandoned = True


_budget: ContextVar[Budget | None] = ContextVar("qgraph_budget", default=None)


class Cancelled(Exception):
    """The deadline of the work passed, or its client went away; nobody is waiting for its result any more."""


@contextmanager
def deadline(seconds: float) -> Iterator[Budget]:
    """Code in this block (and threads started from its context) must finish within ``seconds``."""
    budget = Budget(time.monotonic() + seconds)
    token = _budget.set(budget)
    try:
        yield budget
    finally:
        _budget.reset(token)


def current() -> Budget | None:
    """The budget of the work running in this context, or None outside a request."""
    return _budget.get()


def check() -> None:
    """Raise ``Cancelled`` if the current deadline has passed or the work was abandoned."""
    b = _budget.get()
    if b is not None and (b.abandoned or time.monotonic() > b.at):
        raise Cancelled


def remaining() -> float | None:
    """Seconds left before the current deadline (never below 0; 0 once abandoned), or None without one."""
    b = _budget.get()
    return None if b is None else 0.0 if b.abandoned else max(0.0, b.at - time.monotonic())
