"""Fixed-window counters in the shared cache: one round trip a hit, and open when Redis is away."""

import time

import pytest
from django.core.cache import cache

from hotline import degraded, ratelimit


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


def test_hits_are_counted_and_the_window_expires_after_its_first_hit():
    # Given a counter with a one-second window
    counts = [ratelimit.hit("t:window", timeout=1) for _ in range(3)]
    # Then each hit counts, and the window is not stretched by the later hits
    assert counts == [1, 2, 3]
    assert ratelimit.count("t:window") == 3
    time.sleep(1.2)
    assert ratelimit.count("t:window") == 0
    assert ratelimit.hit("t:window", timeout=1) == 1


def test_a_hit_costs_one_round_trip(monkeypatch):
    # Given a count of the commands sent to Redis
    client = cache._cache.get_client(write=True)
    client_class = type(client)
    sent: list[tuple] = []
    original = client_class.execute_command

    def counting(self, *args, **options):
        sent.append(args)
        return original(self, *args, **options)

    monkeypatch.setattr(client_class, "execute_command", counting)
    # When a window's first and second hits are counted
    ratelimit.hit("t:trips", timeout=60)
    ratelimit.hit("t:trips", timeout=60)
    # Then each was one command (the script that increments and sets the expiry)
    assert [args[0] for args in sent] == ["EVAL", "EVAL"]
    assert 0 < cache._cache.get_client(write=True).ttl(cache.make_and_validate_key("t:trips")) <= 60


def test_without_redis_a_hit_is_let_through_counted_and_logged_once(redis_unreachable, caplog):
    # Given Redis unreachable
    before = degraded.counts().get("rate limit", 0)
    # When hits are counted
    started = time.monotonic()
    results = [ratelimit.hit("t:down", timeout=60) for _ in range(5)]
    # Then none is counted (the caller lets the request through), fast, and the fallback is counted
    assert results == [None] * 5
    assert ratelimit.count("t:down") == 0
    assert time.monotonic() - started < 2
    assert degraded.counts()["rate limit"] == before + 6
    assert len([r for r in caplog.records if "rate limit went on without Redis" in r.getMessage()]) <= 1
