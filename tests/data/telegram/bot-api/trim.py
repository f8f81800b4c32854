"""Regenerate ``api.json`` here from the full spec of PaulSonOfLars/telegram-bot-api-spec.

    python tests/data/telegram/bot-api/trim.py path/to/full/api.json

Keeps what the test oracle (tests/adapters/test_telegram_oracle.py) reads: every method and
type with its fields' names, types and required flags, and a type's subtypes. Descriptions and
links are dropped. One method or type per line, so a new Bot API version reads as a short diff.
Update ``SOURCE`` below to the spec's commit when you regenerate.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SOURCE = (
    "github.com/PaulSonOfLars/telegram-bot-api-spec api.json, commit 160fd99 (MIT, see LICENSE)"
)
OUT = Path(__file__).with_name("api.json")


def _trim(entry: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    if "fields" in entry:
        kept["fields"] = [
            {"name": f["name"], "types": f["types"], "required": f["required"]}
            for f in entry["fields"]
        ]
    if "subtypes" in entry:
        kept["subtypes"] = entry["subtypes"]
    return kept


def _section(name: str, entries: dict[str, Any]) -> str:
    lines = [f"  {json.dumps(key)}: {json.dumps(_trim(value))}" for key, value in entries.items()]
    return f"{json.dumps(name)}: {{\n" + ",\n".join(lines) + "\n }"


def trim(spec: dict[str, Any]) -> str:
    """The trimmed spec as text: same layout as the full one, minus the prose."""
    head = {"source": SOURCE, "version": spec["version"], "release_date": spec["release_date"]}
    parts = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in head.items()]
    parts += [_section("methods", spec["methods"]), _section("types", spec["types"])]
    return "{\n " + ",\n ".join(parts) + "\n}\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    OUT.write_text(trim(spec), encoding="utf-8")
    print(
        f"wrote {OUT} ({spec['version']}, {len(spec['methods'])} methods, "
        f"{len(spec['types'])} types)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
