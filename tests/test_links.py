"""Only http(s) URLs become links and images in front of a shopper."""

from __future__ import annotations

import pytest

from flows.replies import ProductCard
from shoplinks import CONTACT, safe_url, web_url


@pytest.mark.parametrize(
    "url",
    ["https://shop.example/p/1", "http://shop.example:8080/a?b=c#d", " https://x.example/i.jpg "],
)
def test_web_addresses_pass(url):
    assert web_url(url) == url.strip()


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>x</script>",
        "file:///etc/passwd",
        "vbscript:msgbox",
        "//evil.example/x",
        "/relative/path",
        "https://",
        "https://user:pass@evil.example/",
        "https://exa mple.com/",
        "https://example.com/\njavascript:x",
        "https://[::1/",
        "",
        None,
        42,
        "https://x.example/" + "a" * 3000,
    ],
)
def test_anything_else_is_refused(url):
    assert web_url(url) is None


def test_contact_links_only_where_asked_for():
    assert web_url("tel:+48600123456") is None
    assert safe_url("tel:+48600123456", CONTACT) == "tel:+48600123456"
    assert safe_url("mailto:shop@example.com", CONTACT) == "mailto:shop@example.com"
    assert safe_url("mailto:", CONTACT) is None


def test_a_product_card_never_carries_a_script_link_or_image():
    card = ProductCard(
        id="p1", title="Kite", image_url="javascript:alert(1)", url="data:text/html,x"
    )
    assert (card.image_url, card.url) == (None, None)
    good = ProductCard(id="p2", title="Kite", image_url="https://x/k.jpg", url="https://x/k")
    assert (good.image_url, good.url) == ("https://x/k.jpg", "https://x/k")


def test_the_quick_path_for_plain_addresses_agrees_with_the_full_checks():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    import shoplinks

    parts = st.sampled_from(
        [
            "http",
            "https",
            "HTTP",
            "Https",
            "://",
            "/",
            "a",
            "x.example",
            "-",
            ".",
            ":",
            "80",
            "99999",
            "?q=1",
            "#f",
            "@",
            "user:pw@",
            "[::1]",
            "\\",
            " ",
            "\t",
            "é",
            "%20",
            "//",
        ]
    )

    @settings(max_examples=3000, deadline=None)
    @given(st.lists(parts, max_size=8).map("".join))
    def agrees(url: str) -> None:
        assert web_url(url) == safe_url(url, shoplinks.WEB)

    agrees()
    for url in ("https://shop.example/p/1?x=@y", "HTTP://a.b:8080", "https://-.", "https://a"):
        assert web_url(url) == safe_url(url, shoplinks.WEB) == url
