"""Text every package reads the same way: folded words, and numbers from untrusted input."""

from .fold import FOLD_VERSION, fold
from .numbers import INT64_MAX, parse_ascii_int

__all__ = ["FOLD_VERSION", "INT64_MAX", "fold", "parse_ascii_int"]
