"""Text every package reads the same way: numbers from untrusted input."""

from .numbers import INT64_MAX, parse_ascii_int

__all__ = ["INT64_MAX", "parse_ascii_int"]
