"""The demo shop's web chat in a real headless Chromium, at phone and laptop sizes.

A shopper walks the gift finder to the product cards and must be able to see and tap them
(their bounding boxes are checked, not only their presence in the page), however long the
conversation; links are anchors; a reload shows the conversation so far; answered buttons are
spent. Screenshots land in tests/artifacts/ (gitignored); docs/img/ keeps copies for the README.

Needs Chromium at /usr/bin/chromium (or SHOPCHAT_CHROMIUM) and playwright; skipped otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import create_app
from bot.settings import Settings
from tests.support.browser import ARTIFACTS, BROWSER_ARGS, CHROMIUM, LiveServer

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not Path(CHROMIUM).exists():
    pytest.skip(
        f"Chromium not found at {CHROMIUM}: apt-get install chromium, or set SHOPCHAT_CHROMIUM",
        allow_module_level=True,
    )

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
expect = sync_api.expect

# What the shopper taps and types, and what she must then see, per language.
WORDS = {
    "en": {
        "gift": "Find a gift",
        "child": "A child",
        "lego": "LEGO",
        "ideas": "Here are some ideas",
        "choose": "Choose",
        "chosen": "Great choice!",
        "send": "Send",
        "budget": "200",
        "price": "189.99",
    },
    "fa": {
        "gift": "پیدا کردن هدیه",
        "child": "کودک",
        "lego": "لگو",
        "ideas": "چند پیشنهاد",
        "choose": "انتخاب",
        "chosen": "انتخاب عالی",
        "send": "ارسال",
        "budget": "۲۰۰ زلوتی",  # Persian digits, as a Persian keyboard types them
        "price": "۱۸۹٫۹۹",
    },
}


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("webchat")
    app = create_app(SHOP, Settings(_env_file=None, database_url=f"sqlite:///{data}/app.db"))
    server = LiveServer(app)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=BROWSER_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def tap(page, label: str) -> None:
    button = page.locator(".choices:not(.spent) button", has_text=label).first
    expect(button).to_be_enabled(timeout=20000)
    button.click()


def say(page, text: str) -> None:
    page.fill("#text", text)
    page.press("#text", "Enter")


def assert_tappable(page, card, width: int, height: int) -> None:
    """The card is scrolled into view whole: image, title, price and button, not a strip."""
    card.scroll_into_view_if_needed()
    box = card.bounding_box()
    assert box is not None and box["height"] >= 200, box
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, (box, height)
    assert box["width"] >= 150 and box["x"] + 20 < width, box
    image = card.locator("img")
    expect(image).to_be_visible()
    # Under load the picture may still be on its way: wait for it to load or fail, then judge.
    loaded = image.evaluate(
        """i => i.complete ? i.naturalWidth > 0 : new Promise(done => {
            i.addEventListener('load', () => done(i.naturalWidth > 0), {once: true});
            i.addEventListener('error', () => done(false), {once: true});
        })"""
    )
    assert loaded, "a broken product image"
    button = card.locator("button")
    expect(button).to_be_visible()
    expect(button).to_be_enabled()


@pytest.mark.parametrize(
    ("locale", "width", "height"),
    [("en", 360, 640), ("fa", 390, 844), ("en", 420, 860), ("en", 768, 1024), ("fa", 1366, 768)],
)
def test_the_gift_finder_ends_at_cards_a_shopper_can_see_and_tap(
    live, browser, locale, width, height
):
    w = WORDS[locale]
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    page = context.new_page()
    try:
        page.goto(f"{live.url}/chat")
        if locale == "fa":
            expect(page.locator("html")).to_have_attribute("dir", "rtl")
            expect(page.locator("html")).to_have_attribute("lang", "fa")
        expect(page.locator("#send")).to_have_text(w["send"])
        tap(page, w["gift"])
        tap(page, w["child"])
        say(page, "8" if locale == "en" else "۸")
        say(page, w["budget"])
        tap(page, w["lego"])
        expect(page.locator(".msg.bot", has_text=w["ideas"])).to_be_visible(timeout=20000)
        cards = page.locator(".cards").last.locator(".card")
        expect(cards.first).to_be_visible(timeout=20000)
        assert cards.count() >= 2
        assert_tappable(page, cards.first, width, height)
        # Answered questions are spent: their buttons are disabled, visibly.
        first_menu = page.locator(".choices button", has_text=w["gift"]).first
        expect(first_menu).to_be_disabled()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"webchat-{locale}-{width}x{height}.png"))
        cards.first.locator("button").click()
        expect(page.locator(".msg.bot", has_text=w["chosen"])).to_be_visible(timeout=20000)
        expect(page.locator(".msg.bot", has_text=w["chosen"])).to_contain_text(w["price"])
        expect(cards.first.locator("button")).to_be_disabled()

        # A reload shows the conversation so far, cards included, and what the bot waits for.
        page.reload()
        expect(page.locator(".msg.bot", has_text=w["chosen"])).to_be_visible(timeout=20000)
        again = page.locator(".cards").last.locator(".card").first
        again.scroll_into_view_if_needed()
        assert (again.bounding_box() or {}).get("height", 0) >= 200
        expect(again.locator("button")).to_be_disabled()
        expect(page.locator(".choices:not(.spent) button").first).to_be_enabled()
    finally:
        context.close()


def test_links_in_messages_are_safe_anchors(live, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en")
    page = context.new_page()
    try:
        page.goto(f"{live.url}/chat")
        tap(page, "Track an order")
        say(page, "TG-10235")
        say(page, "m.nowak@example.pl")
        link = page.locator(".msg.bot a", has_text="https://track.example/dpd/0000123456789U")
        expect(link).to_be_visible(timeout=20000)
        assert link.get_attribute("href") == "https://track.example/dpd/0000123456789U"
        assert link.get_attribute("rel") == "noopener noreferrer"
        assert link.get_attribute("target") == "_blank"
    finally:
        context.close()


@pytest.mark.parametrize(("locale", "width", "height"), [("en", 390, 844), ("fa", 1366, 768)])
def test_the_chat_passes_axe_core_wcag_aa_with_its_cards_on_screen(
    live, browser, locale, width, height
):
    axe = pytest.importorskip(
        "axe_playwright_python.sync_playwright", reason="pip install axe-playwright-python"
    )
    w = WORDS[locale]
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    page = context.new_page()
    try:
        page.goto(f"{live.url}/chat")
        tap(page, w["gift"])
        tap(page, w["child"])
        say(page, "8" if locale == "en" else "۸")
        say(page, w["budget"])
        tap(page, w["lego"])
        expect(page.locator(".cards .card").first).to_be_visible(timeout=20000)
        results = axe.Axe().run(
            page,
            options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}},
        )
        problems = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in results.response["violations"]
        ]
        assert problems == [], problems
    finally:
        context.close()
