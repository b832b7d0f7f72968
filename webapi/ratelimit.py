"""Per-client token buckets: steady `per_minute` requests, bursts up to a tenth of a minute's worth."""

from __future__ import annotations

import math
import threading
import time


class RateLimiter:
    def __init__(self, per_minute: int, *, clock=time.monotonic, max_clients: int = 10_000):
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, per_minute / 10.0)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self._max_clients = max_clients

    def take(self, client: str) -> int:
        """0 when the request may go ahead, else the whole seconds to wait."""
        if self.rate <= 0:
            return 0
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1:
                if len(self._buckets) >= self._max_clients and client not in self._buckets:
                    self._buckets.clear()  # bounded memory; a reset only ever lets clients through
                self._buckets[client] = (tokens - 1, now)
                return 0
            self._buckets[client] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / self.rate))
