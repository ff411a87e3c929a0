"""The places that carry on without Redis, counted and logged (DESIGN.md §9).

Redis holds no truth here: the rate-limit counters, the reference-data version and the task
queue. When it is away, the throttles let requests through, reference data is read from the
database and enqueued work is left to the beat's sweeps, which re-derive it from PostgreSQL.
Each such fallback is counted per process (`/healthz` shows this process's counts) and logged
at most once per `LOG_EVERY_SECONDS` for each kind, so an outage does not write a line per request.
"""

import logging
import threading
import time
from collections import Counter

import redis
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

LOG_EVERY_SECONDS = 10.0
# What an unreachable Redis raises, through the cache (redis-py) or the broker (kombu).
REDIS_ERRORS: tuple[type[Exception], ...] = (redis.RedisError, OperationalError, OSError)

_lock = threading.Lock()
_counts: Counter[str] = Counter()
_logged_at: dict[str, float] = {}


def record(*, what: str, error: Exception) -> None:
    """Count one fallback of kind `what`; log it unless this kind was logged a moment ago."""
    now = time.monotonic()
    with _lock:
        _counts[what] += 1
        count = _counts[what]
        due = now - _logged_at.get(what, float("-inf")) >= LOG_EVERY_SECONDS
        if due:
            _logged_at[what] = now
    if due:
        logger.warning("%s went on without Redis (%d times in this process): %r", what, count, error)


def counts() -> dict[str, int]:
    """Fallbacks so far in this process, by kind."""
    with _lock:
        return dict(_counts)
