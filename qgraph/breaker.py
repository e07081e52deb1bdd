"""A circuit breaker for a store that went away: after the first connection failure, fail in microseconds instead of
letting every call wait out the driver's retries (15 s each with Neo4j stopped), and close again by itself when a
cheap probe finds the server back.

Closed: calls pass. A call that fails to reach the server (``trip()``) opens it for ``window`` seconds, during which
every call raises ``StoreUnavailable`` at once. The first call after the window starts one probe (``probe``: a
connectivity check, no query) in a background thread and waits for it at most ``probe_wait`` seconds: a healthy
server answers well within that and the call proceeds; a server that is still down (or hung: the probe then takes
the driver's connection timeout) re-opens the window, and that call, and every call while the probe runs, fails
fast. No request thread ever waits for a hung server once the breaker is open.

State is per process and per store handle (the API keeps no data of its own; this is only "did the last attempt
reach the server", which each replica learns for itself). pybreaker and its kind use the next real call as the
trial, which is what must not wait here, hence this small class.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class CircuitOpen(Exception):
    """Raised by ``check()`` while the breaker is open."""


class CircuitBreaker:
    def __init__(self, probe: Callable[[], object], *, window: float = 2.0, probe_wait: float = 0.5) -> None:
        self.probe, self.window, self.probe_wait = probe, window, probe_wait
        self._lock = threading.Lock()
        self._open_until: float | None = None  # None: closed
        self._probe: threading.Event | None = None  # set when the running probe has finished
        self._probe_ok = False

    @property
    def is_open(self) -> bool:
        return self._open_until is not None

    def check(self) -> None:
        """Return if calls may go to the server; raise ``CircuitOpen`` if not."""
        if self._open_until is None:  # the common case, without the lock
            return
        with self._lock:
            if self._open_until is None:
                return
            if time.monotonic() < self._open_until:
                raise CircuitOpen
            done = self._probe
            if done is None:  # the window is over: this call starts the probe
                done = self._probe = threading.Event()
                threading.Thread(target=self._run_probe, args=(done,), name="qgraph-breaker-probe",
                                 daemon=True).start()
            else:  # another call's probe is running: do not wait for it
                raise CircuitOpen
        if not done.wait(self.probe_wait) or not self._probe_ok:
            raise CircuitOpen

    def _run_probe(self, done: threading.Event) -> None:
        try:
            self.probe()
            ok = True
        except Exception:
            ok = False
        with self._lock:
            self._probe_ok = ok
            self._probe = None
            self._open_until = None if ok else time.monotonic() + self.window
        done.set()

    def trip(self) -> None:
        """A call could not reach the server: open (or keep open) for one window."""
        with self._lock:
            self._open_until = time.monotonic() + self.window
