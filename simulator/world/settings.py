"""Settings as the mechanism: which settings each version, config revision and flag carries, and what
every instance and service runs with.

An instance's settings are layered: the service's spec, then the ``sets`` of the version it runs,
then those of the config revision it loaded, then those of the flags in effect for it (a flag may
apply only to one version). Per-instance settings (retries, back-off, timeout, pool size, heap) go into
its cohort, so two versions side by side each compute with their own. Service-wide settings (max
connections, rate limit, cache TTL and hit ratio, replicas) follow the version and revision the
service is being moved to, from the moment the change starts. Because settings belong to revisions,
rolling back a version or reverting a config restores the previous values, not just a name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scenarios.language.scenario import Scenario
    from scenarios.language.settings import Settings
    from scenarios.language.topology import Service as ServiceSpec

# The world's state imports this module (an instance's settings are part of its cohort), so services
# and instances are typed loosely here rather than imported back.
ServiceState = Any
Instance = Any
World = Any

PER_INSTANCE = ("retries", "backoff", "timeout", "pool_size", "heap_mb")
"""Settings each instance runs with (two versions side by side differ)."""
SERVICE_WIDE = ("max_connections", "rate_limit", "cache_ttl", "hit_ratio", "replicas")
"""Settings of the service as a whole (they follow its desired version and revision)."""


@dataclass(frozen=True, slots=True)
class Tuning:
    """The per-instance settings one instance runs with (part of its cohort's key)."""

    retries: int
    backoff_s: float
    timeout_s: float
    pool_size: int
    heap_mb: float | None
    calls: tuple[int, float, float] = field(init=False, compare=False, repr=False)
    """What shapes its dependency calls: retries, back-off, timeout (kept: the tick model reads it for
    every cohort it recomputes)."""

    values: tuple = field(init=False, compare=False, repr=False)
    """Its fields as a plain tuple: what a regroup groups instances by (a tuple hashes in C; the
    dataclass's own hash builds one in Python for every instance of every regroup)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "calls", (self.retries, self.backoff_s, self.timeout_s))
        object.__setattr__(self, "values", (self.retries, self.backoff_s, self.timeout_s, self.pool_size, self.heap_mb))


def base_tuning(spec: ServiceSpec) -> Tuning:
    """The settings of the spec, before any version, revision or flag."""
    return Tuning(spec.retries, spec.backoff, spec.timeout, spec.pool_size, spec.heap_mb)


def _spec_value(spec: ServiceSpec, name: str):
    return {
        "retries": spec.retries,
        "backoff": spec.backoff,
        "timeout": spec.timeout,
        "pool_size": spec.pool_size,
        "heap_mb": spec.heap_mb,
        "max_connections": spec.max_connections,
        "rate_limit": None,
        "cache_ttl": spec.cache_ttl,
        "hit_ratio": spec.hit_ratio,
        "replicas": spec.replicas,
    }[name]


class SettingsBook:
    """The settings every version, revision and flag of a scenario carries, and their resolution."""

    def __init__(self, scenario: Scenario, world: World) -> None:
        self.world = world
        self.versions: dict[tuple[str, str], dict] = {}
        self.configs: dict[tuple[str, str], dict] = {}
        self.flags: list[tuple[str, object]] = []
        """(flag name, FlagSettings) pairs."""
        for ch in [*scenario.history, *scenario.noise]:
            if ch.deploy is not None and ch.deploy.sets is not None:
                self.versions[(ch.deploy.service, ch.deploy.to)] = ch.deploy.sets.given()
            if ch.config is not None and ch.config.sets is not None:
                self.configs[(ch.config.service, ch.config.to)] = ch.config.sets.given()
        self.config_versions: dict[tuple[str, str], str] = {}
        """(service, revision) -> the only version its settings apply to."""
        for f in [*scenario.faults, *scenario.optional_faults]:
            self.register_fault(f)
        for flag in scenario.topology.flags:
            self.flags.extend((flag.name, fs) for fs in flag.sets)
        self._cache: dict[tuple, Tuning] = {}

    def register_fault(self, fault) -> None:
        """Remember the settings an ordinary change carries (a fault injected live included)."""
        if fault.type == "deploy":
            self.versions[(fault.service, fault.version)] = fault.sets.given()
        elif fault.type == "config_change":
            self.configs[(fault.service, fault.revision)] = fault.sets.given()
            if fault.on_version is not None:
                self.config_versions[(fault.service, fault.revision)] = fault.on_version

    def layered(self, service: str) -> bool:
        """Whether anything sets this service's settings (otherwise its spec alone applies)."""
        return (
            any(k[0] == service for k in self.versions)
            or any(k[0] == service for k in self.configs)
            or any(fs.service == service for _, fs in self.flags)
        )

    def resolve(self, s: ServiceState, version: str, config: str) -> dict:
        """Every setting in effect for one version and revision of a service (spec, version, revision,
        flags in their current state)."""
        values = {name: _spec_value(s.spec, name) for name in (*PER_INSTANCE, *SERVICE_WIDE)}
        values.update(self.versions.get((s.name, version), {}))
        only = self.config_versions.get((s.name, config))
        if only is None or only == version:
            values.update(self.configs.get((s.name, config), {}))
        flags = self.world.flags
        for flag, fs in self.flags:
            if fs.service == s.name and flags.get(flag, False) == fs.when:
                if fs.on_version is None or fs.on_version == version:
                    values.update(fs.sets.given())
        return values

    def tuning(self, s: ServiceState, inst: Instance) -> Tuning:
        """The per-instance settings of one instance (shared by every instance in the same state)."""
        key = (s.name, inst.version, inst.config, tuple(sorted(self.world.flags.items())))
        tuning = self._cache.get(key)
        if tuning is None:
            v = self.resolve(s, inst.version, inst.config)
            tuning = Tuning(v["retries"], v["backoff"], v["timeout"], v["pool_size"], v["heap_mb"])
            self._cache[key] = tuning
        return tuning

    def wire(self) -> None:
        """Give every service with layered settings its tuner and its current settings."""
        for s in self.world.services.values():
            if self.layered(s.name):
                s.tuner = lambda inst, s=s: self.tuning(s, inst)
                apply_service_wide(self, s, None)

    def show(self, s: ServiceState) -> dict:
        """Every setting of the service as it is being moved to (desired version and revision), for
        inspect and the dashboards."""
        return self.resolve(s, s.version, s.config)


def apply_service_wide(book: SettingsBook, s: ServiceState, scale: Callable[[ServiceState, int], None] | None) -> list:
    """Apply the service-wide settings of the service's desired version and revision (after a deploy,
    a push, a rollback or a flag flip); returns (name, before, after) for each one that changed."""
    values = book.resolve(s, s.version, s.config)
    s.tuning = Tuning(values["retries"], values["backoff"], values["timeout"], values["pool_size"], values["heap_mb"])
    changed = []
    for name in SERVICE_WIDE:
        after = values[name]
        before = s.settings_applied.get(name, _spec_value(s.spec, name))
        if after == before:
            continue
        s.settings_applied[name] = after
        changed.append((name, before, after))
        if name == "max_connections":
            s.max_connections = after
        elif name == "rate_limit":
            s.rate_limit = after
        elif name == "cache_ttl":
            s.cache_ttl = after
        elif name == "hit_ratio":
            s.warm_hit = after
        elif name == "replicas" and scale is not None and after != s.desired:
            scale(s, after)
    s.dirty = True
    return changed


def describe_settings(values: dict) -> str:
    """One line of settings as a config audit log shows them, e.g. ``retries=5 timeout=200ms``."""
    parts = []
    for name, value in values.items():
        if name in ("timeout", "backoff", "cache_ttl"):
            parts.append(f"{name}={_duration(value)}")
        else:
            parts.append(f"{name}={value:g}" if isinstance(value, float) else f"{name}={value}")
    return " ".join(parts)


def _duration(seconds: float) -> str:
    if seconds < 1.0:
        return f"{seconds * 1000:g}ms"
    if seconds < 120 or seconds % 60:
        return f"{seconds:g}s"
    return f"{seconds / 60:g}m" if seconds < 7200 else f"{seconds / 3600:g}h"


def settings_of(sets: Settings | None) -> dict:
    """The settings a layer gives (empty when it gives none)."""
    return sets.given() if sets is not None else {}
