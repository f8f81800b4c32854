"""What the engine tells the hand-off desk: misunderstood messages in a row, which reply says
the hand-off, and a hand-back into a named flow."""

from __future__ import annotations

import pytest

from flows import Handoff, StartInput, TextReply
from tests.flows.test_engine import FLOWS, Shopper


@pytest.fixture
def shopper(make_project):
    project, diags, _ = make_project(FLOWS)
    assert project is not None, [d.format() for d in diags]
    return Shopper(project)


def test_misunderstood_messages_are_counted_until_one_is_understood(shopper):
    shopper.says("blorp")  # nothing matches: the fallback
    assert shopper.state.fallbacks == 1
    shopper.says("hi")
    assert shopper.state.fallbacks == 0
    shopper.says("a pony")  # not one of the menu's choices: refused
    shopper.says("a unicorn")
    assert shopper.state.fallbacks == 2
    shopper.says("1")
    assert shopper.state.fallbacks == 0


def test_the_handoff_effect_points_at_the_reply_that_says_it(shopper):
    shopper.says("/gift")
    shopper.says("human")
    handoff = next(e for e in shopper.effects if isinstance(e, Handoff))
    said = shopper.replies[handoff.reply]
    assert isinstance(said, TextReply) and "passing you to a person" in said.text
    assert handoff.custom_text is False and (handoff.flow, handoff.step) == ("gift", "age")


def test_the_server_can_start_a_flow_that_has_no_trigger_for_it(shopper):
    said = shopper.send(StartInput(flow="wrap"))
    assert shopper.state.frame is not None and shopper.state.frame.flow == "wrap", said
    shopper.send(StartInput(payload="wrap"))  # a shopper's payload is not a flow name
    assert shopper.state.frame is None or shopper.state.frame.flow != "wrap"


def test_the_desk_hands_the_conversation_back_through_the_engine_functions():
    from flows import SessionState, end_handoff, start_handoff

    state = SessionState("c1", "en", overlay="resume", offered=[["Yes", "y"]], fallbacks=2)
    start_handoff(state, person_answers=False)  # out of hours: the bot's offer stays
    assert (state.handoff, state.fallbacks, state.overlay) == (True, 0, "resume")
    start_handoff(state, person_answers=True)
    assert (state.overlay, state.offered) == (None, [])

    state.offered, state.fallbacks = [["Yes", "y"]], 1
    end_handoff(state, bot_resumes=False)  # resolved: only the hand-off is lifted
    assert (state.handoff, state.offered, state.fallbacks) == (False, [["Yes", "y"]], 1)
    end_handoff(state, bot_resumes=True)
    assert (state.offered, state.fallbacks, state.overlay) == ([], 0, None)
