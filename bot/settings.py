"""Runtime settings: shop.yaml values overridable by ``SHOPCHAT_*`` environment variables.

Secrets (tokens, keys, the database URL with its password) come only from the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict


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
