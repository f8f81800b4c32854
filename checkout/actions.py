"""The checkout actions flows call: the cart, checkout, payment and order look-ups.

Every action re-prices the cart from the offer source, so what a shopper sees is what is true
now. Actions answer with plain data; problems are codes (``sold_out``, ``bad_quantity``...)
that the flow turns into words in the shopper's language.

    cart.add(product_id, variant_id?, quantity=1)   cart.update(item, quantity)
    cart.remove(item)   cart.show()   cart.apply_code(code)
    cart.shipping_options()   cart.set_shipping(option)   cart.from_catalog_order(order)
    checkout.start(name, contact, address?, channel?)   checkout.pay(number, method, channel?)
    orders.lookup(number, contact)   orders.list()
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection

from checkout.book import Cart, PricedLine, split_key
from checkout.catalog_orders import OrderedLine, TakenLine, fill_cart
from checkout.errors import PaymentProviderError
from checkout.l10n import format_money, pick_text
from checkout.orders import Order
from checkout.shop import Checkout, InvoiceRequested, PaymentStart, StripeAttempt
from flows.actions import ActionContext, ActionError, ActionRegistry, UnitOfWork
from shoptext import parse_ascii_int

_EMAIL_AT = "@"


def money(amount: int, currency: str, locale: str) -> str:
    return format_money(amount, currency, locale)


def _quantity(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value or "").strip()
    number = parse_ascii_int(text.removeprefix("-"), high=10**12 - 1)
    if number is None:
        return None
    return -number if text.startswith("-") else number


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def ordered_lines(order: object) -> list[OrderedLine]:
    """The items of a platform cart as the engine keeps it (``CatalogOrderInput`` dumped to
    JSON); anything unusable in it is left out, never an error."""
    items = order.get("items") if isinstance(order, dict) else None
    found: list[OrderedLine] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        quantity = _quantity(item.get("quantity"))
        rid = _text(item.get("retailer_id"))
        if not rid or quantity is None:
            continue
        try:
            price = Decimal(str(item["price"])) if item.get("price") is not None else None
        except InvalidOperation:
            price = None
        currency = _text(item.get("currency")).upper() or None
        found.append(OrderedLine(rid, quantity, price, currency))
    return found


def _taken(line: TakenLine, locale: str) -> dict[str, Any]:
    offer = line.offer
    title = offer.title if offer else line.retailer_id
    shown = (
        money(line.price_shown, line.currency_shown, locale)
        if line.price_shown is not None and line.currency_shown
        else ""
    )
    now = money(offer.price, offer.currency, locale) if offer else ""
    return {
        "retailer_id": line.retailer_id,
        "title": title,
        "asked": line.asked,
        "quantity": line.quantity,
        "problem": line.problem,
        "price_changed": line.price_changed,
        "price_shown_text": shown,
        "price_text": now,
    }


def _line(line: PricedLine, locale: str) -> dict[str, Any]:
    offer = line.offer
    price = offer.price if offer else line.price_seen
    currency = offer.currency if offer else ""
    each = money(price, currency, locale) if currency else ""
    total = money(price * line.quantity, currency, locale) if currency else ""
    return {
        "id": line.key,
        "product_id": line.product_id,
        "variant_id": line.variant_id,
        "title": offer.title if offer else line.product_id,
        "quantity": line.quantity,
        "price": price,
        "currency": currency,
        "price_text": f"{line.quantity} × {each}" if currency else "",
        "line_total_text": total,
        "description": f"{line.quantity} × {each} = {total}" if currency else "",
        "image": offer.image if offer else None,
        "problem": line.problem,
        "previous_price_text": money(line.price_seen, currency, locale) if currency else "",
    }


def order_view(order: Order, checkout: Checkout, locale: str) -> dict[str, Any]:
    """An order as the tracking, payment-help and checkout flows see it."""
    link = order.payment_link
    template = checkout.config.payment_link
    if link is None and template and order.awaiting_payment and order.payment_method != "stripe":
        link = template.format(number=order.number)
    return {
        "number": order.number,
        "status": order.status,
        "payment_status": order.payment_status,
        "payment_method": order.payment_method,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "tracking_url": order.tracking_url,
        "name": order.name,
        "total": order.total,
        "currency": order.currency,
        "total_text": money(order.total, order.currency, locale),
        "subtotal_text": money(order.subtotal, order.currency, locale),
        "discount": order.discount,
        "discount_text": money(order.discount, order.currency, locale),
        "shipping_text": money(order.shipping, order.currency, locale),
        "items": [
            {"title": pick_text(item.title, locale), "quantity": item.quantity}
            for item in order.items
        ],
        "payment_link": link,
        "bank_transfer": pick_text(checkout.config.bank_transfer, locale)
        if checkout.config.bank_transfer
        else "",
    }


def register_checkout_actions(
    registry: ActionRegistry, checkout: Checkout, *, now: Callable[[], datetime] | None = None
) -> None:
    """Register the cart, checkout and orders actions over ``checkout``."""
    book = checkout.book
    clock = now or checkout.clock

    def db(ctx: ActionContext) -> UnitOfWork:
        # The turn's unit of work in the server; the checkout's own database elsewhere.
        return ctx.db if ctx.db is not None else checkout.db

    def view(conn: Connection, cart: Cart, locale: str) -> dict[str, Any]:
        totals = book.totals(conn, cart, now=clock())
        cur = totals.currency
        items = [_line(line, locale) for line in cart.lines]
        option = book.config.shipping_option(cart.shipping_option or "")
        return {
            "empty": not cart.lines,
            "count": sum(line.quantity for line in cart.lines),
            "lines": items,
            "problems": [i for i in items if i["problem"]],
            "currency": cur,
            "subtotal": totals.subtotal,
            "discount": totals.discount,
            "shipping": totals.shipping,
            "total": totals.total,
            "subtotal_text": money(totals.subtotal, cur, locale),
            "discount_text": money(totals.discount, cur, locale),
            "shipping_text": money(totals.shipping, cur, locale),
            "total_text": money(totals.total, cur, locale),
            "code": cart.discount_code,
            "code_problem": totals.code_problem,
            "shipping_option": cart.shipping_option,
            "shipping_label": pick_text(option.label, locale) if option else "",
            "needs_shipping": bool(book.config.shipping) and option is None,
        }

    def current(conn: Connection, ctx: ActionContext) -> Cart:
        return book.cart(conn, ctx.conversation_id, locale=ctx.locale, now=clock())

    def add(
        ctx: ActionContext, *, product_id: str, variant_id: str | None = None, quantity: Any = 1
    ) -> dict[str, Any]:
        """Put a product (or one of its variants) in the cart."""
        qty = _quantity(quantity)

        def job(conn: Connection) -> Any:
            problem: str | None
            if qty is None:
                problem, offer = "bad_quantity", None
            else:
                product, variant = _text(product_id), _text(variant_id) or None
                problem, offer = book.add(
                    conn,
                    ctx.conversation_id,
                    product,
                    variant,
                    qty,
                    locale=ctx.locale,
                    now=clock(),
                )
            return {
                "ok": problem is None,
                "problem": problem,
                "title": offer.title if offer else "",
                "available": offer.quantity if offer else None,
                "cart": view(conn, current(conn, ctx), ctx.locale),
            }

        return db(ctx).run(job)

    def update_line(ctx: ActionContext, *, item: str, quantity: Any) -> dict[str, Any]:
        """Change a cart line's quantity (0 removes it)."""
        qty = _quantity(quantity)
        product, variant = split_key(_text(item))

        def job(conn: Connection) -> Any:
            problem = (
                "bad_quantity"
                if qty is None
                else book.set_quantity(
                    conn,
                    ctx.conversation_id,
                    product,
                    variant,
                    qty,
                    locale=ctx.locale,
                    now=clock(),
                )
            )
            cart = view(conn, current(conn, ctx), ctx.locale)
            return {"ok": problem is None, "problem": problem, "cart": cart}

        return db(ctx).run(job)

    def remove(ctx: ActionContext, *, item: str) -> dict[str, Any]:
        """Take a line out of the cart."""
        product, variant = split_key(_text(item))

        def job(conn: Connection) -> Any:
            removed = book.remove(conn, ctx.conversation_id, product, variant)
            return {"ok": removed, "cart": view(conn, current(conn, ctx), ctx.locale)}

        return db(ctx).run(job)

    def show(ctx: ActionContext) -> dict[str, Any]:
        """The cart with every line re-priced, and its totals."""

        def job(conn: Connection) -> Any:
            return view(conn, current(conn, ctx), ctx.locale)

        return db(ctx).run(job)

    def apply_code(ctx: ActionContext, *, code: str) -> dict[str, Any]:
        """Use a discount code on the cart (``problem``: unknown, expired, used_up...)."""

        def job(conn: Connection) -> Any:
            cart = current(conn, ctx)
            if not cart.lines:
                return {"ok": False, "problem": "empty", "cart": view(conn, cart, ctx.locale)}
            found = book.discount(conn, _text(code), ctx.conversation_id)
            subtotal = book.totals(conn, cart, now=clock()).subtotal
            # Only the conversation is known before checkout asks for an email or phone;
            # placing the order checks the limit again under every identity.
            customers = (f"chat:{ctx.conversation_id}",)
            problem = book.code_problem(conn, found, subtotal, customers, clock())
            if problem is None and found is not None:
                book.set_cart_field(conn, ctx.conversation_id, discount_code=found.code)
                cart = current(conn, ctx)
            return {"ok": problem is None, "problem": problem, "cart": view(conn, cart, ctx.locale)}

        return db(ctx).run(job)

    def shipping_options(ctx: ActionContext) -> list[dict[str, str]]:
        """The shipping options as choices, with their prices."""

        def job(conn: Connection) -> Any:
            cart = current(conn, ctx)
            return book.totals(conn, cart, now=clock())

        totals = db(ctx).run(job)
        base = totals.subtotal - totals.discount
        return [
            {
                "value": option.id,
                # "Courier: PLN14.99", short enough for a WhatsApp button (20 characters).
                "label": f"{pick_text(option.label, ctx.locale)}: "
                f"{money(option.price_for(base), book.currency, ctx.locale)}",
            }
            for option in book.config.shipping
        ]

    def set_shipping(ctx: ActionContext, *, option: str) -> dict[str, Any]:
        """Choose a shipping option for the cart."""

        def job(conn: Connection) -> Any:
            found = book.config.shipping_option(_text(option))
            if found is not None and current(conn, ctx).token is not None:
                book.set_cart_field(conn, ctx.conversation_id, shipping_option=found.id)
            cart = view(conn, current(conn, ctx), ctx.locale)
            return {"ok": found is not None, "cart": cart}

        return db(ctx).run(job)

    def from_catalog_order(ctx: ActionContext, *, order: Any = None) -> dict[str, Any]:
        """Make the cart the one the shopper sent from the platform's catalog (a WhatsApp
        order): it replaces the open cart, every item re-priced and stock-checked.

        ``empty`` when nothing of it could be bought (the cart then stays as it was);
        ``unavailable`` (titles, or the retailer
        id of what the shop does not know), ``reduced`` (``title: asked → taken``) and
        ``price_changes`` (``title: shown → now``) say what differs from what the shopper
        picked; ``changed`` when any of them is not empty; ``note`` is the shopper's text.
        """

        def job(conn: Connection) -> Any:
            taken = fill_cart(
                book,
                conn,
                ctx.conversation_id,
                ordered_lines(order),
                locale=ctx.locale,
                now=clock(),
            )
            return taken, view(conn, current(conn, ctx), ctx.locale)

        taken, cart = db(ctx).run(job)
        lines = [_taken(line, ctx.locale) for line in taken]
        unavailable = [i["title"] for i in lines if i["problem"] in ("unknown", "sold_out")]
        reduced = [
            f"{i['title']}: {i['asked']} → {i['quantity']}"
            for i in lines
            if i["problem"] == "short"
        ]
        price_changes = [
            f"{i['title']}: {i['price_shown_text']} → {i['price_text']}"
            for i in lines
            if i["price_changed"]
        ]
        note = order.get("text") if isinstance(order, dict) else None
        took = any(line.quantity >= 1 for line in taken)
        return {
            "ok": took,
            "empty": not took,  # nothing of the order is in the cart (which stays as it was)
            "cart": cart,
            "items": lines,
            "unavailable": unavailable,
            "reduced": reduced,
            "price_changes": price_changes,
            "changed": bool(unavailable or reduced or price_changes),
            "note": _text(note),
        }

    def start(
        ctx: ActionContext, *, name: str, contact: str, address: str = "", channel: str = ""
    ) -> dict[str, Any]:
        """Turn the cart into an order (once: asking again gives the same order).

        ``problem``: empty, sold_out (those lines were removed), price_changed (the new prices
        are now in the cart), code (the discount no longer applies and was removed),
        shipping (choose a shipping option first).
        """
        contact_text = _text(contact)
        email = contact_text if _EMAIL_AT in contact_text else ""
        phone = "" if email else contact_text
        when = clock()

        def job(conn: Connection) -> Any:
            cart = current(conn, ctx)

            def refused(problem: str, **more: Any) -> dict[str, Any]:
                fresh = view(conn, current(conn, ctx), ctx.locale)
                return {"ok": False, "problem": problem, "order": None, "cart": fresh, **more}

            if cart.order_number is not None:
                order = book.order(conn, cart.order_number)
                if order is not None:
                    return {
                        "ok": True,
                        "problem": None,
                        "order": order_view(order, checkout, ctx.locale),
                        "cart": view(conn, cart, ctx.locale),
                        "payment_options": _options(checkout, channel, order.currency, ctx.locale),
                    }
            if not cart.lines:
                return refused("empty")
            gone = book.drop_unavailable(conn, cart)
            if gone:
                titles = [line.offer.title if line.offer else line.product_id for line in gone]
                return refused("sold_out", titles=titles)
            if any(line.problem == "short" for line in cart.lines):
                return refused(
                    "sold_out",
                    titles=[
                        line.offer.title
                        for line in cart.lines
                        if line.problem == "short" and line.offer
                    ],
                )
            if any(line.problem == "price_changed" for line in cart.lines):
                book.accept_prices(conn, cart)
                return refused("price_changed")
            if book.config.shipping and cart.shipping_option is None:
                return refused("shipping")
            customers = book.customer_keys(email, phone, ctx.conversation_id)
            totals = book.totals(conn, cart, now=when, customers=customers)
            if totals.code_problem is not None:
                book.set_cart_field(conn, ctx.conversation_id, discount_code=None)
                return refused("code", code_problem=totals.code_problem)
            methods = checkout.methods(channel, book.currency)
            order = book.place(
                conn,
                cart,
                name=_text(name),
                email=email,
                phone=phone,
                address=_text(address),
                locale=ctx.locale,
                now=when,
                payment_method=methods[0] if methods else "transfer",
            )
            return {
                "ok": True,
                "problem": None,
                "order": order_view(order, checkout, ctx.locale),
                "cart": view(conn, cart, ctx.locale),
                "payment_options": _options(checkout, channel, order.currency, ctx.locale),
            }

        return db(ctx).run(job)

    def pay(ctx: ActionContext, *, number: str, method: str, channel: str = "") -> dict[str, Any]:
        """Start paying an order of this conversation: a Telegram invoice, a Stripe link, or
        manual payment. ``problem``: unknown, not_pending, method, sold_out, price_changed,
        provider_down."""
        work, wanted, number = db(ctx), _text(method), _text(number)

        def prepare(conn: Connection) -> PaymentStart | StripeAttempt | None:
            order = book.order(conn, number)
            if order is None or order.conversation_id != ctx.conversation_id:
                return None
            return checkout.prepare_payment(
                conn, order, wanted, channel=_text(channel), now=clock()
            )

        step = work.run(prepare)
        if step is None:
            return {"ok": False, "problem": "unknown", "method": method, "link": None}
        if isinstance(step, StripeAttempt):
            # Prepare (a database job), call Stripe (no transaction), record (another job).
            try:
                session = checkout.stripe_session(step, now=clock())
            except PaymentProviderError:
                started = PaymentStart(wanted, ok=False, problem="provider_down")
            else:
                started = work.run(
                    lambda conn: checkout.record_stripe(conn, step, session, now=clock())
                )
        else:
            started = step
        if started.ok and started.method == "telegram":
            ctx.effects.append(InvoiceRequested(ctx.conversation_id, number))
        fresh = work.run(lambda conn: book.order(conn, number))
        assert fresh is not None
        return {
            "ok": started.ok,
            "problem": started.problem,
            "method": started.method,
            "link": started.link,
            "order": order_view(fresh, checkout, ctx.locale),
        }

    def lookup(ctx: ActionContext, *, number: str, contact: str) -> dict[str, Any] | None:
        """Find an order by its number and the email or phone it was placed with.

        Too many failed look-ups from one conversation fail the action (``on_error:``)."""

        def job(conn: Connection) -> Any:
            return book.lookup(
                conn, _text(number), _text(contact), who=ctx.conversation_id, now=clock()
            )

        found = db(ctx).run(job)
        if found == "limited":
            raise ActionError("too many failed order look-ups; try again later")
        return order_view(found, checkout, ctx.locale) if found is not None else None

    def list_orders(ctx: ActionContext) -> list[dict[str, Any]]:
        """The orders placed from this conversation, newest first."""

        def job(conn: Connection) -> Any:
            return book.orders_of(conn, ctx.conversation_id)

        found = db(ctx).run(job)
        return [order_view(order, checkout, ctx.locale) for order in found]

    registry.register("cart.add", add)
    registry.register("cart.update", update_line)
    registry.register("cart.remove", remove)
    registry.register("cart.show", show)
    registry.register("cart.apply_code", apply_code)
    registry.register("cart.shipping_options", shipping_options)
    registry.register("cart.set_shipping", set_shipping)
    registry.register("cart.from_catalog_order", from_catalog_order)
    registry.register("checkout.start", start)
    registry.register("checkout.pay", pay)

    def methods(ctx: ActionContext, *, channel: str = "") -> str:
        """The ways to pay on this channel, one line each, in the shopper's language."""
        return "\n".join(
            pick_text(_METHOD_LINES[method], ctx.locale)
            for method in checkout.methods(_text(channel), book.currency)
        )

    def payment_options(ctx: ActionContext, *, channel: str = "") -> list[dict[str, str]]:
        """The ways to pay on this channel as choices (``value``: telegram, stripe, ...)."""
        return _options(checkout, _text(channel), book.currency, ctx.locale)

    def set_address(ctx: ActionContext, *, number: str, address: str) -> bool:
        """Give a placed, unpaid order of this conversation its delivery address."""

        def job(conn: Connection) -> Any:
            order = book.order(conn, _text(number))
            if order is None or order.conversation_id != ctx.conversation_id:
                return False
            return book.set_address(conn, order.number, _text(address), now=clock())

        return db(ctx).run(job)

    registry.register("checkout.methods", methods)
    registry.register("checkout.payment_options", payment_options)
    registry.register("checkout.set_address", set_address)
    registry.register("orders.lookup", lookup)
    registry.register("orders.list", list_orders)


_METHOD_LINES: dict[str, dict[str, str]] = {
    "telegram": {
        "en": "💳 In Telegram: pay by card right here in the chat.",
        "pl": "💳 W Telegramie: zapłać kartą tutaj, na czacie.",
        "es": "💳 En Telegram: paga con tarjeta aquí mismo, en el chat.",
        "ru": "💳 В Telegram: оплата картой прямо в чате.",
        "fa": "💳 در تلگرام: همین‌جا در گفتگو با کارت پرداخت کنید.",
    },
    "stripe": {
        "en": "💳 Card: Visa, Mastercard and more, paid securely on the payment page.",
        "pl": "💳 Karta: Visa, Mastercard i inne, bezpiecznie na stronie płatności.",
        "es": "💳 Tarjeta: Visa, Mastercard y más, de forma segura en la página de pago.",
        "ru": "💳 Картой: Visa, Mastercard и другие, безопасно на странице оплаты.",
        "fa": "💳 کارت: ویزا، مسترکارت و غیره، با امنیت در صفحه پرداخت.",
    },
    "transfer": {
        "en": "🏦 Bank transfer: we ship as soon as the money arrives, usually the next "
        "business day.",
        "pl": "🏦 Przelew: wysyłamy, gdy tylko pieniądze dotrą, zwykle następnego dnia roboczego.",
        "es": "🏦 Transferencia: enviamos en cuanto llega el dinero, normalmente al día "
        "hábil siguiente.",
        "ru": "🏦 Банковский перевод: отправим, как только придут деньги, обычно на "
        "следующий рабочий день.",
        "fa": "🏦 انتقال بانکی: به محض رسیدن وجه ارسال می‌کنیم، معمولاً روز کاری بعد.",
    },
    "cod": {
        "en": "📦 Cash on delivery: pay the courier when the parcel arrives.",
        "pl": "📦 Za pobraniem: płacisz kurierowi przy odbiorze paczki.",
        "es": "📦 Contra reembolso: pagas al mensajero cuando llega el paquete.",
        "ru": "📦 Оплата при получении: платите курьеру, когда придёт посылка.",
        "fa": "📦 پرداخت هنگام تحویل: هنگام رسیدن بسته به پیک پرداخت کنید.",
    },
}


def _options(checkout: Checkout, channel: str, currency: str, locale: str) -> list[dict[str, str]]:
    labels = {
        "telegram": {
            "en": "Pay in Telegram",
            "pl": "Zapłać w Telegramie",
            "es": "Pagar en Telegram",
            "ru": "Оплатить в Telegram",
            "fa": "پرداخت در تلگرام",
        },
        "stripe": {
            "en": "Card (payment link)",
            "pl": "Karta (link)",
            "es": "Tarjeta (enlace)",
            "ru": "Картой по ссылке",
            "fa": "کارت (لینک پرداخت)",
        },
        "transfer": {
            "en": "Bank transfer",
            "pl": "Przelew bankowy",
            "es": "Transferencia",
            "ru": "Банковский перевод",
            "fa": "انتقال بانکی",
        },
        "cod": {
            "en": "Cash on delivery",
            "pl": "Za pobraniem",
            "es": "Contra reembolso",
            "ru": "Оплата при получении",
            "fa": "پرداخت هنگام تحویل",
        },
    }
    return [
        {"value": method, "label": pick_text(labels[method], locale)}
        for method in checkout.methods(channel, currency)
    ]


__all__ = ["money", "order_view", "register_checkout_actions"]
