"""A big Google XML feed parsed in a second process while this one consumes the items.

    for prepared in parse_in_child(path, utf8, builder, counter, prepare):
        ...                      # runs alongside the child: two cores at work

The child parses the XML, builds each item with the same :class:`OfferBuilder` rules,
applies ``transform`` (the importer's :func:`catalog.rows.prepare`) and sends batches of the
results (marshalled when they are plain data, else pickled), each with the problems found
meanwhile, over its stdout (a 1 MB pipe on Linux). Order, item numbers and problems are exactly
those of parsing inline.

The child is a plain ``python -c`` subprocess rather than a ``multiprocessing`` one: spawn
would import the parent's ``__main__`` (the CLI or a server, with SQLAlchemy, numpy and the
search) again in the child; this child imports only the feed readers (~25 MB).

A thread here receives the batches so the child can run up to :data:`QUEUED` batches ahead;
then the pipe fills and the child waits, which bounds memory. If the child dies, the import
gets a :class:`FeedError` saying so (and drops its half-built generation).
"""

from __future__ import annotations

import contextlib
import gc
import marshal
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import tzinfo
from pathlib import Path
from typing import IO, Any

from lxml import etree

from catalog.feeds.errors import FeedError
from catalog.feeds.google_xml import build_items, extract, syntax_error, warn_unknown
from catalog.feeds.offers import Limits, OfferBuilder
from catalog.records import FeedItem

BATCH = 1000  # items per message
QUEUED = 8  # messages received ahead of the consumer: slack for its slower moments
PIPE_BYTES = 1 << 20  # a batch is ~700 KB
_HEADER = 8  # bytes of a message's length
_BOOT = (
    "import sys; sys.path[:0] = sys.argv[1:]; "
    "from catalog.feeds.parser_process import child_main; child_main()"
)


def parse_in_child(
    path: Path,
    utf8: bool,
    builder: OfferBuilder,
    counter: list[int],
    transform: Callable[[FeedItem], Any] | None,
) -> Iterator[Any]:
    """The feed's items, or ``transform(item)`` of each, parsed and built by a child process.

    ``builder.problems`` and ``counter[0]`` (items seen) follow as the batches arrive.
    """
    process = subprocess.Popen(
        [sys.executable, "-c", _BOOT, *sys.path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    _widen(process.stdout.fileno())
    job = (
        str(path),
        utf8,
        (builder.file, builder.limits, builder.currency, builder.zone),
        transform,
        BATCH,
    )
    try:
        process.stdin.write(pickle.dumps(job, protocol=5))
        process.stdin.close()
    except BrokenPipeError:
        pass  # it died at once: reported below as a stopped process
    inbox: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUED)
    stop = threading.Event()
    thread = threading.Thread(
        target=_receive,
        args=(process.stdout, inbox, stop),
        name="shopchat-feed-receiver",
        daemon=True,
    )
    thread.start()
    finished = False
    try:
        while True:
            data = inbox.get()
            if data is None:
                raise FeedError(path, "the feed parser process stopped unexpectedly")
            message = pickle.loads(data)
            del data
            kind = message[0]
            if kind == "items":
                _, batch, seen, problems = message
                builder.problems.extend(problems)
                counter[0] = seen
                yield from marshal.loads(batch) if isinstance(batch, bytes) else batch
                continue
            finished = True
            if kind == "end":
                warn_unknown(builder, message[1])
                return
            if kind == "xml":
                raise syntax_error(message[1], message[2], str(path))
            raise FeedError(path, f"the feed parser process failed: {message[2]}")
    finally:
        stop.set()
        if not finished:  # the consumer stopped early, or the child died: end it
            process.kill()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        thread.join()  # it sees the pipe's end once the child is gone
        process.stdout.close()


def _widen(pipe: int) -> None:
    """Make the pipe hold a whole batch (Linux; 64 KB by default elsewhere).

    With 64 KB the child blocks mid-batch until the receiving thread, which needs the GIL
    for each 64 KB read, gets it back from the busy consumer: up to 5 ms a read.
    """
    try:
        import fcntl

        fcntl.fcntl(pipe, fcntl.F_SETPIPE_SZ, PIPE_BYTES)  # type: ignore[attr-defined]
    except (ImportError, AttributeError, OSError):
        pass  # not Linux, or above /proc/sys/fs/pipe-max-size: the default pipe still works


def _receive(source: IO[bytes], inbox: queue.Queue[bytes | None], stop: threading.Event) -> None:
    """Move messages from the child's stdout to ``inbox`` until it ends (then None)."""
    while not stop.is_set():
        data: bytes | None = None
        head = source.read(_HEADER)
        if len(head) == _HEADER:
            size = int.from_bytes(head, "little")
            data = source.read(size)
            if len(data) < size:
                data = None
        while not stop.is_set():
            try:
                inbox.put(data, timeout=0.1)
                break
            except queue.Full:
                continue
        if data is None:
            return


def child_main() -> None:
    """The child's side: the job comes pickled on stdin, messages go to stdout."""
    # Every item makes a few dozen short-lived containers and none of them cycles: the
    # default thresholds would run the cycle collector every 700 of them (~7% of the time).
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    job = pickle.load(sys.stdin.buffer)
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the messages
    with contextlib.suppress(BrokenPipeError):  # the parent went away (it stopped early)
        _parse(*job, send=lambda message: _send(out, message))


def _send(out: IO[bytes], message: object) -> None:
    data = pickle.dumps(message, protocol=5)
    out.write(len(data).to_bytes(_HEADER, "little"))
    out.write(data)
    out.flush()


def _parse(
    path: str,
    utf8: bool,
    builder_args: tuple[str, Limits, str | None, tzinfo],
    transform: Callable[[FeedItem], Any] | None,
    batch_size: int,
    *,
    send: Callable[[object], None],
) -> None:
    builder = OfferBuilder(*builder_args)
    counter = [0]
    unknown: dict[str, int] = {}
    batch: list[Any] = []

    def flush() -> None:
        nonlocal batch
        # marshal is faster both ways for plain tuples of strings and ints (what prepare
        # makes; the child is the same Python); anything else goes as it is, pickled.
        try:
            packed: bytes | list[Any] = marshal.dumps(batch)
        except ValueError:
            packed = batch
        send(("items", packed, counter[0], builder.problems))
        batch = []
        builder.problems = []

    try:
        for item in build_items(extract(Path(path), utf8, unknown), builder, counter):
            batch.append(item if transform is None else transform(item))
            if len(batch) >= batch_size or len(builder.problems) >= batch_size:
                flush()
        flush()
        send(("end", unknown, None))
    except etree.XMLSyntaxError as exc:
        flush()
        send(("xml", exc.lineno, exc.msg or str(exc)))
    except BrokenPipeError:
        raise
    except Exception as exc:
        send(("crash", None, f"{exc.__class__.__name__}: {exc}"))


__all__ = ["BATCH", "QUEUED", "child_main", "parse_in_child"]
