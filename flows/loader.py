"""Loading a bot project folder: parse, validate, compile and lint, collecting every problem.

``load_project`` never raises for a problem in the project's files: each one becomes a
:class:`Diagnostic` with its file, line and column, and loading carries on so that one run of
``shopchat check`` reports them all.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import TemplateSyntaxError
from pydantic import BaseModel, ValidationError

from understanding import (
    OFF_TOPIC,
    IntentIndex,
    Understander,
    Vocabulary,
    VocabularyError,
    builtin_vocabulary,
    parse_vocabulary,
)

from . import model as m
from .actions import ActionRegistry
from .compiled import (
    ChoiceOption,
    Flow,
    InterruptionIndex,
    Jump,
    LText,
    Project,
    Rule,
    Step,
    TriggerIndex,
)
from .diagnostics import Diagnostic, ProjectError
from .system_texts import INTERRUPTION_EXAMPLES, INTERRUPTION_TRIGGERS, SYSTEM_TEXTS
from .templates import BUILTIN_NAMES, Templates, value_sources
from .text import fold, fold_message
from .yamlpos import PathKey, YamlDoc, YamlSyntaxError, load_yaml

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")


def parse_duration(text: str) -> timedelta:
    """``30s``, ``15m``, ``2h``, ``1d``."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"{text!r} is not a duration like 30m, 2h or 1d")
    n, unit = int(match.group(1)), match.group(2)
    return timedelta(**{{"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[unit]: n})


class _Loader:
    def __init__(self, root: Path, actions: ActionRegistry | None, shop_overrides: dict[str, Any]):
        self.root = root
        self.actions = actions
        self.overrides = shop_overrides
        self.diags: list[Diagnostic] = []
        self.templates = Templates()
        self.catalogs: dict[str, dict[str, str]] = {}
        self.catalog_docs: dict[str, YamlDoc] = {}
        self.shop = m.ShopFile(name="shop")
        self.shop_doc: YamlDoc | None = None
        self.locales: list[str] = ["en"]
        # Collected while compiling, checked once everything is known.
        self.templates_to_check: list[tuple[YamlDoc, PathKey, str, bool, frozenset[str]]] = []
        self.pending_jumps: list[
            tuple[YamlDoc, PathKey, m.Target, str, Callable[[Jump], None]]
        ] = []
        self.slot_names: set[str] = set()

    # -- reporting -------------------------------------------------------------------------
    def error(self, doc: YamlDoc | Path, loc: PathKey, message: str, warning: bool = False) -> None:
        if isinstance(doc, Path):
            line, col, path = 1, 1, doc
        else:
            line, col = doc.pos((*loc, "__value__")) if loc else (1, 1)
            path = doc.path
        self.diags.append(Diagnostic(path, line, col, message, "warning" if warning else "error"))

    def validation_errors(
        self, doc: YamlDoc, base: PathKey, exc: ValidationError, model: type[BaseModel]
    ) -> None:
        seen: set[tuple[int, int]] = set()
        for err in exc.errors():
            loc = self._real_loc(doc, base, err["loc"])
            if err["type"] == "extra_forbidden":
                key = str(err["loc"][-1])
                fields = _field_names(model, err["loc"][:-1])
                close = difflib.get_close_matches(key, fields, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                message = f"unknown key '{key}'{hint}"
                pos = doc.pos(loc)
            else:
                where = ".".join(str(p) for p in err["loc"] if isinstance(p, str | int))
                message = f"{where}: {err['msg']}" if where else err["msg"]
                pos = doc.pos((*loc, "__value__"))
            if pos in seen:
                continue
            seen.add(pos)
            self.diags.append(Diagnostic(doc.path, pos[0], pos[1], message))

    @staticmethod
    def _real_loc(doc: YamlDoc, base: PathKey, loc: tuple[Any, ...]) -> PathKey:
        out: list[str | int] = list(base)
        for part in loc:
            if (*out, part) in doc.positions:
                out.append(part)
        return tuple(out)

    # -- loading -------------------------------------------------------------------------
    def read(self, path: Path) -> YamlDoc | None:
        try:
            return load_yaml(path)
        except YamlSyntaxError as exc:
            self.diags.append(Diagnostic(path, exc.line, exc.col, exc.message))
        except OSError as exc:
            self.diags.append(Diagnostic(path, 1, 1, f"cannot read: {exc.strerror}"))
        return None

    def load_shop(self) -> None:
        path = self.root / "shop.yaml"
        if not path.exists():
            self.diags.append(
                Diagnostic(path, 1, 1, "shop.yaml not found: a bot project needs one")
            )
            return
        doc = self.read(path)
        if doc is None:
            return
        self.shop_doc = doc
        data = doc.data if isinstance(doc.data, dict) else {}
        if not isinstance(doc.data, dict):
            self.error(doc, (), "shop.yaml must be a mapping (name: ..., locales: ...)")
        data = _deep_merge(data, self.overrides)
        try:
            self.shop = m.ShopFile.model_validate(data)
        except ValidationError as exc:
            self.validation_errors(doc, (), exc, m.ShopFile)
            # Keep every valid setting so later checks still run against them.
            bad = {e["loc"][0] for e in exc.errors() if e["loc"]}
            kept = {k: v for k, v in data.items() if k not in bad}
            kept.setdefault("name", "shop")
            try:
                self.shop = m.ShopFile.model_validate(kept)
            except ValidationError:
                self.shop = m.ShopFile(name="shop")
        locales = list(dict.fromkeys([self.shop.default_locale, *self.shop.locales]))
        self.locales = locales
        try:
            ZoneInfo(self.shop.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            self.error(doc, ("timezone",), f"unknown time zone {self.shop.timezone!r}")
        try:
            parse_duration(self.shop.session.idle_timeout)
        except ValueError as exc:
            self.error(doc, ("session", "idle_timeout"), str(exc))

    def load_catalogs(self) -> None:
        folder = self.root / "locales"
        if not folder.is_dir():
            return
        for path in sorted(folder.glob("*.y*ml")):
            doc = self.read(path)
            if doc is None:
                continue
            loc = path.stem
            if loc not in self.locales:
                self.error(doc, (), f"locale {loc!r} is not declared in shop.yaml locales", True)
            if not isinstance(doc.data, dict):
                self.error(doc, (), "a translation file maps default-locale texts to translations")
                continue
            entries: dict[str, str] = {}
            for key, value in doc.data.items():
                if not isinstance(value, str):
                    self.error(doc, (key,), f"translation of {key!r} must be a string")
                    continue
                entries[str(key)] = value
            self.catalogs[loc] = entries
            self.catalog_docs[loc] = doc

    def load_vocabulary(self) -> Vocabulary:
        """The built-in vocabulary extended by the shop's ``vocabulary/*.yaml``."""
        vocab = builtin_vocabulary()
        folder = self.root / "vocabulary"
        if not folder.is_dir():
            return vocab
        for path in sorted(folder.glob("*.y*ml")):
            doc = self.read(path)
            if doc is None:
                continue
            try:
                vocab.add(parse_vocabulary(doc.data))
            except VocabularyError as exc:
                self.error(doc, tuple(exc.where), exc.message)
        return vocab

    # -- texts -----------------------------------------------------------------------------
    def text(
        self, doc: YamlDoc, loc: PathKey, value: m.Text, extra: frozenset[str] = frozenset()
    ) -> LText:
        default = self.shop.default_locale
        sources: dict[str, str] = {}
        if isinstance(value, str):
            sources[default] = value
            for locale in self.locales:
                if locale == default:
                    continue
                translated = self.catalogs.get(locale, {}).get(value)
                if translated is None:
                    self.error(doc, loc, f"missing '{locale}' translation for {_short(value)}")
                else:
                    sources[locale] = translated
        else:
            sources = dict(value)
            for locale in self.locales:
                if locale in sources:
                    continue
                msgid = value.get(default)
                translated = self.catalogs.get(locale, {}).get(msgid) if msgid else None
                if translated is None:
                    shown = _short(msgid or next(iter(value.values()), ""))
                    self.error(doc, loc, f"missing '{locale}' translation for {shown}")
                else:
                    sources[locale] = translated
            for locale in value:
                if locale not in self.locales:
                    self.error(
                        doc, (*loc, locale), f"locale {locale!r} is not declared in shop.yaml", True
                    )
        renderers = {}
        for locale, source in sources.items():
            where = (*loc, locale) if isinstance(value, dict) else loc
            renderers[locale] = self.template(doc, where, source, False, extra)
        if not renderers:
            renderers[default] = lambda _ctx: ""
        return LText(renderers, default)

    def template(
        self,
        doc: YamlDoc,
        loc: PathKey,
        source: str,
        expression: bool,
        extra: frozenset[str] = frozenset(),
    ) -> Callable[[Any], Any]:
        try:
            if expression:
                compiled = self.templates.compile_expression(source)
            else:
                compiled = self.templates.compile_text(source)
        except TemplateSyntaxError as exc:
            line, col = doc.pos((*loc, "__value__"))
            self.diags.append(
                Diagnostic(
                    doc.path,
                    line + max(exc.lineno - 1, 0),
                    col,
                    f"template syntax error: {exc.message}",
                )
            )
            return lambda _ctx: ""
        self.templates_to_check.append((doc, loc, source, expression, extra))
        return compiled

    def value(self, doc: YamlDoc, loc: PathKey, value: Any) -> Callable[[Any], Any]:
        for source, is_expr in value_sources(value):
            try:
                self.templates.parse("{{ (" + source + ") }}" if is_expr else source)
            except TemplateSyntaxError as exc:
                self.error(doc, loc, f"template syntax error: {exc.message}")
                return lambda _ctx: None
            self.templates_to_check.append((doc, loc, source, is_expr, frozenset()))
        return self.templates.compile_value(value)

    def jump(
        self,
        doc: YamlDoc,
        loc: PathKey,
        target: m.Target,
        flow_id: str,
        setter: Callable[[Jump], None],
    ) -> None:
        self.pending_jumps.append((doc, loc, target, flow_id, setter))

    # -- flows -----------------------------------------------------------------------------
    def load_flows(
        self,
    ) -> tuple[dict[str, Flow], list[tuple[YamlDoc, m.FlowHeader, list[tuple[int, m.Step]]]]]:
        folder = self.root / "flows"
        parsed: list[tuple[YamlDoc, m.FlowHeader, list[tuple[int, m.Step]]]] = []
        if not folder.is_dir():
            self.diags.append(
                Diagnostic(folder, 1, 1, "no flows/ folder: a bot project needs at least one flow")
            )
            return {}, parsed
        seen: dict[str, Path] = {}
        for path in sorted(folder.glob("*.y*ml")):
            doc = self.read(path)
            if doc is None:
                continue
            if not isinstance(doc.data, dict):
                self.error(doc, (), "a flow file is a mapping with 'steps:' (see docs/flows.md)")
                continue
            header_data = {k: v for k, v in doc.data.items() if k != "steps"}
            try:
                header = m.FlowHeader.model_validate(header_data)
            except ValidationError as exc:
                self.validation_errors(doc, (), exc, m.FlowHeader)
                header = m.FlowHeader(id=path.stem if re.match(m.IDENT, path.stem) else None)
            flow_id = header.id or path.stem
            if not re.match(m.IDENT, flow_id):
                self.error(
                    doc, (), f"flow id {flow_id!r}: use letters, digits and _ (set id: in the file)"
                )
            if flow_id in seen:
                self.error(
                    doc, ("id",), f"flow id {flow_id!r} is already used by {seen[flow_id].name}"
                )
                continue
            seen[flow_id] = path
            header.id = flow_id
            steps_raw = doc.data.get("steps")
            if not isinstance(steps_raw, list) or not steps_raw:
                self.error(
                    doc,
                    ("steps",) if "steps" in doc.data else (),
                    "a flow needs a non-empty 'steps:' list",
                )
                steps_raw = []
            steps: list[tuple[int, m.Step]] = []
            for i, raw in enumerate(steps_raw):
                step = self.parse_step(doc, ("steps", i), raw)
                if step is not None:
                    steps.append((i, step))
            parsed.append((doc, header, steps))
        return {}, parsed

    def parse_step(self, doc: YamlDoc, loc: PathKey, raw: Any) -> m.Step | None:
        if isinstance(raw, str) and raw == "end":
            raw = {"end": None}
        if not isinstance(raw, dict):
            self.error(doc, loc, "a step is a mapping like 'say: Hello' or 'ask: slot'")
            return None
        kinds = [k for k in m.STEP_KINDS if k in raw]
        if not kinds:
            close = difflib.get_close_matches(next(iter(raw), ""), list(m.STEP_KINDS), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            self.error(
                doc, loc, f"step has no kind: expected one of {', '.join(m.STEP_KINDS)}{hint}"
            )
            return None
        if len(kinds) > 1:
            self.error(
                doc, loc, f"step has several kinds ({', '.join(kinds)}): split it into steps"
            )
            return None
        cls = m.STEP_KINDS[kinds[0]]
        try:
            return cls.model_validate(raw)  # type: ignore[return-value]
        except ValidationError as exc:
            self.validation_errors(doc, loc, exc, cls)
            return None

    def compile_flows(
        self, parsed: list[tuple[YamlDoc, m.FlowHeader, list[tuple[int, m.Step]]]]
    ) -> dict[str, Flow]:
        flows: dict[str, Flow] = {}
        # First: ids, so that targets across flows resolve regardless of file order.
        for doc, header, steps in parsed:
            assert header.id is not None
            by_id: dict[str, int] = {}
            compiled: list[Step] = []
            for pos, (i, s) in enumerate(steps):
                sid = s.id or f"#{i + 1}"
                if s.id and s.id in by_id:
                    self.error(
                        doc, ("steps", i, "id"), f"step id {s.id!r} is used twice in this flow"
                    )
                by_id.setdefault(sid, pos)
                kind = next(k for k in m.STEP_KINDS if isinstance(s, m.STEP_KINDS[k]))
                compiled.append(Step(pos, sid, bool(s.id), kind, doc, ("steps", i)))
                self.collect_slot_names(s)
            version = hashlib.sha256(doc.path.read_bytes()).hexdigest()[:12]
            flows[header.id] = Flow(
                header.id, doc.path, version, compiled, by_id, description=header.description or ""
            )
        for doc, header, steps in parsed:
            assert header.id is not None
            flow = flows[header.id]
            if header.help is not None:
                flow.help = self.text(doc, ("help",), header.help)
            if header.title is not None:
                flow.title = self.text(doc, ("title",), header.title)
            for cstep, (_i, s) in zip(flow.steps, steps, strict=True):
                self.compile_step(flow, cstep, s)
        return flows

    def collect_slot_names(self, s: m.Step) -> None:
        if isinstance(s, m.AskStep):
            self.slot_names.add(s.ask)
        elif isinstance(s, m.SetStep):
            self.slot_names.update(s.set)
        elif isinstance(s, m.ActionStep) and s.result:
            self.slot_names.add(s.result)
        elif isinstance(s, m.CallStep):
            self.slot_names.update(str(k) for k in s.with_)

    def compile_step(self, flow: Flow, c: Step, s: m.Step) -> None:
        doc, loc = c.doc, c.loc
        allowed = m.INTERRUPTIONS if s.interruptions is True else (s.interruptions or [])
        c.interruptions = frozenset(allowed)
        if s.help is not None:
            c.help = self.text(doc, (*loc, "help"), s.help)
        if isinstance(s, m._Continues) and s.next is not None:
            self.jump(doc, (*loc, "next"), s.next, flow.id, _setter(c, "next"))
        if isinstance(s, m._Continues) and s.remember:
            self.compile_remember(c, s.remember)
        if isinstance(s, m.SayStep):
            if s.say is not None:
                c.text = self.text(doc, (*loc, "say"), s.say)
            if s.image:
                c.image = self.template(doc, (*loc, "image"), s.image, False)
            if s.products:
                c.products = self.expression_field(doc, (*loc, "products"), s.products)
        elif isinstance(s, m.AskStep):
            self.compile_ask(flow, c, s)
        elif isinstance(s, m.SetStep):
            c.values = {k: self.value(doc, (*loc, "set", k), v) for k, v in s.set.items()}
        elif isinstance(s, m.BranchStep):
            self.compile_branch(flow, c, s)
        elif isinstance(s, m.CallStep):
            c.target_flow = s.call
            c.values = {str(k): self.value(doc, (*loc, "with", k), v) for k, v in s.with_.items()}
            self.pending_jumps.append(
                (doc, (*loc, "call"), m.TargetRef(flow=s.call), flow.id, lambda _j: None)
            )
        elif isinstance(s, m.GotoStep):
            self.jump(doc, (*loc, "goto"), s.goto, flow.id, _setter(c, "next"))
        elif isinstance(s, m.ActionStep):
            self.compile_action(flow, c, s)
        elif isinstance(s, m.HandoffStep):
            c.reason = s.handoff
            if s.text is not None:
                c.text = self.text(doc, (*loc, "text"), s.text)
        elif isinstance(s, m.EndStep) and s.end is not None:
            c.text = self.text(doc, (*loc, "end"), s.end)

    def compile_remember(self, c: Step, remember: list[str] | dict[str, str]) -> None:
        pairs = remember.items() if isinstance(remember, dict) else ((n, n) for n in remember)
        for fact, slot in pairs:
            if slot not in self.slot_names:
                close = difflib.get_close_matches(slot, sorted(self.slot_names), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                self.error(
                    c.doc, (*c.loc, "remember"), f"remember: no step sets the slot {slot!r}{hint}"
                )
                continue
            c.remember[fact] = slot

    def expression_field(self, doc: YamlDoc, loc: PathKey, source: str) -> Callable[[Any], Any]:
        """A field holding one expression, written bare or as ``"{{ expr }}"``."""
        text = source.strip()
        if text.startswith("{{") and text.endswith("}}"):
            text = text[2:-2].strip()
        return self.template(doc, loc, text, True)

    def compile_ask(self, flow: Flow, c: Step, s: m.AskStep) -> None:
        doc, loc = c.doc, c.loc
        c.slot = s.ask
        if s.text is not None:
            c.text = self.text(doc, (*loc, "text"), s.text)
        elif not s.optional:
            self.error(doc, loc, f"ask {s.ask!r} needs 'text:' (the question), unless optional")
        c.optional = s.optional
        c.accept_other = s.accept_other
        if isinstance(s.confirm, bool):
            c.confirm = s.confirm
        else:
            c.confirm = True
            c.confirm_text = self.text(doc, (*loc, "confirm"), s.confirm, frozenset({"value"}))
        if s.optional and s.confirm:
            self.error(doc, (*loc, "confirm"), "an optional ask is never asked: drop confirm")
        has_options = bool(s.choices or s.choices_from or s.products)
        if sum(bool(x) for x in (s.choices, s.choices_from, s.products)) > 1:
            self.error(doc, loc, "use only one of choices, choices_from and products")
        c.slot_type = s.type or ("choice" if has_options else "text")
        if c.slot_type == "choice" and not has_options:
            self.error(doc, (*loc, "type"), "type: choice needs choices, choices_from or products")
        if has_options and c.slot_type != "choice":
            self.error(
                doc, (*loc, "type"), f"a question with choices has type choice, not {c.slot_type}"
            )
        c.minimum, c.maximum = s.min, s.max
        if c.slot_type == "money":
            # min/max for money are written in major units (150 = 150 zł); compare in minor units.
            from .money import minor_units

            scale = 10 ** minor_units(self.shop.currency)
            c.minimum = None if s.min is None else s.min * scale
            c.maximum = None if s.max is None else s.max * scale
        for i, raw in enumerate(s.choices or []):
            cl = (*loc, "choices", i)
            if isinstance(raw, str):
                option = ChoiceOption(raw, self.text(doc, cl, raw))
            else:
                label = raw.label if raw.label is not None else str(raw.value)
                option = ChoiceOption(
                    raw.value,
                    self.text(
                        doc, (*cl, "label") if raw.label is not None else (*cl, "value"), label
                    ),
                )
                if raw.next is not None:
                    self.jump(
                        doc,
                        (*cl, "next"),
                        raw.next,
                        flow.id,
                        _setter(option, "next"),
                    )
            c.choices.append(option)
        if s.choices_from:
            c.choices_from = self.expression_field(doc, (*loc, "choices_from"), s.choices_from)
        if s.products:
            c.products = self.expression_field(doc, (*loc, "products"), s.products)
        if s.error is not None:
            c.error = self.text(doc, (*loc, "error"), s.error)
        value_scope = frozenset({"value"})
        for i, rule in enumerate(s.validate_):
            rl = (*loc, "validate", i)
            check = self.template(doc, (*rl, "if"), rule.if_, True, value_scope)
            c.rules.append(
                Rule(check, self.text(doc, (*rl, "error"), rule.error, value_scope), rule.if_)
            )
        c.attempts = s.attempts
        c.skip_if_set = s.skip_if_set
        c.entity = s.entity or _inferred_entity(s.ask, c.slot_type)
        if s.accept_other and c.slot_type != "choice":
            self.error(doc, (*loc, "accept_other"), "accept_other is for choice questions")
        if s.on_fail is not None:
            self.jump(doc, (*loc, "on_fail"), s.on_fail, flow.id, _setter(c, "on_fail"))

    def compile_branch(self, flow: Flow, c: Step, s: m.BranchStep) -> None:
        doc, loc = c.doc, c.loc
        for i, arm in enumerate(s.branch):
            al = (*loc, "branch", i)
            condition = arm.if_ if arm.if_ is not None else arm.elif_
            if arm.else_ is not None:
                if condition is not None or arm.next is not None:
                    self.error(doc, al, "an 'else' arm has only the target: '- else: step_id'")
                if i != len(s.branch) - 1:
                    self.error(doc, al, "'else' must be the last arm of a branch")
                self.add_arm(flow, c, doc, (*al, "else"), None, arm.else_)
                continue
            if condition is None:
                self.error(doc, al, "a branch arm needs 'if:' (or 'elif:') and 'next:'")
                continue
            if arm.next is None:
                self.error(doc, al, "this branch arm has no 'next:' target")
                continue
            check = self.template(
                doc, (*al, "if" if arm.if_ is not None else "elif"), str(condition), True
            )
            self.add_arm(flow, c, doc, (*al, "next"), check, arm.next)

    def add_arm(
        self, flow: Flow, c: Step, doc: YamlDoc, loc: PathKey, check: Any, target: m.Target
    ) -> None:
        index = len(c.arms)
        c.arms.append((check, Jump(flow.id, None)))

        def set_arm(j: Jump, index: int = index) -> None:
            c.arms[index] = (c.arms[index][0], j)

        self.jump(doc, loc, target, flow.id, set_arm)

    def compile_action(self, flow: Flow, c: Step, s: m.ActionStep) -> None:
        doc, loc = c.doc, c.loc
        c.action, c.result = s.action, s.result
        c.args = {k: self.value(doc, (*loc, "args", k), v) for k, v in s.args.items()}
        if s.on_error is not None:
            self.jump(
                doc,
                (*loc, "on_error"),
                s.on_error,
                flow.id,
                _setter(c, "on_error"),
            )
        if self.actions is None:
            return
        spec = self.actions.get(s.action)
        if spec is None:
            close = difflib.get_close_matches(s.action, self.actions.names(), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            self.error(doc, (*loc, "action"), f"unknown action {s.action!r}{hint}")
            return
        for name in s.args:
            if name not in spec.params and not spec.accepts_any:
                known = ", ".join(spec.params) or "none"
                self.error(
                    doc,
                    (*loc, "args", name),
                    f"action {s.action!r} has no parameter {name!r} (parameters: {known})",
                )
        for name, param in spec.params.items():
            if param.required and name not in s.args:
                self.error(doc, (*loc, "action"), f"action {s.action!r} needs argument {name!r}")

    # -- resolution ----------------------------------------------------------------------
    def resolve_jumps(self, flows: dict[str, Flow]) -> None:
        for doc, loc, target, flow_id, setter in self.pending_jumps:
            if isinstance(target, str):
                if target == "end":
                    setter(Jump(flow_id, None))
                    continue
                flow = flows[flow_id]
                if target in flow.by_id:
                    setter(Jump(flow_id, flow.by_id[target]))
                    continue
                hint = ""
                if target in flows:
                    hint = f" ('{target}' is a flow: write {{flow: {target}}})"
                else:
                    close = difflib.get_close_matches(
                        target, [k for k in flow.by_id if not k.startswith("#")], n=1
                    )
                    hint = f" (did you mean '{close[0]}'?)" if close else ""
                self.error(doc, loc, f"unknown step {target!r} in flow {flow_id!r}{hint}")
                continue
            other = flows.get(target.flow)
            if other is None:
                close = difflib.get_close_matches(target.flow, list(flows), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                self.error(doc, loc, f"unknown flow {target.flow!r}{hint}")
                continue
            if target.step is None:
                setter(Jump(other.id, 0, leaves_flow=True))
            elif target.step in other.by_id:
                setter(Jump(other.id, other.by_id[target.step], leaves_flow=True))
            else:
                self.error(doc, loc, f"unknown step {target.step!r} in flow {target.flow!r}")

    def check_templates(self) -> None:
        known = set(self.slot_names) | BUILTIN_NAMES
        for doc, loc, source, expression, extra in self.templates_to_check:
            try:
                names = self.templates.undeclared(source, expression=expression)
            except TemplateSyntaxError as exc:
                self.error(doc, loc, f"template syntax error: {exc.message}")
                continue
            for name in sorted(names - known - extra):
                close = difflib.get_close_matches(name, sorted(known | extra), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                self.error(doc, loc, f"undefined variable {name!r}: no step sets this slot{hint}")

    # -- whole project -------------------------------------------------------------------
    def system_texts(self) -> dict[str, LText]:
        out: dict[str, LText] = {}
        doc = self.shop_doc
        for key, builtin in SYSTEM_TEXTS.items():
            override = self.shop.texts.get(key)
            merged: dict[str, str] = dict(builtin)
            if isinstance(override, str):
                merged[self.shop.default_locale] = override
            elif isinstance(override, dict):
                merged.update(override)
            renderers = {loc: self.templates.compile_text(text) for loc, text in merged.items()}
            default = self.shop.default_locale if self.shop.default_locale in merged else "en"
            out[key] = LText(renderers, default)
        if doc is not None:
            for key in self.shop.texts:
                if key not in SYSTEM_TEXTS:
                    self.error(
                        doc,
                        ("texts", key),
                        f"unknown system text {key!r} (known: {', '.join(SYSTEM_TEXTS)})",
                    )
        return out

    def interruption_index(self) -> InterruptionIndex:
        index = InterruptionIndex()
        for name, per_locale in INTERRUPTION_TRIGGERS.items():
            extra = self.shop.interruptions.get(name, {})  # type: ignore[call-overload]
            for words_ in [*per_locale.values(), *extra.values()]:
                for word in words_:
                    index.phrases.setdefault(fold_message(word) or word, name)
        return index


_SLOT_KINDS = {
    "budget": "money",
    "price": "money",
    "max_price": "money",
    "min_price": "money_min",
    "query": "product",
    "color": "colour",
    "interests": "interest",
    "recipient_group": "age_group",
}
_KINDS = frozenset(
    {
        "age",
        "age_group",
        "colour",
        "email",
        "gender",
        "interest",
        "money",
        "money_min",
        "order_number",
        "phone",
        "product",
        "quantity",
        "recipient",
        "size",
    }
)


def _inferred_entity(slot: str, slot_type: str) -> str | None:
    """The kind of heard value a slot takes when its ask names none."""
    if slot_type in ("money", "email", "phone"):
        return slot_type
    if slot in _KINDS:
        return slot
    return _SLOT_KINDS.get(slot)


def _setter(obj: object, attr: str) -> Callable[[Jump], None]:
    """A callback that stores a resolved jump on ``obj.attr`` once every flow is known."""

    def store(jump: Jump) -> None:
        setattr(obj, attr, jump)

    return store


def _field_names(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    names: list[str] = []
    for name, info in model.model_fields.items():
        names.append(info.alias or name)
    return names


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return repr(text if len(text) <= 40 else text[:39] + "…")


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def load_project(
    root: Path | str,
    actions: ActionRegistry | None = None,
    *,
    shop_overrides: dict[str, Any] | None = None,
) -> tuple[Project | None, list[Diagnostic]]:
    """Load the bot project in ``root``; return it (None if unusable) and every diagnostic."""
    from .lint import lint_examples, lint_project

    loader = _Loader(Path(root).resolve(), actions, shop_overrides or {})
    if not loader.root.is_dir():
        return None, [Diagnostic(loader.root, 1, 1, "not a folder: give the bot project's folder")]
    loader.load_shop()
    loader.load_catalogs()
    vocabulary = loader.load_vocabulary()
    _, parsed = loader.load_flows()
    flows = loader.compile_flows(parsed)
    loader.resolve_jumps(flows)
    loader.check_templates()
    system = loader.system_texts()
    interruptions = loader.interruption_index()
    triggers = TriggerIndex()
    shop = loader.shop
    start_flow = shop.start_flow
    fallback_flow = shop.fallback_flow or next(
        (h.id for _d, h, _s in parsed if h.fallback and h.id), None
    )
    if loader.shop_doc is not None:
        for key in ("start_flow", "fallback_flow"):
            name = getattr(shop, key)
            if name is not None and name not in flows:
                loader.error(loader.shop_doc, (key,), f"{key} {name!r} is not a flow in flows/")
    try:
        tz = ZoneInfo(shop.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    try:
        idle = parse_duration(shop.session.idle_timeout)
    except ValueError:
        idle = timedelta(minutes=30)
    project = Project(
        root=loader.root,
        shop=shop,
        flows=flows,
        triggers=triggers,
        interruptions=interruptions,
        system=system,
        locales=loader.locales,
        idle_timeout=idle,
        tz=tz,
        start_flow=start_flow if start_flow in flows else None,
        fallback_flow=fallback_flow if fallback_flow in flows else None,
        slot_names=frozenset(loader.slot_names),
    )
    settings = shop.understanding
    if settings.search is not None and settings.search not in flows and loader.shop_doc:
        loader.error(
            loader.shop_doc,
            ("understanding", "search"),
            f"search flow {settings.search!r} is not a flow",
        )
    project.search_flow = settings.search if settings.search in flows else None
    if loader.shop_doc:
        check_model_settings(loader, loader.shop_doc, settings)
    lint_project(loader, parsed, project)
    project.understander = build_understander(loader, parsed, project, vocabulary)
    lint_examples(loader, parsed, project)
    diags = sorted(set(loader.diags))
    usable = not any(d.severity == "error" for d in diags)
    return (project if usable else None), diags


def check_model_settings(loader: _Loader, doc: YamlDoc, settings: m.UnderstandingSettings) -> None:
    """``understanding:``'s optional model: complete, a real URL and a usable time cap.
    A key variable that is not set is a warning (``check`` may run where secrets are not)."""
    where = ("understanding",)
    if settings.provider is None:
        for name in ("base_url", "model", "api_key_env"):
            if getattr(settings, name):
                loader.error(
                    doc,
                    (*where, name),
                    f"understanding.{name} is ignored without `provider: openai`",
                    warning=True,
                )
        return
    if not settings.base_url:
        loader.error(doc, (*where, "provider"), "provider: openai needs base_url (…/v1)")
    elif not re.match(r"^https?://[^\s/]+", settings.base_url):
        loader.error(
            doc,
            (*where, "base_url"),
            f"base_url {settings.base_url!r} is not an http(s) URL like http://127.0.0.1:11434/v1",
        )
    if not settings.model:
        loader.error(doc, (*where, "provider"), "provider: openai needs model (its name)")
    try:
        seconds = parse_duration(settings.timeout).total_seconds()
    except ValueError as exc:
        loader.error(doc, (*where, "timeout"), str(exc))
    else:
        if not 1 <= seconds <= 5:
            loader.error(
                doc,
                (*where, "timeout"),
                f"timeout {settings.timeout} is outside 1s..5s: the shopper waits for it "
                "(and the server stops waiting for any interpreter after 5 s)",
            )
    if settings.api_key_env and settings.api_key_env not in os.environ:
        loader.error(
            doc,
            (*where, "api_key_env"),
            f"{settings.api_key_env} is not set here: the model will be asked without a key",
            warning=True,
        )


def build_understander(
    loader: _Loader,
    parsed: list[tuple[YamlDoc, m.FlowHeader, list[tuple[int, m.Step]]]],
    project: Project,
    vocabulary: Vocabulary,
) -> Understander:
    """The project's understanding: every flow's examples, keywords and phrases, the
    interruptions' words and sentences, and what each flow asks for."""
    intents = IntentIndex()
    locales = project.locales
    startable: set[str] = set()
    for doc, header, _steps in parsed:
        flow_id = header.id or ""
        t = header.triggers
        for kind in ("examples", "phrases", "keywords"):
            for locale, items in getattr(t, kind).items():
                for i, text in enumerate(items):
                    ex = intents.add(flow_id, text, locale, (doc, ("triggers", kind, locale, i)))
                    if ex is not None:
                        startable.add(flow_id)
    for name, per_locale in INTERRUPTION_TRIGGERS.items():
        extra = loader.shop.interruptions.get(name, {})  # type: ignore[call-overload]
        sentences = INTERRUPTION_EXAMPLES.get(name, {})
        for source in (per_locale, sentences, extra):
            for locale, items in source.items():
                if locale in locales or locale not in ("en", "pl", "es", "ru", "fa"):
                    for text in items:
                        if text.strip() not in ("?",):
                            intents.add(f"@{name}", text, locale)
    for locale, items in project.shop.understanding.off_topic.items():
        for text in items:
            intents.add(OFF_TOPIC, text, locale)
    project.startable = frozenset(startable) | frozenset(project.triggers.commands.values())
    evidence: dict[str, frozenset[str]] = {}
    for flow_id in startable:
        flow = project.flows.get(flow_id)
        if flow is not None:
            evidence[flow_id] = flow.fills
    settings = project.shop.understanding
    return Understander(
        locales,
        project.shop.currency,
        vocabulary,
        intents,
        evidence=evidence,
        search_intent=project.search_flow,
        weak_intents=frozenset(f for f in (project.start_flow, project.fallback_flow) if f),
        detect_language=settings.detect_language,
        start=settings.threshold,
        clarify=settings.clarify,
    )


def require_project(root: Path | str, actions: ActionRegistry | None = None) -> Project:
    """Load a project or raise ProjectError listing every error."""
    project, diags = load_project(root, actions)
    if project is None:
        raise ProjectError(diags)
    return project


__all__ = ["load_project", "parse_duration", "require_project"]
_ = fold  # re-exported helpers used by lint
