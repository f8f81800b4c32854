"""What checkout tells a shopper outside a flow: payment confirmations, order status changes.

Sent with ``ChatService.push`` in the order's locale; ``{number}`` and friends are filled in
with :func:`message`.
"""

from __future__ import annotations

from typing import Any

from flows.l10n import pick_text

MESSAGES: dict[str, dict[str, str]] = {
    "paid": {
        "en": "Thank you! We've received the payment for order {number} ({total}). ✅ "
        "We'll let you know when it ships.",
        "pl": "Dziękujemy! Otrzymaliśmy płatność za zamówienie {number} ({total}). ✅ "
        "Damy znać, gdy zostanie wysłane.",
        "es": "¡Gracias! Hemos recibido el pago del pedido {number} ({total}). ✅ "
        "Te avisaremos cuando salga.",
        "ru": "Спасибо! Мы получили оплату заказа {number} ({total}). ✅ "
        "Сообщим, когда он будет отправлен.",
        "fa": "سپاس! پرداخت سفارش {number} ({total}) دریافت شد. ✅ هنگام ارسال خبرتان می‌کنیم.",
    },
    "packed": {
        "en": "Order {number} is packed and waiting for the courier. 📦",
        "pl": "Zamówienie {number} jest spakowane i czeka na kuriera. 📦",
        "es": "El pedido {number} está empaquetado y espera al mensajero. 📦",
        "ru": "Заказ {number} упакован и ждёт курьера. 📦",
        "fa": "سفارش {number} بسته‌بندی شده و منتظر پیک است. 📦",
    },
    "shipped": {
        "en": "Order {number} is on its way with {carrier}! 🚚 Tracking number: {tracking}.",
        "pl": "Zamówienie {number} jest w drodze z {carrier}! 🚚 Numer przesyłki: {tracking}.",
        "es": "¡El pedido {number} va en camino con {carrier}! 🚚 Número de seguimiento: "
        "{tracking}.",
        "ru": "Заказ {number} в пути, перевозчик {carrier}! 🚚 Трек-номер: {tracking}.",
        "fa": "سفارش {number} با {carrier} در راه است! 🚚 کد رهگیری: {tracking}.",
    },
    "delivered": {
        "en": "Order {number} has been delivered. We hope it brings lots of joy! 🎉",
        "pl": "Zamówienie {number} zostało doręczone. Mamy nadzieję, że sprawi dużo radości! 🎉",
        "es": "El pedido {number} ha sido entregado. ¡Esperamos que traiga mucha alegría! 🎉",
        "ru": "Заказ {number} доставлен. Надеемся, он принесёт много радости! 🎉",
        "fa": "سفارش {number} تحویل داده شد. امیدواریم حسابی خوشحالتان کند! 🎉",
    },
    "cancelled": {
        "en": "Order {number} has been cancelled. If that's a surprise, just write to us here.",
        "pl": "Zamówienie {number} zostało anulowane. Jeśli to niespodzianka, napisz do nas tutaj.",
        "es": "El pedido {number} ha sido cancelado. Si te sorprende, escríbenos aquí.",
        "ru": "Заказ {number} отменён. Если это неожиданно, напишите нам здесь.",
        "fa": "سفارش {number} لغو شد. اگر غیرمنتظره است، همین‌جا برای ما بنویسید.",
    },
    "refunded": {
        "en": "Order {number} has been refunded. The money usually arrives within 3–5 "
        "business days.",
        "pl": "Zwróciliśmy pieniądze za zamówienie {number}. Zwykle docierają w ciągu 3–5 dni "
        "roboczych.",
        "es": "Hemos reembolsado el pedido {number}. El dinero suele llegar en 3–5 días hábiles.",
        "ru": "Деньги за заказ {number} возвращены. Обычно они приходят за 3–5 рабочих дней.",
        "fa": "مبلغ سفارش {number} بازگردانده شد. معمولاً ظرف ۳ تا ۵ روز کاری می‌رسد.",
    },
    "payment_failed": {
        "en": "The payment for order {number} didn't go through. You can try again: choose "
        "“Payment help” in the menu for a new link.",
        "pl": "Płatność za zamówienie {number} nie powiodła się. Możesz spróbować ponownie: "
        "wybierz „Pomoc z płatnością” w menu, aby dostać nowy link.",
        "es": "El pago del pedido {number} no se completó. Puedes intentarlo de nuevo: elige "
        "«Ayuda con el pago» en el menú para un enlace nuevo.",
        "ru": "Оплата заказа {number} не прошла. Можно попробовать ещё раз: выберите «Помощь "
        "с оплатой» в меню, чтобы получить новую ссылку.",
        "fa": "پرداخت سفارش {number} انجام نشد. می‌توانید دوباره تلاش کنید: برای لینک تازه "
        "«راهنمای پرداخت» را در منو انتخاب کنید.",
    },
    "payment_review": {
        "en": "We received a payment for order {number}, but it needs a quick check by a "
        "colleague before we confirm it. We'll get back to you here.",
        "pl": "Otrzymaliśmy płatność za zamówienie {number}, ale musi ją jeszcze sprawdzić "
        "nasz pracownik. Odezwiemy się tutaj.",
        "es": "Hemos recibido un pago del pedido {number}, pero un compañero debe revisarlo "
        "antes de confirmarlo. Te responderemos aquí.",
        "ru": "Мы получили платёж за заказ {number}, но его должен проверить сотрудник. "
        "Мы ответим здесь.",
        "fa": "پرداختی برای سفارش {number} دریافت شد، اما پیش از تأیید باید همکارمان آن را "
        "بررسی کند. همین‌جا پاسخ می‌دهیم.",
    },
    "invoice_unknown": {
        "en": "Sorry, this invoice is no longer valid. Please ask for a new one.",
        "pl": "Niestety ta faktura jest już nieważna. Poproś o nową.",
        "es": "Lo sentimos, esta factura ya no es válida. Pide una nueva.",
        "ru": "К сожалению, этот счёт больше не действителен. Запросите новый.",
        "fa": "متأسفیم، این صورت‌حساب دیگر معتبر نیست. لطفاً صورت‌حساب تازه بخواهید.",
    },
    "sold_out": {
        "en": "Sorry, something in this order has just sold out. Please check your cart.",
        "pl": "Niestety coś z tego zamówienia właśnie się wyprzedało. Sprawdź koszyk.",
        "es": "Lo sentimos, algo de este pedido se acaba de agotar. Revisa tu carrito.",
        "ru": "К сожалению, что-то из этого заказа только что закончилось. Проверьте корзину.",
        "fa": "متأسفیم، بخشی از این سفارش همین حالا تمام شد. لطفاً سبد خرید را بررسی کنید.",
    },
    "price_changed": {
        "en": "Sorry, a price in this order has changed. Please check your cart again.",
        "pl": "Niestety cena w tym zamówieniu się zmieniła. Sprawdź koszyk jeszcze raz.",
        "es": "Lo sentimos, un precio de este pedido ha cambiado. Revisa tu carrito de nuevo.",
        "ru": "К сожалению, цена в этом заказе изменилась. Проверьте корзину ещё раз.",
        "fa": "متأسفیم، قیمتی در این سفارش تغییر کرده است. لطفاً دوباره سبد را بررسی کنید.",
    },
}


def message(key: str, locale: str, **values: Any) -> str:
    """The ``key`` message in ``locale`` (falling back to English), filled in."""
    return pick_text(MESSAGES[key], locale).format(**values)


__all__ = ["MESSAGES", "message"]
