"""Each stack logs in its own native shape, from what the model says is happening (telemetry/nginx.py,
jvm.py, causes.py): every line parses with a regex of the real format, and says only what the model does."""

from __future__ import annotations

import re

import pytest
from simkit import chain_spec, sim_of, tiny

from scenarios.catalog import load_by_ref
from simulator.session.simulation import Simulation
from simulator.telemetry import jvm

NGINX_ERROR = re.compile(
    r"^\[(?P<severity>error|warn|alert|crit|emerg|notice|info)\] (?P<pid>\d+)#(?P=pid): \*(?P<cid>\d+) (?P<text>.+?), "
    r"client: (?P<client>\d+\.\d+\.\d+\.\d+), server: (?P<server>\S+), "
    r'request: "(?P<method>[A-Z]+) (?P<path>/\S*) HTTP/1\.1", upstream: "http://(?P<upstream>[\w.-]+(?::\d+)?)'
    r'(?P=path)", host: "(?P=server)"$'
)
"""nginx's error log line after its timestamp (ngx_log_error_core, ngx_http_log_error)."""
NGINX_ACCESS = re.compile(
    r'^(?P<client>\d+\.\d+\.\d+\.\d+) - - "(?P<method>[A-Z]+) (?P<path>/\S*) HTTP/1\.1" (?P<status>\d{3}) '
    r'(?P<bytes>\d+) "-" "(?P<agent>[^"]*)" rt=(?P<rt>\d+\.\d{3}) uct="(?P<uct>-|\d+\.\d{3})" '
    r'urt="(?P<urt>-|\d+\.\d{3})" ua="(?P<ua>[^"]*)" us="(?P<us>-|\d{3})"$'
)
"""The combined format (after $time_local) plus $request_time, $upstream_connect_time,
$upstream_response_time, $upstream_addr and $upstream_status."""
JAVA_HEAD = re.compile(r"^(?:Caused by: )?(?:[a-z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error)(?:: .+)?$")
JAVA_FRAME = re.compile(
    r"^\tat (?:[\w.]+/)?(?:[a-z_$][\w$]*\.)+[\w$]+\.[\w$<>]+\((?:[\w$]+\.java:\d+|Native Method)\)$"
)
JAVA_MORE = re.compile(r"^\t\.\.\. (\d+) more$")
UNIFIED_GC = re.compile(
    r"^\[(?P<uptime>\d+\.\d{3})s\]\[info\]\[gc\] GC\((?P<n>\d+)\) (?P<kind>Pause Young \(Normal\) \(G1 Evacuation "
    r"Pause\)|Pause Full \(G1 Compaction Pause\)) (?P<before>\d+)M->(?P<after>\d+)M\((?P<heap>\d+)M\) "
    r"(?P<pause>\d+\.\d{3})ms$"
)
"""JDK unified logging, -Xlog:gc (decorations uptime, level, tags)."""


def nginx_chain(**api_fault) -> Simulation:
    """web (an nginx edge, 1 s upstream timeout) -> api -> db, with an optional fault on api from 1 min."""
    spec = chain_spec(kind="edge", stack={"language": "nginx"}, timeout="1s")
    if api_fault:
        spec["faults"] = [{"type": "latency", "at": "1m", "service": "api", **api_fault}]
    sim = sim_of(spec)
    sim.run_until(600)
    return sim


def split(sim: Simulation, service: str):
    """(error-log matches, access-log matches, lines matching neither) of a service's lines, past the warm-up."""
    errors, access, other = [], [], []
    for r in sim.logs(service=service):
        if r.instance.endswith("-lb") or r.t < 0:
            continue
        m = NGINX_ERROR.match(r.message)
        a = NGINX_ACCESS.match(r.message)
        (errors if m else access if a else other).append((r, m or a))
    return errors, access, other


def test_an_nginx_edge_writes_the_combined_access_log_with_upstream_timings():
    sim = nginx_chain()
    errors, access, other = split(sim, "web")
    assert len(access) > 100 and not errors
    assert other and all(r.message.startswith("[") for r, _ in other), "anything else is nginx's own chatter"
    for r, _ in other:  # the record's level is nginx's own severity
        assert r.level == {"info": "INFO", "notice": "INFO"}[r.message[1 : r.message.index("]")]]
    ok = [m for r, m in access if m["status"] == "200"]
    assert ok and all(m["us"] == "200" and m["ua"].endswith(":8080") for m in ok), "proxied to an api instance"
    api = {inst.zone for inst in sim.world.services["api"].instances}
    subnets = {f"10.0.{ord(z[-1]) - ord('a') + 1}." for z in api}
    assert {m["ua"][: len("10.0.1.")] for m in ok} <= subnets, "addresses in the api zones' subnets"
    # request time covers the upstream's, and both follow the logged duration
    for r, m in [(r, m) for r, m in access if m["status"] == "200"][:50]:
        assert float(m["rt"]) == pytest.approx(r.attributes["duration_ms"] / 1000, abs=0.0006)
        assert float(m["urt"]) <= float(m["rt"])


def test_an_nginx_504_only_when_the_upstream_is_timing_out():
    slow = nginx_chain(factor=80)  # api answers in ~1.2 s, past web's 1 s timeout
    api = slow.world.services["api"]
    assert api.p99 >= 0.9 * 1000
    errors, _, _ = split(slow, "web")
    timeouts = [(r, m) for r, m in errors if r.attributes["http.response.status_code"] == 504]
    assert len(timeouts) > 50
    assert all(
        m["text"] == "upstream timed out (110: Connection timed out) while reading response header from upstream"
        and m["severity"] == "error"
        and r.level == "ERROR"
        for r, m in timeouts
    )
    addresses = {m["upstream"] for _, m in timeouts}
    assert addresses <= {f"10.0.{ord(i.zone[-1]) - 96}.{_host(i.id)}:8080" for i in api.instances}

    failing = nginx_chain(factor=1.01, error_rate=0.3, error_message="boom")  # api answers fast, with 500s
    errors, access, _ = split(failing, "web")
    assert not errors, "nginx writes no error line for an upstream's own 5xx"
    passed = [m for r, m in access if m["status"] != "200" and r.t > 90]
    assert passed and {(m["status"], m["us"]) for m in passed if m["us"] != "-"} == {("500", "500")}
    assert not [m for m in passed if m["status"] == "504"]

    healthy = nginx_chain()
    assert not [r for r in healthy.logs(service="web") if r.attributes.get("http.response.status_code") == 504]


def _host(instance_id: str) -> int:
    import zlib

    return zlib.crc32(instance_id.encode()) % 240 + 10


def test_nginx_in_a_gray_zone_times_out_reading_from_targets_in_that_zone_only():
    scenario = load_by_ref("gray-zone-failure")[0]
    sim = Simulation(scenario, 3)
    sim.run_until(900)
    gray = {i.zone for i in sim.world.services["api"].instances if i.gray}
    assert len(gray) == 1
    (zone,) = gray
    errors, access, _ = split(sim, "web")
    timeouts = [m for r, m in errors if m["text"].startswith("upstream timed out")]
    assert timeouts and all("while reading response header" in m["text"] for m in timeouts), (
        "a gray failure accepts the connection and never answers"
    )
    assert {m["upstream"].split(".")[2] for m in timeouts} == {str(ord(zone[-1]) - 96)}
    assert all(NGINX_ERROR.match(r.message) or NGINX_ACCESS.match(r.message) for r, _ in errors + access)


def test_an_overloaded_nginx_runs_out_of_worker_connections():
    spec = chain_spec(kind="edge", stack={"language": "nginx"}, capacity_rps=50)
    sim = sim_of(spec)
    sim.run_until(300)
    errors, _, _ = split(sim, "web")
    alerts = [m for r, m in errors if m["severity"] == "alert"]
    assert sim.world.services["web"].causes.get("overload", 0) > 0
    assert alerts and all(
        m["text"].endswith("worker_connections are not enough while connecting to upstream") for m in alerts
    )


def java_lines(sim: Simulation, service: str):
    return [r for r in sim.logs(service=service) if "\n" in r.message]


def assert_java_trace(message: str) -> None:
    """Every line of a trace is a head, a frame or '... N more'; the first frame block ends at Thread.run."""
    lines = message.split("\n")
    assert JAVA_HEAD.match(lines[0]), lines[0]
    for line in lines[1:]:
        assert JAVA_HEAD.match(line) or JAVA_FRAME.match(line) or JAVA_MORE.match(line), repr(line)
    first_block = [ln for ln in lines[1:] if not ln.startswith("Caused by:")][: len(lines)]
    assert first_block[0].startswith("\tat ")
    causes = [i for i, ln in enumerate(lines) if ln.startswith("Caused by: ")]
    assert "\tat java.lang.Thread.run(Thread.java:" in "\n".join(lines[: causes[0] if causes else None])
    for i in causes:  # a cause shares its outer frames with the one above: '... N more' stands for them
        more = [JAVA_MORE.match(ln) for ln in lines[i + 1 :] if JAVA_MORE.match(ln)]
        assert more and int(more[0].group(1)) > 0


def test_jvm_pool_timeouts_are_multi_line_stack_traces_with_a_caused_by_chain():
    scenario = load_by_ref("db-pool-exhaustion")[0]
    sim = Simulation(scenario, 3)
    sim.run_until(1500)
    traces = [r for r in java_lines(sim, "orders") if "Connection is not available" in r.message]
    assert traces
    for r in traces[:20]:
        assert_java_trace(r.message)
        assert "\nCaused by: java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available" in (
            r.message
        )
        assert "\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:" in r.message
        assert "\tat com.shop.orders.web.OrdersController." in r.message, "the service's own controller"
    # the query matches any line of an entry, and a trace id still links to its line
    assert sim.logs(service="orders", text="HikariPool.createTimeoutException")
    linked = [r for r in traces if r.trace_id]
    assert linked and sim.logs(trace_id=linked[0].trace_id)[0].message == linked[0].message


@pytest.mark.parametrize(
    ("slow", "caller", "head"),
    [
        ("db", "api", "org.postgresql.util.PSQLException: An I/O error occurred while sending to the backend."),
        ("api", "web", 'org.springframework.web.client.ResourceAccessException: I/O error on GET request for '
                       '"http://api/api/api": Read timed out (after 500ms)'),
    ],
)  # fmt: skip
def test_a_jvm_dependency_timeout_is_its_clients_exception_caused_by_a_socket_timeout(slow, caller, head):
    spec = chain_spec()
    spec["faults"] = [{"type": "latency", "at": "1m", "service": slow, "factor": 400}]
    for svc in spec["topology"]["services"]:
        svc["timeout"] = "500ms"
    sim = sim_of(spec)
    sim.run_until(400)
    traces = [r for r in java_lines(sim, caller) if "SocketTimeoutException" in r.message]
    assert traces
    for r in traces[:10]:
        assert_java_trace(r.message)
        assert r.message.split("\n")[0] == head
        assert "\nCaused by: java.net.SocketTimeoutException: Read timed out\n" in r.message
        assert r.attributes["http.response.status_code"] == 504
        assert f"\tat com.shop.{caller}.client.{slow.capitalize()}Client.call(" in r.message


def heap_sim(heap_mb: float, limit: float = 1024, rps: float = 300) -> Simulation:
    spec = tiny()
    spec["topology"]["services"][0].update({"memory": {"base": 400, "limit": limit}, "heap_mb": heap_mb})
    spec["traffic"]["base_rps"] = rps
    sim = sim_of(spec)
    sim.run_until(600)
    return sim


def gc_lines(sim: Simulation):
    return [(r, UNIFIED_GC.match(r.message)) for r in sim.logs(service="web") if "[gc]" in r.message]


def test_gc_lines_take_heap_survivors_and_pause_frequency_from_the_model():
    sim = heap_sim(220)
    web = sim.world.services["web"]
    lines = gc_lines(sim)
    assert lines and all(m for _, m in lines), "every GC line is unified logging"
    steady = [m for r, m in lines if r.level == "INFO" and r.t > 60]
    assert steady
    for m in steady:
        assert m["kind"].startswith("Pause Young")
        assert int(m["heap"]) == 220, "the heap is the service's heap_mb"
        assert int(m["after"]) == round(jvm.live_set(400, 1.0)) == 200, "survivors: the model's live set"
        assert float(m["pause"]) == pytest.approx(jvm.young_pause_ms(200))
        n, uptime = int(m["n"]), float(m["uptime"])
        # pause / interval between collections = the model's share of time in GC
        assert float(m["pause"]) / 1000 / (uptime / n) == pytest.approx(web.gc_ratio, rel=0.01)
    assert not [r for r in sim.logs(service="web") if "OutOfMemoryError" in r.message]


def test_gc_survivors_grow_with_the_models_memory_pressure():
    spec = tiny()
    spec["topology"]["services"][0].update({"memory": {"base": 400, "limit": 560}, "heap_mb": 700})
    spec["faults"] = [{"type": "memory_leak", "at": "0s", "service": "web", "mb_per_min": 12}]
    sim = sim_of(spec)
    sim.run_until(600)
    assert min(inst.pressure for inst in sim.world.services["web"].instances) > 1.0
    after = [int(m["after"]) for r, m in gc_lines(sim) if r.t > 0]
    # survivors are the live set times the instance's pressure bucket (model.memory_pressure: one decimal)
    assert all(a / 200 == pytest.approx(round(a / 200, 1), abs=0.003) for a in after)
    assert min(after) == 200 and max(after) > 200


def test_a_heap_full_of_live_objects_does_full_collections_then_runs_out_of_heap():
    full = heap_sim(206, rps=400)  # 6 MB free: half the time in GC, and too little capacity left
    web = full.world.services["web"]
    assert 0.3 < web.gc_ratio < jvm.HEAP_EXHAUSTED_FROM and web.causes.get("overload", 0) > 0
    fulls = [(r, m) for r, m in gc_lines(full) if r.t > 60 and m["kind"].startswith("Pause Full")]
    assert fulls and all(r.level == "WARN" and float(m["pause"]) == jvm.full_pause_ms(200) for r, m in fulls)
    assert not [r for r in full.logs(service="web") if "OutOfMemoryError" in r.message]

    exhausted = heap_sim(202)
    assert exhausted.world.services["web"].gc_ratio >= jvm.HEAP_EXHAUSTED_FROM
    oom = [r for r in exhausted.logs(service="web") if r.message.startswith("java.lang.OutOfMemoryError")]
    assert oom
    for r in oom[:5]:
        assert r.message.startswith(
            "java.lang.OutOfMemoryError: Java heap space\n\tat java.base/java.util.Arrays.copyOf"
        )
        assert_java_trace(r.message)


def test_native_lines_are_the_same_whenever_and_in_whatever_order_they_are_asked_for():
    scenario = load_by_ref("gray-zone-failure")[0]
    at_end = Simulation(scenario, 5)
    at_end.run_until(900)
    along = Simulation(scenario, 5)
    for t in (120, 400, 650, 900):
        along.run_until(t)
        along.logs(service="web", level="ERROR", limit=5)
        along.logs(text="upstream timed out", limit=3)
    assert along.logs() == at_end.logs() == at_end.logs()
    spec = chain_spec()
    spec["faults"] = [{"type": "latency", "at": "1m", "service": "db", "factor": 400}]
    a, b = sim_of(spec), sim_of(spec)
    a.run_until(300)
    b.run_until(150)
    b.logs(service="api")
    b.run_until(300)
    assert [r for r in a.logs() if "\n" in r.message] == [r for r in b.logs() if "\n" in r.message] != []


def test_a_services_runtime_changes_what_its_lines_say_not_what_the_others_write():
    from pathlib import Path

    from scenarios.loader import load_scenario_text

    path = Path("scenarios/library/gray-zone-failure.yaml")
    text = path.read_text()
    assert "stack: {language: nginx}" in text
    envoy = load_scenario_text(text.replace(",\n       stack: {language: nginx}}", "}"), str(path))
    runs = []
    for scenario in (load_by_ref("gray-zone-failure")[0], envoy):
        sim = Simulation(scenario, 4)
        sim.run_until(900)
        runs.append(sim.logs())
    nginx_lines, envoy_lines = runs
    assert [r for r in nginx_lines if r.service != "web"] == [r for r in envoy_lines if r.service != "web"]
    assert [(r.t, r.instance) for r in nginx_lines] == [(r.t, r.instance) for r in envoy_lines]
    assert {r.message for r in nginx_lines if r.service == "web"}.isdisjoint(
        r.message for r in envoy_lines if r.service == "web" and not r.instance.endswith("-lb")
    )


@pytest.mark.parametrize("route", ["GET /api/orders/{id}", "POST /checkout/place-order", "GET /"])
def test_jvm_frames_name_the_handler_its_profiles_name(route):
    from scenarios.language.topology import Service
    from simulator.diagnostics.frames import ServiceFrames

    for stack in (None, {"package": "com.acme.orders"}, {"handlers": {route: "com.acme.Orders.place"}}):
        spec = Service.model_validate({"name": "orders", "replicas": 1, "version": "v1", "stack": stack})
        assert jvm.handler_of(spec, route) == ServiceFrames.of(spec).handler(route)
