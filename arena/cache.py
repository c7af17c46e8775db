"""Cache access that never fails a request: the cache (Redis in production) is an
optimisation, and voting must keep working when it is down."""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache

logger = logging.getLogger(__name__)


def cache_get_or_none(key: str) -> Any:
    try:
        return cache.get(key)
    except Exception:  # any backend error means "not cached"
        logger.warning("cache unavailable for get %s", key, exc_info=True)
        return None


def cache_set_quietly(key: str, value: Any, *, timeout: int) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception:
        logger.warning("cache unavailable for set %s", key, exc_info=True)
