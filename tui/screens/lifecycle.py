"""Timer callbacks that outlive their screen's widgets.

Textual removes a screen's children before the screen itself, and the screen's timers keep firing until
its own message loop closes. A refresh that fires in between queries widgets that are gone: NoMatches,
which ends the app (it ended a shift in CI twice: the pager's banner, then the hypotheses' table).
Every callback a screen runs on a timer is wrapped with :func:`while_shown`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from textual.dom import DOMNode

F = TypeVar("F", bound=Callable[..., Any])


def taken_down(node: DOMNode) -> bool:
    """True once ``node`` is being removed (or was) or is closing: its children may already be gone."""
    return bool(getattr(node, "_pruning", False) or getattr(node, "_closing", False) or not node.is_attached)


def while_shown(method: F) -> F:
    """Make a screen's timer callback do nothing (return None) once the screen is being taken down."""
    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def guarded_async(self: DOMNode, *args: Any, **kwargs: Any) -> Any:
            if taken_down(self):
                return None
            return await method(self, *args, **kwargs)

        return guarded_async  # type: ignore[return-value]

    @functools.wraps(method)
    def guarded(self: DOMNode, *args: Any, **kwargs: Any) -> Any:
        if taken_down(self):
            return None
        return method(self, *args, **kwargs)

    return guarded  # type: ignore[return-value]
