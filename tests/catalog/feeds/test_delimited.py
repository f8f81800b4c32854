"""Google TSV and Meta CSV/TSV: quoting, line numbers, BOM/CRLF, Meta's own spellings."""

from __future__ import annotations

import pytest

from catalog.feeds import FeedError
from catalog.records import AgeGroup, Availability

from .conftest import assert_problems, errors, warnings

GOOGLE_TSV = (
    (
        "\ufeffid\ttitle\tdescription\tprice\tavailability\tadditional_image_link\tmy_notes\r\n"
        'T1\tTeddy\t"Soft\tbear,\r\nsays ""hi"""\t49.99 PLN\tin_stock\t\tnote\r\n'  # lines 2-3
        "T2\tKite\tFlies\t30,00 PLN\tout of stock\thttps://x/1.jpg, https://x/2.jpg\t\r\n"  # 4
        "T1\tTeddy again\t\t1.00 PLN\tin_stock\t\t\r\n"  # 5
        "T4\tShifted\tbad\t1.00 PLN\tin_stock\t\t\tone too many\r\n"  # 6
        "T5\tBroken \xff byte\t\t1.00 PLN\tin_stock\t\t\r\n"  # 7
        "T6\tHuge\t" + "x" * 100_001 + "\t1.00 PLN\tin_stock\t\t\r\n"  # 8
        "T7\tFree money\t\t-1.00 PLN\tin_stock\t\t\r\n"  # 9
        "T8\tNo price\t\t\tin_stock\t\t\r\n"  # 10
        "\r\n"  # 11: blank lines are skipped
        "T9\tLast\t\t1.00 PLN\tpreorder\t\t\r\n"  # 12
    )
    .encode("utf-8")
    .replace(b"\xc3\xbf", b"\xff")
)


def test_google_tsv_edge_rows(feed):
    items, reader = feed(GOOGLE_TSV, name="feed.tsv", currency="PLN")
    assert reader.format == "google_tsv"
    assert [(i.id, i.line) for i in items] == [("T1", 2), ("T2", 4), ("T9", 12)]
    t1, t2, t9 = items
    assert t1.description == 'Soft bear, says "hi"'
    assert (t1.price, t2.price) == (4999, 3000)
    assert t2.availability is Availability.OUT_OF_STOCK
    assert t2.additional_images == ("https://x/1.jpg", "https://x/2.jpg")
    assert t9.availability is Availability.PREORDER
    assert reader.rows == 9  # data rows, the rejected ones included, not the blank line
    assert_problems(
        errors(reader),
        [
            (5, "T1", "duplicate id (first on line 2)"),
            (6, "T4", "row has 8 cells but the header has 7"),
            (7, "T5", "invalid UTF-8 bytes"),
            (8, "T6", "description is 100,001 characters"),
            (9, "T7", "negative"),
            (10, "T8", "missing price"),
        ],
    )
    assert_problems(warnings(reader), [(1, None, "columns not imported: my_notes")])


def test_google_tsv_ending_inside_a_quoted_cell_is_fatal(feed):
    content = (
        'id\ttitle\tprice\nT1\tTeddy\t1.00 PLN\nT2\t"Open quote\t1.00 PLN\nT3\tKite\t2.00 PLN\n'
    )
    with pytest.raises(FeedError, match="ends inside a quoted cell") as caught:
        feed(content, name="feed.tsv")
    assert caught.value.line == 3


META_CSV = (
    "id,title,description,rich_text_description,availability,condition,price,sale_price,"
    "age_group,gender,quantity_to_sell_on_facebook,item_group_id,brand,status\n"
    'M1,Ball,Round,"<p>Round <b>ball</b></p>",available for order,new,9.99 PLN,,all ages,unisex,7,,Kick,active\n'
    'M2,Doll,"<p>Pretty</p> doll",,discontinued,used,"1,234.50 PLN",999.00 PLN,teen,female,,G,,archived\n'
    "M3,"
    + "T" * 201
    + ",,,in stock,new,1.00 PLN,,,,,,,\n"
    + "Y" * 100
    + ",Long id is fine on Meta,,,in stock,new,1.00 PLN,,,,,,,\n"
    "M5,Gnome,,,in stock,mint,1.00 PLN,,grandpas,other,lots,,,\n"
)


def test_meta_csv_spellings_and_limits(feed):
    items, reader = feed(META_CSV, name="feed.csv", currency="PLN")
    assert reader.format == "meta_csv"
    assert [i.id for i in items] == ["M1", "M2", "Y" * 100, "M5"]
    m1, m2, _, m5 = items
    assert m1.availability is Availability.BACKORDER and m1.age_group is AgeGroup.ALL_AGES
    assert (m1.description, m1.description_html, m1.quantity) == (
        "Round",
        "<p>Round <b>ball</b></p>",
        7,
    )
    assert m2.availability is Availability.DISCONTINUED and m2.age_group is AgeGroup.TEEN
    assert (m2.price, m2.sale_price, m2.status.value) == (123450, 99900, "draft")
    assert (m2.description, m2.description_html) == ("Pretty doll", "<p>Pretty</p> doll")
    assert m2.attributes["condition"] == "used" and m2.group_id == "G"
    assert m5.age_group is None and m5.gender is None and "condition" not in m5.attributes
    assert_problems(errors(reader), [(4, "M3", "title is 201 characters; Meta allows at most 200")])
    assert_problems(
        warnings(reader),
        [
            (3, "M2", "description has HTML"),
            (6, "M5", "quantity 'lots' is not a whole number"),
            (6, "M5", "unknown age_group 'grandpas'"),
            (6, "M5", "unknown gender 'other'"),
            (6, "M5", "unknown condition 'mint'"),
        ],
    )


def test_meta_tsv_is_told_apart_from_google_tsv(feed):
    content = "id\ttitle\tprice\tquantity_to_sell_on_facebook\nM1\tBall\t9.99 PLN\t3\n"
    items, reader = feed(content, name="feed.tsv")
    assert reader.format == "meta_tsv"
    assert [(i.id, i.quantity) for i in items] == [("M1", 3)]


def test_header_only_csv_gives_zero_items_without_error(feed):
    items, reader = feed("id,title,price\r\n", name="feed.csv")
    assert items == [] and reader.problems == [] and reader.rows == 0


def test_double_encoded_csv_text_is_repaired_with_a_warning(feed):
    items, reader = feed("id,title,price\nZ1,Å¼Ã³Å‚w Ã³,1.00 PLN\n", name="feed.csv")
    assert items[0].title == "żółw ó"
    assert_problems(warnings(reader), [(2, "Z1", "title was UTF-8 encoded twice")])


def test_a_cell_over_a_megabyte_is_an_unclosed_quote_and_fatal(feed):
    content = (
        'id,title,price\nM1,"Never closed,1.00 PLN\n' + ("M2,Ball,1.00 PLN\n" * 70_000) + '"\n'
    )
    with pytest.raises(FeedError, match="probably a quote that is never closed") as caught:
        feed(content, name="feed.csv")
    assert caught.value.line == 2


def test_missing_title_and_whitespace_only_cells(feed):
    items, reader = feed(
        "id,title,price\nM1,   ,1.00 PLN\nM2,  Two \t words ,1.00 PLN\n", name="feed.csv"
    )
    assert [i.title for i in items] == ["Two words"]
    assert_problems(errors(reader), [(2, "M1", "missing title")])
