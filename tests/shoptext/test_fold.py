"""One folding rule for search, flows and understanding, checked script by script."""

from __future__ import annotations

import pytest

from shoptext import fold


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        # Latin: case and diacritics go, letters with a stroke too.
        ("Zażółć GĘŚLĄ jaźń", "zazolc gesla jazn"),
        ("Łódź", "lodz"),
        ("Niño Pequeño, canción", "nino pequeno, cancion"),
        ("Straße", "strasse"),
        ("Øre Æble Œuvre", "ore aeble oeuvre"),
        ("İstanbul ıspanak", "istanbul ispanak"),
        ("ＬＥＧＯ ℌ", "lego h"),  # full-width and compatibility capitals fold too
        # Cyrillic: ё is written as е, й is a letter of its own.
        ("ЁЛКА ёлка", "елка елка"),
        ("Мой", "мой"),
        ("мои\u0306", "мой"),  # й typed as и + combining breve
        # Persian and Arabic: one form per letter whichever keyboard typed it.
        ("كتاب", "کتاب"),
        ("علي", "علی"),
        ("مستشفى", "مستشفی"),
        ("مدرسة", "مدرسه"),
        ("خانۀ", "خانه"),
        ("أحمد إبراهيم آب", "احمد ابراهیم اب"),
        ("كـــتاب", "کتاب"),  # tatweel
        ("قَهْوَة", "قهوه"),  # short vowels
        ("کتاب\u200cها", "کتاب\u200cها"),  # ZWNJ stays: the word's parts are the tokenizer's
        # Digits of every script.
        ("۱۲۳ ١٢٣ 123", "123 123 123"),
        # Invisible formatting that changes nothing a reader sees.
        ("\u200fسلام\u200e \ufeffhi\u00adfi", "سلام hifi"),
    ],
)
def test_each_script_folds_to_what_shoppers_type(typed, folded):
    assert fold(typed) == folded


def test_i_and_short_i_stay_apart_while_ye_and_yo_meet():
    assert fold("мой") != fold("мои")
    assert fold("ёж") == fold("еж")


def test_every_package_compares_words_with_the_same_fold():
    from catalog import fold as catalog_fold
    from flows.text import fold as flows_fold
    from understanding.text import fold as understanding_fold

    assert catalog_fold is flows_fold is understanding_fold is fold


def test_whitespace_folds_to_whitespace():
    # The catalog folds product texts chunk by chunk between whitespace.
    spaces = [chr(code) for code in range(0x30000) if chr(code).isspace()]
    assert len(spaces) > 20
    for ch in spaces:
        assert fold(ch).isspace(), hex(ord(ch))
