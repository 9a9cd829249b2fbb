"""A fake clock for tests: time moves only when a test (or a sleeper) moves it."""

import threading

# 2027-01-15 08:00:00 UTC, the start of a minute: windows of 1, 60 or 3600 seconds all begin here.
START = 1_800_000_000.0


class FakeClock:
    """Callable like time.time; `sleep` records how long it was asked to wait and moves time on by that."""

    def __init__(self, start: float = START):
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds
