"""Token buckets keep a provider under its rate, in memory and shared through Redis."""

from __future__ import annotations

import os
import time
import uuid

import pytest

from app.channels.ratelimit import MemoryBucket, RedisBucket, acquire


def test_memory_bucket_allows_its_burst_then_makes_callers_wait():
    bucket = MemoryBucket(rate=20, burst=5)
    assert all(bucket.try_take() == 0 for _ in range(5))
    wait = bucket.try_take()
    assert 0 < wait <= 0.06
    started = time.monotonic()
    assert acquire(bucket)
    assert time.monotonic() - started >= 0.03


def test_acquire_gives_up_when_the_wait_is_longer_than_allowed():
    bucket = MemoryBucket(rate=1, burst=1)
    assert acquire(bucket)
    assert not acquire(bucket, timeout=0.2)


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="the shared bucket lives in Redis (TEST_REDIS_URL)")
def test_two_redis_buckets_with_one_key_share_the_tokens():
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    key = f"test:bucket:{uuid.uuid4()}"
    first, second = RedisBucket(client, key, rate=10, burst=4), RedisBucket(client, key, rate=10, burst=4)
    taken = [b.try_take() == 0 for b in (first, second, first, second, first)]
    assert taken == [True, True, True, True, False]
    client.delete(key)
