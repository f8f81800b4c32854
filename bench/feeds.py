"""Parse a generated Google Merchant XML feed with read_feed; print items/s and peak RSS.

    python bench/feeds.py [FEED.xml] [--items 1000000]

Without a FEED it writes one with bench/make_feed.py to a temporary directory first. Target:
1M items in <= 25 s under ~300 MB peak RSS (the whole import must stay < 60 s and < 500 MB).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from child_memory import ChildMemory  # noqa: E402
from make_feed import write_google_xml  # noqa: E402

# The repository first: bench/catalog.py would otherwise stand in for the catalog package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from catalog.feeds import read_feed  # noqa: E402


def _peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def _cpu_s(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("feed", type=Path, nargs="?")
    parser.add_argument("--items", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        feed = args.feed
        if feed is None:
            feed = Path(tmp) / "feed.xml"
            started = time.perf_counter()
            write_google_xml(feed, args.items)
            print(f"generated {args.items:,} items in {time.perf_counter() - started:.1f} s")
        print(
            f"feed: {feed} ({feed.stat().st_size / 1e6:,.0f} MB); RSS before: "
            f"{_peak_rss_mb():.0f} MB"
        )
        reader = read_feed(feed, currency="PLN")
        cpu_self, cpu_children = _cpu_s(resource.RUSAGE_SELF), _cpu_s(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        kept = 0
        groups: set[str] = set()
        with ChildMemory() as children:
            for item in reader:
                kept += 1
                groups.add(item.group_id)
        took = time.perf_counter() - started
        severities = Counter(p.severity for p in reader.problems)
        print(
            f"parsed {reader.rows:,} items in {took:.1f} s = {reader.rows / took:,.0f} items/s; "
            f"kept {kept:,} in {len(groups):,} groups; errors {severities['error']}, "
            f"warnings {severities['warning']}"
        )
        print(
            f"CPU: this process {_cpu_s(resource.RUSAGE_SELF) - cpu_self:.1f} s, parser process "
            f"{_cpu_s(resource.RUSAGE_CHILDREN) - cpu_children:.1f} s"
        )
        print(
            f"peak RSS: this process {_peak_rss_mb():.0f} MB (includes the bench's set of "
            f"{len(groups):,} group ids), parser process {children.peak_mb:.0f} MB"
        )


if __name__ == "__main__":
    main()
