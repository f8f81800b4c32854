"""Runtime settings: shop.yaml values overridable by ``SHOPCHAT_*`` environment variables.

Secrets (tokens, keys, the database URL with its password) come only from the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class _SessionOverride(BaseModel):
    idle_timeout: str | None = None


class _CatalogOverride(BaseModel):
    feed: str | None = None


class Settings(BaseSettings):
    """Everything settable from the environment. Unset values leave shop.yaml as it is."""

    model_config = SettingsConfigDict(
        env_prefix="SHOPCHAT_", env_nested_delimiter="__", extra="ignore"
    )

    database_url: str | None = None
    log_level: str = "WARNING"

    # Channels. A channel without its credentials is off: its routes answer 404.
    telegram_token: str | None = None
    telegram_secret_token: str | None = None
    telegram_api_base: str = "https://api.telegram.org"
    meta_app_secret: str | None = None
    meta_verify_token: str | None = None
    whatsapp_token: str | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_window_template: str | None = None  # approved template sent outside 24 hours
    whatsapp_template_language: str = "en"
    messenger_page_token: str | None = None
    instagram_account_id: str | None = None  # the Instagram professional account's id
    instagram_token: str | None = None
    # Instagram Login tokens are used at https://graph.instagram.com; None: graph_api_base.
    instagram_api_base: str | None = None
    line_channel_secret: str | None = None
    line_channel_token: str | None = None
    line_api_base: str = "https://api.line.me"
    wire_service_token: str | None = None  # Roman's service_authentication
    wire_api_base: str = "https://proxy.services.wire.com"
    graph_api_base: str = "https://graph.facebook.com"
    graph_api_version: str = "v23.0"
    max_body_bytes: int = 1_048_576  # a larger webhook body gets 413
    http_timeout: float = 10.0
    # The platforms' own rate limits on sending (adapters/pace.py); off only for a benchmark
    # or tests against a local fake API.
    send_rate_limits: bool = True
    max_concurrency: int = 64  # conversations processed at once
    # PostgreSQL: a statement that runs, or waits for a lock, longer than this is cancelled
    # (seconds; 0: no limit), so a locked table fails requests instead of hanging them.
    database_statement_timeout: float = 30.0
    database_lock_timeout: float = 5.0
    # PostgreSQL: database threads (one connection each) the chat service's jobs are spread
    # over, one conversation's always on the same one (bot/lanes.py). SQLite always uses one.
    # One by default: with a transaction's writes collected into one statement each
    # (bot/later.py), one thread's bigger transactions cost less CPU per message than
    # several threads' smaller ones (bench/webhooks.py on 2 cores: 1.04-1.08 ms and
    # PostgreSQL 0.33-0.38 ms per update with one, 1.19-1.26 and 0.44-0.45 with two). More
    # help where jobs wait on locks or the server is far away.
    database_threads: int = Field(default=1, ge=1, le=8)
    # /readyz answers 503 unless the database takes a write lock within this many seconds.
    ready_timeout: float = 2.0
    # Seconds an event waits before its turn, so that one of the same conversation sent
    # earlier but delivered a moment later is answered first (bot/service.py).
    reorder_window: float = Field(default=0.05, ge=0, le=5)
    # Several processes on one database (serve --workers, several hosts): an event is left to
    # the process that accepted it for this many seconds, so its turn (and its actions: a
    # payment call) is thought by one process; after that any process answers it (its own
    # was taken for dead). The same length bounds a comment opening's lease (bot/turnlease.py).
    turn_lease: float = Field(default=120.0, gt=0, le=3600)
    # This process's name on the events it accepts (bot/instance.py); unset: the host's name
    # and the lowest free slot, the same after a restart. One name per live process.
    instance_name: str | None = Field(default=None, max_length=64)

    # Human hand-off notifications (bot/handoff/notify.py): a Slack incoming webhook and a
    # generic webhook signed with HMAC-SHA256. Unset: no notification of that kind.
    slack_webhook_url: str | None = None
    handoff_webhook_url: str | None = None
    handoff_webhook_secret: str | None = None
    console_url: str | None = None  # the agent console's address, for links in notifications

    # Checkout. Without a payment provider the shop takes manual payment (transfer, COD).
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str = "https://api.stripe.com"
    telegram_payment_provider_token: str | None = None
    orders_api_token: str | None = None  # bearer token of the merchant API (/api/orders)
    # Signs link codes (customers/links.py): a chat opened from a link the shop sent joins
    # that customer. Unset: link codes are not made nor honoured.
    customer_link_secret: str | None = None

    @field_validator("stripe_secret_key")
    @classmethod
    def _stripe_key(cls, value: str | None) -> str | None:
        if value and not value.startswith(("sk_", "rk_")):
            raise ValueError(
                "SHOPCHAT_STRIPE_SECRET_KEY must be a Stripe secret key (sk_live_..., "
                "sk_test_...) or a restricted key (rk_...), never the publishable pk_ key"
            )
        return value or None

    @field_validator("orders_api_token")
    @classmethod
    def _orders_token(cls, value: str | None) -> str | None:
        if value and len(value) < 16:
            raise ValueError("SHOPCHAT_ORDERS_API_TOKEN must be at least 16 characters")
        return value or None

    @property
    def stripe_enabled(self) -> bool:
        return bool(self.stripe_secret_key)

    # Agent console (/agent): idle minutes before a login expires (each request slides it);
    # the Secure cookie flag (None: set when the request came over https, as behind a proxy
    # that sends X-Forwarded-Proto with uvicorn --proxy-headers); wrong passwords allowed per
    # account and per address in the window before logins answer 429.
    console_session_minutes: int = 480
    console_secure_cookie: bool | None = None
    console_login_attempts: int = 5
    console_login_attempts_per_ip: int = 20
    console_login_window_minutes: int = 15

    # Addresses (IPs, CIDR networks) of the reverse proxies in front of shopchat. Only a
    # request from one of them may say who the client is (X-Forwarded-For, -Proto); from
    # anyone else those headers are ignored, so a client cannot pick its own address to
    # dodge the login rate limit. ``SHOPCHAT_TRUSTED_PROXIES=10.0.0.2,10.1.0.0/16``.
    trusted_proxies: Annotated[list[str], NoDecode] = []

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_token and self.telegram_secret_token)

    @property
    def whatsapp_enabled(self) -> bool:
        return bool(self.meta_app_secret and self.whatsapp_token and self.whatsapp_phone_number_id)

    @property
    def messenger_enabled(self) -> bool:
        return bool(self.meta_app_secret and self.messenger_page_token)

    @property
    def instagram_enabled(self) -> bool:
        return bool(self.meta_app_secret and self.instagram_token and self.instagram_account_id)

    @property
    def line_enabled(self) -> bool:
        return bool(self.line_channel_secret and self.line_channel_token)

    @property
    def wire_enabled(self) -> bool:
        return bool(self.wire_service_token)

    # shop.yaml overrides
    name: str | None = None
    default_locale: str | None = None
    locales: list[str] | None = None
    currency: str | None = None
    timezone: str | None = None
    start_flow: str | None = None
    fallback_flow: str | None = None
    session: _SessionOverride | None = None
    catalog: _CatalogOverride | None = None

    def shop_overrides(self) -> dict[str, Any]:
        """The shop.yaml keys the environment sets."""
        fields = (
            "name",
            "default_locale",
            "locales",
            "currency",
            "timezone",
            "start_flow",
            "fallback_flow",
            "session",
            "catalog",
        )
        data = self.model_dump(include=set(fields), exclude_none=True)
        return {k: v for k, v in data.items() if v not in ({}, None)}

    def database_url_for(self, project_root: Path) -> str:
        """``SHOPCHAT_DATABASE_URL``, else a SQLite file in the project's data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(project_root / 'data' / 'shopchat.db').resolve()}"


__all__ = ["Settings"]
