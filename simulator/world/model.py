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
from functools import lru_cache
from statistics import NormalDist

from simulator.world.state import RUNNING, World

_NORMAL = NormalDist()
Z50, Z95, Z99 = 0.0, _NORMAL.inv_cdf(0.95), _NORMAL.inv_cdf(0.99)
QUANTILES = (0.5, 0.95, 0.99)
_SQRT2 = math.sqrt(2.0)


@lru_cache(maxsize=4096)
def z_of(level: float) -> float:
    """Standard normal quantile, cached (levels are rounded by callers)."""
    return _NORMAL.inv_cdf(min(max(level, 1e-6), 1 - 1e-6))


def lognormal_tail(median: float, sigma: float, x: float) -> float:
    """P(X > x) for a log-normal with this median and sigma."""
    if median <= 0 or x <= 0:
        return 0.0
    return 0.5 * math.erfc((math.log(x) - math.log(median)) / (sigma * _SQRT2))


def queue_factor(rho: float) -> float:
    """Latency multiplier of a many-worker queue at utilisation rho: flat to ~0.7, x1.4 at 0.8, x3 at 0.9,
    x8 at 0.95 (an M/M/c-like shape for a server with a few dozen workers)."""
    r = min(rho, 0.98)
    return 1.0 + 0.5 * r**8 / (1.0 - r)


def dependency_quantile(fanout: float, z_adj: float | None, median: float, sigma: float, timeout_ms: float) -> float:
    """Latency a dependency adds at one percentile of its caller's requests.

    With fan-out f < 1 only a share f of requests call it: they dominate the caller's tail at level q
    when f > 1 - q, where they sit at the callee's level 1 - (1 - q) / f (``z_adj``, precomputed).
    With f >= 1 the calls are sequential: one at the percentile and the rest near the median.
    """
    if z_adj is None:
        return 0.0
    value = min(median * math.exp(sigma * z_adj), timeout_ms)
    if fanout > 1.0:
        value += (fanout - 1.0) * min(median, timeout_ms)
    return value


def edge_levels(fanout: float) -> tuple[float | None, float | None, float | None]:
    """Adjusted normal quantiles of a callee at the caller's p50, p95, p99 (None: no contribution)."""
    out: list[float | None] = []
    for q in QUANTILES:
        if fanout >= 1.0:
            out.append(z_of(q))
        elif fanout > 1.0 - q:
            out.append(z_of(round(1.0 - (1.0 - q) / fanout, 5)))
        else:
            out.append(None)
    return out[0], out[1], out[2]


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
                out.append((d, f, *edge_levels(f), None))
                if d.spec.cache_for:
                    # Cache-aside: a miss makes the caller read the cache's backend itself.
                    out.append((services[d.spec.cache_for], f, None, None, None, d))
            edges[name] = out
        self.top_down = [(services[name], edges[name]) for name in world.order]
        self.bottom_up = [
            (
                services[name],
                edges[name],
                services[name].spec.timeout * 1000.0,
                math.log(services[name].spec.timeout * 1000.0),
            )
            for name in reversed(world.order)
        ]
        self.caches = [
            (s, [c for c in services.values() if s.name in c.spec.calls]) for s in services.values() if s.spec.cache_for
        ]
        self.oom: list = []
        """Instances that crossed their memory limit during the last step (the caller kills them)."""
        self._first = True
        self._last_now = -1.0
        self.entry_fanout: dict[str, float] | None = None
        """The entry's fan-out this tick when surges with their own routes are mixed in."""
        self.disk_full: list = []
        """Instances whose disk filled up during the last step (the caller applies the effect)."""

    def _retries(self, s) -> int:
        flag = s.spec.retries_flag
        return s.spec.retries if flag is None or self.world.flags.get(flag, False) else 0

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
        for s in services.values():
            s.offered = 0.0
            s.lost = 0.0
            s.excluded = 0.0
            s.conn_demand = s.conn_demand_next
            s.conn_demand_next = 0.0
        entry = services[self.entry]
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
        if entry.cert_expired(now):
            entry.lost = total  # TLS handshakes fail at the clients: nothing arrives
        else:
            entry.offered = total
            # A surge client's requests refused by its own limit are out of the user-facing SLI.
            entry.excluded = client_limited

        # 1. Offered load, callers first.
        for s, edges in self.top_down:
            off = s.offered
            admitted = off - client_limited if s is entry else off
            if s.rate_limit is not None and admitted > s.rate_limit:
                admitted = s.rate_limit
            if s.shed:
                admitted *= 1.0 - s.shed
            s.admitted = admitted
            passing = admitted * s.pass_ratio
            retries = self._retries(s)
            fallbacks = s.fallbacks
            retried = 0.0
            mix = entry_fanout if s is entry else None
            for d, fanout, _, _, _, cache in edges:
                if fallbacks and (d.name in fallbacks or (cache is not None and cache.name in fallbacks)):
                    continue
                if mix is not None:
                    fanout = mix.get(cache.name if cache is not None else d.name, fanout)
                if cache is not None:
                    fanout *= 1.0 - cache.hit
                if d.cert_expires_at <= now:
                    continue  # the TLS handshake fails before any request reaches it
                amplification = 1.0
                if retries:
                    p = s.call_error.get(d.name, 0.0)
                    term = 1.0
                    for _ in range(retries):
                        term *= p
                        amplification += term
                    retried += passing * fanout * (amplification - 1.0)
                d.offered += passing * fanout * amplification
            s.retry_rate = retried

        # 2. Latency and errors, callees first.
        hang = world.zone_hang
        oom = self.oom
        oom.clear()
        self.disk_full.clear()
        exp = math.exp
        log = math.log
        erfc = math.erfc
        force = self._first or any(self._last_now < x.cert_expires_at <= now for x in services.values())
        self._first = False
        self._last_now = now
        for s, edges, timeout_ms, log_timeout in self.bottom_up:
            regrouped = s.dirty  # _grow regroups (and clears dirty), but the service must still recompute
            if s.growing or regrouped:
                self._grow(s, dt, oom)
            if not (force or regrouped or _inputs_changed(s, edges)):
                # Same inputs as last tick: its figures stand (traffic moves in 5 s steps, so most
                # ticks of a steady system recompute nothing).
                s.changed = False
                if s.last_connections:
                    for d, _, _, _, _, _ in edges:
                        if d.spec.max_connections is not None:
                            d.conn_demand_next += s.last_connections
                continue
            s.changed = True
            s.last_offered = s.offered
            s.last_admitted = s.admitted
            s.last_conn_demand = s.conn_demand
            dep_fail = 0.0
            d50 = d95 = d99 = 0.0
            conn_ms = 0.0
            call_error = s.call_error
            dep_causes = s.dep_causes
            if edges:
                call_error.clear()
                dep_causes.clear()
            retries = self._retries(s)
            fallbacks = s.fallbacks
            mix = entry_fanout if s is entry else None
            for d, fanout, z50, z95, z99, cache in edges:
                if fallbacks and (d.name in fallbacks or (cache is not None and cache.name in fallbacks)):
                    continue
                if mix is not None:
                    fanout = mix.get(cache.name if cache is not None else d.name, fanout)
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
                    # P(callee latency > timeout) for a log-normal with this median and sigma.
                    p_timeout = 0.5 * erfc((log_timeout - log(median)) / (sigma * _SQRT2)) if median > 0 else 0.0
                    p_attempt = 1.0 - (1.0 - d.error_ratio) * (1.0 - p_timeout)
                    max_conn = d.spec.max_connections
                    if max_conn is not None and d.conn_demand > max_conn:
                        p_attempt = 1.0 - (1.0 - p_attempt) * (max_conn / d.conn_demand)
                call_error[d.name] = p_attempt
                p_call = p_attempt ** (retries + 1) if retries else p_attempt
                fail = 1.0 - (1.0 - p_call) ** fanout if fanout >= 1.0 else fanout * p_call
                if fail > 0.0:
                    dep_causes[d.name] = dep_causes.get(d.name, 0.0) + fail
                    dep_fail = 1.0 - (1.0 - dep_fail) * (1.0 - fail)
                capped = median if median < timeout_ms else timeout_ms
                mean_ms = min(median * exp(sigma * sigma / 2.0), timeout_ms)
                if retries:
                    mean_ms *= 1.0 + p_attempt * retries
                conn_ms += fanout * mean_ms
                extra = (fanout - 1.0) * capped if fanout > 1.0 else 0.0
                # What the dependency adds at each percentile (see dependency_quantile).
                if z50 is not None:
                    v = median * exp(sigma * z50)
                    d50 += (v if v < timeout_ms else timeout_ms) + extra
                if z95 is not None:
                    v = median * exp(sigma * z95)
                    d95 += (v if v < timeout_ms else timeout_ms) + extra
                if z99 is not None:
                    v = median * exp(sigma * z99)
                    d99 += (v if v < timeout_ms else timeout_ms) + extra

            connections = self._instances(s, dt, dep_fail, d50, d95, d99, conn_ms, timeout_ms, hang, oom)
            s.last_connections = connections
            if connections:
                for d, _, _, _, _, _ in edges:
                    if d.spec.max_connections is not None:
                        d.conn_demand_next += connections

        # 3. Caches refill from their backend as long as it answers in time: a miss is written back
        # only when the caller's read of the backend succeeded (not failed, not timed out).
        for c, callers in self.caches:
            backend = c.spec.cache_for
            if callers:
                success = min(1.0 - caller.call_error.get(backend, 0.0) for caller in callers)
            else:
                success = 1.0 - services[backend].error_ratio
            tau = c.spec.warm_minutes * 20.0  # ~95 % of the way in warm_minutes
            step = dt / tau if dt < tau else 1.0
            before = c.hit
            c.hit += (c.spec.hit_ratio - c.hit) * step * success * (1.0 if c.rotation else 0.0)
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
                inst.memory = memory
                if memory >= inst.memory_limit:
                    oom.append(inst)
                mem_ratio = memory / inst.memory_limit
                if mem_ratio > mem_max:
                    mem_max = mem_ratio
                pressure = round(1.0 + 2.0 * ((mem_ratio - 0.8) / 0.2) ** 2, 1) if mem_ratio > 0.8 else 1.0
                if pressure != inst.pressure:
                    object.__setattr__(inst, "pressure", pressure)
                    s.dirty = True
            if inst.disk_per_s:
                was_full = inst.disk >= disk_size
                inst.disk = min(inst.disk + inst.disk_per_s * dt, disk_size)
                if inst.disk >= disk_size and not was_full:
                    self.disk_full.append(inst)
                if inst.disk / disk_size > disk_max:
                    disk_max = inst.disk / disk_size
        s.memory_ratio = mem_max
        s.disk_ratio = disk_max

    def _instances(self, s, dt, dep_fail, d50, d95, d99, conn_ms, timeout_ms, hang, oom) -> None:
        """Spread a service's admitted load over its instances in rotation and aggregate the result."""
        spec = s.spec
        world = self.world
        down = world.down_zones

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
        # With one cohort the mixture is the cohort itself; the tail terms matter only for several.
        z95w, z99w = tail_levels(n) if len(cohorts) > 1 else (None, None)
        e95w = math.exp(sigma * z95w) if z95w is not None else 0.0
        e99w = math.exp(sigma * z99w) if z99w is not None else 0.0
        err_sum = 0.0
        p50_sum = p95_sum = p99_sum = 0.0
        tail95 = tail99 = 0.0
        cpu_sum = pool_max = 0.0
        passed = 0.0
        dead = 0
        capacity = spec.capacity_rps
        base_latency = spec.latency_ms
        primary_err = spec.write_share if s.primary_down else 0.0
        base_err = spec.error_rate + s.extra_err + primary_err
        flag_err = s.extra_err
        max_queue = spec.queue
        pool_size = spec.pool_size
        connections = 0.0
        hold_s = conn_ms / 1000.0
        e95 = math.exp(sigma * Z95)
        e99 = math.exp(sigma * Z99)
        queued = False
        for cohort in cohorts:
            k = len(cohort.members)
            rate_k = share * k
            cohort.rate = share
            if cohort.dead_zone is not None:
                # Dead targets still in the load balancer: requests hang or are refused.
                zone = cohort.dead_zone
                lat = max(hang.get(zone, 0.0) * 1000.0 if zone in down else 1.0, 1.0)
                # A partial (gray) failure hangs only a share of the requests; the rest are served.
                frac = world.zone_fail_share.get(zone, 1.0) if zone in down else 1.0
                normal = base_latency
                cohort.errors = share * frac
                cohort.cpu = cohort.pool_ratio = 0.0
                dead += k
                causes["dead_target"] = causes.get("dead_target", 0.0) + rate_k * frac
                err_sum += rate_k * frac
                p50_sum += (lat if frac >= 0.5 else normal) * k
                p95_sum += (lat if frac >= 0.05 else normal) * k
                p99_sum += (lat if frac >= 0.01 else normal) * k
                if z95w is not None and lat > tail95:
                    tail95 = lat
                if z99w is not None and lat > tail99:
                    tail99 = lat
                cohort.p99 = lat
                continue
            version, fx_err, fx_lat, fx_cpu, pressure, fx_hold = cohort.key
            cap = capacity / fx_cpu
            rho = share / cap
            shed = 0.0
            wait_ms = 0.0
            backlog = cohort.backlog
            if rho > 1.0 or backlog > 0.0:
                # Work beyond capacity queues; requests wait behind it (and callers time out while the
                # instance still does the work); a full queue rejects the excess.
                backlog += (share - cap) * dt
                if backlog < 0.0:
                    backlog = 0.0
                limit = cap * max_queue
                if backlog > limit:
                    shed = (backlog - limit) / (share * dt) if share > 0.0 else 0.0
                    if shed > 1.0:
                        shed = 1.0
                    backlog = limit
                if backlog != cohort.backlog:
                    queued = True  # the queue is still moving: recompute next tick too
                cohort.backlog = backlog
                wait_ms = backlog / cap * 1000.0
            served = share * (1.0 - shed)
            # Queueing factor (see queue_factor); past saturation the explicit backlog carries the wait.
            r = rho if rho < 0.95 else 0.95
            median = base_latency * (1.0 + 0.5 * r**8 / (1.0 - r)) * fx_lat * pressure
            pool_ratio = served * (hold_s + fx_hold) / pool_size
            pool_fail = 1.0 - 1.0 / pool_ratio if pool_ratio > 1.0 else 0.0
            own_err = base_err + fx_err
            if own_err > 1.0:
                own_err = 1.0
            ok = (1.0 - own_err) * (1.0 - pool_fail) * (1.0 - dep_fail)
            errors = share * shed + served * (1.0 - ok)
            cpu = 0.04 + 0.9 * (rho if rho < 1.0 else 1.0)
            if pressure > 1.0:
                cpu += 0.1 * (pressure - 1.0)  # garbage collection
            cpu = cpu if cpu < 1.0 else 1.0
            cohort.errors = errors
            cohort.cpu = cpu
            cohort.pool_ratio = pool_ratio
            cohort.lat_factor = (median + wait_ms) / base_latency
            cpu_sum += cpu * k
            connections += (pool_ratio if pool_ratio < 1.0 else 1.0) * pool_size * k
            if pool_ratio > pool_max:
                pool_max = pool_ratio
            passed += served * (1.0 - own_err) * k
            err_sum += errors * k
            if shed:
                causes["overload"] = causes.get("overload", 0.0) + share * shed * k
            if own_err:
                if fx_err:
                    causes["fault"] = causes.get("fault", 0.0) + served * own_err * k
                elif primary_err:
                    causes["no_primary"] = causes.get("no_primary", 0.0) + served * own_err * k
                elif flag_err:
                    causes["flag"] = causes.get("flag", 0.0) + served * own_err * k
                else:
                    causes["baseline"] = causes.get("baseline", 0.0) + served * own_err * k
            if pool_fail:
                causes["pool_exhausted"] = causes.get("pool_exhausted", 0.0) + served * (1.0 - own_err) * pool_fail * k
            if dep_fail:
                causes["dependency"] = (
                    causes.get("dependency", 0.0) + served * (1.0 - own_err) * (1.0 - pool_fail) * dep_fail * k
                )
            # Every request waits behind the backlog: the wait shifts all percentiles equally.
            l50 = median + wait_ms + d50
            l95 = median * e95 + wait_ms + d95
            l99 = median * e99 + wait_ms + d99
            if pool_ratio > 1.0:
                # Waiting for a pool connection: the tail sits flat at the pool timeout.
                l99 = timeout_ms
                if pool_fail > 0.05:
                    l95 = timeout_ms
                if pool_fail > 0.5:
                    l50 = timeout_ms
            p50_sum += l50 * k
            p95_sum += l95 * k
            p99_sum += l99 * k
            if z95w is not None:
                t95 = median * e95w + wait_ms + d95
                if t95 > tail95:
                    tail95 = t95
            if z99w is not None:
                t99 = median * e99w + wait_ms + d99
                if t99 > tail99:
                    tail99 = t99
            cohort.p99 = l99

        s.queued = queued
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
        s.set_figures(s.offered, errors, p50, p95, p99, eff_sigma, cpu_sum / max(n - dead, 1), mem_max, pool_max)
        return connections


def _moved(now: float, before: float) -> bool:
    """A real change, not the last-bit wobble of a retry loop settling on its fixed point."""
    return abs(now - before) > 1e-9 * (abs(before) + 1.0)


def _inputs_changed(s, edges) -> bool:
    """Whether anything a service's figures depend on changed since it was last computed."""
    if s.dirty or s.queued:
        return True
    if (
        _moved(s.offered, s.last_offered)
        or _moved(s.admitted, s.last_admitted)
        or _moved(s.conn_demand, s.last_conn_demand)
    ):
        return True
    for d, _, _, _, _, cache in edges:
        if d.changed or (cache is not None and cache.hit_changed) or (d.spec.cache_for and d.hit_changed):
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
    for inst in s.instances:
        previous = inst.cohort.backlog if inst.cohort is not None else 0.0
        inst.cohort = None
        alive = inst.state == RUNNING and inst.broken_since is None
        if alive:
            if inst.leak_per_s or inst.disk_per_s:
                growing.append(inst)
            if inst.leak_per_s:
                mem_ratio = inst.memory / inst.memory_limit
                pressure = round(1.0 + 2.0 * ((mem_ratio - 0.8) / 0.2) ** 2, 1) if mem_ratio > 0.8 else 1.0
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
            key = (inst.version, inst.fx_err, inst.fx_lat, inst.fx_cpu, inst.pressure, inst.fx_hold / 1000.0)
            dead_zone = None
        cohort = groups.get(key)
        if cohort is None:
            cohort = groups[key] = Cohort(key if dead_zone is None else (inst.version,), dead_zone)
        cohort.members.append(inst)
        cohort.zones[inst.zone] = cohort.zones.get(inst.zone, 0) + 1
        carried.setdefault(id(cohort), []).append(previous)
        inst.cohort = cohort
    for cohort in groups.values():
        queued = carried[id(cohort)]
        cohort.backlog = sum(queued) / len(queued)  # each member keeps its queue; the cohort averages
    s.rotation = rotation
    s.cohorts = list(groups.values())
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
