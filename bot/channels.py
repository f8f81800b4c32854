"""Wiring channels from settings: which are on, their adapters, senders and HTTP clients."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from adapters.base import Inbound, MessageInbound, OutboundCall, PreCheckoutInbound
from adapters.transport import KeepAliveTransport, PlatformClient
from adapters.web import WebChannel

from .contacts import PayloadTokens
from .conversation_tokens import ConversationTokens
from .service import ChannelLink
from .settings import Settings
from .webchat import WebHub


@dataclass
class Channels:
    links: dict[str, ChannelLink]
    clients: list[httpx.AsyncClient] = field(default_factory=list)
    hub: WebHub = field(default_factory=WebHub)

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()


def build_channels(
    settings: Settings,
    tokens: PayloadTokens,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    conversation_tokens: ConversationTokens | None = None,
) -> Channels:
    """The configured channels. ``transport`` replaces the network (tests, benchmarks);
    ``conversation_tokens`` keeps Wire's long-lived tokens (needed when Wire is on)."""
    hub = WebHub()
    web = WebChannel()
    links: dict[str, ChannelLink] = {"web": ChannelLink("web", web, hub)}
    clients: list[httpx.AsyncClient] = []

    def client() -> httpx.AsyncClient:
        # One pooled client per platform: keep-alive connections, bounded time per call.
        c = PlatformClient(
            # Room for the pace's fast and slow lanes (adapters/pace.py): calls that hang in
            # the slow lane must not hold the connections the fast lane needs.
            transport=transport or KeepAliveTransport(max_connections=64),
            timeout=httpx.Timeout(settings.http_timeout),
        )
        clients.append(c)
        return c

    if settings.telegram_enabled:
        from adapters.telegram import TelegramChannel, TelegramSender

        tg = TelegramChannel(settings.telegram_secret_token, payloads=tokens)
        assert settings.telegram_token is not None
        tg_sender = TelegramSender(
            client(),
            settings.telegram_token,
            api_base=settings.telegram_api_base,
            rate_limits=settings.send_rate_limits,
        )

        def tg_ack(inbound: MessageInbound) -> list[OutboundCall]:
            query_id = inbound.callback_query_id
            return [tg.answer_callback(query_id)] if query_id else []

        def tg_typing(inbound: Inbound) -> OutboundCall | None:
            return tg.typing(inbound.recipient)

        def tg_pre_checkout(inbound: PreCheckoutInbound) -> OutboundCall | None:
            # Until checkout exists no invoice is ours: refuse it, within Telegram's 10 s.
            return tg.answer_pre_checkout(
                inbound.query_id,
                False,
                "Sorry, this invoice is no longer valid. Please ask for a new one.",
            )

        links["telegram"] = ChannelLink(
            "telegram",
            tg,
            tg_sender,
            acknowledge=tg_ack,
            typing=tg_typing,
            pre_checkout=tg_pre_checkout,
        )

    meta_on = settings.whatsapp_enabled or settings.messenger_enabled
    if meta_on or settings.instagram_enabled:
        from adapters.meta import handshake

        verify_token = settings.meta_verify_token

        def meta_handshake(query: Mapping[str, str]) -> str:
            from adapters.base import WebhookRejected

            if not verify_token:
                raise WebhookRejected(403, "SHOPCHAT_META_VERIFY_TOKEN is not set")
            return handshake(query, verify_token)

    if settings.whatsapp_enabled:
        from adapters.whatsapp import WhatsAppChannel, WhatsAppSender

        assert (
            settings.meta_app_secret
            and settings.whatsapp_token
            and settings.whatsapp_phone_number_id
        )
        wa = WhatsAppChannel(
            settings.meta_app_secret,
            settings.whatsapp_phone_number_id,
            window_template=settings.whatsapp_window_template,
            template_language=settings.whatsapp_template_language,
        )
        wa_sender = WhatsAppSender(
            client(),
            settings.whatsapp_token,
            settings.whatsapp_phone_number_id,
            graph_base=settings.graph_api_base,
            version=settings.graph_api_version,
            rate_limits=settings.send_rate_limits,
        )

        def wa_typing(inbound: Inbound) -> OutboundCall | None:
            return wa.mark_read(inbound.event_id)

        links["whatsapp"] = ChannelLink(
            "whatsapp", wa, wa_sender, typing=wa_typing, handshake=meta_handshake
        )

    if settings.messenger_enabled:
        from adapters.messenger import MessengerChannel, MessengerSender

        assert settings.meta_app_secret and settings.messenger_page_token
        fb = MessengerChannel(settings.meta_app_secret)
        fb_sender = MessengerSender(
            client(),
            settings.messenger_page_token,
            graph_base=settings.graph_api_base,
            version=settings.graph_api_version,
            rate_limits=settings.send_rate_limits,
        )

        def fb_typing(inbound: Inbound) -> OutboundCall | None:
            return fb.typing(inbound.recipient)

        links["messenger"] = ChannelLink(
            "messenger", fb, fb_sender, typing=fb_typing, handshake=meta_handshake
        )

    if settings.instagram_enabled:
        from adapters.instagram import InstagramChannel, InstagramSender

        assert (
            settings.meta_app_secret and settings.instagram_token and settings.instagram_account_id
        )
        ig = InstagramChannel(settings.meta_app_secret, settings.instagram_account_id)
        ig_sender = InstagramSender(
            client(),
            settings.instagram_token,
            settings.instagram_account_id,
            graph_base=settings.instagram_api_base or settings.graph_api_base,
            version=settings.graph_api_version,
            rate_limits=settings.send_rate_limits,
        )

        def ig_typing(inbound: Inbound) -> OutboundCall | None:
            return ig.typing(inbound.recipient)

        links["instagram"] = ChannelLink(
            "instagram", ig, ig_sender, typing=ig_typing, handshake=meta_handshake
        )

    if settings.line_enabled:
        from adapters.line import LineChannel, LineSender

        assert settings.line_channel_secret and settings.line_channel_token
        line = LineChannel(settings.line_channel_secret)
        line_sender = LineSender(
            client(),
            settings.line_channel_token,
            api_base=settings.line_api_base,
            rate_limits=settings.send_rate_limits,
        )

        def line_typing(inbound: Inbound) -> OutboundCall | None:
            return line.typing(inbound.recipient)

        links["line"] = ChannelLink("line", line, line_sender, typing=line_typing)

    if settings.wire_enabled:
        from adapters.wire import WireChannel, WireSender

        assert settings.wire_service_token
        if conversation_tokens is None:
            raise ValueError("the Wire channel needs a ConversationTokens store")
        wire = WireChannel(settings.wire_service_token, tokens)
        wire_sender = WireSender(
            client(),
            conversation_tokens.lookup,
            api_base=settings.wire_api_base,
            rate_limits=settings.send_rate_limits,
        )

        def wire_ack(inbound: Inbound) -> list[OutboundCall]:
            call = wire.confirm(inbound)
            return [call] if call is not None else []

        links["wire"] = ChannelLink("wire", wire, wire_sender, acknowledge=wire_ack)

    return Channels(links, clients, hub)


def channel_metrics(
    enabled: list[str],
    webhooks: Mapping[tuple[str, int], int],
    comments: Mapping[str, int],
) -> str:
    """Prometheus text for the channels: which are on, webhook requests by channel and answer
    status, and what the comment hook did."""
    lines = [
        "# HELP shopchat_channel_enabled Channels configured in this process.",
        "# TYPE shopchat_channel_enabled gauge",
        *(f'shopchat_channel_enabled{{channel="{name}"}} 1' for name in sorted(enabled)),
        "# HELP shopchat_webhook_requests_total Webhook requests, by channel and HTTP status.",
        "# TYPE shopchat_webhook_requests_total counter",
        *(
            f'shopchat_webhook_requests_total{{channel="{name}",status="{status}"}} {count}'
            for (name, status), count in sorted(webhooks.items())
        ),
    ]
    for name, count in sorted(comments.items()):
        metric = f"shopchat_{name}_total"
        lines += [
            f"# HELP {metric} {name.replace('_', ' ').capitalize()} since this process started.",
            f"# TYPE {metric} counter",
            f"{metric} {count}",
        ]
    return "\n".join(lines) + "\n"


__all__ = ["Channels", "build_channels", "channel_metrics"]
