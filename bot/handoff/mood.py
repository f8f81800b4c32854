"""A small, multilingual detector of angry or complaining messages.

Not sentiment analysis: word stems that signal anger or a complaint in en/pl/es/ru/fa, plus
two signals that work in any script: shouting in capitals and runs of ``!``/``?!``. Each
strong word (a complaint, a threat to leave or sue) scores 2, each mild word 1, shouting 1,
"!!!" 1; a message at or over the threshold (default 2) calls a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shoptext import fold

from .config import AngryConfig

# Stems: a word matches when it starts with one (``ridiculous`` -> ``ridiculously``). Multi-word
# entries match as a phrase.
STRONG: dict[str, list[str]] = {
    "en": [
        "complain",
        "complaint",
        "scam",
        "fraud",
        "lawyer",
        "sue ",
        "worst",
        "unacceptable",
        "disgust",
        "furious",
        "rip off",
        "ripoff",
        "never again",
        "useless",
        "pathetic",
    ],
    "pl": [
        "reklamac",
        "skarg",
        "oszu",
        "oszust",
        "złodziej",
        "prawnik",
        "najgorsz",
        "skandal",
        "żenad",
        "nie do przyjęcia",
        "wściek",
        "beznadziej",
    ],
    "es": [
        "queja",
        "quejar",
        "reclamación",
        "reclamacion",
        "estafa",
        "fraude",
        "abogado",
        "el peor",
        "la peor",
        "inaceptable",
        "vergüenza",
        "verguenza",
        "furioso",
        "furiosa",
        "inútil",
        "inutil",
    ],
    "ru": [
        "жалоб",
        "пожалуюсь",
        "претензи",
        "мошенн",
        "обман",
        "развод",
        "юрист",
        "суд ",
        "худш",
        "безобраз",
        "возмут",
        "позор",
        "бесполез",
        "отвратительн",
    ],
    "fa": [
        "شکایت",
        "کلاهبردار",
        "کلاه‌بردار",
        "وکیل",
        "افتضاح",
        "بدترین",
        "غیرقابل قبول",
        "اعتراض",
        "دزد",
    ],
}
MILD: dict[str, list[str]] = {
    "en": [
        "angry",
        "annoy",
        "ridiculous",
        "terrible",
        "awful",
        "horrible",
        "still waiting",
        "where is my",
        "wtf",
        "damn",
        "refund",
        "disappoint",
    ],
    "pl": [
        "zły",
        "zła ",
        "denerwu",
        "wkurz",
        "okropn",
        "fataln",
        "straszn",
        "nadal czekam",
        "ciągle czekam",
        "gdzie jest moja",
        "zwrot",
        "rozczarow",
    ],
    "es": [
        "enfadad",
        "enojad",
        "molest",
        "ridícul",
        "ridicul",
        "terrible",
        "horrible",
        "todavía espero",
        "sigo esperando",
        "reembolso",
        "decepcion",
    ],
    "ru": [
        "злюсь",
        "зол ",
        "раздража",
        "бесит",
        "ужасн",
        "кошмар",
        "до сих пор",
        "где мой",
        "где моя",
        "возврат",
        "разочаров",
    ],
    "fa": ["عصبانی", "ناراحت", "وحشتناک", "مسخره", "هنوز منتظر", "کجاست", "بازپرداخت", "ناامید"],
}

_BANGS = re.compile(r"(!\s*){3,}|\?!|!\?")
_PUNCT = re.compile(r"[^\w\s‌]+")  # keep the Persian zero-width non-joiner


def _norm(text: str) -> str:
    text = fold(text)  # case, accents, ё, Arabic letters typed on Persian keyboards
    return " " + " ".join(_PUNCT.sub(" ", text).split()) + " "


def _stem(word: str) -> str:
    """A word list entry as searched for: word-initial, and word-final if it ends in a space."""
    norm = _norm(word)
    return norm if word.endswith(" ") else norm.rstrip()


@dataclass(frozen=True)
class Mood:
    score: int
    signals: tuple[str, ...]

    def angry(self, threshold: int) -> bool:
        return self.score >= threshold


class AngerDetector:
    def __init__(self, config: AngryConfig | None = None) -> None:
        self.config = config or AngryConfig()
        strong = {w for words in STRONG.values() for w in words}
        mild = {w for words in MILD.values() for w in words}
        extra = {w for words in self.config.words.values() for w in words}
        strong_stems = {_stem(w) for w in strong | extra}
        weights = {**{_stem(w): 1 for w in mild}, **dict.fromkeys(strong_stems, 2)}
        # Longest first, so "complaint" is counted once, not again as "complain".
        self._stems = sorted(weights.items(), key=lambda kv: -len(kv[0]))

    def mood(self, text: str) -> Mood:
        norm = _norm(text)
        signals: list[str] = []
        score = 0
        # A stem must start a word (the leading space), so "sue" is not found in "issue".
        found: list[str] = []
        for stem, weight in self._stems:
            if stem in norm and not any(stem in longer for longer in found):
                found.append(stem)
                signals.append(stem.strip())
                score += weight
        letters = [c for c in text if c.isalpha()]
        cased = [c for c in letters if c.isupper() or c.islower()]
        if len(cased) >= 8 and sum(c.isupper() for c in cased) / len(cased) >= 0.8:
            signals.append("CAPS")
            score += 1
        if _BANGS.search(text):
            signals.append("!!!")
            score += 1
        return Mood(score, tuple(signals))

    def is_angry(self, text: str) -> bool:
        return self.config.enabled and self.mood(text).angry(self.config.threshold)


__all__ = ["MILD", "STRONG", "AngerDetector", "Mood"]
