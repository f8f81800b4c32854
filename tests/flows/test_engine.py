"""The engine as a shopper experiences it: answers, choices, interruptions, sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flows import (
    ChoiceInput,
    Engine,
    Handoff,
    ProductCards,
    SessionState,
    StartInput,
    TextInput,
    TextReply,
    run_turn,
)
from flows.testing import describe
from tests.flows.conftest import make_actions

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

MENU = """\
triggers:
  keywords: {en: [menu, hi], pl: [menu, cześć]}
  payloads: [MENU]
steps:
  - id: pick
    ask: topic
    text: {en: "Hi {{ user.first_name or 'there' }}! What do you need?", pl: "Cześć! Czego potrzebujesz?"}
    choices:
      - value: gift
        label: {en: Find a gift, pl: Znajdź prezent}
        next: {flow: gift}
      - value: track
        label: {en: Track an order, pl: Śledź zamówienie}
        next: {flow: track}
      - value: zolw
        label: {en: Żółw, pl: Żółw}
  - end: {en: "A turtle!", pl: "Żółw!"}
"""

GIFT = """\
triggers:
  keywords: {en: [gift], pl: [prezent]}
  commands: [/gift]
help: {en: "Tell me about the person and I'll suggest gifts.", pl: "Opowiedz o osobie."}
steps:
  - id: age
    ask: age
    type: integer
    min: 0
    max: 120
    error: {en: "Please send an age as a number.", pl: "Podaj wiek liczbą."}
    text: {en: How old are they?, pl: Ile mają lat?}
    attempts: 2
    on_fail: {flow: menu}
  - id: budget
    ask: budget
    type: money
    min: 1
    text: {en: What's your budget?, pl: Jaki budżet?}
    validate:
      - if: value <= 100000
        error: {en: "{{ value | money }} is more than our most expensive gift.", pl: "Za dużo."}
  - call: wrap
  - id: done
    say: {en: "Gift for {{ age }} up to {{ budget | money }}, wrapped: {{ wrapped }}", pl: "Prezent do {{ budget | money }}"}
"""

WRAP = """\
steps:
  - ask: wrapped
    text: {en: Gift wrap?, pl: Zapakować?}
    choices:
      - value: true
        label: {en: "Yes", pl: Tak}
      - value: false
        label: {en: "No", pl: Nie}
"""

TRACK = """\
triggers:
  keywords: {en: [order, parcel], pl: [zamówienie]}
steps:
  - ask: number
    text: {en: Order number?, pl: Numer zamówienia?}
  - action: shop.lookup
    args: {number: "{{ number }}"}
    result: order
  - branch:
      - if: order is none
        next: missing
  - say: {en: "Order {{ order.number }} is {{ order.status }}.", pl: "Zamówienie {{ order.status }}."}
    next: end
  - id: missing
    say: {en: "I couldn't find that order.", pl: "Nie znalazłem zamówienia."}
"""

BROKEN = """\
triggers:
  commands: [/broken]
steps:
  - action: shop.fail
  - say: {en: never, pl: nigdy}
"""

RESCUED = """\
triggers:
  commands: [/rescued]
steps:
  - action: shop.fail
    on_error: sorry
  - say: {en: never, pl: nigdy}
    next: end
  - id: sorry
    say: {en: "Our order system is down, sorry.", pl: "System nie działa."}
"""

FLOWS = {
    "menu": MENU,
    "gift": GIFT,
    "wrap": WRAP,
    "track": TRACK,
    "broken": BROKEN,
    "rescued": RESCUED,
}


class Shopper:
    """Drives the engine like a channel would, with a fake clock."""

    def __init__(self, project, locale="en", name="Ana"):
        self.engine = Engine(project)
        self.actions = make_actions()
        self.now = T0
        self.state: SessionState = self.engine.new_session(
            "c1", now=self.now, locale=locale, user={"first_name": name}
        )
        self.effects = []

    def send(self, event) -> str:
        self.now += timedelta(seconds=10)
        replies, self.effects = run_turn(self.engine, self.actions, self.state, event, self.now)
        self.replies = replies
        return describe(replies)

    def says(self, text: str) -> str:
        return self.send(TextInput(text=text))

    def presses(self, payload: str) -> str:
        return self.send(ChoiceInput(payload=payload))


@pytest.fixture
def shopper(make_project):
    project, diags, _ = make_project(FLOWS)
    assert project is not None, [d.format() for d in diags]
    return Shopper(project)


def test_greeting_uses_the_name_and_numbers_the_choices(shopper):
    said = shopper.says("hi")
    assert said == "Hi Ana! What do you need?\n1. Find a gift\n2. Track an order\n3. Żółw"


def test_typing_the_number_selects_the_option(shopper):
    shopper.says("hi")
    assert shopper.says("2") == "Order number?"


def test_typing_the_label_ignores_case_and_accents(shopper):
    shopper.says("hi")
    assert shopper.says("ZOLW") == "A turtle!"


def test_pressing_the_button_selects_the_option(shopper):
    shopper.says("hi")
    assert shopper.presses("gift") == "How old are they?"


def test_a_number_out_of_range_is_not_a_choice(shopper):
    shopper.says("hi")
    said = shopper.says("7")
    assert "Please pick one of the options" in said and "1. Find a gift" in said


def test_wrong_answer_reprompts_with_the_flow_error_then_gives_up(shopper):
    shopper.says("/gift")
    assert shopper.says("no idea") == "Please send an age as a number.\nHow old are they?"
    said = shopper.says("still no")
    assert said.startswith("Please send an age as a number.\nHi Ana! What do you need?")
    assert shopper.state.frame.flow == "menu"


def test_an_age_written_as_a_word_or_in_a_sentence_is_an_age(shopper):
    shopper.says("/gift")
    assert shopper.says("eight") == "What's your budget?"
    assert shopper.state.slots["age"] == 8
    shopper.says("/gift")
    assert shopper.says("she turns 9 next week") == "What's your budget?"
    assert shopper.state.slots["age"] == 9


def test_bounds_and_validation_rules(shopper):
    shopper.says("/gift")
    assert shopper.says("130") == "Please send an age as a number.\nHow old are they?"
    shopper.says("8")
    assert shopper.says("0").startswith("That's too low, please try again.")
    said = shopper.says("2000 zł")
    assert said.startswith("PLN\xa02,000.00 is more than our most expensive gift.")


def test_call_returns_to_the_caller_with_typed_slots(shopper):
    shopper.says("/gift")
    shopper.says("8")
    assert shopper.says("150,50 zł") == "Gift wrap?\n1. Yes\n2. No"
    assert shopper.says("yes") == "Gift for 8 up to PLN\xa0150.50, wrapped: True"
    assert shopper.state.slots == {"age": 8, "budget": 15050, "wrapped": True}
    assert shopper.state.stack == []


def test_persian_digits_are_numbers(make_project):
    project, _, _ = make_project(FLOWS)
    shopper = Shopper(project)
    shopper.says("/gift")
    assert shopper.says("۸") == "What's your budget?"
    assert shopper.state.slots["age"] == 8


def test_help_explains_and_offers_to_resume_exactly_there(shopper):
    shopper.says("/gift")
    shopper.says("8")
    said = shopper.says("help")
    assert said.startswith("Tell me about the person and I'll suggest gifts.")
    assert "Shall we continue where we left off?\n1. Continue\n2. Main menu" in said
    assert shopper.says("1") == "What's your budget?"


def test_after_an_interruption_a_direct_answer_is_taken(shopper):
    shopper.says("/gift")
    shopper.says("help")
    assert shopper.says("9") == "What's your budget?"
    assert shopper.state.slots["age"] == 9


def test_language_change_asks_the_same_question_in_the_new_language(shopper):
    shopper.says("/gift")
    said = shopper.says("language")
    assert "1. English\n2. Polski" in said
    assert shopper.says("Polski") == "Gotowe, będę pisać po polsku.\nIle mają lat?"
    assert shopper.state.locale == "pl"


def test_human_hands_off_and_offers_to_carry_on(shopper):
    shopper.says("/gift")
    said = shopper.says("talk to a human")
    assert "passing you to a person" in said and "carry on with me" in said
    assert [e.reason for e in shopper.effects if isinstance(e, Handoff)] == ["shopper_request"]


def test_cancel_goes_back_to_the_start_flow(shopper):
    shopper.says("/gift")
    said = shopper.says("Cancel!")
    assert said.startswith("OK, cancelled.\nHi Ana!")


def test_restart_forgets_the_answers(shopper):
    shopper.says("/gift")
    shopper.says("8")
    shopper.says("restart")
    assert shopper.state.slots == {}


def test_a_step_can_opt_out_of_interruptions(make_project):
    flow = """\
triggers:
  commands: [/note]
steps:
  - ask: note
    interruptions: false
    text: {en: Your note?, pl: Notatka?}
  - say: {en: "Noted: {{ note }}", pl: "Zapisano"}
"""
    project, diags, _ = make_project({**FLOWS, "note": flow})
    assert project is not None, diags
    shopper = Shopper(project)
    shopper.says("/note")
    assert shopper.says("help") == "Noted: help"


def test_commands_switch_flows_mid_question_and_keywords_rescue_wrong_answers(shopper):
    shopper.says("/gift")
    assert shopper.says("where is my parcel") == "Order number?"
    assert shopper.state.frame.flow == "track"


def test_action_results_are_kept_and_branch_on(shopper):
    shopper.says("order")
    assert shopper.says("A1") == "Order A1 is shipped."
    shopper.says("order")
    assert shopper.says("B2") == "I couldn't find that order."


def test_a_failing_action_ends_politely_or_goes_to_on_error(shopper):
    said = shopper.says("/broken")
    assert "something went wrong on our side" in said
    assert shopper.state.stack == []
    assert shopper.says("/rescued") == "Our order system is down, sorry."


def test_idle_session_expires_and_says_so(shopper):
    shopper.says("/gift")
    shopper.says("8")
    shopper.now += timedelta(minutes=31)
    said = shopper.says("hi")
    assert said.startswith("It's been a while, so let's start fresh.\nHi Ana!")
    assert "age" not in shopper.state.slots


def test_an_active_session_does_not_expire(shopper):
    shopper.says("/gift")
    shopper.now += timedelta(minutes=29)
    assert shopper.says("8") == "What's your budget?"


def test_start_event_runs_the_start_flow_and_deep_links_pick_a_flow(shopper):
    assert shopper.send(StartInput()).startswith("Hi Ana!")
    assert shopper.send(StartInput(payload="MENU")).startswith("Hi Ana!")


def test_unknown_message_when_idle_without_fallback_flow(shopper):
    assert "didn't understand" in shopper.says("qwerty")


def test_locale_comes_from_the_channel_hint(make_project):
    project, _, _ = make_project(FLOWS)
    shopper = Shopper(project, locale="pl-PL")
    assert shopper.says("cześć").startswith("Cześć! Czego potrzebujesz?")
    assert Shopper(project, locale="de").state.locale == "en"


def test_state_survives_a_json_round_trip_mid_flow(shopper):
    shopper.says("/gift")
    shopper.says("8")
    shopper.state = SessionState.from_json(shopper.state.to_json())
    assert shopper.says("100") == "Gift wrap?\n1. Yes\n2. No"


def test_changed_flow_resumes_at_the_same_step_if_it_still_exists(make_project, tmp_path):
    project, _, root = make_project(FLOWS)
    shopper = Shopper(project)
    shopper.says("/gift")
    shopper.says("8")  # now at step 'budget'
    changed = GIFT.replace("How old are they?", "What age?")
    project2, _, _ = make_project({**FLOWS, "gift": changed})
    shopper.engine = Engine(project2)
    assert shopper.says("100") == "Gift wrap?\n1. Yes\n2. No"


def test_changed_flow_restarts_politely_when_the_step_is_gone(make_project):
    project, _, _ = make_project(FLOWS)
    shopper = Shopper(project)
    shopper.says("/gift")
    shopper.says("8")
    changed = GIFT.replace("id: budget", "id: spend")
    project2, _, _ = make_project({**FLOWS, "gift": changed})
    shopper.engine = Engine(project2)
    said = shopper.says("100")
    assert said.startswith("Sorry, this conversation was updated in the meantime")
    assert said.endswith("How old are they?")


def test_a_deleted_flow_never_crashes_the_conversation(make_project):
    note = """\
triggers:
  commands: [/note]
steps:
  - ask: note
    text: {en: Your note?, pl: Notatka?}
"""
    project, _, root = make_project({**FLOWS, "note": note})
    shopper = Shopper(project)
    shopper.says("/note")
    (root / "flows" / "note.yaml").unlink()
    project2, _, _ = make_project(FLOWS)
    shopper.engine = Engine(project2)
    said = shopper.says("8")
    assert said.startswith("Sorry, this conversation was updated")
    assert "Hi Ana!" in said


def test_templates_cannot_reach_python_internals(make_project):
    evil = """\
triggers:
  commands: [/evil]
steps:
  - say:
      en: "{{ user.__class__.__mro__[1].__subclasses__() }}"
      pl: "x"
"""
    project, diags, _ = make_project({**FLOWS, "evil": evil})
    assert project is not None, diags
    shopper = Shopper(project)
    said = shopper.says("/evil")
    assert "something went wrong on our side" in said
    assert "subclasses" not in said and "class" not in said


def test_template_output_is_capped(make_project):
    big = """\
triggers:
  commands: [/big]
steps:
  - say:
      en: "{% for i in range(5000) %}spam {% endfor %}"
      pl: "x"
"""
    project, _, _ = make_project({**FLOWS, "big": big})
    shopper = Shopper(project)
    [reply] = [r for r in (shopper.says("/big") and shopper.replies) if isinstance(r, TextReply)]
    assert len(reply.text) == 8000


def test_product_cards_are_numbered_choices(make_project):
    flow = """\
triggers:
  commands: [/pick]
steps:
  - set:
      items:
        - {id: p1, title: Lego Set, price: 14999, currency: PLN}
        - {id: p2, title: Plush Fox, price: 5900, currency: PLN}
  - ask: product
    text: {en: "Pick one:", pl: "Wybierz:"}
    products: "{{ items }}"
  - say: {en: "You picked {{ product }}", pl: "Wybrano {{ product }}"}
"""
    project, diags, _ = make_project({**FLOWS, "pick": flow})
    assert project is not None, diags
    shopper = Shopper(project)
    said = shopper.says("/pick")
    assert said == "Pick one:\n1. Lego Set — PLN\xa0149.99\n2. Plush Fox — PLN\xa059.00"
    cards = [r for r in shopper.replies if isinstance(r, ProductCards)][0].cards
    assert [c.button.payload for c in cards] == ["p1", "p2"]
    assert shopper.says("plush fox") == "You picked p2"


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=30),
            st.sampled_from(["hi", "1", "2", "help", "/gift", "language", "order", "8", "cancel"]),
        ),
        max_size=12,
    )
)
def test_no_sequence_of_messages_crashes_a_conversation(make_project, messages):
    project, _, _ = make_project(FLOWS)
    shopper = Shopper(project)
    for text in messages:
        said = shopper.says(text)
        assert "went wrong" not in said, (text, said)
        assert all(isinstance(r, TextReply | ProductCards) for r in shopper.replies)
        SessionState.from_json(shopper.state.to_json())


def test_a_whole_message_trigger_restarts_the_current_flow(shopper):
    shopper.says("hi")
    assert shopper.says("menu").startswith("Hi Ana! What do you need?")


def test_giving_up_in_a_called_flow_returns_to_the_caller(make_project):
    outer = """\
triggers:
  commands: [/outer]
steps:
  - call: inner
  - say: {en: "Back in outer, code={{ code }}", pl: "Z powrotem"}
"""
    inner = """\
steps:
  - ask: code
    type: integer
    attempts: 2
    text: {en: Code?, pl: Kod?}
"""
    project, diags, _ = make_project({**FLOWS, "outer": outer, "inner": inner})
    assert project is not None, diags
    shopper = Shopper(project)
    shopper.says("/outer")
    shopper.says("x")
    said = shopper.says("y")
    assert (
        said
        == "Please send a whole number, like 8.\nSorry, I still didn't get that.\nBack in outer, code=None"
    )


@pytest.mark.parametrize(
    "template",
    [
        "{{ 'a' * 6 * 10**7 }}",  # folded into a 60 MB constant when the flow loaded
        "{% set xs = [0] * 1000 %}{% for a in xs %}{% for b in xs %}{% endfor %}{% endfor %}",
        "{{ 7 ** 1000000 }}",
        "{% for p in items %}{% for q in items %}{% for r in items %}{% endfor %}{% endfor %}"
        "{% endfor %}",
    ],
)
def test_a_hostile_template_in_a_flow_is_refused_politely(make_project, template):
    hostile = f"""\
triggers:
  commands: [/hostile]
steps:
  - set:
      items: "{{{{ [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] * 10 }}}}"
  - say:
      en: "{template}"
      pl: "x"
"""
    project, diags, _ = make_project({**FLOWS, "hostile": hostile})
    assert project is not None, [d.format() for d in diags]
    shopper = Shopper(project)
    said = shopper.says("/hostile")
    assert "something went wrong on our side" in said
    assert "aaaa" not in said
    assert shopper.says("hi").startswith("Hi Ana!")  # and the conversation goes on
