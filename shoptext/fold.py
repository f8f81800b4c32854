"""Folding text for comparison: the one rule search, flows and understanding share.

    fold("Łódź Ёлка")        -> "lodz елка"
    fold("كتاب ۱۲")          -> "کتاب 12"

The rules, decided once for every package (a catalog's stored index holds folded words, so a
change here changes :data:`FOLD_VERSION`, and a catalog indexed under another version is
re-indexed by its next import):

- **Case**: full Unicode case folding (``"Straße"`` -> ``"strasse"``), also of what
  compatibility decomposition leaves (``"ℌ"`` -> ``"h"``, full-width ``"Ａ"`` -> ``"a"``).
- **Diacritics** are dropped (NFKD, then combining marks removed): Polish ``ą ć ę ł ń ó ś ź
  ż``, Spanish ``á é í ñ ó ú ü``, French, German, Arabic short vowels and hamza seats
  (``أ إ آ`` -> ``ا``). Shoppers type them or not, depending on their keyboard; a shop's
  matches must not depend on it. Spanish ``ñ`` folds to ``n`` for the same reason (pairs like
  "año"/"ano" matter less to a shop than a tourist's keyboard).
- **Except where the mark makes another letter that is typed as such**: Cyrillic ``й`` stays
  ``й`` (its own key on every Cyrillic layout; "мой" and "мои" are different words), while
  ``ё`` folds to ``е`` because Russian text routinely prints ``е`` for it.
- **Letters that are not decompositions** but are typed without their stroke: ``ł -> l``,
  ``ø -> o``, ``đ ð -> d``, ``þ -> th``, ``æ -> ae``, ``œ -> oe``, dotless ``ı -> i``.
- **Arabic and Persian keyboard variants**: Arabic yeh and alef maksura ``ي ى -> ی``,
  Arabic kaf ``ك -> ک``, teh marbuta and heh goal ``ة ە ۀ -> ه``; the tatweel ``ـ`` (a
  stretching stroke) is dropped.
- **Digits** of every script become ASCII (``۱۲`` and ``١٢`` -> ``12``).
- **Invisible formatting** that changes nothing a reader sees is dropped: soft hyphen,
  zero-width joiner, LRM/RLM, bidi embeddings and isolates, BOM. The **zero-width
  non-joiner** (ZWNJ, inside Persian words: ``کتاب‌ها``) is kept: it is a boundary inside a
  written word, and tokenizers decide (the catalog indexes the whole word and its parts,
  flows read it as a space, understanding splits there).
- Whitespace folds to whitespace (``"\u00a0"`` -> ``" "``), so text may be folded chunk by
  chunk between whitespace; spaces are not collapsed (callers that compare phrases do that).
  A few symbols decompose to a space and a mark (``"¨"`` -> ``" "``).

Speed: one ``str.translate`` over a table that maps each character to its folded form,
computed the first time the character is seen (``unicodedata`` runs once per distinct
character, not per string); ASCII text is only lower-cased. Measured in ``bench/fold.py``.
"""

from __future__ import annotations

import unicodedata

FOLD_VERSION = 1
"""Changes whenever :func:`fold` folds any character differently."""

_SPECIAL = {
    "ł": "l",
    "đ": "d",
    "ð": "d",
    "ø": "o",
    "æ": "ae",
    "œ": "oe",
    "þ": "th",
    "ı": "i",
    "ё": "е",
    "й": "й",  # a letter of its own, not "и" with a mark: keep it
    "ي": "ی",  # Arabic yeh -> Persian yeh
    "ى": "ی",  # alef maksura
    "ك": "ک",  # Arabic kaf -> Persian keheh
    "ة": "ه",
    "ە": "ه",  # heh goal; also what NFKD leaves of "ۀ"
    "ـ": "",  # tatweel
    "\u00ad": "",  # soft hyphen
    "\u200d": "",  # zero-width joiner
    "\u200e": "",  # left-to-right mark
    "\u200f": "",  # right-to-left mark
    "\u202a": "",
    "\u202b": "",
    "\u202c": "",
    "\u202d": "",
    "\u202e": "",
    "\u2066": "",
    "\u2067": "",
    "\u2068": "",
    "\u2069": "",
    "\ufeff": "",  # byte order mark / zero-width no-break space
}
_BREVE = "\u0306"  # "й" typed as "и" + combining breve must still fold to "й"


def _fold_char(ch: str) -> str:
    out = []
    for c in ch.casefold():
        if c in _SPECIAL:
            out.append(_SPECIAL[c])
            continue
        digit = unicodedata.decimal(c, None)
        if digit is not None:
            out.append(str(digit))
            continue
        for part in unicodedata.normalize("NFKD", c):
            if unicodedata.combining(part):
                continue
            part = part.casefold()  # NFKD leaves capitals: "ℌ" -> "H"
            out.append(_SPECIAL.get(part, part))
    return "".join(out)


class _FoldTable(dict[int, str]):
    """``str.translate`` table that folds each character the first time it is seen."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        self[code] = folded
        return folded


_TABLE = _FoldTable()


def fold(text: str) -> str:
    """``text`` for comparison: lower case, no diacritics, one form per letter (see above)."""
    if text.isascii():
        return text.lower()
    if _BREVE in text:
        text = unicodedata.normalize("NFC", text)
    return text.translate(_TABLE)


__all__ = ["FOLD_VERSION", "fold"]
