"""Constants shared by the headless command tests (importable: pytest puts tests/cli on sys.path)."""

SHIPPED = "checkout-oom-leak"
"""The shipped scenario the tests play."""

SOLUTION_ACTIONS = """\
- {at: 5m, action: ack}
- {at: 6m, action: hypothesis, text: checkout v2.5.0 leaks memory}
- {at: 9m, action: rollback_deploy, service: checkout}
- {at: 9m, action: restart, service: no-such-service}
- {at: 21m, action: resolve}
"""
"""Resolves the shipped leak at 21m; the restart of an unknown service is rejected."""
