"""Meta webhook authentication and the text helpers both Meta renderers share."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.base import WebhookRejected
from adapters.meta import handshake, numbered, split_text, truncate, verify_signature

DATA = Path(__file__).parent.parent / "data"
SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# Meta signs its escaped-unicode form (\u00e9, \/): these files keep those escapes.
ESCAPED_SAMPLES = [DATA / "whatsapp" / "text.json", DATA / "messenger" / "image.json"]


@pytest.mark.parametrize("path", ESCAPED_SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_body_signed_by_meta_verifies(path: Path) -> None:
    raw = path.read_bytes()
    verify_signature(SECRET, {"X-Hub-Signature-256": sign(raw)}, raw)


@pytest.mark.parametrize("path", ESCAPED_SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_re_serialised_body_does_not_verify(path: Path) -> None:
    raw = path.read_bytes()
    assert b"\\u00e" in raw or b"\\/" in raw  # the sample really is in Meta's escaped form
    signature = sign(raw)
    reserialised = json.dumps(json.loads(raw), ensure_ascii=False).encode()
    with pytest.raises(WebhookRejected) as caught:
        verify_signature(SECRET, {"X-Hub-Signature-256": signature}, reserialised)
    assert caught.value.status == 403


@pytest.mark.parametrize(
    "name", ["X-Hub-Signature-256", "x-hub-signature-256", "X-HUB-SIGNATURE-256"]
)
def test_the_signature_header_name_is_case_insensitive(name: str) -> None:
    body = b'{"object":"page","entry":[]}'
    verify_signature(SECRET, {"Content-Type": "application/json", name: sign(body)}, body)


def test_a_tampered_body_is_forbidden() -> None:
    body = b'{"object":"page","entry":[]}'
    with pytest.raises(WebhookRejected) as caught:
        verify_signature(SECRET, {"X-Hub-Signature-256": sign(body)}, body + b" ")
    assert caught.value.status == 403


def test_a_signature_made_with_another_secret_is_forbidden() -> None:
    body = b'{"object":"page","entry":[]}'
    with pytest.raises(WebhookRejected) as caught:
        verify_signature(SECRET, {"X-Hub-Signature-256": sign(body, "other-secret")}, body)
    assert caught.value.status == 403


def test_a_missing_signature_is_unauthorised() -> None:
    body = b'{"object":"page","entry":[]}'
    legacy = "sha1=" + hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    with pytest.raises(WebhookRejected) as caught:
        verify_signature(SECRET, {"X-Hub-Signature": legacy}, body)
    assert caught.value.status == 401


@pytest.mark.parametrize(
    "header",
    [
        "",
        "sha1=0123456789abcdef0123456789abcdef01234567",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "sha256=",
        "sha256=not-hex-at-all",
        "sha256=abcd",
        "sha256=" + "ab" * 33,
    ],
)
def test_a_malformed_signature_is_unauthorised(header: str) -> None:
    with pytest.raises(WebhookRejected) as caught:
        verify_signature(SECRET, {"X-Hub-Signature-256": header}, b"{}")
    assert caught.value.status == 401


def test_without_an_app_secret_nothing_verifies() -> None:
    body = b"{}"
    with pytest.raises(WebhookRejected):
        verify_signature("", {"X-Hub-Signature-256": sign(body, "")}, body)


# -- handshake -----------------------------------------------------------------------------
def test_the_subscription_handshake_answers_the_challenge() -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": "s3cret", "hub.challenge": "1158201444"}
    assert handshake(query, "s3cret") == "1158201444"


@pytest.mark.parametrize(
    "query",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "s3cret", "hub.challenge": "1"},
        {"hub.verify_token": "s3cret", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": "s3cret"},
        {},
    ],
)
def test_any_other_handshake_is_forbidden(query: dict[str, str]) -> None:
    with pytest.raises(WebhookRejected) as caught:
        handshake(query, "s3cret")
    assert caught.value.status == 403


def test_an_empty_verify_token_never_matches() -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
    with pytest.raises(WebhookRejected):
        handshake(query, "")


# -- text helpers -------------------------------------------------------------------------
def test_long_text_is_split_between_paragraphs_first() -> None:
    first = "First paragraph. " * 10
    second = "Second paragraph, a bit longer. " * 10
    pieces = split_text(f"{first.strip()}\n\n{second.strip()}", 400)
    assert pieces == [first.strip(), second.strip()]


def test_a_single_long_paragraph_is_split_between_words() -> None:
    text = " ".join(f"word{n}" for n in range(200))
    pieces = split_text(text, 100)
    assert all(len(p) <= 100 for p in pieces)
    assert " ".join(pieces) == text


@given(
    words=st.lists(st.text(alphabet="abcé😀", min_size=1, max_size=12), min_size=0, max_size=80),
    seps=st.lists(st.sampled_from([" ", "\n", "\n\n"]), min_size=80, max_size=80),
    limit=st.integers(min_value=12, max_value=200),
)
def test_split_text_keeps_every_word_whole_and_within_the_limit(
    words: list[str], seps: list[str], limit: int
) -> None:
    text = "".join(w + s for w, s in zip(words, seps, strict=False))
    pieces = split_text(text, limit)
    assert all(0 < len(p) <= limit for p in pieces)
    assert " ".join(pieces).split() == text.split()


@given(text=st.text(), limit=st.integers(min_value=1, max_value=50))
def test_split_text_never_loses_characters(text: str, limit: int) -> None:
    pieces = split_text(text, limit)
    assert all(0 < len(p) <= limit for p in pieces)
    assert "".join("".join(pieces).split()) == "".join(text.split())


def test_truncate_marks_the_cut() -> None:
    assert truncate("Ceramic mug, speckled glaze", 20) == "Ceramic mug, speckl…"
    assert len(truncate("x" * 100, 24)) == 24
    assert truncate("Short", 20) == "Short"


def test_numbered_text_lists_the_options_under_the_question() -> None:
    assert numbered("Which size?", ["Small", "Large"]) == "Which size?\n\n1. Small\n2. Large"
