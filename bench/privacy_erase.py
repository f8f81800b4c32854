"""How long `shopchat customer erase/export` takes as the order book grows.

Finding a shopper's orders reads every order once (emails and phones are compared after
normalisation, which no index on the typed column can do); this prints what that costs.

    python bench/privacy_erase.py [ORDERS]   # default 20000, on a temporary SQLite file
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

# The repository first: this folder's catalog.py would otherwise stand in for the package.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from sqlalchemy import insert  # noqa: E402

from bot.privacy import privacy_registry  # noqa: E402
from bot.storage import SessionStore  # noqa: E402
from checkout.tables import orders  # noqa: E402


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        store = SessionStore(f"sqlite:///{Path(tmp) / 'bench.db'}")
        store.migrate()
        rows = [
            {
                "number": f"TG-{i:06d}",
                "conversation_id": f"telegram:{1000 + i}",
                "locale": "en",
                "status": "paid",
                "payment_status": "paid",
                "payment_method": "card",
                "name": f"Shopper {i}",
                "email": f"shopper.{i}@example.com" if i % 2 else "",
                "phone": "" if i % 2 else f"+48 600 {i:06d}"[:15],
                "address": f"ul. Długa {i}, Warszawa",
                "items": json.dumps([]),
                "currency": "PLN",
                "subtotal": 1000,
                "discount": 0,
                "shipping": 0,
                "total": 1000,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(count)
        ]
        with store.transaction() as conn:
            conn.execute(insert(orders), rows)
        registry = privacy_registry(region="PL")
        start = time.perf_counter()
        with store.connection() as conn:
            shopper = registry.resolve(conn, "shopper.4321@example.com")
            registry.export(conn, shopper)
        found = time.perf_counter() - start
        start = time.perf_counter()
        with store.transaction() as conn:
            registry.erase(conn, registry.resolve(conn, "shopper.4321@example.com"))
        erased = time.perf_counter() - start
        store.close()
    print(f"{count} orders: resolve+export {found:.2f} s, resolve+erase {erased:.2f} s")
    print(f"found {len(shopper.orders)} order(s), {len(shopper.conversations)} conversation(s)")


if __name__ == "__main__":
    main()
