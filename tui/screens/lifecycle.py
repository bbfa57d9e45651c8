"""Timer callbacks that outlive their screen's widgets.

Textual removes a screen's children before the screen itself, and the screen's timers keep firing until
its own message loop closes. A refresh that fires in between queries widgets that are gone: NoMatches,
which ends the app (it ended a shift in CI three times: the pager's banner, then the hypotheses' table).
The same happens when the app shuts down: a screen that is installed but not on the stack (a shift's
incident console, kept for the next visit) is closed node by node in no particular order, its timers
still running while its children go. Every callback a screen runs on a timer is wrapped with
:func:`while_shown`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from textual._context import NoActiveAppError
from textual.dom import DOMNode

F = TypeVar("F", bound=Callable[..., Any])


def taken_down(node: DOMNode) -> bool:
    """True once ``node`` is being removed (or was), is closing, or its app is shutting down: its children
    may already be gone."""
    if getattr(node, "_pruning", False) or getattr(node, "_closing", False) or not node.is_attached:
        return True
    try:
        app = node.app
    except NoActiveAppError:  # nothing is shown
        return True
    return bool(app._closing or not app._running)


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
