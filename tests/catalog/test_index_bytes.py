"""The same catalog makes the same index bytes in every process: words get their ids in the
order the texts give them, not in a set's order, which changes with the string hashing's
seed (PYTHONHASHSEED) from one run to the next."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

IMPORT = textwrap.dedent(
    """
    import hashlib, sys
    from bot.storage import SessionStore
    from catalog import Catalog

    store = SessionStore(f"sqlite:///{sys.argv[1]}")
    store.migrate()
    catalog = Catalog(store.engine)
    report = catalog.import_path(sys.argv[2])
    assert not report.rejected, report.rejected
    blob = catalog.store.load_index_blob(catalog.store.current_generation())
    sys.stdout.write(hashlib.sha256(bytes(blob)).hexdigest())
    """
)


def index_digest(tmp_path: Path, hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    database = tmp_path / f"catalog-{hash_seed}.db"
    feed = ROOT / "examples" / "shop" / "catalog.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", IMPORT, str(database), str(feed)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_importing_one_catalog_twice_writes_the_same_index_bytes(tmp_path: Path) -> None:
    # The demo catalog has joined words in five scripts (t-shirt, Persian with ZWNJ), which
    # is where a set of several words per chunk decided the ids.
    digests = {index_digest(tmp_path, seed) for seed in ("1", "2", "3")}
    assert len(digests) == 1, digests
    assert hashlib.sha256().hexdigest() not in digests  # an index was written
