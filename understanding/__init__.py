"""Understanding what shoppers type: language, intent and values, in every shop locale.

Pure and I/O-free, like the flow engine: text, the session's locale and the shop's
vocabulary in, an :class:`Understanding` out. Built once per project by the flow loader.

Errors::

    VocabularyError     a vocabulary file is not valid (the loader reports it with file:line)
"""

from .intents import IntentIndex
from .language import LanguageDetector
from .understand import CLARIFY, OFF_TOPIC, START, Understander, Understanding
from .vocabulary import (
    CatalogTerms,
    CatalogVocabulary,
    Vocabulary,
    VocabularyError,
    VocabularyFile,
    builtin_vocabulary,
    parse_vocabulary,
)

__all__ = [
    "CLARIFY",
    "OFF_TOPIC",
    "START",
    "CatalogTerms",
    "CatalogVocabulary",
    "IntentIndex",
    "LanguageDetector",
    "Understander",
    "Understanding",
    "Vocabulary",
    "VocabularyError",
    "VocabularyFile",
    "builtin_vocabulary",
    "parse_vocabulary",
]
