"""Whole-project checks that need every flow loaded: triggers, reachability, channel limits."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from . import model as m
from .compiled import Flow, Project, Step
from .text import fold, fold_message, words
from .yamlpos import PathKey, YamlDoc

if TYPE_CHECKING:
    from .loader import _Loader

# The label limits of the channels shopchat renders to (../shared/reference/platforms.md and
# docs/channels-reference.md). A label over a limit still works (the adapter numbers the
# choices and the shopper types a number) but is not tappable there, so it is reported.
LABEL_LIMITS: dict[str, int] = {
    "WhatsApp buttons": 20,
    "Messenger quick replies": 20,
    "Instagram quick replies": 20,
    "LINE quick replies": 20,
    "Wire poll buttons": 64,
}
MAX_CHOICE_LABEL = min(LABEL_LIMITS.values())
# A WhatsApp list holds at most 10 rows (Messenger, Instagram and LINE take 13 quick replies,
# shopchat's Wire polls 10).
MAX_CHOICES = 10

Parsed = list[tuple[YamlDoc, m.FlowHeader, list[tuple[int, m.Step]]]]


def lint_project(loader: _Loader, parsed: Parsed, project: Project) -> None:
    _index_triggers(loader, parsed, project)
    for flow in project.flows.values():
        _check_reachability(loader, flow, project)
        for step in flow.steps:
            _check_choices(loader, step, project)
    _collect_fills(project)
    _collect_choice_jumps(project)


def _collect_fills(project: Project) -> None:
    """Each flow's kinds of heard values: its asks' and those of the flows it calls."""
    own: dict[str, set[str]] = {}
    calls: dict[str, set[str]] = {}
    for flow in project.flows.values():
        kinds = own.setdefault(flow.id, set())
        for step in flow.steps:
            if step.kind == "ask" and step.entity and not step.optional:
                kinds.add(step.entity)
                # A recipient ("my niece") says the age group; an age says it too.
                if step.entity in ("age", "age_group"):
                    kinds.update(("age_group", "recipient"))
            if step.kind == "call":
                calls.setdefault(flow.id, set()).add(step.target_flow)
    for flow in project.flows.values():
        kinds = set(own.get(flow.id, ()))
        for callee in calls.get(flow.id, ()):
            kinds |= own.get(callee, set())
        flow.fills = frozenset(kinds)


def _collect_choice_jumps(project: Project) -> None:
    """Payloads of static choices that lead into another flow, when only one choice has it."""
    seen: dict[str, object] = {}
    for flow in project.flows.values():
        for step in flow.steps:
            if step.kind != "ask":
                continue
            for option in step.choices:
                jump = option.next
                if jump is None or not jump.leaves_flow:
                    continue
                key = (
                    str(option.value).lower()
                    if isinstance(option.value, bool)
                    else str(option.value)
                )
                if key in seen and seen[key] != jump:
                    seen[key] = None  # ambiguous: two menus use it for different places
                elif key not in seen:
                    seen[key] = jump
    project.choice_jumps = {k: j for k, j in seen.items() if j is not None}  # type: ignore[misc]


def lint_examples(loader: _Loader, parsed: Parsed, project: Project) -> None:
    """Examples that two flows share, or that the understanding gives to another flow."""
    understander = project.understander
    if understander is None:
        return
    owners: dict[tuple[str, frozenset[str]], tuple[str, YamlDoc, PathKey]] = {}
    for doc, header, _steps in parsed:
        flow_id = header.id or ""
        for locale, examples in header.triggers.examples.items():
            _check_locale(loader, doc, ("triggers", "examples", locale), locale)
            for i, text in enumerate(examples):
                loc: PathKey = ("triggers", "examples", locale, i)
                words = understander.read(text, locale)
                key = (locale, frozenset(w.token.folded for w in words))
                if not key[1]:
                    loader.error(doc, loc, f"example {text!r} has no words")
                    continue
                other = owners.get(key)
                if other is not None and other[0] != flow_id:
                    line, _ = other[1].pos(other[2])
                    loader.error(
                        doc,
                        loc,
                        f"example {text!r} is also an example of flow {other[0]!r} "
                        f"({other[1].path.name}:{line}): a sentence can start only one flow",
                    )
                    continue
                owners[key] = (flow_id, doc, loc)
                found = understander.understand(text, locale, detect=False)
                ranked = dict(found.alternatives)
                mine = ranked.get(flow_id, 0.0)
                best, score = found.alternatives[0] if found.alternatives else (None, 0.0)
                if best is not None and best != flow_id and score > mine + 0.05:
                    loader.error(
                        doc,
                        loc,
                        f"example {text!r} matches {best!r} better than this flow "
                        f"({score:.2f} vs {mine:.2f}): reword it or move it there",
                        True,
                    )


def _index_triggers(loader: _Loader, parsed: Parsed, project: Project) -> None:
    index = project.triggers
    seen: dict[tuple[str, str], tuple[str, YamlDoc, PathKey]] = {}
    interruption_words = set(project.interruptions.phrases)

    def claim(kind: str, key: str, flow_id: str, doc: YamlDoc, loc: PathKey) -> bool:
        if (kind, key) in seen:
            other_flow, other_doc, other_loc = seen[(kind, key)]
            if other_flow == flow_id:
                return True  # the same word in two locales of one flow
            line, _ = other_doc.pos(other_loc)
            where = f"{other_doc.path.name}:{line}"
            loader.error(
                doc,
                loc,
                f"duplicate trigger {key!r}: flow {other_flow!r} already uses it ({where})",
            )
            return False
        seen[(kind, key)] = (flow_id, doc, loc)
        if kind in ("phrase", "keyword") and key in interruption_words:
            name = project.interruptions.phrases[key]
            loader.error(
                doc, loc, f"trigger {key!r} is taken by the built-in '{name}' interruption", True
            )
        return True

    for doc, header, _steps in parsed:
        flow_id = header.id or ""
        t = header.triggers
        base: PathKey = ("triggers",)
        for i, command in enumerate(t.commands):
            key = command.lower()
            if claim("command", key, flow_id, doc, (*base, "commands", i)):
                index.commands[key] = flow_id
        for i, payload in enumerate(t.payloads):
            carries = re.fullmatch(r"(.*?)\{([A-Za-z_][A-Za-z0-9_]*)\}", payload)
            if carries is not None and carries.group(1):
                if claim("payload", payload, flow_id, doc, (*base, "payloads", i)):
                    index.payload_patterns.append((carries.group(1), carries.group(2), flow_id))
                continue
            if claim("payload", payload, flow_id, doc, (*base, "payloads", i)):
                index.payloads[payload] = flow_id
        for locale, phrases in t.phrases.items():
            _check_locale(loader, doc, (*base, "phrases", locale), locale)
            for i, phrase in enumerate(phrases):
                key = fold_message(phrase)
                if claim("phrase", key, flow_id, doc, (*base, "phrases", locale, i)):
                    index.phrases[key] = flow_id
        for locale, keywords in t.keywords.items():
            _check_locale(loader, doc, (*base, "keywords", locale), locale)
            for i, keyword in enumerate(keywords):
                folded = words(keyword)
                loc = (*base, "keywords", locale, i)
                if not folded:
                    loader.error(doc, loc, f"keyword {keyword!r} has no letters or digits")
                    continue
                key = " ".join(folded)
                if not claim("keyword", key, flow_id, doc, loc):
                    continue
                if len(folded) == 1:
                    index.keywords[key] = flow_id
                else:
                    index.multiword.append((key, flow_id))
        for i, pattern in enumerate(t.regex):
            try:
                index.regexes.append((re.compile(pattern, re.IGNORECASE), flow_id))
            except re.error as exc:
                loader.error(doc, (*base, "regex", i), f"invalid regex: {exc}")


def _check_locale(loader: _Loader, doc: YamlDoc, loc: PathKey, locale: str) -> None:
    if locale not in project_locales(loader):
        loader.error(doc, loc, f"locale {locale!r} is not declared in shop.yaml", True)


def project_locales(loader: _Loader) -> list[str]:
    return loader.locales


def _successors(step: Step, flow: Flow) -> list[int]:
    out: list[int] = []
    jumps = [step.next, step.on_fail, step.on_error, *(c.next for c in step.choices)]
    jumps += [j for _cond, j in step.arms]
    for jump in jumps:
        if jump is not None and jump.flow == flow.id and jump.step is not None:
            out.append(jump.step)
    falls_through = step.kind not in ("goto", "end") and step.next is None
    if step.kind == "branch" and any(cond is None for cond, _j in step.arms):
        falls_through = False
    if step.kind == "ask" and step.choices and all(c.next is not None for c in step.choices):
        falls_through = False
    if falls_through and step.index + 1 < len(flow.steps):
        out.append(step.index + 1)
    return out


def _check_reachability(loader: _Loader, flow: Flow, project: Project) -> None:
    if not flow.steps:
        return
    entries = {0}
    for other in project.flows.values():
        for step in other.steps:
            jumps = [step.next, step.on_fail, step.on_error, *(c.next for c in step.choices)]
            jumps += [j for _c, j in step.arms]
            for jump in jumps:
                if (
                    jump is not None
                    and jump.flow == flow.id
                    and jump.step is not None
                    and other.id != flow.id
                ):
                    entries.add(jump.step)
    reached: set[int] = set()
    todo = list(entries)
    while todo:
        i = todo.pop()
        if i in reached:
            continue
        reached.add(i)
        todo.extend(_successors(flow.steps[i], flow))
    for step in flow.steps:
        if step.index not in reached:
            name = f"step {step.id!r}" if step.explicit_id else f"step {step.id} ({step.kind})"
            loader.error(step.doc, step.loc, f"{name} is unreachable: no step leads to it")


def _check_choices(loader: _Loader, step: Step, project: Project) -> None:
    if step.kind != "ask" or not step.choices:
        return
    if len(step.choices) > MAX_CHOICES:
        loader.error(
            step.doc,
            (*step.loc, "choices"),
            f"{len(step.choices)} choices: a WhatsApp list shows at most {MAX_CHOICES}; "
            "split the question",
        )
    ctx: dict[str, Any] = {name: None for name in project.slot_names}
    ctx.update(user={}, locale="", shop={}, channel="", now=None)
    for i, option in enumerate(step.choices):
        for locale, render in option.label.by_locale.items():
            try:
                label = str(render(ctx))
            except Exception:
                continue  # labels with slot values can only be measured at run time
            if len(label) > MAX_CHOICE_LABEL:
                over = [name for name, limit in LABEL_LIMITS.items() if len(label) > limit]
                loader.error(
                    step.doc,
                    (*step.loc, "choices", i),
                    f"choice label {label!r} ({locale}) is {len(label)} characters: "
                    f"{', '.join(over)} allow {MAX_CHOICE_LABEL}",
                )


__all__ = ["LABEL_LIMITS", "MAX_CHOICES", "MAX_CHOICE_LABEL", "lint_examples", "lint_project"]
_ = fold
