"""Who a gift is for: the recipient words and genders a gift finder may pass."""

from __future__ import annotations

from dataclasses import dataclass

from catalog.records import Gender
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
    "boy": Audience(CHILD_AGES, Gender.MALE),
    "girl": Audience(CHILD_AGES, Gender.FEMALE),
    "teen": Audience(TEEN_AGES),
    "teenager": Audience(TEEN_AGES),
    "adult": Audience(ADULT_AGES),
    "grownup": Audience(ADULT_AGES),
    "partner": Audience(ADULT_AGES),
    "friend": Audience(ADULT_AGES),
    "colleague": Audience(ADULT_AGES),
    "parent": Audience(ADULT_AGES),
    "grandparent": Audience(ADULT_AGES),
    "man": Audience(ADULT_AGES, Gender.MALE),
    "dad": Audience(ADULT_AGES, Gender.MALE),
    "father": Audience(ADULT_AGES, Gender.MALE),
    "husband": Audience(ADULT_AGES, Gender.MALE),
    "boyfriend": Audience(ADULT_AGES, Gender.MALE),
    "grandpa": Audience(ADULT_AGES, Gender.MALE),
    "woman": Audience(ADULT_AGES, Gender.FEMALE),
    "mum": Audience(ADULT_AGES, Gender.FEMALE),
    "mom": Audience(ADULT_AGES, Gender.FEMALE),
    "mother": Audience(ADULT_AGES, Gender.FEMALE),
    "wife": Audience(ADULT_AGES, Gender.FEMALE),
    "girlfriend": Audience(ADULT_AGES, Gender.FEMALE),
    "grandma": Audience(ADULT_AGES, Gender.FEMALE),
    "son": Audience(CHILD_AGES, Gender.MALE),
    "daughter": Audience(CHILD_AGES, Gender.FEMALE),
    "brother": Audience(CHILD_AGES, Gender.MALE),
    "sister": Audience(CHILD_AGES, Gender.FEMALE),
    # Polish, Spanish, Russian and Persian words a shopper may type.
    "dziecko": Audience(CHILD_AGES),
    "syn": Audience(CHILD_AGES, Gender.MALE),
    "corka": Audience(CHILD_AGES, Gender.FEMALE),
    "chlopiec": Audience(CHILD_AGES, Gender.MALE),
    "dziewczynka": Audience(CHILD_AGES, Gender.FEMALE),
    "nastolatek": Audience(TEEN_AGES),
    "tata": Audience(ADULT_AGES, Gender.MALE),
    "mama": Audience(ADULT_AGES, Gender.FEMALE),
    "zona": Audience(ADULT_AGES, Gender.FEMALE),
    "maz": Audience(ADULT_AGES, Gender.MALE),
    "nino": Audience(CHILD_AGES, Gender.MALE),
    "nina": Audience(CHILD_AGES, Gender.FEMALE),
    "hijo": Audience(CHILD_AGES, Gender.MALE),
    "hija": Audience(CHILD_AGES, Gender.FEMALE),
    "adolescente": Audience(TEEN_AGES),
    "padre": Audience(ADULT_AGES, Gender.MALE),
    "madre": Audience(ADULT_AGES, Gender.FEMALE),
    "ребенок": Audience(CHILD_AGES),
    "сын": Audience(CHILD_AGES, Gender.MALE),
    "дочь": Audience(CHILD_AGES, Gender.FEMALE),
    "дочка": Audience(CHILD_AGES, Gender.FEMALE),
    "папа": Audience(ADULT_AGES, Gender.MALE),
    "мама": Audience(ADULT_AGES, Gender.FEMALE),
    "муж": Audience(ADULT_AGES, Gender.MALE),
    "жена": Audience(ADULT_AGES, Gender.FEMALE),
    "کودک": Audience(CHILD_AGES),
    "بچه": Audience(CHILD_AGES),
    "پسر": Audience(CHILD_AGES, Gender.MALE),
    "دختر": Audience(CHILD_AGES, Gender.FEMALE),
    "پدر": Audience(ADULT_AGES, Gender.MALE),
    "مادر": Audience(ADULT_AGES, Gender.FEMALE),
}

_GENDERS: dict[str, Gender | None] = {
    "female": Gender.FEMALE,
    "f": Gender.FEMALE,
    "woman": Gender.FEMALE,
    "girl": Gender.FEMALE,
    "her": Gender.FEMALE,
    "male": Gender.MALE,
    "m": Gender.MALE,
    "man": Gender.MALE,
    "boy": Gender.MALE,
    "him": Gender.MALE,
    "any": None,
    "unisex": None,
    "other": None,
    "none": None,
    "": None,
}


def _key(word: str) -> str:
    return "".join(ch for ch in fold(word) if ch.isalnum())


def parse_recipient(recipient: str | None) -> Audience | None:
    """``"child"`` -> ages 0-12; ``"dad"`` -> an adult man; None or unknown -> no constraint."""
    if recipient is None or not recipient.strip():
        return None
    audience = _RECIPIENTS.get(_key(recipient))
    if audience is None:  # "my son", "moja córka": the first word we know
        for word in recipient.split():
            audience = _RECIPIENTS.get(_key(word)) or _RECIPIENTS.get(_key(word).rstrip("s"))
            if audience is not None:
                break
    # Anyone else ("my colleague", "dla teściowej", a word a shop's flow passes on): no
    # age or gender constraint, so the recommendations fall back to good picks for anyone
    # rather than failing a shopper's gift search.
    return audience


def parse_gender(gender: str | None) -> Gender | None:
    """``"female"``/``"male"`` (and a few synonyms); None (anyone) for anything else."""
    if gender is None:
        return None
    # An unknown word constrains nothing rather than failing the recommendation.
    return _GENDERS.get(_key(gender))


__all__ = ["ADULT_AGES", "CHILD_AGES", "TEEN_AGES", "Audience", "parse_gender", "parse_recipient"]
