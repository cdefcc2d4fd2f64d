"""Fixed-window rate limiting per client IP: in Redis when REDIS_URL is set, else in memory."""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("reference.messaging")
REDIS_CRASH = ("node:events:497\n      throw er; // Unhandled 'error' event\n"
               "SocketClosedUnexpectedlyError: Socket closed unexpectedly\n"
               "    at Socket.<anonymous> (/app/node_modules/@redis/client/dist/lib/client/"
               "socket.js:194:118)")


@dataclass(frozen=True)
class Hit:
    """One counted request: how many the key has made in its window, and when that ends."""

    count: int
    limit: int
    reset_s: float

    @property
    def over(self) -> bool:
        return self.count > self.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    @property
    def reset_whole_s(self) -> int:
        """Seconds until the window resets, rounded up (as headers carry it)."""
        return max(1, math.ceil(self.reset_s))


class FixedWindow:
    """In-memory fixed windows per key; a key's window starts at its first request."""

    def __init__(self, limit: int, window_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._windows: dict[str, tuple[int, float]] = {}

    def hit(self, key: str) -> Hit:
        """Count one request for `key`."""
        now = self._clock()
        count, started = self._windows.get(key, (0, now))
        if now - started >= self.window_s:
            count, started = 0, now
        self._windows[key] = (count + 1, started)
        return Hit(count + 1, self.limit, self.window_s - (now - started))


class RateLimiter:
    """The messaging service's limiter per client IP."""

    def __init__(self, limit: int, window_s: int, redis_url: str | None,
                 crash_on_loss: bool = False) -> None:
        self.limit = limit
        self.window_s = window_s
        self.crash_on_loss = crash_on_loss
        self._redis: Any = None
        self._memory = FixedWindow(limit, window_s)
        if not redis_url:
            log.info("REDIS_URL not set: rate limiting uses an in-memory store")
            return
        try:
            import redis.asyncio as aioredis

            self._redis = aioredis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
            log.info("rate limiting uses Redis (REDIS_URL)")
        except Exception as exc:  # any failure means the memory fallback
            log.warning("Redis not available, using memory store for messaging rate limiting "
                        "(%s)", exc)

    @property
    def backend_name(self) -> str:
        return "redis" if self._redis is not None else "memory"

    async def hit(self, client: str) -> float | None:
        """Count one request; returns seconds to wait when over the limit, else None."""
        if self._redis is not None:
            try:
                return await self._hit_redis(client)
            except Exception as exc:  # degrade, as the Node service does
                if self.crash_on_loss:  # the redis-down fault: die of it, as a Node app does
                    log.critical(REDIS_CRASH)
                    logging.shutdown()
                    os._exit(1)
                log.warning("Redis not available, using memory store for messaging rate "
                            "limiting (%s)", exc)
                self._redis = None
        return self._hit_memory(client)

    async def _hit_redis(self, client: str) -> float | None:
        key = f"ratelimit:{client}:{int(time.time() // self.window_s)}"
        count = await self._redis.incr(key)
        if count == 1:
            await self._redis.expire(key, self.window_s)
        if count > self.limit:
            return float(await self._redis.ttl(key))
        return None

    def _hit_memory(self, client: str) -> float | None:
        hit = self._memory.hit(client)
        return hit.reset_s if hit.over else None

    async def ping(self) -> bool:
        if self._redis is None:
            return False
        try:
            return bool(await self._redis.ping())
        except Exception:  # unreachable is the answer
            return False
