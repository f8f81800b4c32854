"""The console in a real headless Chromium: a shopper on the web chat asks for a person, an
agent logs in, sees the ticket arrive live, claims it, answers with a canned response and
hands the shopper back to the bot.

Needs Chromium at /usr/bin/chromium (or SHOPCHAT_CHROMIUM) and the playwright package;
skipped with the reason otherwise. The screenshot lands in tests/artifacts/ (gitignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.app import create_app
from tests.handoff_support import make_shop
from tests.support.browser import ARTIFACTS, CHROMIUM, LiveServer
from tests.support.channels import Platform, shop_settings
from tests.support.console import PASSWORD

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not Path(CHROMIUM).exists():
    pytest.skip(
        f"Chromium not found at {CHROMIUM}: apt-get install chromium, or set SHOPCHAT_CHROMIUM",
        allow_module_level=True,
    )


@pytest.fixture
def live(tmp_path) -> Iterator[LiveServer]:
    """The demo shop with the hand-off desk, served for real; agent alice, one canned reply."""
    app = create_app(
        make_shop(tmp_path, "  auto_assign: false\n"),  # alice claims it herself
        shop_settings(tmp_path),
        transport=httpx.MockTransport(Platform().handler),
    )
    server = LiveServer(app)
    server.start()
    state = app.state
    state.agents.add("alice", PASSWORD, "Alice Smith")
    state.agents.save_canned(
        state.project.shop.name,
        "Greeting",
        "Hi {{ customer.first_name or 'there' }}, {{ agent.name }} here. How can I help?",
        "alice",
    )
    try:
        yield server
    finally:
        server.stop()


def test_an_agent_answers_a_web_chat_shopper_and_hands_back_to_the_bot(live, tmp_path):
    expect = sync_api.expect
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            shopper = browser.new_context(locale="en-US").new_page()
            shopper.goto(f"{live.url}/chat")
            expect(shopper.locator(".msg.bot").first).to_be_visible(timeout=15000)

            agent = browser.new_context(viewport={"width": 1400, "height": 860}).new_page()
            agent.goto(f"{live.url}/agent")
            expect(agent).to_have_url(f"{live.url}/agent/login?next=%2Fagent")
            agent.fill("input[name=name]", "alice")
            agent.fill("input[name=password]", PASSWORD)
            agent.click("button.primary")
            expect(agent.locator(".topbar .who")).to_have_text("Alice Smith")
            expect(agent.locator("#presence")).to_have_class("presence on", timeout=10000)

            # The shopper asks for a person while the console is open ...
            shopper.fill("#text", "human")
            shopper.press("#text", "Enter")
            # ... and the ticket appears without a reload, over the event stream.
            row = agent.locator(".ticket.state-waiting").first  # in the inbox
            expect(row).to_be_visible(timeout=15000)
            row.click()
            agent.click("#claim")
            expect(agent.locator("#flash")).to_contain_text("You took ticket")
            # What the shopper writes now reaches the open conversation live.
            shopper.fill("#text", "Is my parcel late?")
            shopper.press("#text", "Enter")
            expect(agent.locator("#transcript .msg.shopper").last).to_contain_text(
                "Is my parcel late?", timeout=15000
            )
            agent.select_option("#canned", label="Greeting")
            expect(agent.locator("#reply-text")).to_have_value(
                "Hi there, Alice Smith here. How can I help?"
            )
            agent.fill("#reply-text", agent.input_value("#reply-text") + " Your parcel left today.")
            agent.click("#send")
            expect(agent.locator("#transcript .msg.agent").last).to_contain_text(
                "Your parcel left today."
            )

            # The shopper sees the agent's answer in the web chat.
            expect(shopper.locator("#log")).to_contain_text(
                "Alice Smith here. How can I help? Your parcel left today.", timeout=15000
            )
            # To close the sale: a one-time 10% code, told to the shopper in her chat.
            agent.fill("#discount-value", "10")
            agent.click("#give-code")
            expect(agent.locator("#flash")).to_contain_text("Code AG")
            expect(
                shopper.locator(".msg.bot", has_text="gave you a discount code: AG")
            ).to_be_visible(timeout=15000)
            ARTIFACTS.mkdir(exist_ok=True)
            agent.screenshot(path=str(ARTIFACTS / "console.png"), full_page=True)
            # On a phone the conversation is readable: full width, the reply box reachable.
            agent.set_viewport_size({"width": 390, "height": 844})
            bubble = agent.locator("#transcript .msg.agent").last
            bubble.scroll_into_view_if_needed()
            transcript = agent.locator("#transcript").bounding_box() or {}
            assert transcript.get("width", 0) >= 340, transcript
            assert (bubble.bounding_box() or {}).get("width", 0) >= 200
            expect(agent.locator("#reply-text")).to_be_visible()
            agent.screenshot(path=str(ARTIFACTS / "console-phone.png"))

            agent.click("#return")
            expect(agent.locator("#flash")).to_contain_text("handed back to the bot")
            expect(agent.locator(".conv-head .badge")).to_have_text("returned")

            # And the bot answers again: "menu" shows the main menu a second time.
            menu = shopper.locator(".msg.bot", has_text="What can I do for you today?")
            expect(menu).to_have_count(1)
            shopper.fill("#text", "menu")
            shopper.press("#text", "Enter")
            expect(menu).to_have_count(2, timeout=15000)
            shopper.screenshot(path=str(ARTIFACTS / "shopper.png"))
        finally:
            browser.close()
