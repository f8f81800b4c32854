"""Who a gift is for: the recipient words and genders a gift finder may pass."""

from __future__ import annotations

from dataclasses import dataclass

from catalog.models import Gender
from catalog.text import fold

CHILD_AGES = (0, 12)
TEEN_AGES = (13, 17)
ADULT_AGES = (18, 99)


@dataclass(frozen=True)
class Audience:
    """An age band and, when the recipient word implies one, a gender."""

    ages: tuple[int, int]
    gender: Gender | None = None


_RECIPIENTS: dict[str, Audience] = {
    "child": Audience(CHILD_AGES),
    "kid": Audience(CHILD_AGES),
    "kids": Audience(CHILD_AGES),
    "children": Audience(CHILD_AGES),
    "baby": Audience((0, 3)),
    "toddler": Audience((0, 3)),
    "boy": Audience(CHILD_AGES, "male"),
    "girl": Audience(CHILD_AGES, "female"),
    "teen": Audience(TEEN_AGES),
    "teenager": Audience(TEEN_AGES),
    "adult": Audience(ADULT_AGES),
    "grownup": Audience(ADULT_AGES),
    "partner": Audience(ADULT_AGES),
    "friend": Audience(ADULT_AGES),
    "colleague": Audience(ADULT_AGES),
    "parent": Audience(ADULT_AGES),
    "grandparent": Audience(ADULT_AGES),
    "man": Audience(ADULT_AGES, "male"),
    "dad": Audience(ADULT_AGES, "male"),
    "father": Audience(ADULT_AGES, "male"),
    "husband": Audience(ADULT_AGES, "male"),
    "boyfriend": Audience(ADULT_AGES, "male"),
    "grandpa": Audience(ADULT_AGES, "male"),
    "woman": Audience(ADULT_AGES, "female"),
    "mum": Audience(ADULT_AGES, "female"),
    "mom": Audience(ADULT_AGES, "female"),
    "mother": Audience(ADULT_AGES, "female"),
    "wife": Audience(ADULT_AGES, "female"),
    "girlfriend": Audience(ADULT_AGES, "female"),
    "grandma": Audience(ADULT_AGES, "female"),
}

_GENDERS: dict[str, Gender | None] = {
    "female": "female",
    "f": "female",
    "woman": "female",
    "girl": "female",
    "her": "female",
    "male": "male",
    "m": "male",
    "man": "male",
    "boy": "male",
    "him": "male",
    "any": None,
    "unisex": None,
    "other": None,
    "none": None,
    "": None,
}


def _key(word: str) -> str:
    return "".join(ch for ch in fold(word) if ch.isalnum())


def parse_recipient(recipient: str | None) -> Audience | None:
    """``"child"`` -> ages 0-12; ``"dad"`` -> an adult man; None -> no constraint."""
    if recipient is None or not recipient.strip():
        return None
    audience = _RECIPIENTS.get(_key(recipient))
    if audience is None:
        raise ValueError(
            f"unknown recipient {recipient!r}; use child, teen or adult "
            f"(or one of: {', '.join(sorted(_RECIPIENTS))})"
        )
    return audience


def parse_gender(gender: str | None) -> Gender | None:
    """``"female"``/``"male"`` (and a few synonyms) or None for anyone."""
    if gender is None:
        return None
    key = _key(gender)
    if key not in _GENDERS:
        raise ValueError(f"unknown gender {gender!r}; use female, male or any")
    return _GENDERS[key]


__all__ = ["ADULT_AGES", "CHILD_AGES", "TEEN_AGES", "Audience", "parse_gender", "parse_recipient"]
