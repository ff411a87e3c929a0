"""Fixed-window counters in the shared cache, for the REST API's throttles and the public pages.

A hit costs one round trip to Redis (INCR, and EXPIRE on a window's first hit, in one Lua
script) and never fails a request: when the cache is unreachable the hit is not counted and the
request goes through (fails open), counted and logged by `hotline.degraded`. Limits switched off
for the length of an outage are a smaller harm than intake switched off.
"""

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from hotline import degraded
from hotline.redis_cache import redis_client

# The expiry is set by the key's first hit only, so later hits do not stretch its window.
_INCR_WITH_EXPIRY = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


def hit(key: str, *, timeout: int) -> int | None:
    """Count one hit under `key`, which expires `timeout` seconds after its first hit. The count
    so far, or None when the cache could not be reached (let the request through)."""
    cache = caches["default"]
    try:
        if isinstance(cache, RedisCache):
            full_key = cache.make_and_validate_key(key)
            return int(redis_client(cache).eval(_INCR_WITH_EXPIRY, 1, full_key, timeout))
        # The in-process cache (no REDIS_URL): nothing to save a round trip on.
        if cache.add(key, 1, timeout=timeout):
            return 1
        return cache.incr(key)
    except ValueError:  # the in-process key expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1
    except degraded.REDIS_ERRORS as error:
        degraded.record(what="rate limit", error=error)
        return None


def count(key: str) -> int:
    """The hits counted under `key` so far; 0 when the cache could not be reached."""
    try:
        return caches["default"].get(key) or 0
    except degraded.REDIS_ERRORS as error:
        degraded.record(what="rate limit", error=error)
        return 0
