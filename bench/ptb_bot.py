"""The baseline: python-telegram-bot's own webhook server running a three-step
ConversationHandler (the same dialogue as bench/project). Started by bench/webhooks.py.

    python bench/ptb_bot.py PORT API_BASE SECRET
"""

from __future__ import annotations

import sys

from telegram import Update
from telegram.ext import (
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

NAME, AGE = range(2)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await update.message.reply_text("What's your name?")
    return NAME


async def name(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    context.user_data["name"] = update.message.text
    await update.message.reply_text(f"How old are you, {update.message.text}?")
    return AGE


async def age(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await update.message.reply_text(
        f"Thanks {context.user_data['name']}, noted: {update.message.text}."
    )
    return ConversationHandler.END


def main() -> None:
    port, api_base, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    app = ApplicationBuilder().token("123456:BENCH").base_url(f"{api_base}/bot").build()
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("start", start)],
            states={
                NAME: [MessageHandler(filters.TEXT & ~filters.COMMAND, name)],
                AGE: [MessageHandler(filters.TEXT & ~filters.COMMAND, age)],
            },
            fallbacks=[],
        )
    )
    app.run_webhook(
        listen="127.0.0.1",
        port=port,
        url_path="webhooks/telegram",
        secret_token=secret,
        webhook_url=f"http://127.0.0.1:{port}/webhooks/telegram",
    )


if __name__ == "__main__":
    main()
