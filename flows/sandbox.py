"""A Jinja sandbox with caps, for templates that people other than the developer write.

Jinja's own sandbox keeps a template away from Python's internals but not from the machine:
``{{ 'a' * 6 * 10**8 }}`` is folded into a 600 MB constant while it compiles (7 s and 745 MB
on the event loop, saved as an agent's canned response), ``10 ** 10 ** 8`` never ends, and
nested ``range`` loops run for hours. ``CappedEnvironment`` refuses such a template quickly:

* ``*``, ``**`` and ``+`` are checked before they run (which also stops Jinja from folding
  them into constants at compile time): no string, list or number past ``MAX_OUTPUT``
  characters or ``MAX_INT_BITS`` bits;
* ``range`` items and every ``{% for %}`` loop's iterations count towards ``MAX_ITERATIONS``
  per render, however the loops nest (loops are wrapped when the template compiles);
* the output is produced piece by piece and refused past ``MAX_OUTPUT`` characters.

``render_capped`` is what callers use; run it in a worker thread (``asyncio.to_thread``) so
even a capped render never holds the event loop. Flow templates (``flows.templates``) use
:class:`CappedImmutableEnvironment` and :func:`iteration_budget` with their own output cap.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment, SecurityError

MAX_OUTPUT = 100_000  # characters of output, or of any string or list a template builds
MAX_INT_BITS = 4096
MAX_ITERATIONS = 100_000  # range() items per render, all loops together

_budget: ContextVar[list[int] | None] = ContextVar("sandbox_iterations", default=None)


def _size(value: Any) -> int | None:
    if isinstance(value, str | bytes | list | tuple):
        return len(value)
    return None


def _check_product(left: Any, right: Any) -> None:
    for seq, times in ((left, right), (right, left)):
        size = _size(seq)
        if size is not None and isinstance(times, int) and size * max(times, 0) > MAX_OUTPUT:
            raise SecurityError(f"the template builds something over {MAX_OUTPUT} characters")
    ints = isinstance(left, int) and isinstance(right, int)
    if ints and left.bit_length() + right.bit_length() > MAX_INT_BITS:
        raise SecurityError("the template's arithmetic is too large")


def _check_power(base: Any, exponent: Any) -> None:
    ints = isinstance(base, int) and isinstance(exponent, int) and abs(base) > 1
    if ints and exponent * base.bit_length() > MAX_INT_BITS:
        raise SecurityError("the template's arithmetic is too large")
    if isinstance(base, float) and isinstance(exponent, int | float) and abs(exponent) > 1024:
        raise SecurityError("the template's arithmetic is too large")


def _check_sum(left: Any, right: Any) -> None:
    sizes = (_size(left), _size(right))
    if sizes[0] is not None and sizes[1] is not None and sizes[0] + sizes[1] > MAX_OUTPUT:
        raise SecurityError(f"the template builds something over {MAX_OUTPUT} characters")


_CHECKS = {"*": _check_product, "**": _check_power, "+": _check_sum}
_OPS = {"*": operator.mul, "**": operator.pow, "+": operator.add}


def _counted(items: Iterable[Any]) -> Iterator[Any]:
    """``items``, each counting towards the render's budget (a loop's own budget when the
    render set none)."""
    budget = _budget.get() or [0]
    for item in items:
        budget[0] += 1
        if budget[0] > MAX_ITERATIONS:
            raise SecurityError(f"the template loops more than {MAX_ITERATIONS} times")
        yield item


def _range(*args: int) -> Iterator[int]:
    """``range`` whose items count towards the render's budget."""
    return _counted(range(*args))


_LOOP_FILTER = "_capped_loop"  # wraps every {% for %}'s iterable when a template compiles


@contextmanager
def iteration_budget() -> Iterator[None]:
    """One budget of ``MAX_ITERATIONS`` for everything rendered inside the block."""
    token = _budget.set([0])
    try:
        yield
    finally:
        _budget.reset(token)


class CappedEnvironment(SandboxedEnvironment):
    """Jinja's sandbox with caps on sizes, arithmetic and loops (see the module docstring)."""

    intercepted_binops = frozenset(_CHECKS)

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals["range"] = _range
        self.filters[_LOOP_FILTER] = _counted

    def _generate(self, source: nodes.Template, *args: Any, **kwargs: Any) -> Any:
        # Jinja has no hook on a loop's iterations: count them by wrapping each loop's
        # iterable in a filter, after parsing (strings) or as given (node trees).
        for loop in list(source.find_all(nodes.For)):
            loop.iter = nodes.Filter(
                loop.iter, _LOOP_FILTER, [], [], None, None, lineno=loop.iter.lineno
            )
        return super()._generate(source, *args, **kwargs)  # type: ignore[misc]

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        check = _CHECKS.get(operator)
        if check is None:
            return super().call_binop(context, operator, left, right)
        check(left, right)
        return _OPS[operator](left, right)


class CappedImmutableEnvironment(CappedEnvironment, ImmutableSandboxedEnvironment):
    """The capped sandbox where templates also cannot change lists and dicts they are given."""


def render_capped(env: SandboxedEnvironment, source: str, values: Mapping[str, Any]) -> str:
    """Compile and render ``source`` within the caps; raises SecurityError past one."""
    with iteration_budget():
        template = env.from_string(source)
        pieces: list[str] = []
        size = 0
        for piece in template.generate(values):
            size += len(piece)
            if size > MAX_OUTPUT:
                raise SecurityError(f"the template writes more than {MAX_OUTPUT} characters")
            pieces.append(piece)
        return "".join(pieces)


__all__ = [
    "MAX_ITERATIONS",
    "MAX_OUTPUT",
    "CappedEnvironment",
    "CappedImmutableEnvironment",
    "SecurityError",
    "iteration_budget",
    "render_capped",
]
