"""Text every package reads the same way: folded words, JSON Lines files, and numbers from
untrusted input."""

from .fold import FOLD_VERSION, fold
from .jsonl import JsonLine, json_lines
from .numbers import INT64_MAX, parse_ascii_int

__all__ = ["FOLD_VERSION", "INT64_MAX", "JsonLine", "fold", "json_lines", "parse_ascii_int"]
