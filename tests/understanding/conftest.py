"""The demo shop, opened once per module, for the understanding's tests."""

from pathlib import Path

import pytest

from bot.project import open_project
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def shop():
    opened = open_project(ROOT / "examples" / "shop", Settings(_env_file=None))
    assert opened.project is not None
    return opened.project
