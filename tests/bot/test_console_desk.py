"""What an agent reads when the desk refuses, and the metrics as a person reads them."""

from __future__ import annotations

from bot.console.desk import metrics_view, refusal
from bot.handoff import (
    DeskMetrics,
    NotYourTicket,
    TicketClosed,
    TicketTaken,
    UnknownFlow,
    UnknownTicket,
    WindowClosed,
)


def test_every_desk_refusal_has_a_status_and_a_sentence():
    cases = [
        (TicketTaken(4, "alice"), 409, "Ticket #4 is already claimed by alice."),
        (
            NotYourTicket(4, "bob", "alice"),
            403,
            "Ticket #4 is held by alice; ask them to transfer it to you.",
        ),
        (
            NotYourTicket(4, "bob", None),
            403,
            "Ticket #4 is not assigned to anyone: claim it first.",
        ),
        (UnknownTicket(4), 404, "Ticket #4 does not exist."),
        (
            TicketClosed(4, "returned"),
            409,
            "Ticket #4 is already closed (back with the bot): nothing more can be done with it.",
        ),
        (UnknownFlow("x", ["menu"]), 422, "There is no flow 'x' (flows: menu)"),
    ]
    for exc, status, message in cases:
        refused = refusal(exc, 4)
        assert refused is not None
        assert (refused.status, refused.kind, refused.message) == (
            status,
            type(exc).__name__,
            message,
        )
    window = refusal(WindowClosed(4, "whatsapp"), 4)
    assert window is not None and window.status == 409
    assert window.message.startswith("Nothing was sent: whatsapp allows no message")


def test_other_errors_are_not_refusals():
    assert refusal(ValueError("boom"), 1) is None


def test_metrics_read_as_durations_and_shares():
    view = metrics_view(
        DeskMetrics(
            tickets={"waiting": 2, "resolved": 5},
            waiting_now=2,
            agents_online=1,
            first_response_seconds=95.0,
            waiting_seconds=None,
            resolution_seconds=7300.0,
            response_rate=0.8,
            handoff_rate_by_flow={"payment_help": 0.25},
            handoffs_by_reason={"shopper_request": 4, "angry": 1},
            notifications_pending=0,
        )
    )
    tiles = dict((label, value) for value, label in view.tiles)
    assert tiles["mean time to first answer"] == "1m 35s"
    assert tiles["mean wait before an agent took it"] == "—"
    assert tiles["mean time to close"] == "2h 01m"
    assert tiles["closed tickets an agent answered"] == "80%"
    tables = dict(view.tables)
    assert tables["Hand-offs by reason"] == [("asked for a person", "4"), ("upset shopper", "1")]
    assert tables["Hand-off rate by flow"] == [("payment_help", "25%")]
