"""How a service's code looks in a profiler: its runtime and the names profiles and dumps show.

Everything here is optional. A service without ``stack`` gets a stack by kind (a database looks like
PostgreSQL, a cache like Redis, an edge like Envoy, a service like a Java/Spring application), and a
fault without ``hot_function`` / ``allocation_site`` gets one from its type (a bad config's regex
matcher, a leak's never-evicted cache). Authors name them when the scenario is about reading them.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from scenarios.language.base import Model, Name

_FUNCTION = re.compile(r"^[A-Za-z_$<\[(][\w$.:/<>()*\[\]~,-]*$")


def _function_name(value: str) -> str:
    if len(value) > 200 or not _FUNCTION.match(value):
        raise ValueError(
            f"{value!r} is not a function name as a profiler prints it; write it like "
            "com.shop.cart.CartCache.put, github.com/shop/cart.(*Cache).Put or shop.cart.cache.put"
        )
    return value


FunctionName = Annotated[str, AfterValidator(_function_name)]
"""A fully qualified function name as a profiler prints it (no spaces), e.g. ``com.shop.cart.CartCache.put``."""

Language = Literal["java", "go", "python", "postgres", "redis", "envoy", "nginx"]
"""Runtimes profiles know how to draw: application runtimes and the usual infrastructure daemons."""


class Stack(Model):
    """A service's runtime and the names of its own code, as profiles and thread dumps show them."""

    language: Language | None = None
    """Runtime: java (Spring Boot on Tomcat), go (net/http), python (gunicorn + Django), or the daemon a
    database/cache/edge runs (postgres, redis, envoy, nginx). Default: by the service's kind (service -> java,
    edge -> envoy). An nginx edge writes nginx access and error logs."""
    package: str | None = Field(default=None, pattern=r"^[A-Za-z_][\w./-]*$")
    """Package or module prefix of the service's own code, e.g. com.shop.checkout or github.com/shop/checkout
    (default: derived from the service name)."""
    handlers: dict[str, FunctionName] = Field(default_factory=dict)
    """Route -> the handler function that serves it, e.g.
    {"POST /api/checkout": com.shop.checkout.CheckoutController.submit} (default: named after the route)."""
    clients: dict[Name, FunctionName] = Field(default_factory=dict)
    """Dependency -> the client function that calls it (default: a client class named after the dependency)."""
