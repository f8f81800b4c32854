"""Named actions: registered Python callables that flows run with ``action:`` steps.

An action is a callable whose first positional parameter receives an :class:`ActionContext`
and whose remaining parameters are keyword-only; their names, defaults and annotations are
the action's declared parameters, which the linter checks against every ``args:`` block::

    registry = ActionRegistry()

    @registry.action("catalog.search", description="Search the catalog")
    def search(ctx: ActionContext, *, query: str = "", max_price: int | None = None) -> list[dict]:
        ...

Actions may be plain or ``async`` functions. They return JSON-compatible data (dicts, lists,
strings, numbers, booleans, None) that the flow keeps in its ``result:`` slot.

Everything an action needs comes in its :class:`ActionContext`, never from a thread-local or
a global: the shopper (``conversation_id``, ``locale``, ``user``, ``channel``), the turn's
clock (``now``), a :class:`UnitOfWork` (``db``) that runs short database jobs, and ``effects``,
a list the action appends to for what must happen after the turn commits (a Telegram invoice).
In the server an ``async`` action runs on the event loop and a plain one in a worker thread,
so an action may wait for slow I/O (a payment provider, an HTTP API, a language model): it
delays its own shopper only. It must not hold a database transaction while it waits: read
in one ``db.run`` job, call out, write in another. In the server each job is applied once
per shopper event: when the turn runs again (after a crash before it committed), a job
already done returns its recorded result instead of running (bot/turnwork.py), so a job
should return plain data (picklable) and do all its writes itself.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class UnitOfWork(Protocol):
    """Runs ``job(connection)`` in a short transaction of its own and returns its value.

    ``run`` blocks (for plain actions, which run in a worker thread); ``arun`` is for
    ``async`` actions. A job must be quick: no network calls inside it.
    """

    def run(self, job: Callable[[Any], T]) -> T: ...

    async def arun(self, job: Callable[[Any], T]) -> T: ...


@dataclass(frozen=True)
class ActionContext:
    """What an action knows about the conversation that runs it, and what it may use.

    ``db`` is None outside a server turn (unit tests of one action): actions then use a
    database of their own. ``effects`` collects what the turn must do once it has committed.
    """

    conversation_id: str
    locale: str
    currency: str
    user: dict[str, Any] = field(default_factory=dict)
    channel: str = ""
    now: datetime | None = None
    db: UnitOfWork | None = None
    effects: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class ActionParam:
    name: str
    required: bool
    annotation: str


@dataclass(frozen=True)
class ActionSpec:
    name: str
    func: Callable[..., Any]
    params: dict[str, ActionParam]
    description: str = ""
    accepts_any: bool = False  # the callable takes **kwargs

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.func)


class ActionError(Exception):
    """An action failed in a way the flow may handle (``on_error:``); the message is logged."""


def _spec_for(name: str, func: Callable[..., Any], description: str) -> ActionSpec:
    sig = inspect.signature(func)
    params: dict[str, ActionParam] = {}
    accepts_any = False
    positional = [
        p for p in sig.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if len(positional) != 1:
        raise TypeError(
            f"action {name!r}: {func.__qualname__} must take exactly one positional parameter "
            "(the ActionContext) followed by keyword-only parameters"
        )
    for p in sig.parameters.values():
        if p.kind is p.KEYWORD_ONLY:
            ann = p.annotation
            text = ann if isinstance(ann, str) else getattr(ann, "__name__", repr(ann))
            if ann is inspect.Parameter.empty:
                text = "any"
            params[p.name] = ActionParam(p.name, p.default is inspect.Parameter.empty, text)
        elif p.kind is p.VAR_KEYWORD:
            accepts_any = True
    doc = description or (inspect.getdoc(func) or "").split("\n", 1)[0]
    return ActionSpec(name, func, params, doc, accepts_any)


class ActionRegistry:
    """The actions a bot project can call, by name."""

    def __init__(self) -> None:
        self._specs: dict[str, ActionSpec] = {}

    def register(
        self, name: str, func: Callable[..., Any], *, description: str = "", replace: bool = False
    ) -> ActionSpec:
        if name in self._specs and not replace:
            raise ValueError(f"action {name!r} is already registered")
        spec = _spec_for(name, func, description)
        self._specs[name] = spec
        return spec

    def action(
        self, name: str, *, description: str = ""
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
            self.register(name, func, description=description)
            return func

        return decorate

    def get(self, name: str) -> ActionSpec | None:
        return self._specs.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __iter__(self) -> Iterator[ActionSpec]:
        return iter(sorted(self._specs.values(), key=lambda s: s.name))

    def names(self) -> list[str]:
        return sorted(self._specs)


__all__ = [
    "ActionContext",
    "ActionError",
    "ActionParam",
    "ActionRegistry",
    "ActionSpec",
    "UnitOfWork",
]
