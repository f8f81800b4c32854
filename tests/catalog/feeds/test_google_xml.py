"""Google Merchant XML: what a merchant's real feed throws at the importer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from catalog.feeds import FeedError
from catalog.records import AgeGroup, Availability, Gender

from .conftest import assert_problems, errors, warnings

HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<rss xmlns:g="http://base.google.com/ns/1.0" version="2.0"><channel><title>Shop</title>\n'
TAIL = "</channel></rss>\n"


def item(
    id: str | None = "A1", price: str | None = "15.00 PLN", title: str = "Teddy", extra: str = ""
) -> str:
    parts = ["<item>"]
    if id is not None:
        parts.append(f"<g:id>{id}</g:id>")
    parts.append(f"<g:title>{title}</g:title>")
    if price is not None:
        parts.append(f"<g:price>{price}</g:price>")
    parts.append(extra + "</item>\n")
    return "".join(parts)


def xml(*items: str) -> str:
    return HEAD + "".join(items) + TAIL


EDGE_FEED = (
    HEAD
    + item(
        "A1",
        "1 234,56 PLN",
        "Fire Station",
        "<g:title xml:lang='pl'>Remiza strażacka</g:title>"
        "<g:description><![CDATA[<p>Big <b>red</b>\n station</p>]]></g:description>"
        "<g:sale_price>999.00 PLN</g:sale_price>"
        "<g:sale_price_effective_date>2026-11-01T00:00+01:00/2026-11-30T23:59+01:00</g:sale_price_effective_date>"
        "<g:additional_image_link>https://x/1.jpg</g:additional_image_link>"
        "<g:additional_image_link>https://x/2.jpg</g:additional_image_link>"
        "<g:availability>in stock</g:availability><g:item_group_id>G1</g:item_group_id>"
        "<g:google_product_category>Toys &amp; Games &gt; Toys &gt; Building Toys</g:google_product_category>"
        "<g:product_type>Toys &gt; Lego</g:product_type><g:age_group>kids</g:age_group>"
        "<g:gender>unisex</g:gender><g:color>red</g:color><g:condition>new</g:condition>"
        "<g:custom_label_0>gift</g:custom_label_0>"
        "<g:shipping><g:country>PL</g:country><g:price>9.99 PLN</g:price></g:shipping>",
    )  # 1
    + item("A2", extra="<g:description>&lt;p&gt;Hi &amp;amp; bye&lt;/p&gt;</g:description>")  # 2
    + item("A3", price=None)  # 3
    + item("A1", title="Again")  # 4
    + item("A5", price="-5.00 PLN")  # 5
    + item("A6", price="10.00 EUR")  # 6
    + item("A7", price="ten zloty")  # 7
    + item(
        "A8", extra="<g:availability>maybe</g:availability><g:age_group>elderly</g:age_group>"
    )  # 8
    + item("A9", title="Å¼Ã³Å‚w")  # 9
    + item("X" * 51)  # 10
    + item("A11", title="T" * 151)  # 11
    + item("A12", title="Bad \udcff byte")  # 12 (written as a raw 0xFF byte below)
    + item("A13", extra="<g:description>" + "x" * 100_001 + "</g:description>")  # 13
    + "<item><g:id>A14</g:id><title>Plain RSS title</title><link>https://x/14</link>"
    "<description>Plain &amp; simple</description><g:price>2.50 PLN</g:price></item>\n"  # 14
    + item(None)  # 15
    + item("A16", price="15.00")  # 16: no currency, the shop's is used
    + TAIL
).encode("utf-8", "surrogateescape")


def test_edge_feed_keeps_good_items_and_names_each_rejected_one(feed):
    items, reader = feed(EDGE_FEED, currency="PLN")
    assert [i.id for i in items] == ["A1", "A2", "A8", "A9", "A14", "A16"]
    assert reader.rows == 16
    assert_problems(
        errors(reader),
        [
            (3, "A3", "missing price"),
            (4, "A1", "duplicate id (first on line 1)"),
            (5, "A5", "negative"),
            (6, "A6", "not in the shop currency PLN"),
            (7, "A7", "is not a price like '15.00 USD'"),
            (10, "X" * 51, "id is 51 characters; Google allows at most 50"),
            (11, "A11", "title is 151 characters; Google allows at most 150"),
            (12, "A12", "invalid UTF-8 bytes"),
            (13, "A13", "description is 100,001 characters"),
            (15, None, "missing id"),
        ],
    )
    assert_problems(
        warnings(reader),
        [
            (8, "A8", "unknown availability 'maybe'; treated as out_of_stock"),
            (8, "A8", "unknown age_group 'elderly'; ignored"),
            (9, "A9", "title was UTF-8 encoded twice"),
            (0, None, "elements not imported: g:shipping"),
        ],
    )
    # The source line helps find item 4 in a big file.
    assert errors(reader)[1][2].endswith("(source line 7)")  # item 1 spans lines 3-4


def test_edge_feed_normalises_the_good_items(feed):
    items, _ = feed(EDGE_FEED, currency="PLN")
    a1, a2, a8, a9, a14, a16 = items
    assert (a1.price, a1.currency, a1.sale_price) == (123456, "PLN", 99900)
    assert a1.sale_start == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
    assert a1.sale_end == datetime(2026, 11, 30, 22, 59, tzinfo=UTC)
    assert a1.title == "Fire Station" and a1.title_i18n == {"pl": "Remiza strażacka"}
    assert a1.description == "Big red station"
    assert a1.description_html == "<p>Big <b>red</b>\n station</p>"
    assert a1.additional_images == ("https://x/1.jpg", "https://x/2.jpg")
    assert a1.group_id == "G1" and a2.group_id == "A2"
    assert a1.categories == ("Toys & Games", "Toys", "Building Toys", "Lego")
    assert a1.product_type == "Toys > Lego"
    assert (a1.age_group, a1.gender) == (AgeGroup.KIDS, Gender.UNISEX)
    assert a1.attributes == {
        "color": "red",
        "condition": "new",
        "google_product_category": "Toys & Games > Toys > Building Toys",
    }
    assert a1.tags == ("gift",)
    assert a1.availability is Availability.IN_STOCK and a1.line == 1
    assert (a2.description, a2.description_html) == ("Hi & bye", "<p>Hi &amp; bye</p>")
    assert a8.availability is Availability.OUT_OF_STOCK and a8.age_group is None
    assert a9.title == "żółw"
    assert (a14.title, a14.link, a14.description, a14.price) == (
        "Plain RSS title",
        "https://x/14",
        "Plain & simple",
        250,
    )
    assert (a16.price, a16.currency) == (1500, "PLN")


def test_price_without_currency_needs_the_shop_currency(feed):
    items, reader = feed(xml(item("A1", "15.00 PLN"), item("A2", "15.00")))
    assert [i.id for i in items] == ["A1"]
    assert_problems(errors(reader), [(2, "A2", "price '15.00' has no currency; pass --currency")])


def test_translations_first_languaged_title_is_the_default_when_none_is_plain(feed):
    items, _ = feed(
        xml(
            "<item><g:id>T1</g:id><g:price>1.00 PLN</g:price>"
            '<g:title xml:lang="pl">Miś</g:title><g:title xml:lang="en">Teddy</g:title>'
            '<g:description xml:lang="pl">Miękki</g:description>'
            '<g:description xml:lang="en">&lt;b&gt;Soft&lt;/b&gt;</g:description></item>',
            "<item><g:id>T2</g:id><g:price>1.00 PLN</g:price>"
            '<g:title xml:lang="ru">Мишка</g:title><g:title>Teddy</g:title><g:title>Second</g:title></item>',
        )
    )
    t1, t2 = items
    assert t1.title == "Miś" and t1.title_i18n == {"pl": "Miś", "en": "Teddy"}
    assert t1.description == "Miękki" and t1.description_i18n == {"pl": "Miękki", "en": "Soft"}
    assert t2.title == "Teddy" and t2.title_i18n == {"ru": "Мишка"}


def test_atom_feed_entries_and_link_href(feed):
    items, reader = feed(
        '<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xmlns:g="http://base.google.com/ns/1.0">'
        "<title>Shop</title><entry><g:id>E1</g:id><title>Kite</title>"
        '<link href="https://x/kite"/><summary>Flies</summary><g:price>30 PLN</g:price></entry>'
        "</feed>"
    )
    assert reader.format == "google_xml"
    assert [(i.id, i.title, i.link, i.description, i.price) for i in items] == [
        ("E1", "Kite", "https://x/kite", "Flies", 3000)
    ]


def test_crlf_bom_and_raw_html_inside_description(feed):
    content = "\ufeff" + xml(
        item("A1", extra="<description><p>Raw <b>html</b></p></description>")
    ).replace("\n", "\r\n")
    items, reader = feed(content)
    assert items[0].description == "Raw html"
    assert items[0].description_html == "<p>Raw <b>html</b></p>"
    assert reader.problems == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (HEAD + item("A1") + "<item><g:id>A2</g:id><g:tit", "looks truncated"),
        (
            '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>\n'
            '<rss xmlns:g="http://base.google.com/ns/1.0"><channel><item><g:id>&lol2;</g:id></item></channel></rss>',
            "declares entities",
        ),
        (
            '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
            "<rss><channel><item><g:id>&xxe;</g:id></item></channel></rss>",
            "declares entities",
        ),
        ("<catalog><product/></catalog>", "not an RSS or Atom product feed"),
    ],
    ids=["truncated", "billion-laughs", "external-entity", "not-a-feed"],
)
def test_broken_files_are_refused_before_any_item(feed, content, message):
    with pytest.raises(FeedError, match=message):
        feed(content)


def test_truncated_feed_error_names_the_last_line(feed, tmp_path):
    with pytest.raises(FeedError) as caught:
        feed(HEAD + item("A1") + "<item>\n<g:id>A2</g:id>\n<g:tit")
    assert caught.value.line == 6  # the XML declaration and <rss> are lines 1-2, A1 is line 3
    assert str(caught.value).startswith(str(tmp_path / "feed.xml") + ":6: ")


def test_malformed_xml_in_the_middle_stops_the_import_with_its_line(feed):
    content = (
        HEAD
        + item("A1")
        + "<item><g:id>A2</g:id><g:title>a < b</g:title></item>\n"
        + item("A3")
        + TAIL
    )
    with pytest.raises(FeedError, match="malformed XML") as caught:
        feed(content)
    assert caught.value.line == 4


def test_undefined_html_entity_is_malformed_xml_with_a_hint(feed):
    with pytest.raises(FeedError, match="&#160;"):
        feed(xml(item("A1", title="Teddy&nbsp;Bear")))


def test_header_only_feed_is_empty_not_fatal(feed):
    items, reader = feed(xml())
    assert items == [] and reader.problems == [] and reader.rows == 0


def test_big_feeds_parsed_in_a_second_process_give_the_same_result(feed, monkeypatch):
    inline_items, inline = feed(EDGE_FEED, currency="PLN")
    monkeypatch.setattr("catalog.feeds.google_xml.PARALLEL_BYTES", 0)
    monkeypatch.setattr("catalog.feeds.parser_process.BATCH", 3)
    items, reader = feed(EDGE_FEED, currency="PLN")
    assert items == inline_items
    assert reader.problems == inline.problems and reader.rows == inline.rows == 16


def test_malformed_xml_found_by_the_second_process_is_reported_the_same(feed, monkeypatch):
    monkeypatch.setattr("catalog.feeds.google_xml.PARALLEL_BYTES", 0)
    content = (
        HEAD
        + item("A1")
        + "<item><g:id>A2</g:id><g:title>a < b</g:title></item>\n"
        + item("A3")
        + TAIL
    )
    with pytest.raises(FeedError, match="malformed XML") as caught:
        feed(content)
    assert caught.value.line == 4


def test_characters_split_between_read_blocks_survive(feed, monkeypatch):
    monkeypatch.setattr("catalog.feeds.google_xml._Utf8Guard.BLOCK", 7)
    items, reader = feed(xml(item("Z1", title="Żółta strzała ёлка هدیه")))
    assert items[0].title == "Żółta strzała ёлка هدیه" and reader.problems == []


def test_links_and_images_that_are_not_http_are_left_out_with_a_warning(feed):
    feed_text = xml(
        item(
            "U1",
            extra="<g:link>javascript:alert(document.cookie)</g:link>"
            "<g:image_link>data:image/svg+xml;base64,PHN2Zz4=</g:image_link>"
            "<g:additional_image_link>https://x/ok.jpg</g:additional_image_link>"
            "<g:additional_image_link>file:///etc/passwd</g:additional_image_link>",
        ),
        item("U2", extra="<g:link>https://shop.example/u2</g:link>"),
    )
    items, reader = feed(feed_text, currency="PLN")
    u1, u2 = items
    assert (u1.link, u1.image, u1.additional_images) == (None, None, ("https://x/ok.jpg",))
    assert u2.link == "https://shop.example/u2"
    said = [reason for _line, id, reason in warnings(reader) if id == "U1"]
    assert any("link 'javascript:alert" in r and "not an http(s) URL" in r for r in said)
    assert any(r.startswith("image_link 'data:image") for r in said)
    assert any(r.startswith("additional_image_link 'file:") for r in said)
