"""Wiring channels from settings: which are on, their adapters, senders and HTTP clients."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from adapters.base import Inbound, MessageInbound, OutboundCall, PreCheckoutInbound
from adapters.transport import KeepAliveTransport, PlatformClient
from adapters.web import WebChannel

from .contacts import PayloadTokens
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
) -> Channels:
    """The configured channels. ``transport`` replaces the network (tests, benchmarks)."""
    hub = WebHub()
    web = WebChannel()
    links: dict[str, ChannelLink] = {"web": ChannelLink("web", web, hub)}
    clients: list[httpx.AsyncClient] = []

    def client() -> httpx.AsyncClient:
        # One pooled client per platform: keep-alive connections, bounded time per call.
        c = PlatformClient(
            transport=transport or KeepAliveTransport(max_connections=16),
            timeout=httpx.Timeout(settings.http_timeout),
        )
        clients.append(c)
        return c

    if settings.telegram_enabled:
        from adapters.telegram import TelegramChannel, TelegramSender

        tg = TelegramChannel(settings.telegram_secret_token, payloads=tokens)
        assert settings.telegram_token is not None
        tg_sender = TelegramSender(
            client(), settings.telegram_token, api_base=settings.telegram_api_base
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

    if settings.whatsapp_enabled or settings.messenger_enabled:
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
        )

        def fb_typing(inbound: Inbound) -> OutboundCall | None:
            return fb.typing(inbound.recipient)

        links["messenger"] = ChannelLink(
            "messenger", fb, fb_sender, typing=fb_typing, handshake=meta_handshake
        )

    return Channels(links, clients, hub)


__all__ = ["Channels", "build_channels"]
