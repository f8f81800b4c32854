"""How fast shoptext.fold folds a million short texts (the catalog import folds every
product's texts; understanding and flows fold every message).

    python bench/fold.py [count]

Prints seconds per million for mixed-script texts (Polish, Spanish, Russian, Persian,
Arabic, digits; every text distinct, so no cache helps) and for ASCII texts, with the load.
"""

from __future__ import annotations

import os
import random
import sys
import time

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))

from shoptext import fold  # noqa: E402

WORDS = [
    "Klocki", "Łódź", "zażółć", "Niño", "camiseta", "Ёлка", "Новый", "мой", "کتاب\u200cها",
    "تی‌شرت", "كتاب", "قهوه", "T-Shirt", "cotton", "Blue", "Größe", "café", "۱۲۳", "lego",
]  # fmt: skip


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rng = random.Random(1)
    mixed = [f"{rng.choice(WORDS)} {rng.choice(WORDS)} {i}" for i in range(count)]
    plain = [f"Blue cotton shirt {i}" for i in range(count)]
    print(f"load average {os.getloadavg()[0]:.2f}")
    for label, texts in (("mixed scripts", mixed), ("ascii", plain)):
        started = time.perf_counter()
        for text in texts:
            fold(text)
        elapsed = time.perf_counter() - started
        print(f"{label:14} {elapsed * 1e6 / count:.2f} s per million ({count} texts)")


if __name__ == "__main__":
    main()
