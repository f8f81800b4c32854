"""The conversation engine: a pure function of (session state, event) -> (state, replies, effects).

No I/O happens here. Work that needs the outside world (running an action, handing off to a
person) is returned as an effect; the driver carries it out and, for actions, feeds the result
back in as an :class:`~flows.events.ActionResult` event. The engine never raises for anything a
shopper or a flow author can do: a failing template or a bug in a flow ends in a polite reply
and a log line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shoplinks import web_url
from understanding import Understanding
from understanding.understand import SURE

from .compiled import ChoiceOption, Jump, LText, Project, Step
from .events import (
    ActionResult,
    CatalogOrderInput,
    ChoiceInput,
    ContactInput,
    Event,
    ImageInput,
    LocationInput,
    MediaInput,
    SetLocaleInput,
    StartInput,
    TextInput,
)
from .hearing import (
    MISSING,
    Heard,
    choice_by_words,
    display_value,
    heard_for,
    meaning_of,
)
from .replies import (
    ActionCall,
    Choice,
    Effect,
    Handoff,
    ImageReply,
    ProductCard,
    ProductCards,
    Remember,
    Reply,
    TextReply,
)
from .slots import InvalidAnswer, minor_units, parse_answer
from .state import Frame, SessionState
from .system_texts import LOCALE_NAMES
from .templates import TemplateError, Templates, money
from .text import fold_message, fold_phrase, parse_int

log = logging.getLogger("shopchat.engine")

#: The payload trigger of the flow that takes a cart sent from the platform's catalog
#: (:class:`~flows.events.CatalogOrderInput`); the order waits for it in this slot.
CATALOG_ORDER = "CATALOG_ORDER"
CATALOG_ORDER_SLOT = "catalog_order"

MAX_STEPS_PER_TURN = 500
CONTINUE, MENU, LANG = "@continue", "@menu", "@lang:"
YES, NO, FLOW = "@yes", "@no", "@flow:"


@dataclass
class Turn:
    """What one event produced."""

    state: SessionState
    replies: list[Reply] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)

    @property
    def action(self) -> ActionCall | None:
        """The action the driver must run before the turn can go on, if any."""
        for effect in self.effects:
            if isinstance(effect, ActionCall):
                return effect
        return None


class FlowRuntimeError(Exception):
    """A flow did something impossible at run time (a loop, a missing value)."""


class Engine:
    """Runs a compiled :class:`Project`. Safe to share: it keeps no per-conversation state."""

    def __init__(self, project: Project) -> None:
        self.project = project
        # Jinja's globals, then every slot any flow sets (None until set): a template that
        # reads a slot this path never set sees None, while a typo is caught by the linter.
        self._base_ctx: dict[str, Any] = Templates().context(dict.fromkeys(project.slot_names))
        self._shop = {"name": project.shop.name, "currency": project.shop.currency}

    # -- public API ------------------------------------------------------------------------
    def new_session(
        self,
        conversation_id: str,
        *,
        now: datetime,
        locale: str | None = None,
        user: dict[str, Any] | None = None,
        channel: str = "",
    ) -> SessionState:
        profile = {"id": None, "name": None, "first_name": None}
        profile.update(user or {})
        return SessionState(
            conversation_id=conversation_id,
            locale=self.project.pick_locale(locale),
            channel=channel,
            user=profile,
            last_active=now.timestamp(),
        )

    def advance(self, state: SessionState, event: Event, now: datetime) -> Turn:
        """Apply ``event`` to ``state`` (mutated and returned in the Turn)."""
        turn = _Run(self, state, now)
        try:
            turn.handle(event)
        except Exception as exc:  # never let a turn crash the conversation
            log.exception("turn failed in conversation %s: %s", state.conversation_id, exc)
            turn.reset(keep_slots=True)
            turn.say_system("error")
        return Turn(state, turn.replies, turn.effects)


class _Run:
    """One turn in progress."""

    def __init__(self, engine: Engine, state: SessionState, now: datetime) -> None:
        self.engine = engine
        self.project = engine.project
        self.state = state
        self.now = now if now.tzinfo else now.replace(tzinfo=UTC)
        self.replies: list[Reply] = []
        self.effects: list[Effect] = []
        self.steps_run = 0
        self.now_local = self.now.astimezone(self.project.tz)
        self._ctx: dict[str, Any] | None = None
        self.prior_fallbacks = state.fallbacks
        self._meaning: tuple[str, Understanding | None] | None = None

    # -- context and texts ---------------------------------------------------------------
    def ctx(self, **extra: Any) -> dict[str, Any]:
        """The names templates see. Built once per turn and rebuilt only after a change."""
        if self._ctx is None:
            s = self.state
            ctx: dict[str, Any] = dict(self.engine._base_ctx)
            ctx.update(s.slots)
            ctx["user"] = s.user
            ctx["locale"] = s.locale
            ctx["shop"] = self.engine._shop
            ctx["channel"] = s.channel
            ctx["now"] = self.now_local
            ctx["customer"] = CustomerFacts(s.customer)
            self._ctx = ctx
        return {**self._ctx, **extra} if extra else self._ctx

    def set_slot(self, name: str, value: Any) -> None:
        self.state.slots[name] = value
        self._ctx = None

    def set_locale(self, locale: str) -> None:
        self.state.locale = locale
        self._ctx = None

    def render(self, text: LText, **extra: Any) -> str:
        return text.render(self.state.locale, self.ctx(**extra))

    def system(self, key: str) -> str:
        return self.project.system[key].render(self.state.locale, self.ctx())

    def say(self, text: str, choices: list[tuple[str, str]] = ()) -> None:  # type: ignore[assignment]
        self.replies.append(TextReply(text, tuple(Choice(label, p) for label, p in choices)))

    def say_system(self, key: str) -> None:
        self.say(self.system(key))

    def offer(self, text: str, options: list[tuple[str, str]]) -> None:
        self.state.offered = [[label, payload] for label, payload in options]
        self.say(text, options)

    # -- state helpers -------------------------------------------------------------------
    def reset(self, *, keep_slots: bool) -> None:
        s = self.state
        s.stack.clear()
        s.waiting = None
        s.overlay = None
        s.offered = []
        s.heard = {}
        s.pending = None
        if not keep_slots:
            s.slots.clear()
            self._ctx = None

    def current_step(self) -> Step | None:
        frame = self.state.frame
        if frame is None:
            return None
        flow = self.project.flows.get(frame.flow)
        if flow is None or frame.step >= len(flow.steps):
            return None
        return flow.steps[frame.step]

    def start(self, flow_id: str | None, heard: Heard | None = None) -> None:
        self.reset(keep_slots=True)
        if flow_id is None:
            return
        self.state.heard = dict(heard or {})
        self.push(flow_id, 0)
        self.run()

    def push(self, flow_id: str, step: int) -> None:
        flow = self.project.flows[flow_id]
        self.state.stack.append(Frame(flow_id, step, flow.steps[step].id, flow.version))

    def goto(self, jump: Jump) -> None:
        s = self.state
        frame = s.frame
        assert frame is not None
        if jump.step is None:
            self.end_flow()
            return
        if jump.leaves_flow and jump.flow != frame.flow:
            s.stack.pop()
            self.push(jump.flow, jump.step)
            return
        flow = self.project.flows[jump.flow]
        frame.flow, frame.step, frame.step_id = jump.flow, jump.step, flow.steps[jump.step].id
        frame.version, frame.attempts = flow.version, 0

    def remember(self, step: Step) -> None:
        """Keep the step's ``remember:`` facts: in the session now, and (an effect) for good."""
        if not step.remember:
            return
        slots = self.state.slots
        facts = {f: slots[n] for f, n in step.remember.items() if slots.get(n) not in (None, "")}
        if facts:
            self.state.customer.update(facts)
            self._ctx = None
            self.effects.append(Remember(facts=facts))

    def move_on(self, step: Step) -> None:
        """Continue after ``step``: its ``next:`` if it has one, else the following step."""
        self.remember(step)
        if step.next is not None:
            self.goto(step.next)
            return
        frame = self.state.frame
        assert frame is not None
        flow = self.project.flows[frame.flow]
        if step.index + 1 >= len(flow.steps):
            self.end_flow()
        else:
            frame.step = step.index + 1
            frame.step_id = flow.steps[frame.step].id
            frame.attempts = 0

    def end_flow(self) -> None:
        s = self.state
        s.stack.pop()
        s.waiting = None
        if s.stack:
            caller = self.current_step()
            if caller is not None:
                self.move_on(caller)
        else:
            s.heard = {}

    # -- the turn ------------------------------------------------------------------------
    def handle(self, event: Event) -> None:
        s = self.state
        if isinstance(event, ActionResult):
            self.action_result(event)
            return
        if isinstance(event, SetLocaleInput):
            self.set_locale(self.project.pick_locale(event.locale))
            return
        self.expire_if_idle()
        s.last_active = self.now.timestamp()
        s.fallbacks = 0  # fallback() counts this message again if nothing understands it
        if self.check_versions():
            return  # the message went to restarting the changed flow
        if isinstance(event, StartInput):
            target = event.flow if event.flow in self.project.flows else None
            target = target or self.project.triggers.payloads.get(event.payload or "")
            self.start(target or self.project.start_flow or self.project.fallback_flow)
            return
        if s.waiting == "action":
            # The previous action never reported back (the driver died): drop it politely.
            self.reset(keep_slots=True)
        if isinstance(event, CatalogOrderInput):
            self.catalog_order(event)
        elif isinstance(event, TextInput | ChoiceInput):
            self.handle_message(event)
        elif isinstance(event, ContactInput) and self.asking_type() in ("phone", "text"):
            self.answer(TextInput(text=event.phone))
        elif isinstance(event, LocationInput) and self.asking_type() == "text":
            self.answer(TextInput(text=event.address or f"{event.latitude},{event.longitude}"))
        elif isinstance(event, ImageInput) and event.caption:
            self.handle_message(TextInput(text=event.caption))
        elif isinstance(event, MediaInput):
            self.unsupported(event.media)
        elif isinstance(event, ImageInput):
            self.unsupported("image")
        elif isinstance(event, LocationInput):
            self.unsupported("location")
        elif isinstance(event, ContactInput):
            self.unsupported("contact")
        elif s.waiting == "ask":
            self.reject(None, self.system("invalid_text"))
        else:
            self.fallback()

    def catalog_order(self, event: CatalogOrderInput) -> None:
        """A cart sent from the platform's catalog replaces whatever was going on: it is the
        clearest thing a shopper can say. Without a flow for it, the shop says what it can do."""
        target = self.project.triggers.payloads.get(CATALOG_ORDER)
        if target is None:
            self.unsupported("other")
            return
        self.set_slot(CATALOG_ORDER_SLOT, event.model_dump(mode="json", exclude={"kind"}))
        self.start(target)

    def unsupported(self, media: str) -> None:
        """A message the shop cannot read: say so, say what it can do, show where we are."""
        key = f"unsupported_{media}"
        if key not in self.project.system:
            key = "unsupported_other"
        topics = ", ".join(
            self.render(flow.title)
            for flow in self.project.flows.values()
            if flow.title is not None and flow.id in self.project.startable
        )
        self.say(f"{self.system(key)} {self.system_with('capabilities', topics=topics)}")
        if self.state.waiting == "ask" and self.state.overlay is None:
            self.reprompt()

    def system_with(self, key: str, **extra: Any) -> str:
        return self.project.system[key].render(self.state.locale, self.ctx(**extra))

    def asking_type(self) -> str | None:
        step = self.current_step()
        if self.state.waiting == "ask" and step is not None and step.kind == "ask":
            return step.slot_type
        return None

    def expire_if_idle(self) -> None:
        s = self.state
        if not s.last_active:
            return
        idle = self.now.timestamp() - s.last_active
        if idle > self.project.idle_timeout.total_seconds():
            in_progress = bool(s.stack) or s.overlay is not None
            self.reset(keep_slots=False)
            s.handoff = False
            if in_progress:
                self.say_system("session_expired")

    def check_versions(self) -> bool:
        """Re-anchor frames whose flow changed since they started; True if one restarted."""
        s = self.state
        for i, frame in enumerate(list(s.stack)):
            flow = self.project.flows.get(frame.flow)
            if flow is not None and flow.version == frame.version:
                continue
            if (
                flow is not None
                and not frame.step_id.startswith("#")
                and frame.step_id in flow.by_id
            ):
                frame.step = flow.by_id[frame.step_id]
                frame.version = flow.version
                continue
            self.say_system("flow_changed")
            del s.stack[i:]
            s.waiting, s.overlay, s.offered = None, None, []
            if flow is not None:
                self.push(flow.id, 0)
                self.run()
            elif not s.stack:
                self.start(self.project.start_flow)
            return True
        return False

    # -- understanding -------------------------------------------------------------------
    def meaning(self, event: TextInput | ChoiceInput) -> Understanding | None:
        """What a typed message means (once per turn); None for a button."""
        if not isinstance(event, TextInput):
            return None
        if self._meaning is not None and self._meaning[0] == event.text:
            return self._meaning[1]
        found = meaning_of(self.project, event, self.state)
        self._meaning = (event.text, found)
        return found

    def follow_language(self, meaning: Understanding | None) -> None:
        """Switch to the language the shopper clearly writes in (sticky for the session)."""
        s = self.state
        if meaning is None or meaning.language is None or s.locale_pinned:
            return
        if not self.project.shop.understanding.detect_language:
            return
        if self.asking_type() in ("text", "email", "phone", "date"):
            return  # a name or an address says nothing about the shopper's language
        if meaning.text.lstrip().startswith("/"):
            return  # a command
        if meaning.language != s.locale and meaning.language in self.project.locales:
            self.set_locale(meaning.language)

    def handle_message(self, event: TextInput | ChoiceInput) -> None:
        s = self.state
        text = event.text if isinstance(event, TextInput) else event.payload
        meaning = self.meaning(event)
        self.follow_language(meaning)
        if s.overlay == "language" and self.pick_language(event):
            return
        if isinstance(event, ChoiceInput) and event.payload.startswith(LANG):
            # A page's own language picker (the web chat's): no overlay was offered.
            self.switch_language(event.payload[len(LANG) :])
            return
        if s.overlay == "confirm" and self.confirmation(event, meaning):
            return
        if s.overlay == "clarify":
            picked = self.picked(event)
            s.overlay = None
            if picked is not None and picked.startswith(FLOW):
                self.start(picked[len(FLOW) :], s.heard)
                return
            s.offered = []
        name = self.interruption(event)
        if name is not None:
            self.interrupt(name)
            return
        if s.overlay == "resume":
            s.overlay = None
            picked = self.picked(event)
            if picked == CONTINUE:
                s.offered = []
                self.reprompt()
                return
            if picked == MENU:
                self.start(self.project.start_flow)
                return
        s.overlay = None
        started = self.explicit_trigger(event)
        if started:
            return
        if isinstance(event, ChoiceInput) and self.picked(event) is None:
            self.stale_button(event)
            return
        if s.waiting == "ask":
            self.answer(event)
            return
        if meaning is not None and self.follow_meaning(meaning):
            return
        target = self.project.triggers.match_text(text) if isinstance(event, TextInput) else None
        if target is not None:
            self.start(target, meaning.entities if meaning else None)
        elif meaning is not None and meaning.clarify:
            self.ask_which(meaning)
        else:
            self.fallback()

    def follow_meaning(self, meaning: Understanding, *, mid_question: bool = False) -> bool:
        """Start the flow or interruption a sentence asks for; False when it asks for none."""
        intent = meaning.intent
        if intent is None:
            return False
        if mid_question and meaning.confidence < SURE:
            return False  # an answer gone wrong, more likely than a change of subject
        if intent.startswith("@"):
            name = intent[1:]
            step = self.current_step()
            if (
                mid_question
                and step is not None
                and step.kind == "ask"
                and name not in step.interruptions
            ):
                return False
            self.interrupt(name)
            return True
        if intent not in self.project.flows:
            return False
        frame = self.state.frame
        if mid_question and frame is not None and frame.flow == intent:
            return False  # the flow we are in: the sentence is an answer gone wrong
        self.start(intent, meaning.entities)
        return True

    def ask_which(self, meaning: Understanding) -> None:
        """Not sure which flow a sentence asks for: offer the two best as buttons."""
        s = self.state
        options = []
        for flow_id in meaning.clarify:
            flow = self.project.flows[flow_id]
            label = self.render(flow.title) if flow.title else (flow.description or flow_id)
            options.append((label, f"{FLOW}{flow_id}"))
        s.heard = dict(meaning.entities)
        s.overlay = "clarify"
        self.offer(self.system("clarify"), options)

    def stale_button(self, event: ChoiceInput) -> None:
        """A button from an earlier message: do what it meant if that still makes sense,
        else say so kindly and show where the conversation is. Never a misunderstanding."""
        s = self.state
        s.fallbacks = self.prior_fallbacks
        jump = self.project.choice_jumps.get(event.payload)
        if jump is not None and jump.step is not None:
            self.reset(keep_slots=True)
            self.push(jump.flow, jump.step)
            self.run()
            return
        self.say_system("stale_button")
        if s.waiting == "ask" and self.current_step() is not None:
            self.say_system("where_we_are")
            self.reprompt()
        else:
            self.start(self.project.start_flow)

    def explicit_trigger(self, event: TextInput | ChoiceInput) -> bool:
        """Commands and button payloads always start their flow, even mid-question."""
        triggers = self.project.triggers
        if isinstance(event, ChoiceInput):
            if any(p == event.payload for _l, p in self.state.offered):
                return False
            found = triggers.match_payload(event.payload)
            if found is None or event.payload == CATALOG_ORDER:
                return False
            flow_id, values = found
            self.start(flow_id, values)
            return True
        if event.text.strip().startswith("/"):
            target = triggers.match_text(event.text)
            if target is not None:
                self.start(target)
                return True
        return False

    def fallback(self) -> None:
        self.state.fallbacks = self.prior_fallbacks + 1
        if self.project.fallback_flow:
            self.start(self.project.fallback_flow)
        else:
            self.say_system("not_understood")

    # -- interruptions -------------------------------------------------------------------
    def interruption(self, event: TextInput | ChoiceInput) -> str | None:
        if isinstance(event, ChoiceInput):
            p = event.payload
            name = p[1:] if p.startswith("@") and p[1:] in _INTERRUPTIONS else None
        else:
            name = self.project.interruptions.match(event.text)
        if name is None:
            return None
        step = self.current_step()
        if self.state.waiting == "ask" and step is not None and name not in step.interruptions:
            return None
        return name

    def interrupt(self, name: str) -> None:
        s = self.state
        asking = s.waiting == "ask"
        if name == "cancel":
            self.reset(keep_slots=True)
            self.say_system("cancelled")
            self.start(self.project.start_flow)
        elif name == "restart":
            self.reset(keep_slots=False)
            self.say_system("restarted")
            self.start(self.project.start_flow)
        elif name == "help":
            step = self.current_step()
            flow = self.project.flows.get(s.frame.flow) if s.frame else None
            text = (step.help if step and step.help else None) or (flow.help if flow else None)
            self.say(self.render(text) if text else self.system("help"))
            if asking:
                self.offer_resume()
        elif name == "human":
            frame = s.frame
            self.effects.append(
                Handoff(
                    reason="shopper_request",
                    flow=frame.flow if frame else None,
                    step=frame.step_id if frame else None,
                    reply=len(self.replies),
                )
            )
            s.handoff = True
            self.say_system("handoff")
            if asking:
                self.offer_resume(self.system("handoff_resume"))
        elif name == "language":
            options = [(LOCALE_NAMES.get(loc, loc), f"{LANG}{loc}") for loc in self.project.locales]
            s.overlay = "language"
            self.offer(self.system("language_prompt"), options)

    def offer_resume(self, lead: str | None = None) -> None:
        self.state.overlay = "resume"
        text = self.system("resume_offer")
        if lead:
            text = f"{lead} {text}"
        self.offer(text, [(self.system("continue"), CONTINUE), (self.system("main_menu"), MENU)])

    def switch_language(self, locale: str) -> None:
        """The shopper picked ``locale`` outside the language question; the step goes on."""
        s = self.state
        if locale not in self.project.locales:
            return
        self.set_locale(locale)
        s.locale_pinned = True
        self.say_system("language_changed")
        if s.waiting == "ask":
            self.reprompt()

    def pick_language(self, event: TextInput | ChoiceInput) -> bool:
        s = self.state
        picked = self.picked(event)
        locale: str | None = None
        if picked and picked.startswith(LANG):
            locale = picked[len(LANG) :]
        elif isinstance(event, TextInput):
            raw = fold_message(event.text)
            for loc in self.project.locales:
                if raw in (loc.lower(), fold_phrase(LOCALE_NAMES.get(loc, loc))):
                    locale = loc
        if locale is None or locale not in self.project.locales:
            s.overlay = None
            s.offered = []
            return False
        self.set_locale(locale)
        s.locale_pinned = True
        s.overlay = None
        s.offered = []
        self.say_system("language_changed")
        if s.waiting == "ask":
            self.reprompt()
        return True

    def picked(self, event: TextInput | ChoiceInput) -> str | None:
        """The payload of the offered option the shopper chose: by button, number or label."""
        offered = self.state.offered
        if not offered:
            return None
        if isinstance(event, ChoiceInput):
            return next((p for _l, p in offered if p == event.payload), None)
        n = parse_int(event.text)
        if n is not None:
            return offered[n - 1][1] if 1 <= n <= len(offered) else None
        raw = fold_message(event.text)
        for label, payload in offered:
            if raw and raw in (fold_message(label), fold_message(payload)):
                return payload
        return None

    # -- asking --------------------------------------------------------------------------
    def prompt(self, step: Step) -> None:
        s = self.state
        s.waiting = "ask"
        text = self.render(step.text) if step.text else ""
        options = self.options(step)
        if step.products is not None:
            products = self.products(step.products)
            s.offered = [[p["title"], p["id"]] for p in products]
            self.say(text)
            choose = self.system("choose")
            self.replies.append(
                ProductCards(
                    cards=tuple(
                        self.card(p, Choice(label=choose, payload=p["id"])) for p in products
                    )
                )
            )
            return
        if options:
            self.offer(text, options)
        else:
            s.offered = []
            self.say(text)

    def reprompt(self) -> None:
        step = self.current_step()
        if step is not None and step.kind == "ask":
            self.prompt(step)

    def options(self, step: Step) -> list[tuple[str, str]]:
        if step.choices:
            return [(self.render(o.label), _payload(o.value)) for o in step.choices]
        if step.choices_from is not None:
            raw = step.choices_from(self.ctx())
            out = []
            for item in raw or []:
                if isinstance(item, dict):
                    value = item.get("value", item.get("id"))
                    out.append((str(item.get("label", item.get("title", value))), _payload(value)))
                else:
                    out.append((str(item), _payload(item)))
            return out
        return []

    def products(self, expr: Any) -> list[dict[str, Any]]:
        raw = expr(self.ctx())
        if raw is None:
            return []
        if isinstance(raw, dict):
            raw = [raw]
        return [p for p in raw if isinstance(p, dict) and "id" in p and "title" in p]

    def card(self, p: dict[str, Any], button: Choice | None = None) -> ProductCard:
        price = p.get("price_text")
        if not price and p.get("price") is not None:
            price = money(
                p["price"], p.get("currency") or self.project.shop.currency, self.state.locale
            )
        subtitle = str(p.get("description") or "")
        if len(subtitle) > 80:
            cut = subtitle[:79]
            cut = cut.rsplit(" ", 1)[0] if " " in cut[40:] else cut  # end on a whole word
            subtitle = cut.rstrip(" ,.;:") + "…"
        if p.get("rating_text"):  # "★ 4.4 (12)": on every channel's card
            subtitle = f"{p['rating_text']} · {subtitle}" if subtitle else str(p["rating_text"])
        return ProductCard(
            id=str(p["id"]),
            title=str(p["title"]),
            subtitle=subtitle,
            price=str(price or ""),
            image_url=p.get("image"),
            url=p.get("url"),
            button=button,
        )

    def option_pairs(self, step: Step) -> list[tuple[Any, ChoiceOption | None]]:
        """(value, option) of a choice question: its static choices, else what it offers."""
        if step.choices:
            return [(o.value, o) for o in step.choices]
        return [(payload, None) for _label, payload in self.options(step)] or [
            (payload, None) for _label, payload in self.state.offered
        ]

    def free_choice(
        self, step: Step, event: TextInput, meaning: Understanding | None
    ) -> tuple[Any, ChoiceOption | None]:
        """A typed answer to a choice question, mapped onto its choices (or taken as the
        other answer a question that accepts one): by the values heard in it, else by the
        words of a choice's label in any locale."""
        pairs = self.option_pairs(step)
        if meaning is not None:
            value, option, _kind = heard_for(step, meaning.entities, pairs)
            if value is not MISSING:
                return value, option
            understander = self.project.understander
            if understander is not None:
                keys: set[str] = set()
                for word in understander.read(event.text, meaning.locale):
                    keys |= word.keys
                labelled: list[tuple[Any, list[tuple[str, str]]]] = []
                ctx = self.ctx()
                for value, option in pairs:
                    if option is not None:
                        labels = [
                            (loc, str(render(ctx)))
                            for loc, render in option.label.by_locale.items()
                        ]
                    else:
                        labels = [
                            (self.state.locale, label)
                            for label, payload in self.state.offered
                            if payload == _payload(value)
                        ]
                    labelled.append((value, labels))
                found = choice_by_words(keys, labelled)
                if found is not None:
                    return found, next((o for v, o in pairs if v == found), None)
        if step.accept_other:
            text = event.text.strip()
            if meaning is not None and step.entity and step.entity in meaning.entities:
                return display_value(meaning.entities[step.entity]), None
            if text:
                return text, None
        raise InvalidAnswer("invalid_choice")

    def checked(self, step: Step, raw: Any) -> Any:
        """A heard value validated like a typed answer (type and bounds); InvalidAnswer if not."""
        kind = step.slot_type
        if kind in ("money", "integer", "number"):
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                raise InvalidAnswer(f"invalid_{'money' if kind == 'money' else 'number'}")
            value: Any = int(raw) if kind in ("money", "integer") else raw
            if kind == "integer" and value != raw:
                raise InvalidAnswer("invalid_integer")
            if step.minimum is not None and value < step.minimum:
                raise InvalidAnswer("too_small")
            if step.maximum is not None and value > step.maximum:
                raise InvalidAnswer("too_big")
            return value
        if kind == "choice":
            return raw
        return parse_answer(
            kind,
            display_value(raw),
            currency=self.project.shop.currency,
            today=self.now.astimezone(self.project.tz).date(),
            minimum=step.minimum,
            maximum=step.maximum,
        )

    def passes_rules(self, step: Step, value: Any) -> str | None:
        """The error of the first validation rule ``value`` breaks, or None."""
        for rule in step.rules:
            if not rule.check(self.ctx(value=value)):
                return self.render(rule.error, value=value)
        return None

    def take_heard(self, step: Step) -> tuple[Any, ChoiceOption | None]:
        """The value heard earlier for this question, valid here, or (MISSING, None)."""
        s = self.state
        if not s.heard:
            return MISSING, None
        raw, option, kind = heard_for(
            step, s.heard, self.option_pairs(step) if step.slot_type == "choice" else ()
        )
        if raw is MISSING or kind is None:
            return MISSING, None
        s.heard.pop(kind, None)
        try:
            value = self.checked(step, raw)
        except InvalidAnswer:
            return MISSING, None
        if self.passes_rules(step, value) is not None:
            return MISSING, None
        return value, option

    def accept(self, step: Step, value: Any, chosen: ChoiceOption | None) -> None:
        """Store an answer and move on (to the chosen option's target if it has one)."""
        s = self.state
        self.set_slot(step.slot, value)
        s.waiting = None
        s.offered = []
        if chosen is not None and chosen.next is not None:
            self.remember(step)
            self.goto(chosen.next)
        else:
            self.move_on(step)

    def ask_confirm(self, step: Step, value: Any, chosen: ChoiceOption | None) -> None:
        s = self.state
        s.waiting = "ask"
        s.pending = value
        if step.confirm_text is not None:
            text = self.render(step.confirm_text, value=value)
        else:
            shown: Any = value
            if chosen is not None:
                shown = self.render(chosen.label)
            elif step.slot_type == "money" and isinstance(value, int):
                shown = money(value, self.project.shop.currency, s.locale)
            text = self.system_with("confirm", value=display_value(shown))
        self.offer(text, [(self.system("yes"), YES), (self.system("no"), NO)])
        s.overlay = "confirm"

    def confirmation(self, event: TextInput | ChoiceInput, meaning: Understanding | None) -> bool:
        """The answer to "Is that right?"; False when the message is something else."""
        s = self.state
        picked = self.picked(event)
        answer = {YES: "yes", NO: "no"}.get(picked or "")
        understander = self.project.understander
        if answer is None and isinstance(event, TextInput) and understander is not None:
            answer = understander.answer_yes_no(event.text, s.locale)
        step = self.current_step()
        value, s.pending = s.pending, None
        s.overlay = None
        s.offered = []
        if step is None or step.kind != "ask":
            return False
        if answer == "yes":
            chosen = None
            if step.slot_type == "choice":
                chosen = next((o for o in step.choices if o.value == value), None)
            self.accept(step, value, chosen)
            self.run()
            return True
        if answer == "no":
            self.prompt(step)
            return True
        return False  # the shopper answered the question itself instead

    def answer(self, event: TextInput | ChoiceInput) -> None:
        s = self.state
        step = self.current_step()
        if step is None or step.kind != "ask":
            s.waiting = None
            self.fallback()
            return
        text = event.text if isinstance(event, TextInput) else event.payload
        meaning = self.meaning(event)
        chosen = None
        used_kind: str | None = None
        try:
            if step.slot_type == "choice":
                payload = self.picked(event)
                if payload is not None:
                    chosen = next((o for o in step.choices if _payload(o.value) == payload), None)
                    value: Any = chosen.value if chosen is not None else payload
                elif isinstance(event, TextInput):
                    value, chosen = self.free_choice(step, event, meaning)
                    used_kind = step.entity
                else:
                    raise InvalidAnswer("invalid_choice")
            else:
                try:
                    value = parse_answer(
                        step.slot_type,
                        text,
                        currency=self.project.shop.currency,
                        today=self.now.astimezone(self.project.tz).date(),
                        minimum=step.minimum,
                        maximum=step.maximum,
                    )
                except InvalidAnswer:
                    if meaning is None:
                        raise
                    raw, _o, used_kind = heard_for(step, meaning.entities, allow_number=True)
                    if raw is MISSING:
                        raise
                    if used_kind == "number" and step.slot_type == "money":
                        # "sto", "cien", "сто" answering a budget question: whole units.
                        raw = int(raw) * 10 ** minor_units(self.project.shop.currency)
                    value = self.checked(step, raw)
            error = self.passes_rules(step, value)
            if error is not None:
                self.reject(event, error)
                return
        except InvalidAnswer as exc:
            self.reject(event, self.render(step.error) if step.error else self.system(exc.reason))
            return
        if meaning is not None and meaning.entities:
            # The rest of the sentence answers questions still to come.
            rest = {
                k: v
                for k, v in meaning.entities.items()
                if k not in _NOT_HEARD and k != used_kind and k != step.entity
            }
            s.heard.update(rest)
        self.accept(step, value, chosen)
        self.run()

    def reject(self, event: TextInput | ChoiceInput | None, message: str) -> None:
        """A wrong answer: maybe the shopper changed the subject; else re-ask or give up."""
        s = self.state
        if isinstance(event, TextInput):
            meaning = self.meaning(event)
            if meaning is not None and self.follow_meaning(meaning, mid_question=True):
                return
            triggers = self.project.triggers
            target = triggers.match_text(event.text)
            frame = s.frame
            # Another flow's trigger means the shopper changed the subject. The current flow's
            # own trigger restarts it only when it is the whole message ("hi" at the menu).
            if target is not None and (
                frame is None or target != frame.flow or triggers.match_whole(event.text)
            ):
                self.start(target)
                return
        step = self.current_step()
        frame = s.frame
        assert step is not None and frame is not None
        s.fallbacks = self.prior_fallbacks + 1  # not understood, like a fallback
        frame.attempts += 1
        if frame.attempts >= step.attempts:
            s.waiting = None
            s.offered = []
            self.say(message)
            if step.on_fail is not None:
                self.goto(step.on_fail)
            else:
                # Give up on this flow only: a flow that called it carries on (and can offer
                # a person); with nothing left, the shopper is back at the start.
                self.say_system("too_many_attempts")
                self.end_flow()
                if not s.stack:
                    self.start(self.project.start_flow)
                    return
            self.run()
            return
        self.say(message)
        self.prompt(step)

    # -- running steps -------------------------------------------------------------------
    def action_result(self, event: ActionResult) -> None:
        s = self.state
        step = self.current_step()
        if s.waiting != "action" or step is None or step.kind != "action":
            log.warning("conversation %s: unexpected action result ignored", s.conversation_id)
            return
        s.waiting = None
        if event.ok:
            if step.result:
                self.set_slot(step.result, event.value)
            self.move_on(step)
        elif step.on_error is not None:
            log.warning("action %s failed: %s", step.action, event.error)
            self.goto(step.on_error)
        else:
            log.warning("action %s failed with no on_error: %s", step.action, event.error)
            self.reset(keep_slots=True)
            self.say_system("error")
            return
        self.run()

    def run(self) -> None:
        s = self.state
        while s.stack:
            step = self.current_step()
            if step is None:
                self.end_flow()
                continue
            self.steps_run += 1
            if self.steps_run > MAX_STEPS_PER_TURN:
                raise FlowRuntimeError(
                    f"more than {MAX_STEPS_PER_TURN} steps in one turn: a loop without a question "
                    f"in flow {s.frame.flow if s.frame else '?'}"
                )
            if not self.execute(step):
                return

    def execute(self, step: Step) -> bool:
        """Run one step; False when the turn must stop (waiting for the shopper or an action)."""
        s = self.state
        kind = step.kind
        if kind == "say":
            if step.text is not None:
                self.say(self.render(step.text))
            if step.image is not None:
                url = web_url(step.image(self.ctx()))
                if url:  # an image that is not http(s) is left out
                    self.replies.append(ImageReply(url=url))
            if step.products is not None:
                cards = tuple(self.card(p) for p in self.products(step.products))
                if cards:
                    self.replies.append(ProductCards(cards=cards))
            self.move_on(step)
        elif kind == "ask":
            value, chosen = self.take_heard(step)
            if value is MISSING and step.skip_if_set and s.slots.get(step.slot) is not None:
                self.move_on(step)
                return True
            if value is not MISSING:
                if step.confirm:
                    self.ask_confirm(step, value, chosen)
                    return False
                self.accept(step, value, chosen)
                return True
            if step.optional:
                self.set_slot(step.slot, None)
                self.move_on(step)
                return True
            self.prompt(step)
            return False
        elif kind == "set":
            values = {name: value(self.ctx()) for name, value in step.values.items()}
            for name, v in values.items():
                self.set_slot(name, v)
            self.move_on(step)
        elif kind == "branch":
            ctx = self.ctx()
            for check, jump in step.arms:
                if check is None or check(ctx):
                    self.goto(jump)
                    return True
            self.move_on(step)
        elif kind == "call":
            values = {name: value(self.ctx()) for name, value in step.values.items()}
            for name, v in values.items():
                self.set_slot(name, v)
            self.push(step.target_flow, 0)
        elif kind == "goto":
            assert step.next is not None
            self.goto(step.next)
        elif kind == "action":
            ctx = self.ctx()
            args = {name: value(ctx) for name, value in step.args.items()}
            self.effects.append(ActionCall(name=step.action, args=args))
            s.waiting = "action"
            return False
        elif kind == "handoff":
            frame = s.frame
            self.effects.append(
                Handoff(
                    reason=step.reason,
                    flow=frame.flow if frame else None,
                    step=step.id,
                    reply=len(self.replies),
                    custom_text=step.text is not None,
                )
            )
            s.handoff = True
            self.say(self.render(step.text) if step.text else self.system("handoff"))
            self.move_on(step)
        elif kind == "end":
            if step.text is not None:
                self.say(self.render(step.text))
            self.end_flow()
        return True


class CustomerFacts(dict[str, Any]):
    """The customer's facts as templates see them: a fact never kept reads as None."""

    def __missing__(self, key: str) -> None:
        return None


_INTERRUPTIONS = frozenset({"help", "cancel", "restart", "human", "language"})
_NOT_HEARD = frozenset({"number"})


def _payload(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def start_handoff(state: SessionState, *, person_answers: bool) -> None:
    """Hand the conversation to a person (a hand-off the bot's hook started or took up).

    The shopper's misses count afresh; when a person will answer (not out of hours) the bot
    withdraws what it offered, so a later "1" is not taken as a pick from a stale menu.
    """
    state.handoff = True
    state.fallbacks = 0
    if person_answers:
        state.overlay, state.offered = None, []


def end_handoff(state: SessionState, *, bot_resumes: bool) -> None:
    """The hand-off is over. When the bot takes the conversation back it starts clean (no
    menu offered, no misses); a ticket resolved without that only lifts the hand-off."""
    state.handoff = False
    if bot_resumes:
        state.overlay, state.offered, state.fallbacks = None, [], 0


__all__ = ["Engine", "FlowRuntimeError", "TemplateError", "Turn", "end_handoff", "start_handoff"]
