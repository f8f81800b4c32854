"""Write a realistic Google Merchant XML feed of N made-up toy-shop items, streaming.

    python bench/make_feed.py OUT.xml --items 1000000 [--seed 0] [--currency PLN]

Titles in the five shop locales (en, pl, es, ru, fa), some with ``xml:lang`` translations
(shopchat's extension); brands (some "LEGO" / "Lego"), Google categories and product types,
variant groups (sizes, colours) for about a fifth of the items, age groups, genders, sales with
effective dates, a mix of availability, and descriptions with HTML in CDATA or escaped. Broad
words ("lego", "gift" / "prezent" / "regalo" / "подарок" / "هدیه") match 100k+ items in 1M.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

LOCALES = ("en", "pl", "es", "ru", "fa")
# One concept per row, in LOCALES order.
NOUNS = (
    (
        "building bricks set",
        "klocki konstrukcyjne",
        "bloques de construcción",
        "конструктор",
        "لگو",
    ),
    ("plush bear", "pluszowy miś", "oso de peluche", "плюшевый мишка", "خرس عروسکی"),
    ("jigsaw puzzle", "układanka puzzle", "rompecabezas", "пазл", "پازل"),
    ("board game", "gra planszowa", "juego de mesa", "настольная игра", "بازی رومیزی"),
    ("doll", "lalka", "muñeca", "кукла", "عروسک"),
    ("race car", "samochód wyścigowy", "coche de carreras", "гоночная машина", "ماشین مسابقه"),
    ("picture book", "książeczka obrazkowa", "libro ilustrado", "книжка с картинками", "کتاب مصور"),
    ("kite", "latawiec", "cometa", "воздушный змей", "بادبادک"),
    ("scooter", "hulajnoga", "patinete", "самокат", "اسکوتر"),
    ("t-shirt", "koszulka", "camiseta", "футболка", "تی‌شرت"),
    ("wooden train", "drewniana kolejka", "tren de madera", "деревянный поезд", "قطار چوبی"),
    ("boat", "łódź", "barco", "лодка", "قایق"),
    (
        "Christmas tree ornament",
        "bombka choinkowa",
        "adorno navideño",
        "ёлочная игрушка",
        "تزئین کریسمس",
    ),
    ("science kit", "zestaw naukowy", "kit de ciencia", "научный набор", "کیت علمی"),
    ("tea set", "serwis do herbaty", "juego de té", "чайный сервиз", "سرویس چای"),
)
ADJECTIVES = (
    ("red", "czerwony", "rojo", "красный", "قرمز"),
    ("yellow", "żółty", "amarillo", "жёлтый", "زرد"),
    ("big", "duży", "grande", "большой", "بزرگ"),
    ("small", "mały", "pequeño", "маленький", "کوچک"),
    ("magic", "magiczny", "mágico", "волшебный", "جادویی"),
    ("green", "zielony", "verde", "зелёный", "سبز"),
    ("classic", "klasyczny", "clásico", "классический", "کلاسیک"),
    ("golden", "złoty", "dorado", "золотой", "طلایی"),
)
GIFT = ("gift", "prezent", "regalo", "подарок", "هدیه")
LEGO = ("lego", "lego", "lego", "лего", "لگو")
BRANDS = (
    "LEGO",
    "Lego",
    "BrickWorks",
    "Playmobil",
    "Żabka Toys",
    "Ёжик",
    "Ravensburger",
    "Trefl",
    "Hasbro",
    "Mattel",
    "Juguetes Sol",
    "Ösel",
)
CATEGORIES = (
    "Toys &amp; Games &gt; Toys &gt; Building Toys",
    "Toys &amp; Games &gt; Toys &gt; Dolls, Playsets &amp; Toy Figures &gt; Stuffed Animals",
    "Toys &amp; Games &gt; Puzzles &gt; Jigsaw Puzzles",
    "Toys &amp; Games &gt; Games &gt; Board Games",
    "Toys &amp; Games &gt; Toys &gt; Dolls, Playsets &amp; Toy Figures &gt; Dolls",
    "Toys &amp; Games &gt; Toys &gt; Toy Vehicles",
    "Media &gt; Books &gt; Print Books",
    "Toys &amp; Games &gt; Outdoor Play Equipment &gt; Kites",
    "Sporting Goods &gt; Outdoor Recreation &gt; Riding Scooters",
    "Apparel &amp; Accessories &gt; Clothing &gt; Shirts &amp; Tops",
    "Toys &amp; Games &gt; Toys &gt; Play Vehicles &gt; Toy Trains &amp; Train Sets",
    "Toys &amp; Games &gt; Toys &gt; Bath Toys",
    "Home &amp; Garden &gt; Decor &gt; Seasonal &amp; Holiday Decorations",
    "Toys &amp; Games &gt; Toys &gt; Educational Toys",
    "Home &amp; Garden &gt; Kitchen &amp; Dining &gt; Tableware &gt; Teapots",
)
PRODUCT_TYPES = (
    "Toys &gt; Building",
    "Toys &gt; Plush",
    "Toys &gt; Puzzles",
    "Games &gt; Board games",
    "Toys &gt; Dolls",
    "Toys &gt; Vehicles",
    "Books &gt; Kids",
    "Outdoor &gt; Kites",
    "Outdoor &gt; Scooters",
    "Clothing &gt; Kids",
    "Toys &gt; Trains",
    "Toys &gt; Bath",
    "Seasonal &gt; Christmas",
    "Toys &gt; Science",
    "Kitchen &gt; Tea",
)
SIZES = ("XS", "S", "M", "L", "XL", "104", "116", "128", "140")
COLOURS = ("red", "blue", "green", "pink", "black", "white", "yellow")
AGE_GROUPS = ("kids", "kids", "kids", "toddler", "adult", "infant", "newborn")
GENDERS = ("unisex", "unisex", "unisex", "female", "male")
FILLER = (
    (
        "Great fun for the whole family.",
        "Świetna zabawa dla całej rodziny.",
        "Diversión para toda la familia.",
        "Отличное развлечение для всей семьи.",
        "سرگرمی عالی برای همه خانواده.",
    ),
    (
        "Safe materials, tested in Europe.",
        "Bezpieczne materiały, testowane w Europie.",
        "Materiales seguros, probados en Europa.",
        "Безопасные материалы, проверено в Европе.",
        "مواد ایمن، آزمایش‌شده در اروپا.",
    ),
)


def _item(rng: random.Random, n: int, group: str | None, variant: str, currency: str) -> str:
    kind = rng.randrange(len(NOUNS))
    locale_index = rng.randrange(5)
    brand = BRANDS[0 if kind == 0 and rng.random() < 0.5 else rng.randrange(len(BRANDS))]
    adjective = ADJECTIVES[rng.randrange(len(ADJECTIVES))]
    is_gift = rng.random() < 0.18
    is_lego = kind == 0 and rng.random() < 0.4

    def title_in(li: int) -> str:
        words = [brand, adjective[li], NOUNS[kind][li]]
        if is_lego and brand not in ("LEGO", "Lego"):
            words.insert(1, LEGO[li])
        if is_gift:
            words.append(GIFT[li])
        words.append(f"{n % 9973}")
        if variant:
            words.append(variant)
        return " ".join(words)

    parts = [
        "<item>\n<g:id>SKU-",
        str(n),
        "</g:id>\n<g:title>",
        title_in(locale_index),
        "</g:title>\n",
    ]
    if rng.random() < 0.3:
        for li in rng.sample(range(5), rng.randrange(1, 5)):
            if li != locale_index:
                lang = LOCALES[li]
                parts.append(f'<g:title xml:lang="{lang}">{title_in(li)}</g:title>\n')
    filler = FILLER[rng.randrange(2)][locale_index]
    noun = NOUNS[kind][locale_index]
    html = rng.random()
    if html < 0.2:
        parts.append(
            f"<g:description><![CDATA[<p><b>{noun}</b> {filler}</p><ul><li>{brand}</li>"
            f"<li>{GIFT[locale_index] if is_gift else adjective[locale_index]}</li></ul>]]>"
            "</g:description>\n"
        )
    elif html < 0.3:
        parts.append(
            f"<g:description>&lt;p&gt;{noun} &amp;ndash; {filler}&lt;/p&gt;</g:description>\n"
        )
    else:
        parts.append(f"<g:description>{noun}. {filler}</g:description>\n")
    parts.append(f"<g:link>https://toys.example/p/{n}</g:link>\n")
    parts.append(f"<g:image_link>https://img.toys.example/{n}.jpg</g:image_link>\n")
    if rng.random() < 0.25:
        parts.append(
            f"<g:additional_image_link>https://img.toys.example/{n}-2.jpg</g:additional_image_link>\n"
        )
    price = rng.randrange(999, 99999)
    parts.append(f"<g:price>{price // 100}.{price % 100:02d} {currency}</g:price>\n")
    if rng.random() < 0.15:
        sale = price * rng.choice((50, 70, 80, 90)) // 100
        day = rng.randrange(1, 28)
        parts.append(
            f"<g:sale_price>{sale // 100}.{sale % 100:02d} {currency}</g:sale_price>\n"
            f"<g:sale_price_effective_date>2026-11-{day:02d}T00:00+01:00/"
            f"2026-12-{day:02d}T23:59+01:00</g:sale_price_effective_date>\n"
        )
    roll = rng.random()
    if roll < 0.8:
        parts.append("<g:availability>in_stock</g:availability>\n")
    elif roll < 0.9:
        parts.append("<g:availability>out of stock</g:availability>\n")
    elif roll < 0.95:
        parts.append(
            "<g:availability>preorder</g:availability>\n"
            "<g:availability_date>2027-01-15T00:00Z</g:availability_date>\n"
        )
    else:
        parts.append("<g:availability>backorder</g:availability>\n")
    parts.append(f"<g:brand>{brand}</g:brand>\n<g:condition>new</g:condition>\n")
    parts.append(f"<g:google_product_category>{CATEGORIES[kind]}</g:google_product_category>\n")
    parts.append(f"<g:product_type>{PRODUCT_TYPES[kind]}</g:product_type>\n")
    parts.append(f"<g:age_group>{AGE_GROUPS[rng.randrange(len(AGE_GROUPS))]}</g:age_group>\n")
    parts.append(f"<g:gender>{GENDERS[rng.randrange(len(GENDERS))]}</g:gender>\n")
    if group:
        parts.append(f"<g:item_group_id>{group}</g:item_group_id>\n")
        if variant in SIZES:
            parts.append(f"<g:size>{variant}</g:size>\n")
        else:
            parts.append(f"<g:color>{variant}</g:color>\n")
    if is_gift:
        parts.append("<g:custom_label_0>gift</g:custom_label_0>\n")
    parts.append(f"<g:gtin>{5900000000000 + n}</g:gtin>\n</item>\n")
    return "".join(parts)


def write_google_xml(path: Path, n: int, *, seed: int = 0, currency: str = "PLN") -> None:
    """Write ``n`` items to ``path``, a batch at a time (memory stays flat)."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss xmlns:g="http://base.google.com/ns/1.0" version="2.0">\n<channel>\n'
            "<title>Toy shop</title>\n<link>https://toys.example</link>\n"
            "<description>Made-up products for benchmarks</description>\n"
        )
        batch: list[str] = []
        written = 0
        while written < n:
            if rng.random() < 0.07:  # ~20% of items end up in variant groups of 2-5
                group = f"G-{written}"
                options = SIZES if rng.random() < 0.5 else COLOURS
                count = min(rng.randrange(2, 6), n - written)
                for variant in rng.sample(options, count):
                    batch.append(_item(rng, written, group, variant, currency))
                    written += 1
            else:
                batch.append(_item(rng, written, None, "", currency))
                written += 1
            if len(batch) >= 5000:
                out.write("".join(batch))
                batch.clear()
        out.write("".join(batch))
        out.write("</channel>\n</rss>\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--currency", default="PLN")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    write_google_xml(args.out, args.items, seed=args.seed, currency=args.currency)
    took = time.perf_counter() - started
    size = args.out.stat().st_size / 1e6
    print(
        f"wrote {args.items:,} items ({size:,.0f} MB) to {args.out} in {took:.1f} s "
        f"({args.items / took:,.0f} items/s)",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
