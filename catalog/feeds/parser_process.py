"""A big Google XML feed parsed in two more processes while this one consumes the items.

    for prepared in parse_in_child(path, utf8, builder, counter, prepare):
        ...                      # runs alongside the children: every core at work

Three stages, one process each: the *reader* runs lxml over the file and sends each item's
raw fields (:func:`catalog.feeds.google_xml.extract`'s records); the *builder* makes items of
them with the same :class:`OfferBuilder` rules, applies ``transform`` (the importer's
:func:`catalog.rows.prepare`) and sends batches of the results (marshalled when they are
plain data, else pickled), each with the problems found meanwhile; this process stores and
indexes them. Parsing and building each cost about as much as importing, so with one process
for both this one waited half of the time. Order, item numbers and problems are exactly
those of parsing inline: only the builder sees ids (duplicates) and writes problems.

The builder is a plain ``python -c`` subprocess rather than a ``multiprocessing`` one (spawn
would import the parent's ``__main__``, the CLI or a server, with SQLAlchemy, numpy and the
search, again); it starts the reader the same way. Each imports only the feed readers
(~25 MB). Messages travel over stdout pipes widened to 1 MB.

A thread here receives the batches so the builder can run up to :data:`QUEUED` batches
ahead; then the pipes fill and the builder and the reader wait, which bounds memory. If
either dies, the import gets a :class:`FeedError` saying so (and drops its half-built
generation); when this process stops early it kills the builder, and the reader then stops
at its next write into the closed pipe.
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
from catalog.feeds.google_xml import (
    Extracted,
    build_items,
    extract,
    syntax_error,
    warn_unknown,
)
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
    """The feed's items, or ``transform(item)`` of each, parsed and built by child processes.

    ``builder.problems`` and ``counter[0]`` (items seen) follow as the batches arrive.
    """
    job = (
        "build",
        str(path),
        utf8,
        (builder.file, builder.limits, builder.currency, builder.zone),
        transform,
        BATCH,
    )
    process = _start(job)
    assert process.stdout is not None
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


def _start(job: tuple[Any, ...]) -> subprocess.Popen[bytes]:
    """A child process running :func:`child_main` on ``job``, its stdout a widened pipe."""
    process = subprocess.Popen(
        [sys.executable, "-c", _BOOT, *sys.path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    _widen(process.stdout.fileno())
    try:
        process.stdin.write(pickle.dumps(job, protocol=5))
        process.stdin.close()
    except BrokenPipeError:
        pass  # it died at once: reported as a stopped process when its output ends
    return process


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
    """A child's side: the job comes pickled on stdin, messages go to stdout."""
    # Every item makes a few dozen short-lived containers and none of them cycles: the
    # default thresholds would run the cycle collector every 700 of them (~7% of the time).
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    kind, *job = pickle.load(sys.stdin.buffer)
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the messages
    with contextlib.suppress(BrokenPipeError):  # the parent went away (it stopped early)
        run = _read if kind == "read" else _parse
        run(*job, send=lambda message: _send(out, message))


def _send(out: IO[bytes], message: object) -> None:
    data = pickle.dumps(message, protocol=5)
    out.write(len(data).to_bytes(_HEADER, "little"))
    out.write(data)
    out.flush()


def _read(path: str, utf8: bool, batch_size: int, *, send: Callable[[object], None]) -> None:
    """The reader: :func:`extract`'s records of the feed, in batches, then how it ended."""
    unknown: dict[str, int] = {}
    batch: list[Extracted] = []
    try:
        for record in extract(Path(path), utf8, unknown):
            batch.append(record)
            if len(batch) >= batch_size:
                send(("records", marshal.dumps(batch)))
                batch = []
        send(("records", marshal.dumps(batch)))
        send(("end", unknown, None))
    except etree.XMLSyntaxError as exc:
        send(("records", marshal.dumps(batch)))
        send(("xml", exc.lineno, exc.msg or str(exc)))
    except BrokenPipeError:
        raise
    except Exception as exc:
        send(("crash", None, f"{exc.__class__.__name__}: {exc}"))


class _ReaderEnded(Exception):
    """The reader's last message, other than a normal end (None: it stopped without one)."""

    def __init__(self, message: tuple[Any, ...] | None) -> None:
        self.message = message


def _records(
    path: str, utf8: bool, batch_size: int, unknown: dict[str, int]
) -> Iterator[Extracted]:
    """The records of a reader process started for the feed; ``unknown`` is filled at its end."""
    reader = _start(("read", path, utf8, batch_size))
    assert reader.stdout is not None
    source = reader.stdout
    try:
        while True:
            head = source.read(_HEADER)
            size = int.from_bytes(head, "little") if len(head) == _HEADER else 0
            data = source.read(size) if size else b""
            if not size or len(data) < size:  # it died, perhaps mid-message
                raise _ReaderEnded(None)
            message = pickle.loads(data)
            del data
            if message[0] == "records":
                yield from marshal.loads(message[1])
            elif message[0] == "end":
                unknown.update(message[1])
                return
            else:
                raise _ReaderEnded(message)
    finally:
        if reader.poll() is None:
            reader.kill()
        reader.wait()
        source.close()


def _parse(
    path: str,
    utf8: bool,
    builder_args: tuple[str, Limits, str | None, tzinfo],
    transform: Callable[[FeedItem], Any] | None,
    batch_size: int,
    *,
    send: Callable[[object], None],
) -> None:
    """The builder: items (or ``transform(item)`` of each) of the reader's records."""
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
        records = _records(path, utf8, batch_size, unknown)
        for item in build_items(records, builder, counter):
            batch.append(item if transform is None else transform(item))
            if len(batch) >= batch_size or len(builder.problems) >= batch_size:
                flush()
        flush()
        send(("end", unknown, None))
    except _ReaderEnded as ended:
        if ended.message is None:
            return  # the reader died: so does the builder, which the parent reports
        if ended.message[0] == "xml":
            flush()
        send(ended.message)
    except BrokenPipeError:
        raise
    except Exception as exc:
        send(("crash", None, f"{exc.__class__.__name__}: {exc}"))


__all__ = ["BATCH", "QUEUED", "child_main", "parse_in_child"]
