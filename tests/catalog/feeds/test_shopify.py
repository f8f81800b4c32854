"""Shopify product CSV: handles, variants, image rows, old and new column names."""

from __future__ import annotations

from catalog.records import Availability, Status

from .conftest import assert_problems, errors, warnings

CLASSIC = (
    "Handle,Title,Body (HTML),Vendor,Type,Tags,Published,Option1 Name,Option1 Value,"
    "Option2 Name,Option2 Value,Variant SKU,Variant Inventory Qty,Variant Inventory Policy,"
    "Variant Price,Variant Compare At Price,Image Src,Image Position,Status,Gift Card\n"
    'dino-tee,Dino T-shirt,"<p>Soft <em>cotton</em></p>",Tiny Tees,Clothing,"dino, kids ,summer",TRUE,'
    "Size,M,Color,Red,TS-M-RED,5,deny,49.99,59.99,https://x/tee-1.jpg,1,active,FALSE\n"  # 2
    "dino-tee,,,,,,,,L,,Red,TS-L-RED,0,continue,49.99,,https://x/tee-2.jpg,2,,\n"  # 3
    "dino-tee,,,,,,,,XL,,Red,,0,deny,52.00,,,,,\n"  # 4
    "dino-tee,,,,,,,,,,,,,,,,https://x/tee-3.jpg,3,,\n"  # 5: image only
    "mug,Mug,,Cups,,,TRUE,Title,Default Title,,,,0,deny,19.00,,,,archived,\n"  # 6
    "card,Gift card,,,,,FALSE,Title,Default Title,,,GC-1,,,100.00,,,,,\n"  # 7
    "broken,Broken,,,,,TRUE,Title,Default Title,,,,3,deny,abc,,,,active,\n"  # 8
    ",Orphan,,,,,,,,,,,,,,,,,,\n"  # 9
)


def test_classic_export(feed):
    items, reader = feed(CLASSIC, name="products.csv", currency="PLN")
    assert reader.format == "shopify_csv"
    assert [(i.id, i.group_id, i.line) for i in items] == [
        ("TS-M-RED", "dino-tee", 2),
        ("TS-L-RED", "dino-tee", 3),
        ("dino-tee-xl-red", "dino-tee", 4),
        ("mug", "mug", 6),
        ("GC-1", "card", 7),
    ]
    m, large, xl, mug, card = items
    assert (m.price, m.sale_price) == (5999, 4999)  # compare-at is the regular price
    assert (large.price, large.sale_price) == (4999, None)
    assert xl.price == 5200
    assert m.title == large.title == "Dino T-shirt"
    assert m.attributes == {"size": "M", "color": "Red"}
    assert xl.attributes == {"size": "XL", "color": "Red"}
    assert (m.availability, m.quantity) == (Availability.IN_STOCK, 5)
    assert large.availability is Availability.BACKORDER  # continue selling at 0
    assert xl.availability is Availability.OUT_OF_STOCK
    assert m.image == "https://x/tee-1.jpg"
    assert m.additional_images == ("https://x/tee-2.jpg", "https://x/tee-3.jpg")
    assert m.tags == ("dino", "kids", "summer") and large.tags == m.tags
    assert (m.description, m.description_html, m.brand, m.product_type) == (
        "Soft cotton",
        "<p>Soft <em>cotton</em></p>",
        "Tiny Tees",
        "Clothing",
    )
    assert mug.attributes == {} and mug.availability is Availability.OUT_OF_STOCK
    assert mug.status is Status.DRAFT  # archived
    assert card.status is Status.DRAFT  # not published
    assert m.status is Status.ACTIVE
    assert reader.rows == 8
    assert_problems(
        errors(reader),
        [(9, None, "row has no Handle"), (8, "broken", "is not a price")],
    )
    assert warnings(reader) == []


def test_new_export_column_names(feed):
    content = (
        "URL handle,Title,Description,Vendor,Option1 name,Option1 value,SKU,Inventory quantity,"
        "Continue selling when out of stock,Price,Compare-at price,Product image URL,Image position,Status\r\n"
        "kite,Kite,Flies high,Windy,Colour,Blue,K-B,0,TRUE,30.00,35.00,https://x/k.jpg,1,Active\r\n"
        "kite,,,,,Green,K-G,2,FALSE,30.00,,,,\r\n"
    )
    items, reader = feed(content, name="products.csv", currency="PLN")
    assert reader.format == "shopify_csv"
    assert [(i.id, i.price, i.sale_price, i.availability.value, i.attributes) for i in items] == [
        ("K-B", 3500, 3000, "backorder", {"color": "Blue"}),
        ("K-G", 3000, None, "in_stock", {"color": "Green"}),
    ]
    assert reader.problems == []


def test_shopify_prices_need_the_shop_currency(feed):
    content = "Handle,Title,Variant Price\nmug,Mug,19.00\n"
    items, reader = feed(content, name="products.csv")
    assert items == []
    assert_problems(errors(reader), [(2, "mug", "has no currency; pass --currency")])
