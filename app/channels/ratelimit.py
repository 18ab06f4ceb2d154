"""Token buckets that keep each provider under its request rate across all workers.

With Redis the bucket lives in Redis and is taken atomically by a Lua script, so every worker
process on every machine shares it; without Redis (the embedded default) it lives in memory.
"""

from __future__ import annotations

import threading
import time

#: KEYS[1] = bucket; ARGV = rate per second, burst, tokens wanted, now (seconds).
#: Returns 0 when the tokens were taken, else the milliseconds to wait before trying again.
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= wanted then
  tokens = tokens - wanted
else
  wait = math.ceil((wanted - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait
"""


class MemoryBucket:
    """A token bucket shared by the threads of one process."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.burst = burst or max(rate, 1.0)
        self.tokens = self.burst
        self.at = time.monotonic()
        self.lock = threading.Lock()

    def try_take(self, tokens: float = 1.0) -> float:
        """Take tokens if there are enough and return 0, else return the seconds to wait."""
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens >= tokens:
                self.tokens -= tokens
                return 0.0
            return (tokens - self.tokens) / self.rate


class RedisBucket:
    """A token bucket in Redis shared by every worker that uses the same key."""

    def __init__(self, redis_client, key: str, rate: float, burst: float | None = None) -> None:
        self.key = key
        self.rate = rate
        self.burst = burst or max(rate, 1.0)
        self.script = redis_client.register_script(_TAKE)

    def try_take(self, tokens: float = 1.0) -> float:
        """Take tokens if there are enough and return 0, else return the seconds to wait."""
        wait_ms = self.script(keys=[self.key], args=[self.rate, self.burst, tokens, time.time()])
        return int(wait_ms) / 1000.0


def acquire(bucket, tokens: float = 1.0, *, timeout: float = 60.0) -> bool:
    """Wait until the bucket gives `tokens`; False when that takes longer than `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        wait = bucket.try_take(tokens)
        if wait <= 0:
            return True
        if time.monotonic() + wait > deadline:
            return False
        time.sleep(min(wait, 1.0))


_buckets: dict[str, object] = {}
_buckets_lock = threading.Lock()


def bucket_for(provider: str, rate: float, redis_url: str | None) -> object:
    """The shared bucket of a provider (one object per process and provider)."""
    with _buckets_lock:
        bucket = _buckets.get(provider)
        if bucket is None or getattr(bucket, "rate", None) != rate:
            if redis_url:
                import redis

                client = redis.Redis.from_url(redis_url)
                bucket = RedisBucket(client, f"powiadomienia:bucket:{provider}", rate)
            else:
                bucket = MemoryBucket(rate)
            _buckets[provider] = bucket
        return bucket
