"""The hand-off desk's errors, one tree.

HandoffError            anything the desk refuses; the message says why
├── UnknownTicket       no ticket with that id
├── TicketTaken         another agent claimed the ticket first
├── NotYourTicket       the ticket is held by another agent
├── TicketClosed        the ticket is resolved or back with the bot
└── UnknownFlow         return_to_bot named a flow the project does not have
HandoffConfigError      shop.yaml's ``handoff:`` section is invalid (raised at start-up)
"""

from __future__ import annotations


class HandoffError(Exception):
    """Base of every error the hand-off desk raises for an agent's action."""


class UnknownTicket(HandoffError, LookupError):
    def __init__(self, ticket_id: int) -> None:
        self.ticket_id = ticket_id
        super().__init__(f"there is no ticket #{ticket_id}")


class TicketTaken(HandoffError):
    """``agent`` is who holds the ticket now."""

    def __init__(self, ticket_id: int, agent: str | None) -> None:
        self.ticket_id, self.agent = ticket_id, agent
        who = f"by {agent}" if agent else "already"
        super().__init__(f"ticket #{ticket_id} was claimed {who}; pick another one")


class NotYourTicket(HandoffError):
    """``holder`` has the ticket (None: nobody, claim it first); ``actor`` tried to act."""

    def __init__(self, ticket_id: int, actor: str, holder: str | None) -> None:
        self.ticket_id, self.actor, self.holder = ticket_id, actor, holder
        held = f"held by {holder}" if holder else "not assigned to anyone; claim it first"
        super().__init__(f"ticket #{ticket_id} is {held}, not by {actor}")


class TicketClosed(HandoffError):
    def __init__(self, ticket_id: int, state: str) -> None:
        self.ticket_id, self.state = ticket_id, state
        super().__init__(f"ticket #{ticket_id} is {state}; nothing more can be done with it")


class UnknownFlow(HandoffError, LookupError):
    def __init__(self, flow: str, known: list[str]) -> None:
        self.flow = flow
        super().__init__(f"there is no flow {flow!r} (flows: {', '.join(sorted(known))})")


class WindowClosed(HandoffError):
    def __init__(self, ticket_id: int, channel: str) -> None:
        self.ticket_id, self.channel = ticket_id, channel
        super().__init__(
            f"ticket #{ticket_id}: {channel} allows no message to this shopper now (their "
            "messaging window is closed); nothing was sent; wait for them to write again"
        )


class ChannelOff(HandoffError):
    def __init__(self, ticket_id: int, channel: str) -> None:
        self.ticket_id, self.channel = ticket_id, channel
        super().__init__(
            f"ticket #{ticket_id}: the {channel} channel is not configured on this server, so "
            "nothing can be sent to this shopper; nothing was sent"
        )


class HandoffConfigError(ValueError):
    """shop.yaml's ``handoff:`` section is invalid; the message names the key and the fix."""


__all__ = [
    "ChannelOff",
    "HandoffConfigError",
    "HandoffError",
    "NotYourTicket",
    "TicketClosed",
    "TicketTaken",
    "UnknownFlow",
    "UnknownTicket",
    "WindowClosed",
]
