"""Traffic beyond one synchronous call graph: classes with priorities, reconnect waves, DNS with TTLs,
fire-and-forget buffers and expiring cache entries. All opt-in; a world without them builds none.

Each tick, :meth:`TrafficExtras.before` puts the load these mechanisms cause on services (the tick
model adds ``TickModel.extra_offered`` to what the call graph offers) and the failures they cause on
callers (``ServiceState.blocked_err``), from the state left by the last tick; :meth:`after` reads the
tick's figures and moves that state on:

- **Classes** (``traffic.classes``): the entry's traffic is split by share. A shed class is refused at
  the entry; under overload the requests the entry's queue rejects fall on the lowest priority first
  (a priority queue: small interactive calls keep working while bulk ones fail). Refused requests of
  a ``deferrable`` class are left out of the SLI (their clients retry later unnoticed).
- **Reconnect waves** (``Service.reconnect``): while a service fails, its clients drop; while they are
  away they reconnect at ``factor`` x its normal rate x the share away. A reconnect that fails leaves
  its client away, so a wave that overloads the service keeps itself going until load is cut.
- **DNS** (``Service.dns``): each instance refreshes each name once per TTL. While the resolver fails,
  names expire unrenewed, so a growing share of the caller's requests fail (with resolver errors); an
  expired name is retried every second, which is the query storm a recovering resolver meets.
- **Anycast withdrawal** (``Service.withdraws_without``): a resolver whose health check needs another
  service withdraws its routes while that service is down; nobody can reach it, though it is healthy.
- **Users' DNS** (``traffic.dns``): users look the entry's name up; while the resolver fails or is
  withdrawn their cached answers expire and their requests never arrive (lost, in the SLI).
- **Asynchronous calls** (``Service.calls_async``): messages go to a local buffer that drains to the
  callee; failed sends stay buffered and are replayed; a full buffer blocks and fails the caller.
- **Cache TTL** (``Service.cache_ttl``): entries expire; while the backend fails they are not renewed.
"""

from __future__ import annotations

import math

from simulator.world.events import EventLog
from simulator.world.state import ServiceState, World

DNS_RETRY_S = 1.0
"""A name that failed to resolve is looked up again after about this long."""
DNS_TIMEOUT_S = 2.0
"""A lookup that takes longer fails (the resolver's client timeout)."""
REPLAY_FACTOR = 1.0
"""A buffer replays its backlog at up to this many times the live message rate."""
_SQRT2 = math.sqrt(2.0)


class ClassRefused(Exception):
    """A class action the world refuses; the message says why."""


class _Reconnect:
    __slots__ = ("s", "spec", "away", "normal", "wave")

    def __init__(self, s: ServiceState) -> None:
        self.s = s
        self.spec = s.spec.reconnect
        self.away = 0.0
        self.normal = 0.0
        self.wave = 0.0


class _Async:
    __slots__ = ("caller", "callee", "spec", "level", "sent", "produced")

    def __init__(self, caller: ServiceState, callee: ServiceState, spec) -> None:
        self.caller = caller
        self.callee = callee
        self.spec = spec
        self.level = 0.0
        self.sent = 0.0
        self.produced = 0.0


class TrafficExtras:
    """The opt-in traffic mechanisms of one world (see the module docstring)."""

    def __init__(self, world: World, model, entry: str, classes, logs: EventLog, user_dns: str | None = None) -> None:
        self.world = world
        self.model = model
        self.logs = logs
        self.entry = world.services[entry]
        self.classes = list(classes)
        self.shed: dict[str, float] = {}
        """Shed classes -> share of their requests refused."""
        self.class_figures: dict[str, tuple[float, float]] = {}
        """Per class: (requests per second, failed per second) in the last tick."""
        services = world.services
        self.reconnects = [_Reconnect(s) for s in services.values() if s.spec.reconnect is not None]
        self.dns_users = [s for s in services.values() if s.spec.dns is not None]
        self._dns_plan = [
            (s, services[s.spec.dns], max(len(s.spec.calls) + len(s.spec.calls_async), 1)) for s in self.dns_users
        ]
        """Per DNS client: (it, its resolver, how many names it looks up), read from the specs once."""
        self.expired: dict[str, float] = {s.name: 0.0 for s in self.dns_users}
        """Per DNS client: share of its names whose cached answer expired and could not be renewed."""
        self.buffers = [
            _Async(s, services[dep], spec) for s in services.values() for dep, spec in s.spec.calls_async.items()
        ]
        self.ttl_caches = [s for s in services.values() if s.spec.cache_for and s.spec.cache_ttl]
        self.anycast = [s for s in services.values() if s.spec.withdraws_without is not None]
        self.user_dns = services[user_dns] if user_dns is not None else None
        self.primed = False
        self.user_expired = 0.0
        """Share of users whose cached answer for the entry's name expired and could not be renewed."""
        self._split_key: tuple | None = None
        self._split: tuple[list[tuple[str, float, float]], float, float] = ([], 0.0, 0.0)
        self._drops: dict[tuple, list[tuple[str, float]]] = {}
        """Congestion drops by their inputs: a steady overload repeats them tick after tick (4 in 5 ticks
        of the reconnect storm), and the bisection is the costliest arithmetic of a tick."""
        entry_s = self.entry
        self._class_waves = [
            (c, [r for r in self.reconnects if r.s is entry_s and r.spec.traffic_class == c.name]) for c in self.classes
        ]
        """Per class (in order): the reconnect waves at the entry that belong to it (see :meth:`_class_rate`)."""
        self._priority_groups = [
            (priority, [c for c in self.classes if c.priority == priority])
            for priority in sorted({c.priority for c in self.classes}, reverse=True)
        ]
        """The classes by priority, highest first (a class's priority never changes)."""

    @classmethod
    def build(
        cls, world: World, model, entry: str, classes, logs: EventLog, user_dns: str | None = None
    ) -> TrafficExtras | None:
        """The extras of a world, or None when it uses none of them."""
        specs = [s.spec for s in world.services.values()]
        if (
            not classes
            and user_dns is None
            and not any(sp.reconnect or sp.dns or sp.calls_async or (sp.cache_for and sp.cache_ttl) for sp in specs)
        ):
            return None
        return cls(world, model, entry, classes, logs, user_dns)

    # --- actions -----------------------------------------------------------------------------

    def shed_class(self, service: str, name: str, enabled: bool, percent: float = 100.0):
        """Check a shed_class action; returns the effect to apply once the edge has the rule."""
        if service != self.entry.name:
            raise ClassRefused(f"traffic classes are told apart at the entry, {self.entry.name}, not at {service}")
        known = [c.name for c in self.classes]
        if name not in known:
            raise ClassRefused(f"no traffic class {name!r}; classes: {', '.join(known) or 'none'}")
        if not enabled and name not in self.shed:
            raise ClassRefused(f"{name} is not shed")

        def apply() -> None:
            if enabled:
                self.shed[name] = percent / 100.0
            else:
                self.shed.pop(name, None)

        return apply

    # --- before the tick model ---------------------------------------------------------------

    def before(self, t: float, dt: float, user_rate: float) -> None:
        """Load and caller failures for this tick, from the state the last tick left."""
        extra: dict[str, float] = {}
        if self.anycast:
            self._withdrawals(t)
        reached = 1.0 - self.user_expired
        self.model.unresolved = self.user_expired
        for r in self.reconnects:
            r.wave = r.spec.factor * r.normal * r.away
            if r.s is self.entry:
                r.wave *= reached  # reconnects need the entry's name too
            if r.wave > 0.0:
                extra[r.s.name] = extra.get(r.s.name, 0.0) + r.wave
        self._dns_before(extra)
        blocked = self._async_before(extra, dt)
        self.model.extra_offered = extra
        self._class_shed(user_rate)
        failing = {name: (0.0, b) for name, b in blocked.items()}
        for s in self.dns_users:
            failing[s.name] = (self.expired[s.name], failing.get(s.name, (0.0, 0.0))[1])
        for name, (expired, full) in failing.items():
            s = self.world.services[name]
            err = 1.0 - (1.0 - expired) * (1.0 - full)
            if abs(err - s.blocked_err) > 1e-9:
                s.blocked_err = err
                s.recompute = True  # its own error share changed: recompute it this tick (no regroup)
            s.blocked_cause = "buffer_full" if full > expired else "dns"

    def _withdrawals(self, t: float) -> None:
        """Resolvers announce their anycast routes only while the service their health check needs is up."""
        for r in self.anycast:
            needed = self.world.services[r.spec.withdraws_without]
            down = not needed.rotation or needed.error_ratio > 0.5
            if down == r.withdrawn:
                continue
            r.withdrawn = down
            r.dirty = True
            if down:
                text = (
                    f"bgp: health check to {needed.name} failed; withdrawing anycast prefixes "
                    f"(this {r.name} node stops answering from outside)"
                )
            else:
                text = f"bgp: health check to {needed.name} passes; announcing anycast prefixes again"
            self.logs.emit_many(t, "WARN", r.instances[:1], text)

    def _dns_before(self, extra: dict[str, float]) -> None:
        for s, resolver, names in self._dns_plan:
            if resolver.withdrawn:
                continue  # its queries find no route: they never reach it
            e = self.expired[s.name]
            lookups = len(s.rotation) * names * ((1.0 - e) / resolver.spec.dns_ttl + e / DNS_RETRY_S)
            extra[resolver.name] = extra.get(resolver.name, 0.0) + lookups

    def _async_before(self, extra: dict[str, float], dt: float) -> dict[str, float]:
        blocked: dict[str, float] = {}
        for b in self.buffers:
            caller = b.caller
            blocked.setdefault(caller.name, 0.0)
            live = caller.admitted * b.spec.calls
            b.produced = live * caller.pass_ratio
            # The backlog drains at up to REPLAY_FACTOR x the live rate (of requests admitted, not only
            # of those that got through: a blocked caller's buffer still drains).
            replay = min(b.level / dt, live * REPLAY_FACTOR) if b.level > 0.0 else 0.0
            b.sent = b.produced + replay
            extra[b.callee.name] = extra.get(b.callee.name, 0.0) + b.sent
            capacity = b.spec.buffer * max(len(caller.rotation), 1)
            if b.level >= capacity and live > 0.0:
                # Full: a send blocks for ``block`` seconds, then the request fails. Only what the
                # buffer cannot take (the failed share of the sends) is refused.
                fail = _failure(b.callee, b.spec.block)
                blocked[caller.name] = 1.0 - (1.0 - blocked.get(caller.name, 0.0)) * (1.0 - fail)
        return blocked

    def _class_shed(self, user_rate: float) -> None:
        entry = self.entry
        if not self.classes:
            return
        if not self.shed:  # nothing shed: the share below is 0.0 (no sum to make)
            if entry.class_shed != 0.0:
                entry.class_shed = 0.0
            return
        total = user_rate + sum(r.wave for r in self.reconnects if r.s is entry)
        shed = sum(self._class_rate(c, user_rate) * self.shed[c.name] for c in self.classes if c.name in self.shed)
        share = min(shed / total, 1.0) if total > 0 else 0.0
        if share != entry.class_shed:
            entry.class_shed = share

    def _class_rate(self, c, user_rate: float) -> float:
        rate = c.share * user_rate
        for r in self.reconnects:
            if r.s is self.entry and r.spec.traffic_class == c.name:
                rate += r.wave
        return rate

    def _class_rates(self, user_rate: float) -> dict[str, float]:
        """:meth:`_class_rate` of every class, by name: the same additions, the waves picked once."""
        rates = {}
        for c, waves in self._class_waves:
            rate = c.share * user_rate
            for r in waves:
                rate += r.wave
            rates[c.name] = rate
        return rates

    # --- after the tick model ----------------------------------------------------------------

    def after(self, t: float, dt: float) -> None:
        """Move reconnects, name caches, buffers and cache entries on; split the entry's failures by class."""
        if self.classes:
            self._split_by_class()
        for r in self.reconnects:
            self._reconnect_after(r, dt)
        if self.primed:  # the first tick computes the resolvers: no name can have expired before it
            expired = self.expired
            for s, resolver, _ in self._dns_plan:  # (_dns_after, written out)
                expired[s.name] = _expire(expired[s.name], _lookup_failure(resolver), resolver.spec.dns_ttl, dt)
            if self.user_dns is not None:
                resolver = self.user_dns
                self.user_expired = _expire(self.user_expired, _lookup_failure(resolver), resolver.spec.dns_ttl, dt)
        self.primed = True
        for b in self.buffers:
            fail = _failure(b.callee, b.spec.block)
            capacity = b.spec.buffer * max(len(b.caller.rotation), 1)
            b.level = min(max(b.level + (b.produced - b.sent * (1.0 - fail)) * dt, 0.0), capacity)
        for c in self.ttl_caches:
            backend = self.world.services[c.spec.cache_for]
            fail = backend.error_ratio if backend.rotation else 1.0
            if fail > 0.0 and c.hit > 0.0:
                c.hit -= c.hit * min(fail * dt / c.spec.cache_ttl, 1.0)
                c.hit_changed = True

    def _reconnect_after(self, r: _Reconnect, dt: float) -> None:
        s = r.s
        fail = s.error_ratio if s.rotation else 1.0
        if s is self.entry and self.user_expired > 0.0:
            fail = 1.0 - (1.0 - fail) * (1.0 - self.user_expired)  # users who cannot resolve it drop too
        figures = self.class_figures.get(r.spec.traffic_class or "")
        # Reconnects succeed as their own class does (a shed or lowest-priority class fails first);
        # connected clients drop when the rest of the traffic fails.
        wave_fail = _ratio(*figures) if figures and r.wave > 0.0 else fail
        rest = s.rate - r.wave
        if figures and rest > 0.0:
            fail = min(max((s.errors - r.wave * wave_fail) / rest, 0.0), 1.0)
        if fail > 0.5:
            r.away = max(r.away, fail)  # its clients' sessions drop
        elif r.away > 0.0:
            r.away -= r.away * min((1.0 - wave_fail) * dt / r.spec.window, 1.0)
            if r.away < 1e-4:
                r.away = 0.0
        if r.away < 0.01 and fail < 0.05:
            base = s.offered - r.wave
            # The normal rate its clients bring: followed while they are all connected.
            r.normal = base if r.normal == 0.0 else r.normal + (base - r.normal) * min(dt / 60.0, 1.0)

    def _split_by_class(self) -> None:
        """The entry's requests and failures per class: shed classes fail entirely, overload falls on
        the lowest priority first, other failures on every class alike; a deferrable class's refused
        requests leave the SLI."""
        entry = self.entry
        user = self.world.user_rate
        causes = entry.causes
        # Everything the split reads: a steady overload repeats it for several ticks in a row.
        key = (
            user,
            tuple(r.wave for r in self.reconnects if r.s is entry),
            tuple(self.shed.items()),
            causes.get("overload", 0.0),
            causes.get("shed", 0.0),
            entry.errors,
        )
        if key != self._split_key:
            self._split_key = key
            self._split = self._class_split(entry, user)
        figures, total, excluded = self._split
        class_split = self.world.class_split
        for name, rate, failed in figures:
            self.class_figures[name] = (rate, failed)
            class_split[name] = [rate, failed, math.nan]
        if total > 0.0 and excluded > 0.0:
            entry.excluded += min(excluded, entry.errors)

    def _class_split(self, entry: ServiceState, user: float) -> tuple[list[tuple[str, float, float]], float, float]:
        """The split itself: (class, requests, failed) per class, all requests, and those excluded."""
        rates = self._class_rates(user)
        total = sum(rates.values())
        shed = self.shed
        failed = {name: rate * shed.get(name, 0.0) for name, rate in rates.items()}
        overload = entry.causes.get("overload", 0.0) + entry.causes.get("shed", 0.0) - sum(failed.values())
        for _, group in self._priority_groups:
            if overload <= 0.0:
                break
            room = sum(rates[c.name] - failed[c.name] for c in group)
            take = min(overload, room)
            for name, lost in self._congestion_drops(
                group, {c.name: rates[c.name] - failed[c.name] for c in group}, take
            ):
                failed[name] += lost
            overload -= take
        admitted_ok = {n: rates[n] - failed[n] for n in rates}
        left = sum(admitted_ok.values())
        other = max(entry.errors - sum(failed.values()), 0.0)
        excluded = 0.0
        figures = []
        for c in self.classes:
            refused = failed[c.name]
            if left > 0.0:
                failed[c.name] += other * admitted_ok[c.name] / left
            if c.deferrable:
                excluded += refused
            figures.append((c.name, rates[c.name], failed[c.name]))
        return figures, total, excluded

    def _congestion_drops(self, group, rates: dict[str, float], requests: float) -> list[tuple[str, float]]:
        """:func:`_congestion_drops`, remembered by its exact inputs (a pure function of them)."""
        key = (tuple((c.name, c.size, rates[c.name]) for c in group), requests)
        drops = self._drops.get(key)
        if drops is None:
            if len(self._drops) >= 64:
                self._drops.clear()  # bounded: only a steady overload repeats its inputs
            drops = self._drops[key] = _congestion_drops(group, rates, requests)
        return drops

    # --- views -------------------------------------------------------------------------------

    def status(self) -> dict:
        """Classes with their last-tick figures, reconnect waves, name caches and buffers."""
        return {
            "classes": [
                {
                    "class": c.name,
                    "priority": c.priority,
                    "deferrable": c.deferrable,
                    "shed_pct": round(self.shed.get(c.name, 0.0) * 100.0, 1),
                    "rate": round(self.class_figures.get(c.name, (0.0, 0.0))[0], 1),
                    "error_ratio": round(_ratio(*self.class_figures.get(c.name, (0.0, 0.0))), 4),
                }
                for c in self.classes
            ],
            "reconnects": [
                {"service": r.s.name, "clients_away": round(r.away, 3), "wave_rps": round(r.wave, 1)}
                for r in self.reconnects
            ],
            "dns": [
                {"service": s.name, "resolver": s.spec.dns, "names_expired": round(self.expired[s.name], 3)}
                for s in self.dns_users
            ]
            + (
                [{"service": "users", "resolver": self.user_dns.name, "names_expired": round(self.user_expired, 3)}]
                if self.user_dns is not None
                else []
            ),
            "withdrawn": [r.name for r in self.anycast if r.withdrawn],
            "buffers": [{"from": b.caller.name, "to": b.callee.name, "messages": round(b.level)} for b in self.buffers],
        }


def _congestion_drops(group, rates: dict[str, float], requests: float) -> list[tuple[str, float]]:
    """Split ``requests`` refused by a congested service over classes of one priority: it drops units of
    work with one probability p, so a request of size s fails with 1 - (1 - p)^s. p is found (by
    bisection) so that the requests failed add up to the model's ``requests``."""
    total = sum(rates.values())
    if requests <= 0.0 or total <= 0.0:
        return []
    if requests >= total:
        return [(c.name, rates[c.name]) for c in group]

    # The same sums, in the same order, as sum() over the group gives; written out because the bisection
    # evaluates them 50 times a tick (a generator per step cost as much as the rest of the tick).
    pairs = [(rates[c.name], c.size) for c in group]
    lo, hi = 0.0, 1.0
    for _ in range(50):
        mid = (lo + hi) / 2.0
        kept = 1.0 - mid
        lost = 0.0
        for rate, size in pairs:
            lost += rate * (1.0 - kept**size)
        if lost < requests:
            lo = mid
        else:
            hi = mid
    p = (lo + hi) / 2.0
    return [(c.name, rates[c.name] * (1.0 - (1.0 - p) ** c.size)) for c in group]


def _ratio(rate: float, failed: float) -> float:
    return failed / rate if rate > 0 else 0.0


def _failure(d: ServiceState, timeout_s: float) -> float:
    """Share of calls to ``d`` that fail: its errors, or slower than ``timeout_s`` (log-normal tail)."""
    if not d.rotation:
        return 1.0
    median = d.p50
    p_timeout = 0.0
    if median > 0.0:
        p_timeout = 0.5 * math.erfc((math.log(timeout_s * 1000.0) - math.log(median)) / (d.sigma * _SQRT2))
    return 1.0 - (1.0 - d.error_ratio) * (1.0 - p_timeout)


def _lookup_failure(resolver: ServiceState) -> float:
    """Share of lookups that fail: all of them while its routes are withdrawn, else its own failures."""
    return 1.0 if resolver.withdrawn else _failure(resolver, DNS_TIMEOUT_S)


def _expire(e: float, fail: float, ttl: float, dt: float) -> float:
    """Share of cached names expired after ``dt``: renewals of live names fail at rate fail / ttl;
    expired names come back at each retry."""
    e += ((1.0 - e) * fail * dt / ttl) - (e * (1.0 - fail) * min(dt / DNS_RETRY_S, 1.0))
    return min(max(e, 0.0), 1.0)


def dns_message(world: World, s: ServiceState, rng) -> tuple[str, int, str]:
    """What a client logs when a name lookup fails: no route while the resolver's anycast routes are
    withdrawn, NXDOMAIN when it answers wrongly (a bad config or release), an i/o timeout when it is slow
    or overloaded, SERVFAIL otherwise."""
    resolver = world.services[s.spec.dns] if s.spec.dns else None
    deps = list(s.spec.calls) + list(s.spec.calls_async) or [s.name]
    name = f"{rng.choice(deps)}.svc.cluster.local"
    server = "10.96.0.10:53"
    if resolver is not None and resolver.withdrawn:
        return (
            f"dial tcp: lookup {name} on {server}: dial udp {server}: connect: network is unreachable",
            502,
            "dns.unreachable",
        )
    if resolver is not None and resolver.causes.get("fault", 0.0) > 0.0:
        return f"dial tcp: lookup {name} on {server}: no such host", 502, "dns.NXDOMAIN"
    if resolver is not None and (
        not resolver.rotation
        or resolver.p99 > DNS_TIMEOUT_S * 1000.0 * 0.9
        or resolver.causes.get("overload", 0.0) > 0.0
        or "dead_target" in resolver.causes
    ):
        return (
            f"dial tcp: lookup {name} on {server}: read udp 10.0.3.17:41234->{server}: i/o timeout",
            504,
            "dns.timeout",
        )
    return f"dial tcp: lookup {name} on {server}: server misbehaving", 502, "dns.SERVFAIL"


def buffer_message(s: ServiceState) -> tuple[str, int, str]:
    """What a caller logs when a fire-and-forget send blocks on a full buffer."""
    dep = next(iter(s.spec.calls_async), "queue")
    spec = s.spec.calls_async.get(dep)
    size = int(spec.buffer) if spec else 0
    block_ms = int((spec.block if spec else 1.0) * 1000)
    return (
        f"send to {dep} blocked for {block_ms}ms: producer buffer full ({size}/{size} messages); request aborted",
        503,
        "buffer_full",
    )
