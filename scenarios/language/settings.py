"""Service settings as the mechanism of a change: what a deploy, a config push or a flag sets.

Real incidents are rarely a named fault: retries went from 0 to 5, a timeout from 2 s to 200 ms, a
pool from 64 to 8, a cache TTL from 1 h to 1 s. A version, a config revision or a flag carries
``sets:`` and the engine computes the consequence from the numbers; every instance runs the settings
of its own version and revision (a rollout that stopped part-way runs two sets side by side), and
rolling back restores the settings of the revision it returns to.

This module holds :class:`Settings` and a flag's :class:`FlagSettings`; the two ordinary changes that
carry settings as faults (``deploy``, ``config_change``) are with the other faults in events.py.
"""

from __future__ import annotations

from pydantic import Field

from scenarios.durations import Duration
from scenarios.language.base import Model, Name
from scenarios.limits import (
    MAX_BACKOFF_S,
    MAX_CACHE_TTL_S,
    MAX_MEMORY_MB,
    MAX_POOL,
    MAX_REPLICAS,
    MAX_RETRIES,
    MAX_RPS,
    MAX_TIMEOUT_S,
)


class Settings(Model):
    """Settings of a service that a version, a config revision or a flag sets (unset: unchanged).

    Per instance (two versions side by side each run their own): ``retries``, ``backoff``,
    ``timeout``, ``pool_size``, ``heap_mb``. Service-wide (they follow the version and revision the
    service is being moved to, from the moment the change starts): ``max_connections``, ``rate_limit``,
    ``cache_ttl``, ``hit_ratio``, ``replicas``.
    """

    retries: int | None = Field(default=None, ge=0, le=MAX_RETRIES)
    """Retries of a failed dependency call (each retry is one more call on the dependency)."""
    backoff: Duration | None = Field(default=None, ge=0, le=MAX_BACKOFF_S)
    """Wait before each retry: it adds to the caller's latency and holds its pool connection meanwhile."""
    timeout: Duration | None = Field(default=None, gt=0, le=MAX_TIMEOUT_S)
    """How long a call to a dependency (or for a pool connection) may take before it fails."""
    pool_size: int | None = Field(default=None, ge=1, le=MAX_POOL)
    """Connections (worker threads) one instance has for dependency calls."""
    heap_mb: float | None = Field(default=None, gt=0, le=MAX_MEMORY_MB)
    """Maximum heap of a JVM/Go runtime in MB; a heap close to the live set spends its time in GC."""
    max_connections: int | None = Field(default=None, ge=1, le=MAX_POOL)
    """For a database: connections it accepts in total (callers beyond it get 'too many clients')."""
    rate_limit: float | None = Field(default=None, gt=0, le=MAX_RPS)
    """Requests per second the service admits in total; the excess is refused with 429."""
    cache_ttl: Duration | None = Field(default=None, gt=0, le=MAX_CACHE_TTL_S)
    """For a cache: how long an entry lives; a short TTL lowers the hit ratio and raises backend reads."""
    hit_ratio: float | None = Field(default=None, ge=0, lt=1)
    """For a cache: hit ratio when warm (the share of keys it can hold)."""
    replicas: int | None = Field(default=None, ge=1, le=MAX_REPLICAS)
    """Desired instances (applied by scaling when the change starts; a rollback scales back)."""

    def given(self) -> dict[str, object]:
        """The settings this layer sets, by name (unset ones left out)."""
        return {name: getattr(self, name) for name in type(self).model_fields if getattr(self, name) is not None}


class FlagSettings(Model):
    """Settings a feature flag applies to a service while it is in a given state (a kill switch's
    protection, a code path's different client settings)."""

    service: Name
    """Service whose settings the flag changes."""
    when: bool = True
    """Flag state in which the settings apply (true: while on; false: while off)."""
    on_version: str | None = None
    """Only instances running this version read the flag this way (old code ignores a new flag)."""
    sets: Settings
    """The settings that apply."""
