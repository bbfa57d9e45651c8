"""The per-tick world model: load, saturation, latency and errors along the call graph.

One call of :func:`step` recomputes the whole system for one tick:

1. Top-down (callers first): offered load per service = user traffic at the entry, plus every caller's
   passed-on requests x fan-out x retry amplification (retries use last tick's failure rates, which is
   what lets a retry storm feed on itself).
2. Bottom-up (callees first): each service's own latency from a queueing approximation on its
   instances, plus what its dependencies add at each percentile; errors from its own faults, overload
   shedding, pool exhaustion, dead targets and failed dependency calls (callee errors and timeouts).

Latency of one instance is log-normal (median and sigma), so percentiles come from formulas, never by
sorting samples; a service's percentiles are a mixture estimate over its instances.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist
from typing import Any

from simulator.world.state import RUNNING, World

_NORMAL = NormalDist()
Z95, Z99 = _NORMAL.inv_cdf(0.95), _NORMAL.inv_cdf(0.99)
QUANTILES = (0.5, 0.95, 0.99)
_SQRT2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)


@lru_cache(maxsize=4096)
def z_of(level: float) -> float:
    """Standard normal quantile, cached (levels are rounded by callers)."""
    return _NORMAL.inv_cdf(min(max(level, 1e-6), 1 - 1e-6))


def queue_factor(rho: float) -> float:
    """Latency multiplier of a many-worker queue at utilisation rho: flat to ~0.7, x1.4 at 0.8, x3 at 0.9,
    x8 at 0.95 (an M/M/c-like shape for a server with a few dozen workers).

    Capped at rho = 0.95 (x7.6): past that the tick model carries the wait in an explicit backlog (work
    beyond capacity queues, requests wait behind it), so letting the factor climb further (x22 at 0.98)
    would count the same queueing twice. The tick model and the thread dumps both use this one curve."""
    r = rho if rho < 0.95 else 0.95
    return 1.0 + 0.5 * r**8 / (1.0 - r)


LIVE_SET_SHARE = 0.5
"""Share of an instance's base memory that is live heap (the rest: code, stacks, buffers, off-heap)."""
GC_PAUSE_WEIGHT = 2.0
"""How much of the time in GC shows in a request's median latency (pauses stop every request thread)."""


def gc_share(live_mb: float, heap_mb: float, load: float) -> float:
    """Share of time a runtime spends in garbage collection: proportional to its allocation rate (its load)
    and to how often a heap with ``heap_mb - live_mb`` free fills up. 2 % at full load with twice the
    live set, 22 % with 10 % headroom; with no headroom it thrashes (95 %: GC overhead limit exceeded)."""
    free = heap_mb - live_mb
    if free <= 0.01 * heap_mb:
        return 0.95
    share = 0.02 * (min(load, 1.0) + 0.1) * live_mb / free
    return share if share < 0.95 else 0.95


PRESSURE_FROM = 0.8
"""Share of its memory limit above which an instance's working set slows it down."""


def memory_pressure(mem_ratio: float) -> float:
    """Latency and GC multiplier of an instance whose working set fills ``mem_ratio`` of its limit: 1 up
    to 80 %, then growing with the square of the excess (x3 at the limit). Rounded to one decimal, so
    a leaking instance changes cohort (and the service is recomputed) only every few percent."""
    return round(1.0 + 2.0 * ((mem_ratio - PRESSURE_FROM) / 0.2) ** 2, 1) if mem_ratio > PRESSURE_FROM else 1.0


def retries_in_effect(s, flags: dict[str, bool], retries: int | None = None) -> int:
    """How many times a service retries a failed call: its ``retries`` (those of its current settings,
    or ``retries`` given), unless a flag gates them and is off."""
    flag = s.spec.retries_flag
    if retries is None:
        retries = s.tuning.retries if s.tuning is not None else s.spec.retries
    return retries if flag is None or flags.get(flag, False) else 0


def ttl_hit_ratio(cache, backend) -> float:
    """Warm hit ratio of a cache whose entries live ``cache_ttl``: a key read ``r`` times a second hits
    ``r*ttl`` times per miss, and every read that arrives while the expired key is being refetched from the
    backend (its median latency) misses too, a stampede that grows as the backend slows down:
    ``hit_ratio x r*ttl / (1 + r*ttl + r*fill)``."""
    per_key = cache.rate / cache.spec.cache_keys
    fill_s = backend.p50 / 1000.0
    held = per_key * cache.cache_ttl
    return cache.warm_hit * held / (1.0 + held + per_key * fill_s)


def retry_amplification(p: float, retries: int) -> float:
    """Attempts per call when each attempt fails with probability ``p`` and up to ``retries`` retries
    follow a failure: 1 + p + p^2 + ... + p^retries (three layers retrying 3 times: up to 4^3 = 64)."""
    amplification = 1.0
    term = 1.0
    for _ in range(retries):
        term *= p
        amplification += term
    return amplification


@lru_cache(maxsize=4096)
def edge_levels(fanout: float) -> tuple[float | None, float | None, float | None]:
    """Adjusted normal quantiles of a callee at the caller's p50, p95, p99 (None: no contribution).

    Cached: an edge behind a cache or in a surge's traffic mix asks again at every recomputation, for a
    fan-out rounded to three decimals (a few values per run)."""
    out: list[float | None] = []
    for q in QUANTILES:
        if fanout >= 1.0:
            out.append(z_of(q))
        elif fanout > 1.0 - q:
            out.append(z_of(round(1.0 - (1.0 - q) / fanout, 5)))
        else:
            out.append(None)
    return out[0], out[1], out[2]


CALLER_READS = ("p50", "sigma", "error_ratio", "cert_expires_at", "max_connections", "conn_demand")
"""What a caller's figures read of a callee (:func:`_dependencies`; :func:`_offer_all` reads the certificate):
a caller is recomputed only when one of these moved (``ServiceState.moved``; a cache's hit ratio has its
own ``hit_changed``). The first three only a recomputation sets; the certificate and the connection limit
change only with the service marked dirty (a renewal, settings), the demand every tick (``demand_moved``).
Keep in step with those two functions."""


class _Node:
    """One service as the tick model walks it: what does not change between ticks, read once when
    the model is built (its edges, retries, timeout, the callees whose figures it reads), and memos of
    its last recomputation."""

    __slots__ = (
        "s",
        "edges",
        "retries_flag",
        "timeout_ms",
        "log_timeout",
        "limited_callees",
        "callees",
        "caches",
        "own",
        "call_memo",
        "deps",
        "deps_profiles",
    )

    def __init__(self, s, edges: list[tuple]) -> None:
        spec = s.spec
        self.s = s
        self.edges = edges
        self.retries_flag = spec.retries_flag
        self.timeout_ms = spec.timeout * 1000.0
        self.log_timeout = math.log(self.timeout_ms)
        self.limited_callees = [e[0] for e in edges if e[0].spec.max_connections is not None]
        """Callees that limit their connections in their spec (this service's open connections count
        against them); a limit set later by settings is found by :func:`_demand_connections`."""
        self.callees = [e[0] for e in edges]
        self.caches = [e[5] for e in edges if e[5] is not None] + [e[0] for e in edges if e[0].spec.cache_for]
        """Caches whose hit ratio this service's figures depend on."""
        sigma = spec.latency_spread
        self.own = _OwnService(spec, 0.0, 0.0, 0.0, 0.0, math.exp(sigma * Z95), math.exp(sigma * Z99), self.timeout_ms)
        self.call_memo: tuple = (None, None, None)
        """(settings, gated, what :func:`_call_settings` made of them)."""
        self.deps: dict | None = None
        """What :func:`_dependencies_by_settings` gave last, with no traffic mix (see :func:`_deps_stand`)."""
        self.deps_profiles: list | None = None
        """The service's profiles they were computed for (a regroup makes a new list)."""


class TickModel:
    """Precomputed per-topology constants and the :meth:`step` that advances the world one tick."""

    def __init__(self, world: World, entry: str) -> None:
        self.world = world
        self.entry = entry
        services = world.services
        edges: dict[str, list[tuple]] = {}
        for name, svc in services.items():
            out = []
            for dep, f in svc.spec.calls.items():
                d = services[dep]
                # (callee, fan-out, its levels at the caller's p50/p95/p99, the cache in front of it,
                # the callee's name, the name its traffic share is routed by): names read once here.
                out.append((d, f, *edge_levels(f), None, dep, dep))
                if d.spec.cache_for:
                    # Cache-aside: a miss makes the caller read the cache's backend itself.
                    out.append((services[d.spec.cache_for], f, None, None, None, d, d.spec.cache_for, dep))
            edges[name] = out
        self.top_down = [_Node(services[name], edges[name]) for name in world.order]
        for node in self.top_down:
            node.own.hot_fails_all = _queue_outlasts_callers(node.s, self.top_down)
        self.bottom_up = list(reversed(self.top_down))
        self.caches = [
            (s, [c for c in services.values() if s.name in c.spec.calls]) for s in services.values() if s.spec.cache_for
        ]
        self.oom: list = []
        """Instances that crossed their memory limit during the last step (the caller kills them)."""
        self._first = True
        self._last_now = -1.0
        self.unresolved = 0.0
        """Share of users whose lookup of the entry's name fails (``traffic.dns``, simulator/world/classes.py)."""
        self.entry_fanout: dict[str, float] | None = None
        """The entry's fan-out this tick when surges with their own routes are mixed in."""
        self.disk_full: list = []
        """Instances whose disk filled up during the last step (the caller applies the effect)."""
        self.extra_offered: dict[str, float] = {}
        """Requests per second put on services beside the call graph this tick (reconnect waves, name
        lookups, asynchronous sends: simulator/world/classes.py)."""

    def step(
        self,
        dt: float,
        entry_rate: float,
        surges: dict[str, float] | None = None,
        surge_calls: dict[str, dict[str, float] | None] | None = None,
    ) -> None:
        """Recompute every service for one tick of ``dt`` seconds.

        ``entry_rate`` is ordinary user traffic; ``surges`` extra traffic by client label, which the
        entry's per-client rate limits can cap.
        """
        world = self.world
        services = world.services
        now = world.now
        force = self._first
        last_now = self._last_now
        entry = services[self.entry]
        entry.lost = entry.excluded = 0.0  # (only the entry's are ever set: _admit_entry, classes.py)
        for s in services.values():
            s.offered = 0.0
            demand = s.conn_demand_next
            if demand != s.conn_demand:
                s.demand_moved = True  # callers read it (refusals past max_connections)
            s.conn_demand = demand
            s.conn_demand_next = 0.0
            if last_now < s.cert_expires_at <= now:
                force = True  # a certificate expired since the last tick (in this loop: one pass fewer)
        client_limited = self._admit_entry(entry, entry_rate, surges, surge_calls, now)
        for target, rps in world.internal.items():
            services[target].offered += rps  # jobs, consumers, internal clients, probes
        entry_fanout = self.entry_fanout
        if self.extra_offered:
            for name, rps in self.extra_offered.items():
                services[name].offered += rps

        # 1. Offered load, callers first.
        self._offer_all(entry, client_limited, entry_fanout, now)

        # 2. Latency and errors, callees first.
        hang = world.zone_hang
        oom = self.oom
        oom.clear()
        self.disk_full.clear()
        self._first = False
        self._last_now = now
        for node in self.bottom_up:
            s = node.s
            regrouped = s.dirty  # _grow regroups (and clears dirty), but the service must still recompute
            if s.growing or regrouped:
                self._grow(s, dt, oom)
            if not (force or regrouped or _inputs_changed(s, node)):
                # Same inputs as last tick: its figures stand (traffic moves in 5 s steps, so most
                # ticks of a steady system recompute nothing).
                s.changed = False
                if s.last_connections:
                    _demand_connections(node, s.last_connections)
                continue
            own_reason = force or regrouped or s.recompute
            s.changed = True
            s.recompute = False
            s.last_offered = s.offered
            s.last_admitted = s.admitted
            s.last_conn_demand = s.conn_demand
            mix = entry_fanout if s is entry else None
            if mix is None and node.edges and not own_reason and _deps_stand(node):
                deps = node.deps  # recomputed for its own load: what its dependencies do is unchanged
            else:
                deps = _dependencies_by_settings(node, mix, now, self.world.flags)
                node.deps, node.deps_profiles = (deps, s.profiles) if mix is None and node.edges else (None, None)
            p50, sigma, error_ratio = s.p50, s.sigma, s.error_ratio  # (only a recomputation sets them)
            connections = self._instances(node, dt, deps, hang)
            # Whether what callers read of it moved (CALLER_READS): a service recomputed to the same
            # figures (saturated, or a retry loop settling) leaves its callers' figures standing, as one
            # not recomputed does. A regroup (its certificate or connection limit changed with one), the
            # first tick and a certificate's expiry always move.
            s.moved = own_reason or s.demand_moved or s.p50 != p50 or s.sigma != sigma or s.error_ratio != error_ratio
            s.demand_moved = False
            s.last_connections = connections
            if connections:
                _demand_connections(node, connections)

        # 3. Caches refill from their backend as long as it answers in time.
        self._refill_caches(dt)

    def _admit_entry(
        self,
        entry,
        entry_rate: float,
        surges: dict[str, float] | None,
        surge_calls: dict[str, dict[str, float] | None] | None,
        now: float,
    ) -> float:
        """Put user traffic and surges on the entry; returns the surge requests its per-client limits
        refuse, and sets :attr:`entry_fanout` when surges with their own routes change the traffic mix."""
        client_limited = 0.0
        total = entry_rate
        if surges:
            for client, rps in surges.items():
                total += rps
                limit = entry.client_limits.get(client)
                if limit is not None and rps > limit:
                    client_limited += rps - limit
        entry_fanout = None
        if surges and surge_calls and total - client_limited > 0:
            # Surge requests hit their own route's backends: the entry's fan-out is the traffic mix.
            admitted_total = total - client_limited
            entry_fanout = {}
            shares = {c: min(rps, entry.client_limits.get(c, rps)) / admitted_total for c, rps in surges.items()}
            user_share = 1.0 - sum(shares.values())
            for dep, f in entry.spec.calls.items():
                mixed = user_share * f
                for c, share in shares.items():
                    calls = surge_calls.get(c)
                    mixed += share * (calls.get(dep, 0.0) if calls is not None else f)
                entry_fanout[dep] = mixed
        self.entry_fanout = entry_fanout
        unresolved = total * self.unresolved
        total -= unresolved  # users whose lookup of the entry's name failed never arrive
        if entry.cert_expired(now):
            # TLS handshakes fail at the clients: nothing arrives, except plain-HTTP traffic.
            tls = entry.tls_share
            entry.lost = total * tls
            client_limited *= 1.0 - tls  # of what still arrives, a client's limit refuses its share
            if tls < 1.0:
                entry.offered = total * (1.0 - tls)
                entry.excluded = client_limited
        else:
            entry.offered = total
            # A surge client's requests refused by its own limit are out of the user-facing SLI.
            entry.excluded = client_limited
        entry.lost += unresolved
        return client_limited

    def _offer_all(self, entry, client_limited: float, entry_fanout: dict[str, float] | None, now: float) -> None:
        """Offered load, callers first: each service admits what its rate limit and shedding allow and
        passes it on to its dependencies x fan-out x retry amplification (from last tick's failure
        rates: what lets a retry storm feed on itself).

        One pass over the services, written out in one function: it runs for every service every tick."""
        flags = self.world.flags
        for node in self.top_down:
            s = node.s
            edges = node.edges
            admitted = s.offered - client_limited if s is entry else s.offered
            if s.rate_limit is not None and admitted > s.rate_limit:
                admitted = s.rate_limit
            if s.shed:
                admitted *= 1.0 - s.shed
            if s.class_shed:
                admitted *= 1.0 - s.class_shed
            s.admitted = admitted
            if not edges:  # a leaf passes nothing on (most services: skip the rest of the bookkeeping)
                s.retry_rate = 0.0
                continue
            profiles = s.profiles
            gated = node.retries_flag is not None and not flags.get(node.retries_flag, False)
            # The flag that gates its retries is off (see retries_in_effect): none; instances with
            # different retry settings: -1 (each share amplifies its own, below).
            retries = 0 if gated else (profiles[0][1].retries if len(profiles) == 1 else -1)
            passing = admitted * s.pass_ratio
            fallbacks = s.fallbacks
            mix = entry_fanout if s is entry else None
            retried = 0.0
            for d, fanout, _, _, _, cache, name, route in edges:
                if fallbacks and (name in fallbacks or (cache is not None and route in fallbacks)):
                    continue
                if mix is not None:
                    fanout = mix.get(route, fanout)
                if cache is not None:
                    fanout *= 1.0 - cache.hit
                if d.cert_expires_at <= now:
                    continue  # the TLS handshake fails before any request reaches it
                amplification = 1.0
                if retries > 0:
                    # retry_amplification, written out (every edge of every caller, every tick).
                    p = s.call_error.get(name, 0.0)
                    term = 1.0
                    for _ in range(retries):
                        term *= p
                        amplification += term
                    retried += passing * fanout * (amplification - 1.0)
                elif retries < 0:
                    p = s.call_error.get(name, 0.0)
                    amplification = sum(w * retry_amplification(p, tn.retries) for w, tn in profiles)
                    retried += passing * fanout * (amplification - 1.0)
                d.offered += passing * fanout * amplification
            s.retry_rate = retried

    def _refill_caches(self, dt: float) -> None:
        """Caches refill toward their warm hit ratio; a miss is written back only when the caller's read
        of the backend succeeded (not failed, not timed out)."""
        services = self.world.services
        for c, callers in self.caches:
            backend = c.spec.cache_for
            if callers:
                success = min(1.0 - caller.call_error.get(backend, 0.0) for caller in callers)
            else:
                success = 1.0 - services[backend].error_ratio
            tau = c.spec.warm_minutes * 20.0  # ~95 % of the way in warm_minutes
            step = dt / tau if dt < tau else 1.0
            before = c.hit
            target = c.warm_hit if c.cache_ttl is None else ttl_hit_ratio(c, services[backend])
            if target < c.hit and c.cache_ttl is not None:
                c.hit = target  # entries past their TTL are gone at once
            else:
                c.hit += (target - c.hit) * step * success * (1.0 if c.rotation else 0.0)
            c.hit_changed = c.hit != before

    def _grow(self, s, dt: float, oom: list) -> None:
        """Advance memory leaks and filling disks (every tick, even when the service is not recomputed);
        a new memory-pressure bucket moves an instance to another cohort (marks the service dirty)."""
        if s.dirty:
            regroup(s)
        mem_max = s.steady_memory_ratio
        disk_max = s.steady_disk_ratio
        disk_size = s.spec.disk_gb
        for inst in s.growing:
            if inst.leak_per_s:
                memory = inst.memory + inst.leak_per_s * dt
                object.__setattr__(inst, "memory", memory)  # (not a field that moves it to another cohort)
                if memory >= inst.memory_limit:
                    oom.append(inst)
                mem_ratio = memory / inst.memory_limit
                if mem_ratio > mem_max:
                    mem_max = mem_ratio
                pressure = 1.0
                if mem_ratio > PRESSURE_FROM:
                    # memory_pressure(mem_ratio), written out; it moves a little each tick, and within 0.049
                    # of its current bucket it rounds to that bucket, so round() only near a bucket's edge.
                    v = 1.0 + 2.0 * ((mem_ratio - PRESSURE_FROM) / 0.2) ** 2
                    pressure = inst.pressure
                    if not -0.049 < v - pressure < 0.049:
                        pressure = round(v, 1)
                if pressure != inst.pressure:
                    object.__setattr__(inst, "pressure", pressure)
                    s.dirty = True
            if inst.disk_per_s:
                was_full = inst.disk >= disk_size
                object.__setattr__(inst, "disk", min(inst.disk + inst.disk_per_s * dt, disk_size))
                if inst.disk >= disk_size and not was_full:
                    self.disk_full.append(inst)
                if inst.disk / disk_size > disk_max:
                    disk_max = inst.disk / disk_size
        s.memory_ratio = mem_max
        s.disk_ratio = disk_max

    def _instances(self, node: _Node, dt, deps: dict, hang) -> float:
        """Spread a service's admitted load over its instances in rotation and aggregate the result;
        returns the connections its instances hold open to their dependencies."""
        s = node.s
        spec = s.spec

        if s.dirty:
            regroup(s)
        mem_max = s.memory_ratio

        admitted = s.admitted
        limited = s.offered - admitted
        causes = s.causes
        causes.clear()
        if limited > 0.0:
            causes["rate_limited" if (s.rate_limit is not None or s.client_limits) else "shed"] = limited
        n = len(s.rotation)
        sigma = spec.latency_spread
        if n == 0:
            causes["no_healthy_upstream"] = admitted
            s.pass_ratio = 0.0
            s.set_figures(s.offered, s.offered, 1.0, 1.0, 1.0, sigma, 0.0, mem_max, 0.0)
            return 0.0

        share = admitted / n
        cohorts = s.cohorts
        primary_err = spec.write_share if s.primary_down else 0.0
        s.gc_ratio = s.collapse_ratio = 0.0
        if len(deps) == 1 and len(cohorts) == 1 and cohorts[0].dead_zone is None:
            # One live cohort with one call setting (almost always): the mixture is that cohort, summed as
            # the mixture would (from 0.0, times its instances) without building one.
            ((dep_fail, d50, d95, d99, conn_ms, timeout_ms),) = deps.values()
            own = _own_figures(node.own, s, spec, primary_err, conn_ms, timeout_ms)
            cohort = cohorts[0]
            queued, _, _, cpu, conns, pool_max, passing, err, l50, l95, l99 = _cohort_figures(
                cohort, share, dt, own, dep_fail, d50, d95, d99, causes
            )
            k = len(cohort.members)
            if cohort.gc > 0.0:
                s.gc_ratio = cohort.gc
            if cohort.collapse > 0.0:
                s.collapse_ratio = cohort.collapse
            cpu_sum, connections, passed, err_sum = 0.0 + cpu * k, 0.0 + conns * k, 0.0 + passing * k, 0.0 + err * k
            p50_sum, p95_sum, p99_sum = 0.0 + l50 * k, 0.0 + l95 * k, 0.0 + l99 * k
            if not pool_max > 0.0:  # the mixture's max starts at 0.0 (a NaN pool use reads 0.0 there too)
                pool_max = 0.0
            tail95 = tail99 = 0.0
            dead = 0
        else:
            mix = self._mixture(node, dt, deps, hang, share, primary_err, n)
            queued, cpu_sum, connections, pool_max, passed, err_sum = (
                mix.queued,
                mix.cpu_sum,
                mix.connections,
                mix.pool_max,
                mix.passed,
                mix.err_sum,
            )
            p50_sum, p95_sum, p99_sum, tail95, tail99, dead = (
                mix.p50_sum,
                mix.p95_sum,
                mix.p99_sum,
                mix.tail95,
                mix.tail99,
                mix.dead,
            )
        s.queued = queued
        # The service's p50, p95, p99: the cohorts' traffic-weighted means, raised to the worst cohort's tail
        # (written out here, not a method of the mixture: this runs for every service recomputed).
        p50 = p50_sum / n
        p95 = p95_sum / n
        if tail95 > p95:
            p95 = tail95
        p99 = p99_sum / n
        if tail99 > p99:
            p99 = tail99
        if p95 > p99:
            p99 = p95
        eff_sigma = math.log(p99 / p50) / Z99 if p50 > 1e-3 and p99 > p50 else 0.05
        if eff_sigma < 0.05:
            eff_sigma = 0.05
        errors = limited + err_sum
        s.pass_ratio = passed / admitted if admitted > 0 else 1.0
        # ServiceState.set_figures, written out (this runs for every service recomputed).
        rate = s.offered
        s.rate = rate
        s.errors = errors
        s.error_ratio = errors / rate if rate > 0 else 0.0
        s.p50, s.p95, s.p99, s.sigma = p50, p95, p99, eff_sigma
        alive = n - dead
        s.cpu = cpu_sum / (alive if alive > 1 else 1)  # (max(alive, 1) without the call)
        s.memory_ratio = mem_max
        s.pool_ratio = pool_max
        return connections

    def _mixture(self, node: _Node, dt, deps: dict, hang, share: float, primary_err: float, n: int) -> _Mixture:
        """:meth:`_instances`' cohorts summed in a mixture: several cohorts (each instance's share of the
        traffic can set the service's tail), dead ones, or instances that differ in call settings (a
        rollout that stopped part-way: each setting gets its own figures, each cohort those of its own)."""
        s = node.s
        spec = s.spec
        sigma = spec.latency_spread
        if len(s.cohorts) == 1:
            mix = _Mixture(None, None)  # one cohort: the mixture is the cohort itself, no tail terms
        else:
            z95w, z99w = tail_levels(n)
            mix = _Mixture(
                math.exp(sigma * z95w) if z95w is not None else None,
                math.exp(sigma * z99w) if z99w is not None else None,
            )
        owns: dict[tuple, tuple] = {}
        for key, (dep_fail, d50, d95, d99, conn_ms, timeout_ms) in deps.items():
            own = node.own if not owns else _OwnService(spec, 0.0, 0.0, 0.0, 0.0, node.own.e95, node.own.e99, 0.0)
            own.hot_fails_all = node.own.hot_fails_all
            owns[key] = (_own_figures(own, s, spec, primary_err, conn_ms, timeout_ms), dep_fail, d50, d95, d99)
        single = owns[key] if len(owns) == 1 else None
        for cohort in s.cohorts:
            if cohort.dead_zone is not None:
                _dead_cohort(mix, cohort, share, self.world, hang, spec.latency_ms, s.causes)
            else:
                own, dep_fail, d50, d95, d99 = single or owns[cohort.key[-1].calls]
                _live_cohort(mix, cohort, share, dt, own, dep_fail, d50, d95, d99, s.causes)
                if cohort.gc > s.gc_ratio:
                    s.gc_ratio = cohort.gc
                if cohort.collapse > s.collapse_ratio:
                    s.collapse_ratio = cohort.collapse
        return mix


def _own_figures(own: _OwnService, s, spec, primary_err: float, conn_ms: float, timeout_ms: float) -> _OwnService:
    """Set what moves of a service's own figures (its constants were set once per node) for one call
    setting: error shares, connection hold time, timeout, round trip to a far primary. Returns ``own``."""
    own.base_err = spec.error_rate + s.extra_err + primary_err + s.blocked_err
    own.primary_err = primary_err
    own.flag_err = s.extra_err
    own.hold_s = conn_ms / 1000.0
    own.timeout_ms = timeout_ms
    own.blocked_err = s.blocked_err
    own.blocked_cause = s.blocked_cause
    rtt = s.primary_rtt_ms
    own.net50, own.net95, own.net99 = _far_primary(rtt, spec.write_share) if rtt > 0.0 else _NEAR
    return own


@dataclass(slots=True)
class _OwnService:
    """A service's own figures for recomputing its cohorts: spec, latency tails and timeout are set once
    (its :class:`_Node` keeps one); the error shares and the connection hold time each recomputation."""

    spec: Any
    base_err: float
    primary_err: float
    flag_err: float
    hold_s: float
    e95: float
    e99: float
    timeout_ms: float
    blocked_err: float = 0.0
    blocked_cause: str = ""
    net50: float = 0.0
    net95: float = 0.0
    net99: float = 0.0
    """Round trip to a far primary at p50 / p95 / p99 (0 unless the calls that need it reach that level)."""
    hot_fails_all: bool = True
    """Whether requests on its instances pushed past capacity fail (their full queue outlasts a caller's
    timeout) or only the excess is refused (see :func:`hot_share`, :func:`hot_excess`)."""
    capacity_rps: float = 0.0
    latency_ms: float = 0.0
    load_spread: float = 0.0
    queue: float = 0.0
    collapse: float = 0.0
    """The spec's figures :func:`_live_cohort` reads, copied from it once: a slot reads in half the time
    of a pydantic model's field, and these are read for every cohort recomputed (a spec never changes)."""

    def __post_init__(self) -> None:
        spec = self.spec
        self.capacity_rps = spec.capacity_rps
        self.latency_ms = spec.latency_ms
        self.load_spread = spec.load_spread
        self.queue = spec.queue
        self.collapse = spec.collapse


class _Mixture:
    """Sums over a service's cohorts, each weighted by its instances, and the tails of the worst one.

    ``e95w`` / ``e99w``: the log-normal factor at the level where one instance's share of traffic sets
    the service's p95 / p99 (None when one cohort is the whole mixture).
    """

    __slots__ = (
        "e95w",
        "e99w",
        "err_sum",
        "p50_sum",
        "p95_sum",
        "p99_sum",
        "tail95",
        "tail99",
        "cpu_sum",
        "pool_max",
        "passed",
        "dead",
        "connections",
        "queued",
    )

    def __init__(self, e95w: float | None, e99w: float | None) -> None:
        self.e95w = e95w
        self.e99w = e99w
        self.err_sum = 0.0
        self.p50_sum = self.p95_sum = self.p99_sum = 0.0
        self.tail95 = self.tail99 = 0.0
        self.cpu_sum = self.pool_max = 0.0
        self.passed = 0.0
        self.dead = 0
        self.connections = 0.0
        self.queued = False

    def add_latency(self, l50: float, l95: float, l99: float, k: int) -> None:
        """Add ``k`` instances at these percentiles."""
        self.p50_sum += l50 * k
        self.p95_sum += l95 * k
        self.p99_sum += l99 * k

    def add_tails(self, t95: float, t99: float) -> None:
        """A cohort's latency at the levels one instance's share reaches (the worst one sets them)."""
        if self.e95w is not None and t95 > self.tail95:
            self.tail95 = t95
        if self.e99w is not None and t99 > self.tail99:
            self.tail99 = t99


def _dead_cohort(mix: _Mixture, cohort, share: float, world: World, hang, base_latency: float, causes) -> None:
    """Dead targets still in the load balancer: requests hang or are refused."""
    k = len(cohort.members)
    rate_k = share * k
    cohort.rate = share
    zone = cohort.dead_zone
    down = zone in world.down_zones
    lat = max(hang.get(zone, 0.0) * 1000.0 if down else 1.0, 1.0)
    # A partial (gray) failure hangs only a share of the requests; the rest are served.
    frac = world.zone_fail_share.get(zone, 1.0) if down else 1.0
    normal = base_latency
    cohort.errors = share * frac
    cohort.cpu = cohort.pool_ratio = 0.0
    mix.dead += k
    causes["dead_target"] = causes.get("dead_target", 0.0) + rate_k * frac
    mix.err_sum += rate_k * frac
    mix.add_latency(lat if frac >= 0.5 else normal, lat if frac >= 0.05 else normal, lat if frac >= 0.01 else normal, k)
    mix.add_tails(lat, lat)
    cohort.p99 = lat


def _queue(
    cohort, share: float, cap: float, dt: float, max_queue: float, nominal: float | None = None
) -> tuple[float, float, bool]:
    """Work beyond capacity queues; requests wait behind it (and callers time out while the instance
    still does the work); a full queue rejects the excess. Returns (share shed, wait ms, queue moved).
    The queue holds ``max_queue`` seconds of work at ``nominal`` capacity (default: ``cap``)."""
    shed = 0.0
    backlog = cohort.backlog + (share - cap) * dt
    if backlog < 0.0:
        backlog = 0.0
    limit = (cap if nominal is None else nominal) * max_queue
    if backlog > limit:
        shed = (backlog - limit) / (share * dt) if share > 0.0 else 0.0
        if shed > 1.0:
            shed = 1.0
        backlog = limit
    moved = backlog != cohort.backlog  # the queue is still moving: recompute next tick too
    cohort.backlog = backlog
    return shed, backlog / cap * 1000.0, moved


def _lost_capacity(cohort, spec, tuning, pressure: float, share: float, cap: float) -> float:
    """Capacity left after garbage collection (a heap close to its live set) and a collapsing queue
    (thrashing: the fuller the queue, the less work gets done); records both shares on the cohort."""
    gc = 0.0
    if tuning.heap_mb is not None:
        gc = gc_share(spec.memory.base * LIVE_SET_SHARE * pressure, tuning.heap_mb, share / cap)
        cap *= 1.0 - gc  # time in GC is time not serving
    collapse = 0.0
    if spec.collapse and cohort.backlog > 0.0:
        fill = min(cohort.backlog / (spec.capacity_rps * spec.queue), 1.0) if spec.queue > 0 else 1.0
        collapse = spec.collapse * fill
        cap *= 1.0 - collapse
    cohort.gc = gc
    cohort.collapse = collapse
    return cap


def _live_cohort(mix: _Mixture, cohort, share, dt, own: _OwnService, dep_fail, d50, d95, d99, causes) -> None:
    """A cohort of running instances (:func:`_cohort_figures`) added to its service's mixture."""
    moved, median, wait_ms, cpu, conns, pool_ratio, passed, errors, l50, l95, l99 = _cohort_figures(
        cohort, share, dt, own, dep_fail, d50, d95, d99, causes
    )
    k = len(cohort.members)
    if moved:
        mix.queued = True
    mix.cpu_sum += cpu * k
    mix.connections += conns * k
    if pool_ratio > mix.pool_max:
        mix.pool_max = pool_ratio
    mix.passed += passed * k
    mix.err_sum += errors * k
    mix.p50_sum += l50 * k  # (mix.add_latency, written out: this runs for every cohort recomputed)
    mix.p95_sum += l95 * k
    mix.p99_sum += l99 * k
    if mix.e95w is not None or mix.e99w is not None:
        t95 = median * mix.e95w + wait_ms + d95 + own.net95 if mix.e95w is not None else 0.0
        t99 = median * mix.e99w + wait_ms + d99 + own.net99 if mix.e99w is not None else 0.0
        mix.add_tails(t95, t99)


def _cohort_figures(cohort, share, dt, own: _OwnService, dep_fail, d50, d95, d99, causes) -> tuple:
    """A cohort of running instances: queueing, pool use, errors by cause, CPU and latency. Sets the
    cohort's figures and returns, per instance, what its service's figures sum: (its queue moved, median,
    wait, CPU, connections held, pool use, requests passed on, errors, p50, p95, p99)."""
    k = len(cohort.members)
    cohort.rate = share
    version, fx_err, fx_lat, fx_cpu, pressure, fx_hold, tuning = cohort.key
    cap = nominal = own.capacity_rps / fx_cpu
    if tuning.heap_mb is not None or own.collapse:
        cap = _lost_capacity(cohort, own.spec, tuning, pressure, share, cap)
    gc = cohort.gc
    rho = share / cap
    shed = 0.0
    wait_ms = 0.0
    spread = own.load_spread
    hot = refused = 0.0
    moved = False
    if spread and rho > 1.0 - 6.0 * spread:  # below that no instance gets near capacity (z > 6)
        # Instances pushed past capacity refuse their excess once their queue is full; when that queue
        # outlasts the callers' timeouts, the callers give up on the rest of their requests too, which
        # the instances still work through (and pass on to their dependencies).
        hot, refused = hot_load(rho, spread)
        if not own.hot_fails_all:
            hot = refused
        shed = hot
    if rho > 1.0 or cohort.backlog > 0.0:
        # The whole cohort's queue (the mean load past capacity, or a backlog still draining): the
        # hottest instances fail at least what their own overload costs, so errors never drop as
        # the mean crosses capacity.
        # Refusals are then the queue's own; a queue shorter than the callers' timeouts fails no more.
        queued, wait_ms, moved = _queue(cohort, share, cap, dt, own.queue, nominal if cap != nominal else None)
        refused = queued
        shed = queued if queued > hot or not own.hot_fails_all else hot
    served = share * (1.0 - shed)
    # What the instances work on (holding connections, calling dependencies): the requests served, and
    # those whose caller gave up waiting.
    worked = share * (1.0 - refused) if refused != shed else served
    # Past saturation the explicit backlog carries the wait, so the queueing factor stays at its cap.
    r = rho if rho < 0.95 else 0.95  # queue_factor(rho), written out
    median = own.latency_ms * (1.0 + 0.5 * r**8 / (1.0 - r)) * fx_lat * pressure
    if gc:
        median *= 1.0 + GC_PAUSE_WEIGHT * gc  # requests caught in a pause wait it out
    pool_size = tuning.pool_size
    pool_ratio = worked * (own.hold_s + fx_hold) / pool_size
    pool_fail = 1.0 - 1.0 / pool_ratio if pool_ratio > 1.0 else 0.0
    own_err = own.base_err + fx_err
    if own_err > 1.0:
        own_err = 1.0
    ok = (1.0 - own_err) * (1.0 - pool_fail) * (1.0 - dep_fail)
    errors = share * shed + served * (1.0 - ok)
    if rho >= 1.0 or cohort.backlog > 0.0:
        cpu = 1.0  # saturated: every core busy
    elif gc or pressure > 1.0 or rho != rho:
        cpu = _cpu(rho, pressure, gc)
    else:
        cpu = 0.04 + 0.9 * rho  # _cpu without GC or memory pressure (below 0.94: no cap)
    cohort.errors = errors
    cohort.cpu = cpu
    cohort.pool_ratio = pool_ratio
    cohort.lat_factor = (median + wait_ms) / own.latency_ms
    if shed or own_err or pool_fail or dep_fail:
        _error_causes(causes, own, share, served, k, shed, own_err, fx_err, pool_fail, dep_fail)
    # Every request waits behind the backlog: the wait shifts all percentiles equally.
    l50 = median + wait_ms + d50 + own.net50
    l95 = median * own.e95 + wait_ms + d95 + own.net95
    l99 = median * own.e99 + wait_ms + d99 + own.net99
    if pool_ratio > 1.0:
        l50, l95, l99 = _pool_wait(l50, l95, l99, pool_fail, own.timeout_ms)
    cohort.p99 = l99
    conns = (pool_ratio if pool_ratio < 1.0 else 1.0) * pool_size
    return moved, median, wait_ms, cpu, conns, pool_ratio, worked * (1.0 - own_err), errors, l50, l95, l99


_NEAR = (0.0, 0.0, 0.0)
"""What :func:`_far_primary` gives without a round trip."""


def _pool_wait(l50: float, l95: float, l99: float, pool_fail: float, timeout_ms: float) -> tuple[float, float, float]:
    """Percentiles of a cohort whose requests wait for a pool connection: the tail sits flat at the pool
    timeout, and the lower percentiles too once that many requests fail."""
    return (
        timeout_ms if pool_fail > 0.5 else l50,
        timeout_ms if pool_fail > 0.05 else l95,
        timeout_ms,
    )


def _far_primary(rtt_ms: float, write_share: float) -> tuple[float, float, float]:
    """The round trip to a far primary at p50, p95 and p99 of a database's calls: only the share that
    needs the primary (``write_share``) pays it, so a percentile q carries it when that share is above
    1 - q (a round trip dwarfs a query, so those calls are the slowest)."""
    if rtt_ms <= 0.0:
        return 0.0, 0.0, 0.0
    return tuple(rtt_ms if write_share > 1.0 - q else 0.0 for q in (0.5, 0.95, 0.99))


def _queue_outlasts_callers(s, nodes: list[_Node]) -> bool:
    """Whether a full queue on one of the service's instances (``queue`` seconds of work) outlasts the
    shortest timeout of the services that call it: then a caller gives up on every request sent to an
    instance past capacity. Users at the entry wait longer than any queue."""
    timeouts = [n.timeout_ms for n in nodes if s in n.callees]
    return bool(timeouts) and s.spec.queue * 1000.0 + s.spec.latency_ms >= min(timeouts)


def _cpu(rho: float, pressure: float, gc: float) -> float:
    """CPU use of an instance below saturation: the work, garbage collection under memory pressure, and
    the share of time in GC pauses."""
    cpu = 0.04 + 0.9 * rho
    if pressure > 1.0:
        cpu += 0.1 * (pressure - 1.0)  # garbage collection
    if gc:
        cpu += gc * (1.0 - cpu)
    return cpu if cpu < 1.0 else 1.0


def hot_load(rho: float, spread: float) -> tuple[float, float]:
    """(:func:`hot_share`, :func:`hot_excess`) of one load, computed together: they share the quantile
    of capacity and its tail, and the tick model needs both for every cohort near capacity."""
    if rho <= 0.0:
        return 0.0, 0.0
    z = (1.0 - rho) / (rho * spread)
    # E[(1 + d) 1{rho (1 + d) > 1}] for d ~ N(0, spread): the traffic share of the hot instances.
    tail = 0.5 * math.erfc(z / _SQRT2)
    density = math.exp(-0.5 * z * z) / _SQRT_2PI
    share = tail + spread * density
    if 1.0 < share:  # min(share, 1.0), without the call
        share = 1.0
    excess = share - tail / rho
    return share, excess if excess > 0.0 else 0.0


def hot_share(rho: float, spread: float) -> float:
    """Share of a cohort's requests that land on instances pushed past capacity when the per-instance
    load is normal around ``rho`` with coefficient of variation ``spread``: those instances' queues
    outlast their callers' timeouts, so their requests fail (a mean load below capacity, some
    instances over it). The fluid backlog takes over once the mean itself is past capacity."""
    return hot_load(rho, spread)[0]


def hot_excess(rho: float, spread: float) -> float:
    """Share of a cohort's requests refused when the load is spread as in :func:`hot_share` but the hot
    instances' full queues are shorter than their callers' timeouts: those instances serve their
    capacity and refuse only the excess, ``E[(rho (1 + d) - 1)+] / rho``."""
    return hot_load(rho, spread)[1]


def _error_causes(causes, own: _OwnService, share, served, k, shed, own_err, fx_err, pool_fail, dep_fail) -> None:
    """Attribute a cohort's failed requests to their causes (for logs, traces and the postmortem)."""
    if shed:
        causes["overload"] = causes.get("overload", 0.0) + share * shed * k
    if own_err:
        if fx_err:
            cause = "fault"
        elif own.primary_err:
            cause = "no_primary"
        elif own.blocked_err:
            cause = own.blocked_cause
        elif own.flag_err:
            cause = "flag"
        else:
            cause = "baseline"
        causes[cause] = causes.get(cause, 0.0) + served * own_err * k
    if pool_fail:
        causes["pool_exhausted"] = causes.get("pool_exhausted", 0.0) + served * (1.0 - own_err) * pool_fail * k
    if dep_fail:
        causes["dependency"] = (
            causes.get("dependency", 0.0) + served * (1.0 - own_err) * (1.0 - pool_fail) * dep_fail * k
        )


def _demand_connections(node: _Node, connections: float) -> None:
    """A service's open connections count against each callee that limits its connections (next tick)."""
    for d in node.callees:
        if d.max_connections is not None:
            d.conn_demand_next += connections


def _dependencies_by_settings(node: _Node, mix: dict[str, float] | None, now: float, flags) -> dict:
    """:func:`_dependencies` for each distinct call setting (retries, back-off, timeout) among the
    service's instances, keyed by it; the per-attempt errors callers' retries read are the mean."""
    s = node.s
    profiles = s.profiles
    if len(profiles) == 1:
        tuning = profiles[0][1]
        if not node.edges:  # a leaf: what _dependencies gives with no edge, without walking it
            return {tuning.calls: (0.0, 0.0, 0.0, 0.0, 0.0, _call_settings(node, tuning, flags)[1])}
        return {tuning.calls: _dependencies(node, mix, now, tuning, flags)}
    out = {}
    call_error: dict[str, float] = {}
    dep_causes: dict[str, float] = {}
    for w, tuning in profiles:
        if tuning.calls in out:
            continue
        out[tuning.calls] = _dependencies(node, mix, now, tuning, flags)
        for name, p in s.call_error.items():
            call_error[name] = call_error.get(name, 0.0) + w * p
        for name, p in s.dep_causes.items():
            dep_causes[name] = dep_causes.get(name, 0.0) + w * p
    s.call_error.clear()
    s.call_error.update(call_error)
    s.dep_causes.clear()
    s.dep_causes.update(dep_causes)
    return out


def _call_settings(node: _Node, tuning, flags) -> tuple[int, float, float, float]:
    """Retries in effect (a flag can gate them), timeout in ms and its log, back-off in ms; kept on the
    node while its settings and the gate stay the same (they change only with a deploy, push or flip)."""
    gated = node.retries_flag is not None and not flags.get(node.retries_flag, False)
    memo = node.call_memo
    if memo[0] is tuning and memo[1] is gated:
        return memo[2]
    timeout_ms = tuning.timeout_s * 1000.0
    log_timeout = node.log_timeout if timeout_ms == node.timeout_ms else math.log(timeout_ms)
    settings = (0 if gated else tuning.retries), timeout_ms, log_timeout, tuning.backoff_s * 1000.0
    node.call_memo = (tuning, gated, settings)
    return settings


def _dependencies(
    node: _Node, mix: dict[str, float] | None, now: float, tuning, flags
) -> tuple[float, float, float, float, float, float]:
    """What a service's dependencies do to its requests: the failure probability (callee errors,
    timeouts, refused connections, after retries and fan-out), the latency they add at p50, p95 and
    p99, the connection hold time (ms per request) and the timeout, for instances with these call
    settings. Records each callee's per-attempt error."""
    dep_fail = 0.0
    d50 = d95 = d99 = 0.0
    conn_ms = 0.0
    s = node.s
    edges = node.edges
    retries, timeout_ms, log_timeout, backoff_ms = _call_settings(node, tuning, flags)
    call_error = s.call_error
    dep_causes = s.dep_causes
    if edges:
        call_error.clear()
        dep_causes.clear()
    fallbacks = s.fallbacks
    exp = math.exp
    log = math.log
    erfc = math.erfc
    for d, fanout, z50, z95, z99, cache, name, route in edges:
        if fallbacks and (name in fallbacks or (cache is not None and route in fallbacks)):
            continue
        if mix is not None:
            fanout = mix.get(route, fanout)
            if fanout <= 1e-6:
                continue
            z50, z95, z99 = edge_levels(round(fanout, 3))
        if cache is not None:
            fanout *= 1.0 - cache.hit
            if fanout <= 1e-6:
                continue
            z50, z95, z99 = edge_levels(round(fanout, 3))
        median, sigma = d.p50, d.sigma
        if d.cert_expires_at <= now:
            p_attempt = 1.0  # x509: certificate has expired
            median = 5.0
        else:
            # Its errors, its latency beyond the caller's timeout (log-normal tail), its refusals beyond
            # max_connections (written out rather than a call: this runs for every edge recomputed).
            p_timeout = 0.5 * erfc((log_timeout - log(median)) / (sigma * _SQRT2)) if median > 0 else 0.0
            p_attempt = 1.0 - (1.0 - d.error_ratio) * (1.0 - p_timeout)
            max_conn = d.max_connections
            if max_conn is not None and d.conn_demand > max_conn:
                p_attempt = 1.0 - (1.0 - p_attempt) * (max_conn / d.conn_demand)
        call_error[name] = p_attempt
        p_call = p_attempt ** (retries + 1) if retries else p_attempt
        fail = 1.0 - (1.0 - p_call) ** fanout if fanout >= 1.0 else fanout * p_call
        if fail > 0.0:
            dep_causes[name] = dep_causes.get(name, 0.0) + fail
            dep_fail = 1.0 - (1.0 - dep_fail) * (1.0 - fail)
        capped = median if median < timeout_ms else timeout_ms
        mean_ms = min(median * exp(sigma * sigma / 2.0), timeout_ms) * (1.0 + p_attempt * retries)
        extra = (fanout - 1.0) * capped if fanout > 1.0 else 0.0
        if backoff_ms and retries and p_attempt:
            # Each retry waits its back-off first, holding the request (and its connection).
            wait = backoff_ms * (retry_amplification(p_attempt, retries) - 1.0)
            mean_ms += wait
            extra += wait
        conn_ms += fanout * mean_ms
        # What the dependency adds at each percentile of the caller's requests: with fan-out f < 1
        # only a share f call it, and they reach the caller's level q only when f > 1 - q (z is None
        # otherwise, see edge_levels); with f >= 1 the calls are sequential, one at the percentile
        # and the rest near the median. Never more than the caller's timeout per call.
        if z50 is not None:
            v = median * exp(sigma * z50)
            d50 += (v if v < timeout_ms else timeout_ms) + extra
        if z95 is not None:
            v = median * exp(sigma * z95)
            d95 += (v if v < timeout_ms else timeout_ms) + extra
        if z99 is not None:
            v = median * exp(sigma * z99)
            d99 += (v if v < timeout_ms else timeout_ms) + extra
    return dep_fail, d50, d95, d99, conn_ms, timeout_ms


def _deps_stand(node: _Node) -> bool:
    """Whether :attr:`_Node.deps` still holds what :func:`_dependencies_by_settings` would give (and the
    service's ``call_error`` and ``dep_causes``, which it refills, are still its): computed for the same
    profiles, and since then no callee moved what it reads of it (a callee that moved recomputes the
    service in the same tick, so a move since then shows as one now), its connection demand did not
    move, and no cache in front of one refilled. The caller rules out a first tick, a certificate's
    expiry, a regroup (settings, flags, fallbacks mark the service dirty), an input flagged for
    recomputation and a traffic mix."""
    if node.deps is None or node.s.profiles is not node.deps_profiles:
        return False
    for d in node.callees:
        if d.demand_moved or (d.changed and d.moved):
            return False
    for cache in node.caches:
        if cache.hit_changed:
            return False
    return True


def _inputs_changed(s, node: _Node) -> bool:
    """Whether anything a service's figures depend on changed since it was last computed.

    Its load counts as moved only beyond a relative 1e-9 (a real change, not the last-bit wobble of a
    retry loop settling on its fixed point); written out three times as this runs for every service
    every tick (an equal value, the common case, skips the two abs calls). A callee recomputed counts
    only when what the service reads of it moved (``ServiceState.moved``), and only while the service's
    own load is bit for bit the one it was computed with: under a wobble within the 1e-9, a callee's
    recomputation recomputes it as it always did (a recomputation would pick the wobble up)."""
    if s.dirty or s.queued or s.recompute:
        return True
    same = True
    value, before = s.offered, s.last_offered
    if value != before:
        if abs(value - before) > 1e-9 * (abs(before) + 1.0):
            return True
        same = False
    value, before = s.admitted, s.last_admitted
    if value != before:
        if abs(value - before) > 1e-9 * (abs(before) + 1.0):
            return True
        same = False
    value, before = s.conn_demand, s.last_conn_demand
    if value != before:
        if abs(value - before) > 1e-9 * (abs(before) + 1.0):
            return True
        same = False
    for d in node.callees:
        if d.changed and (d.moved or not same):
            return True
    for cache in node.caches:
        if cache.hit_changed:
            return True
    return False


def regroup(s) -> None:
    """Rebuild a service's rotation, cohorts and leak list after an instance changed state."""
    from simulator.world.state import Cohort

    drained = s.drained_zones
    groups: dict[tuple, Cohort] = {}
    rotation = []
    growing = []
    steady = 0.0
    steady_disk = 0.0
    carried: dict[int, list[float]] = {}
    tuner = s.tuner
    live: dict = {}
    setattr_ = object.__setattr__  # (an instance's cohort is not a field that marks its service dirty)
    for inst in s.instances:
        previous = inst.cohort.backlog if inst.cohort is not None else 0.0
        setattr_(inst, "cohort", None)
        alive = inst.state == RUNNING and inst.broken_since is None
        if alive:
            if inst.leak_per_s or inst.disk_per_s:
                growing.append(inst)
            if inst.leak_per_s:
                mem_ratio = inst.memory / inst.memory_limit
                pressure = memory_pressure(mem_ratio)
                object.__setattr__(inst, "pressure", pressure)
            else:
                steady = max(steady, inst.memory / inst.memory_limit)
                object.__setattr__(inst, "pressure", 1.0)
            if not inst.disk_per_s:
                steady_disk = max(steady_disk, inst.disk / s.spec.disk_gb)
        if not (inst.ready and not inst.ejected and inst.zone not in drained):
            continue
        rotation.append(inst)
        if inst.broken_since is not None:
            key = ("dead", inst.zone, inst.version)
            dead_zone = inst.zone
        else:
            tuning = tuner(inst) if tuner is not None else s.tuning
            # Grouped by the settings' values (equal settings group together, as the Tuning would):
            # the first instance's Tuning is the one its cohort's key and the profiles keep.
            values = tuning.values
            key = (inst.version, inst.fx_err, inst.fx_lat, inst.fx_cpu, inst.pressure, inst.fx_hold / 1000.0, values)
            dead_zone = None
            seen = live.get(values)
            if seen is None:
                live[values] = [tuning, 1]
            else:
                seen[1] += 1
        cohort = groups.get(key)
        if cohort is None:
            cohort = groups[key] = Cohort(
                key[:-1] + (live[values][0],) if dead_zone is None else (inst.version,), dead_zone
            )
        cohort.members.append(inst)
        cohort.zones[inst.zone] = cohort.zones.get(inst.zone, 0) + 1
        carried.setdefault(id(cohort), []).append(previous)
        setattr_(inst, "cohort", cohort)
    for cohort in groups.values():
        queued = carried[id(cohort)]
        cohort.backlog = sum(queued) / len(queued)  # each member keeps its queue; the cohort averages
    s.rotation = rotation
    s.cohorts = list(groups.values())
    total = sum(k for _, k in live.values())
    s.profiles = [(k / total, tuning) for tuning, k in live.values()] if total else [(1.0, s.tuning)]
    s.growing = growing
    s.steady_memory_ratio = steady
    s.steady_disk_ratio = steady_disk
    s.dirty = False


@lru_cache(maxsize=1024)
def tail_levels(n: int) -> tuple[float | None, float | None]:
    """Normal quantiles at which one of ``n`` equally loaded instances sets a service's p95 and p99.

    An instance with traffic share w dominates the mixture's level q when w > 1 - q; it then sits at
    its own level 1 - (1 - q) / w.
    """
    w = 1.0 / n
    z95 = z_of(round(1.0 - 0.05 / w, 5)) if w > 0.05 else None
    z99 = z_of(round(1.0 - 0.01 / w, 5)) if w > 0.01 else None
    return z95, z99


def splits(s, dimension: str) -> dict[str, list[float]]:
    """A service's last-tick figures split by ``zone`` or ``version``: value -> [rate, errors, p99]."""
    groups: dict[str, list[float]] = {}
    for cohort in s.cohorts:
        rate, errors, p99 = cohort.rate, cohort.errors, cohort.p99
        if dimension == "zone":
            items = cohort.zones.items()
        else:
            items = ((cohort.key[0], len(cohort.members)),)
        for value, k in items:
            g = groups.get(value)
            if g is None:
                groups[value] = [rate * k, errors * k, p99 * rate * k]
            else:
                g[0] += rate * k
                g[1] += errors * k
                g[2] += p99 * rate * k
    for g in groups.values():
        g[2] = g[2] / g[0] if g[0] > 0 else math.nan
    return groups
