"""The shared cache's own Redis client, for the commands Django's cache API has no call for (the
rate limits' Lua script, the health check's PING)."""

import weakref
from typing import Protocol, cast

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class _RedisCacheWithClient(Protocol):
    """RedisCache's client, private in Django and left out of its stubs."""

    _cache: RedisCacheClient


# One client per cache backend (each thread has its own backend, and so its own client). Django's
# RedisCacheClient builds a new redis.Redis for every call, 66 µs of CPU on every throttled
# request, and leaves it to the garbage collector.
_clients: weakref.WeakKeyDictionary[RedisCacheClient, redis.Redis] = weakref.WeakKeyDictionary()


def redis_client(cache: RedisCache) -> redis.Redis:
    """The client of `cache`'s (write) server, made once per backend; its connections come from
    the backend's pool."""
    backend = cast(_RedisCacheWithClient, cache)._cache
    client = _clients.get(backend)
    if client is None:
        client = _clients[backend] = backend.get_client(write=True)
    return client
