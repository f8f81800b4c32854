"""Accuracy and speed of the built-in understanding on the evaluation sentences.

Reads tests/data/understanding/<set>.yaml with the example shop (its flows' examples, its
vocabulary and its catalog's words), each sentence as the first message of a session whose
channel gave no language (locale en), and prints accuracy per language and per task
(language, flow, each slot kind) and the time per message (p50, p95).

    python bench/understanding.py [--set dev|heldout|fresh|paraphrase|blind|both|all]
                                  [--failures] [--repeat 5]

``all`` is dev, heldout, fresh, paraphrase and slots (blind is measured on its own, once).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.project import open_project  # noqa: E402
from bot.settings import Settings  # noqa: E402
from understanding.evaluation import Report, evaluate, load_cases  # noqa: E402

LANGS = ["en", "pl", "es", "ru", "fa"]
DATA = ROOT / "tests" / "data" / "understanding"


def show(name: str, report: Report) -> None:
    tasks = ["all", "language", "flow", *report.kinds()]
    width = max(len(t) for t in tasks) + 2
    print(f"\n== {name}: {len(report.outcomes)} sentences")
    print(" " * width + "".join(f"{lang:>12}" for lang in [*LANGS, "total"]))
    for task in tasks:
        cells = []
        for lang in [*LANGS, None]:
            acc, n = report.accuracy(lang, task)
            cells.append(f"{acc * 100:6.1f}% ({n:>2})" if n else f"{'-':>12}")
        print(f"{task:<{width}}" + "".join(f"{c:>12}" for c in cells))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--set",
        choices=[
            "dev",
            "heldout",
            "fresh",
            "paraphrase",
            "slots",
            "slots_heldout",
            "blind",
            "both",
            "all",
        ],
        default="both",
    )
    ap.add_argument("--failures", action="store_true", help="list the sentences it gets wrong")
    ap.add_argument("--repeat", type=int, default=5, help="timing passes over the sentences")
    args = ap.parse_args()

    opened = open_project(ROOT / "examples" / "shop", Settings(_env_file=None))
    assert opened.project is not None, [d.format() for d in opened.diagnostics]
    project = opened.project
    understander = project.understander
    assert understander is not None
    understander.warm()
    catalog = project.catalog_vocabulary
    names = {
        "both": ["dev", "heldout"],
        "all": ["dev", "heldout", "fresh", "paraphrase", "slots"],
    }.get(args.set, [args.set])
    for name in names:
        cases = load_cases(DATA / f"{name}.yaml")
        evaluate(understander, cases, catalog=catalog)  # warm the caches' first misses
        report = evaluate(understander, cases, catalog=catalog)
        show(name, report)
        if args.failures:
            for o in report.failures():
                wrong = [k for k, ok in o.slots_ok.items() if not ok]
                print(
                    f"  [{o.case.lang}] {o.case.text!r}\n      want {o.case.flow} {o.case.slots}"
                    f"\n      got  {o.result.intent} ({o.result.confidence:.2f}) "
                    f"{o.result.entities} lang={o.result.language} wrong={wrong} "
                    f"alt={[(i, round(s, 2)) for i, s in o.result.alternatives]}"
                )
    # Timing: fresh sentences every pass would need more data; instead the caches that hold
    # per-word results (lemmas, fuzzy matches, language) are cleared before each pass, so
    # each message is read as a first-seen one.
    from understanding import text as text_module

    cases = [c for n in ("dev", "heldout") for c in load_cases(DATA / f"{n}.yaml")]
    wall, cpu = [], []
    for _ in range(args.repeat):
        understander.lexicon.closest.cache_clear()
        if understander.detector is not None:
            understander.detector.detect.cache_clear()
        for case in cases:
            start, start_cpu = time.perf_counter(), time.thread_time()
            understander.understand(case.text, "en", catalog=catalog)
            cpu.append(time.thread_time() - start_cpu)
            wall.append(time.perf_counter() - start)
    load = os.getloadavg()
    print(
        f"\ntime per message, {len(wall)} reads (word caches cleared each pass, lemma cache "
        f"warm; load average {load[0]:.2f} on {os.cpu_count()} cores):"
    )
    for name, times in (("wall", wall), ("cpu", cpu)):
        times.sort()
        p50, p95 = times[len(times) // 2], times[int(0.95 * len(times))]
        print(
            f"  {name:>4}: p50 {p50 * 1000:.3f} ms, p95 {p95 * 1000:.3f} ms, "
            f"max {times[-1] * 1000:.3f} ms"
        )
    print("  (on a shared machine, wall times include waiting for a core; cpu times do not)")
    _ = text_module


if __name__ == "__main__":
    main()
