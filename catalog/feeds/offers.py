"""From one feed row, named by Google's attribute names, to a :class:`FeedItem` or a Problem.

Every reader (XML, TSV, Meta CSV, Shopify, JSON Lines) turns its row into a ``dict`` keyed
by Google attribute names (``id``, ``price``, ``item_group_id``, ``custom_label_0`` ...) and hands
it to :meth:`OfferBuilder.build`, so the rules (what is rejected, what is only warned about)
are the same for every format. Plain code, no pydantic: this runs a million times.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from datetime import UTC, tzinfo

from catalog.feeds import values
from catalog.records import Availability, FeedItem, Problem, Status
from shoplinks import web_url

FIELD_LIMIT = 100_000  # characters in one cell; Google's longest text (description) is 5,000

_ATTRIBUTES = (
    "color",
    "size",
    "material",
    "pattern",
    "gtin",
    "mpn",
    "size_type",
    "size_system",
    "google_product_category",
)
_ATTRIBUTE_SET = frozenset(_ATTRIBUTES)
_IDENTIFIERS = frozenset({"gtin", "mpn"})
_LABELS = tuple(f"custom_label_{n}" for n in range(5))
_LABEL_SET = frozenset(_LABELS)
_FIXABLE = ("title", "description", "brand", "product_type", "rich_text_description")


# Variant option names merchants use (Shopify's Option1 Name, in the shop's language), by the
# Google attribute they mean: search and the gift finder read colours and sizes there.
_OPTION_MEANINGS = {
    "size": "size taille talla tamanho tamaño größe grösse groesse taglia maat rozmiar размер "
    "mărime marime beden المقاس مقاس الحجم سایز اندازه storlek størrelse koko velikost méret "
    "尺寸 サイズ",
    "color": "color colour couleur cor farbe colore kleur kolor цвет culoare renk اللون لون رنگ "
    "färg farve farge väri barva szín 颜色 カラー 色",
    "material": "material matière matiere matériau materiau materiale materiaal materiał "
    "материал الخامة المادة جنس malzeme",
    "pattern": "pattern motif estampado padrão padrao muster fantasia wzór",
}
_OPTION_KEYS = {name: key for key, names in _OPTION_MEANINGS.items() for name in names.split()}


def option_attributes(options: dict[str, str]) -> dict[str, str]:
    """Variant options as attributes: ``{"Couleur": "Vert"}`` -> ``{"color": "Vert"}``."""
    found = {}
    for name, value in options.items():
        key = " ".join(name.lower().split())
        found[_OPTION_KEYS.get(key, key)] = value
    return found


@dataclass(frozen=True, slots=True)
class Limits:
    """Length limits of one feed format, in characters."""

    name: str  # "Google", "Meta" ...
    id: int
    title: int
    html_description: bool  # True: description may hold HTML; False: HTML there is warned about


GOOGLE = Limits("Google", id=50, title=150, html_description=True)
META = Limits("Meta", id=100, title=200, html_description=False)
SHOPIFY = Limits("Shopify", id=255, title=255, html_description=True)
JSONL = Limits("shopchat", id=100, title=200, html_description=True)


class FirstLines:
    """Where each id was first seen, as ``hash(id) -> line`` in two flat arrays.

    Open addressing with linear probing: ~24 MB for a million ids, where a ``dict`` of ints
    takes ~115 MB (the ids themselves would take more). About 1 µs a lookup.
    """

    __slots__ = ("_count", "_keys", "_limit", "_lines", "_mask")

    def __init__(self, capacity: int = 1 << 16):
        self._keys = array("q", bytes(8 * capacity))  # 0 = empty slot
        self._lines = array("i", bytes(4 * capacity))
        self._mask = capacity - 1
        self._count = 0
        self._limit = capacity * 3 // 5

    def first(self, key: int, line: int) -> int:
        """The line ``key`` was first seen on; ``line`` (and remembered) when it is new."""
        key = key or 1
        keys = self._keys
        mask = self._mask
        i = key & mask
        while True:
            found = keys[i]
            if found == 0:
                keys[i] = key
                self._lines[i] = line
                self._count += 1
                if self._count > self._limit:
                    self._grow()
                return line
            if found == key:
                return self._lines[i]
            i = (i + 1) & mask

    def _grow(self) -> None:
        old_keys, old_lines = self._keys, self._lines
        self.__init__((self._mask + 1) * 2)  # type: ignore[misc]
        keys, lines, mask = self._keys, self._lines, self._mask
        for key, line in zip(old_keys, old_lines, strict=True):
            if key:
                i = key & mask
                while keys[i]:
                    i = (i + 1) & mask
                keys[i] = key
                lines[i] = line
                self._count += 1


@dataclass(slots=True)
class OfferBuilder:
    """Builds items, reports problems, and remembers ids to reject duplicates."""

    file: str
    limits: Limits
    currency: str | None
    # The shop's time zone: dates in the feed without an offset are in it.
    zone: tzinfo = UTC
    problems: list[Problem] = field(default_factory=list)
    # hash(id) -> line it first appeared on. A hash collision between two different ids (odds
    # ~1e-7 for a million ids) would be reported as a duplicate naming both lines.
    _first_line: FirstLines = field(default_factory=lambda: FirstLines())
    check_replacement: bool = False  # a reader replaced undecodable bytes with U+FFFD

    def error(self, line: int, id: str | None, reason: str) -> None:
        self.problems.append(Problem(line, id, reason, "error", self.file))

    def warn(self, line: int, id: str | None, reason: str) -> None:
        self.problems.append(Problem(line, id, reason, "warning", self.file))

    def build(
        self,
        row: dict[str, str],
        line: int,
        *,
        images: list[str] | None = None,
        title_i18n: dict[str, str] | None = None,
        description_i18n: dict[str, str] | None = None,
        options: dict[str, str] | None = None,
    ) -> FeedItem | None:
        """The item, or None after recording why the row was rejected.

        ``options``: the variant's options as the feed names them (Shopify's ``Taille: M``);
        they name the variant, and known ones (size, colour... in many languages) are also
        kept in ``attributes`` under Google's names, the others under their lower-cased names.
        """
        get = row.get
        id = get("id", "").strip()
        shown_id = id or None
        if max(map(len, row.values()), default=0) > FIELD_LIMIT:
            name, text = max(row.items(), key=lambda pair: len(pair[1]))
            self.error(
                line,
                shown_id,
                f"{name} is {len(text):,} characters; a feed cell may hold at most "
                f"{FIELD_LIMIT:,} (is a quote left open?)",
            )
            return None
        if self.check_replacement and _has_bad_bytes(row, title_i18n, description_i18n):
            self.error(line, shown_id, "invalid UTF-8 bytes; save the feed as UTF-8")
            return None
        if not id:
            self.error(line, None, "missing id")
            return None
        limits = self.limits
        if len(id) > limits.id:
            self.error(
                line, id, f"id is {len(id)} characters; {limits.name} allows at most {limits.id}"
            )
            return None

        if values.maybe_double_encoded([row[name] for name in _FIXABLE if name in row]):
            # Only these are repaired, so only these need the (regex) look.
            for name in _FIXABLE:
                value = get(name)
                if value:
                    fixed = values.fix_double_encoding(value)
                    if fixed is not None:
                        row[name] = fixed
                        self.warn(
                            line, id, f"{name} was UTF-8 encoded twice; repaired to {fixed[:40]!r}"
                        )
        title = values.collapse(get("title", ""))
        if not title:
            self.error(line, id, "missing title")
            return None
        if len(title) > limits.title:
            self.error(
                line,
                id,
                f"title is {len(title)} characters; {limits.name} allows at most {limits.title}",
            )
            return None

        raw_price = get("price", "").strip()
        if not raw_price:
            self.error(line, id, "missing price")
            return None
        try:
            price, currency = self._money(raw_price)
        except ValueError as exc:
            self.error(line, id, str(exc))
            return None
        # Last of the checks that reject a row, so a rejected row does not claim its id; what
        # follows only warns.
        first = self._first_line.first(hash(id), line)
        if first != line:
            self.error(line, id, f"duplicate id (first on line {first})")
            return None

        item = FeedItem(
            id=id,
            group_id=get("item_group_id", "").strip() or id,
            title=title,
            price=price,
            currency=currency,
            line=line,
        )
        self._describe(item, row, line)
        if title_i18n:
            item.title_i18n = self._texts(title_i18n, line, id)
        if description_i18n:
            item.description_i18n = {
                locale: values.html_to_text(text)
                if values.looks_like_html(text)
                else values.collapse(text)
                for locale, text in self._texts(description_i18n, line, id).items()
            }
        self._offer(item, row, line)
        self._classify(item, row, line)
        if options:
            item.options = options
            item.attributes = {**item.attributes, **option_attributes(options)}
        if values.excel_mangled(id) or values.excel_mangled(item.group_id):
            self.warn(
                line,
                id,
                "the id looks like a number a spreadsheet rewrote as "
                f"{id if values.excel_mangled(id) else item.group_id!r} (its digits are lost); "
                "format the column as text and export again",
            )
        if not images and (extra := get("additional_image_link")):
            images = [u for u in extra.split(",") if u.strip()]
        if images:
            kept = [self._url(u, "additional_image_link", line, id) for u in images]
            item.additional_images = tuple(u for u in kept if u)
        return item

    def _url(self, text: str, field: str, line: int, id: str) -> str | None:
        """An http(s) URL, or None with a warning: only those reach a link or an image."""
        url = web_url(text)
        if url is None and text.strip():
            shown = text.strip()[:60]
            self.warn(line, id, f"{field} {shown!r} is not an http(s) URL; left out")
        return url

    def _money(self, text: str) -> tuple[int, str]:
        amount, code = values.parse_money(text, self.currency)
        if code is None:
            if self.currency is None:
                raise ValueError(f"price {text!r} has no currency; pass --currency")
            return amount, self.currency
        if self.currency is not None and code != self.currency:
            raise ValueError(f"price {text!r} is not in the shop currency {self.currency}")
        return amount, code

    def _texts(self, texts: dict[str, str], line: int, id: str) -> dict[str, str]:
        out = {}
        for locale, text in texts.items():
            fixed = values.fix_double_encoding(text)
            if fixed is not None:
                self.warn(line, id, f"{locale} text was UTF-8 encoded twice; repaired")
                text = fixed
            out[locale] = values.collapse(text)
        return out

    def _describe(self, item: FeedItem, row: dict[str, str], line: int) -> None:
        get = row.get
        rich = get("rich_text_description", "")
        description = get("description", "")
        if rich:
            item.description_html = rich
            if not description:
                description = rich
        if description and values.looks_like_html(description):
            if not rich:
                item.description_html = description
            if not self.limits.html_description:
                self.warn(
                    line,
                    item.id,
                    "description has HTML, which Meta shows as text; HTML was removed "
                    "(put HTML in rich_text_description)",
                )
            item.description = values.html_to_text(description)
        elif description:
            item.description = values.collapse(description)
        if link := get("link"):
            item.link = self._url(link, "link", line, item.id)
        if image := get("image_link"):
            item.image = self._url(image, "image_link", line, item.id)
        if brand := get("brand"):
            item.brand = values.collapse(brand)
        google = get("google_product_category", "")
        product_type = get("product_type", "")
        if google or product_type:
            item.product_type, item.categories = values.categories(google, product_type)
        if not _LABEL_SET.isdisjoint(row):
            tags = [values.collapse(get(label, "")) for label in _LABELS]
            item.tags = tuple(tag for tag in tags if tag)

    def _offer(self, item: FeedItem, row: dict[str, str], line: int) -> None:
        get = row.get
        if availability := get("availability"):
            try:
                item.availability = values.parse_availability(availability)
            except ValueError as exc:
                item.availability = Availability.OUT_OF_STOCK
                self.warn(line, item.id, f"{exc}; treated as out_of_stock")
        if when := get("availability_date"):
            try:
                item.availability_date = values.parse_datetime(when, self.zone)
            except ValueError as exc:
                self.warn(line, item.id, f"availability_date: {exc}; ignored")
        if sale := get("sale_price", "").strip():
            try:
                sale_price, _ = self._money_in(sale, item.currency)
            except ValueError as exc:
                self.warn(line, item.id, f"sale_price: {exc}; ignored")
            else:
                if sale_price > item.price:
                    self.warn(line, item.id, f"sale_price {sale!r} is above the price; ignored")
                else:
                    item.sale_price = sale_price
                    self._sale_window(item, get("sale_price_effective_date", ""), line)
        quantity = get("quantity_to_sell_on_facebook") or get("quantity")
        if quantity:
            try:
                item.quantity = int(quantity.strip())
            except ValueError:
                self.warn(line, item.id, f"quantity {quantity!r} is not a whole number")
        if status := get("status"):
            key = status.strip().lower()
            if key in ("draft", "archived", "staging", "hidden"):
                item.status = Status.DRAFT
            elif key not in ("active", "published", "visible"):
                self.warn(line, item.id, f"unknown status {status!r}; treated as active")

    def _money_in(self, text: str, currency: str) -> tuple[int, str]:
        amount, code = values.parse_money(text, currency)
        if code is not None and code != currency:
            raise ValueError(f"{text!r} is not in {currency}")
        return amount, currency

    def _sale_window(self, item: FeedItem, text: str, line: int) -> None:
        if not text.strip():
            return
        try:
            item.sale_start, item.sale_end = values.parse_date_range(text, self.zone)
        except ValueError as exc:
            # A sale we cannot date could run forever: drop it rather than guess.
            item.sale_price = None
            self.warn(line, item.id, f"sale_price_effective_date: {exc}; sale ignored")

    def _classify(self, item: FeedItem, row: dict[str, str], line: int) -> None:
        get = row.get
        if age := get("age_group"):
            try:
                item.age_group = values.parse_age_group(age)
            except ValueError as exc:
                self.warn(line, item.id, f"{exc}; ignored")
        if gender := get("gender"):
            try:
                item.gender = values.parse_gender(gender)
            except ValueError as exc:
                self.warn(line, item.id, f"{exc}; ignored")
        attributes = {}
        for name in _ATTRIBUTE_SET.intersection(row):
            text = values.collapse(row[name])
            if text:
                if name == "gtin":
                    text = text.lstrip("'")
                if name in _IDENTIFIERS and values.excel_mangled(text):
                    self.warn(
                        line,
                        item.id,
                        f"{name} {text!r} is a number a spreadsheet rewrote in scientific "
                        "notation (its digits are lost); ignored; format the column as text "
                        "and export again",
                    )
                    continue
                attributes[name] = text
        if condition := get("condition"):
            try:
                attributes["condition"] = values.parse_condition(condition)
            except ValueError as exc:
                self.warn(line, item.id, f"{exc}; ignored")
        if attributes:
            item.attributes = attributes


def _has_bad_bytes(row: dict[str, str], *more: dict[str, str] | None) -> bool:
    for texts in (row, *more):
        if texts:
            for text in texts.values():
                if "\ufffd" in text:
                    return True
    return False


__all__ = [
    "FIELD_LIMIT",
    "FirstLines",
    "GOOGLE",
    "JSONL",
    "META",
    "SHOPIFY",
    "Limits",
    "OfferBuilder",
    "option_attributes",
]
