"""Which of the shop's languages a message is written in, when that is clear.

``lingua-language-detector`` does the detection: it works offline, is built for short
texts (a few words, where n-gram detectors like ``langdetect`` guess), and can be restricted
to the shop's locales, which makes it both faster and far more accurate. Its Rust core
answers a short message in ~0.1 ms. A language is decided only above a confidence
threshold and for a message with enough letters; "ok", "8" or "LEGO" decide nothing, so
the session keeps its language.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache

from .text import script

# ISO 639-1 codes of lingua's languages that shops are likely to run in; others are left to
# the session's locale (no detection) rather than guessed.
_LINGUA_NAMES = {
    "af": "AFRIKAANS",
    "ar": "ARABIC",
    "az": "AZERBAIJANI",
    "be": "BELARUSIAN",
    "bg": "BULGARIAN",
    "bn": "BENGALI",
    "bs": "BOSNIAN",
    "ca": "CATALAN",
    "cs": "CZECH",
    "cy": "WELSH",
    "da": "DANISH",
    "de": "GERMAN",
    "el": "GREEK",
    "en": "ENGLISH",
    "eo": "ESPERANTO",
    "es": "SPANISH",
    "et": "ESTONIAN",
    "eu": "BASQUE",
    "fa": "PERSIAN",
    "fi": "FINNISH",
    "fr": "FRENCH",
    "ga": "IRISH",
    "gu": "GUJARATI",
    "he": "HEBREW",
    "hi": "HINDI",
    "hr": "CROATIAN",
    "hu": "HUNGARIAN",
    "hy": "ARMENIAN",
    "id": "INDONESIAN",
    "is": "ICELANDIC",
    "it": "ITALIAN",
    "ja": "JAPANESE",
    "ka": "GEORGIAN",
    "kk": "KAZAKH",
    "ko": "KOREAN",
    "la": "LATIN",
    "lt": "LITHUANIAN",
    "lv": "LATVIAN",
    "mk": "MACEDONIAN",
    "mn": "MONGOLIAN",
    "mr": "MARATHI",
    "ms": "MALAY",
    "nb": "BOKMAL",
    "nl": "DUTCH",
    "nn": "NYNORSK",
    "pa": "PUNJABI",
    "pl": "POLISH",
    "pt": "PORTUGUESE",
    "ro": "ROMANIAN",
    "ru": "RUSSIAN",
    "sk": "SLOVAK",
    "sl": "SLOVENE",
    "so": "SOMALI",
    "sq": "ALBANIAN",
    "sr": "SERBIAN",
    "sv": "SWEDISH",
    "sw": "SWAHILI",
    "ta": "TAMIL",
    "te": "TELUGU",
    "th": "THAI",
    "tl": "TAGALOG",
    "tr": "TURKISH",
    "uk": "UKRAINIAN",
    "ur": "URDU",
    "vi": "VIETNAMESE",
    "yo": "YORUBA",
    "zh": "CHINESE",
}
_SCRIPT_OF = {
    "ru": "cyrillic",
    "uk": "cyrillic",
    "bg": "cyrillic",
    "fa": "arabic",
    "ar": "arabic",
    "ur": "arabic",
}

MIN_LETTERS = 6
# Marks only one language writes: an opening question or exclamation mark is Spanish,
# however short the message ("¿eres un bot?", "¡hola!") and whatever its words look like.
_MARKS = {"¿": "es", "¡": "es"}
THRESHOLD = 0.75


class LanguageDetector:
    """Detects the language of short messages among ``locales`` (shop locale codes)."""

    def __init__(
        self,
        locales: Sequence[str],
        *,
        threshold: float = THRESHOLD,
        min_letters: int = MIN_LETTERS,
    ) -> None:
        self.locales = [loc for loc in locales if loc.split("-")[0] in _LINGUA_NAMES]
        self.threshold = threshold
        self.min_letters = min_letters
        self._lock = threading.Lock()
        self._detector: object | None = None
        self._by_name: dict[str, str] = {}
        # A locale that is the only one of its script is decided by the script alone.
        by_script: dict[str, list[str]] = {}
        for loc in self.locales:
            by_script.setdefault(_SCRIPT_OF.get(loc.split("-")[0], "latin"), []).append(loc)
        self._only_of_script = {s: locs[0] for s, locs in by_script.items() if len(locs) == 1}
        self._by_base = {loc.split("-")[0]: loc for loc in reversed(self.locales)}
        self.detect = lru_cache(maxsize=4096)(self._detect)

    def _lingua(self) -> object | None:
        if self._detector is None and len(self.locales) > 1:
            with self._lock:
                if self._detector is None:
                    from lingua import Language, LanguageDetectorBuilder

                    languages = []
                    for loc in self.locales:
                        lang = getattr(Language, _LINGUA_NAMES[loc.split("-")[0]])
                        languages.append(lang)
                        self._by_name[lang.name] = loc
                    self._detector = (
                        LanguageDetectorBuilder.from_languages(*languages)
                        .with_preloaded_language_models()
                        .build()
                    )
        return self._detector

    def warm(self) -> None:
        """Load the models now rather than on a shopper's first message (~1 s)."""
        self._lingua()

    def _detect(self, text: str) -> tuple[str, float] | None:
        """(locale, confidence) when the text is clearly in one shop locale, else None."""
        letters = [ch for ch in text if ch.isalpha()]
        if len(letters) < 3:
            return None
        scripts = {script(w) for w in text.split() if any(c.isalpha() for c in w)}
        scripts.discard("other")
        if len(scripts) == 1:
            only = self._only_of_script.get(next(iter(scripts)))
            if only is not None:
                return only, 1.0
        for mark, lang in _MARKS.items():
            if mark in text:
                marked = self._by_base.get(lang)
                if marked is not None:
                    return marked, 1.0
        if len(letters) < self.min_letters:
            return None
        detector = self._lingua()
        if detector is None:
            return None
        values = detector.compute_language_confidence_values(text)  # type: ignore[attr-defined]
        if not values:
            return None
        best = values[0]
        if best.value < self.threshold:
            return None
        return self._by_name[best.language.name], float(best.value)


__all__ = ["LanguageDetector"]
