"""Reading YAML with the line and column of every node, for line-accurate errors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

Pos = tuple[int, int]  # 1-based line and column
PathKey = tuple[str | int, ...]


@dataclass
class YamlDoc:
    """A parsed YAML file: plain Python data plus the position of every key and value."""

    path: Path
    data: Any
    positions: dict[PathKey, Pos]

    def pos(self, loc: PathKey) -> Pos:
        """Position of ``loc``, or of its nearest ancestor that has one."""
        loc = tuple(loc)
        while loc:
            if loc in self.positions:
                return self.positions[loc]
            loc = loc[:-1]
        return self.positions.get((), (1, 1))


class YamlSyntaxError(Exception):
    def __init__(self, path: Path, line: int, col: int, message: str) -> None:
        super().__init__(f"{path}:{line}:{col}: {message}")
        self.path, self.line, self.col, self.message = path, line, col, message


def _plain(node: Any, loc: PathKey, positions: dict[PathKey, Pos]) -> Any:
    if isinstance(node, CommentedMap):
        out = {}
        for key, value in node.items():
            k = str(key) if not isinstance(key, str | int) else key
            child = (*loc, k)
            try:
                kl, kc = node.lc.key(key)
                positions[child] = (kl + 1, kc + 1)
                vl, vc = node.lc.value(key)
                positions[(*child, "__value__")] = (vl + 1, vc + 1)
            except (KeyError, TypeError, AttributeError):
                positions[child] = positions.get(loc, (1, 1))
            out[k] = _plain(value, child, positions)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, value in enumerate(node):
            child = (*loc, i)
            try:
                il, ic = node.lc.item(i)
                positions[child] = (il + 1, ic + 1)
            except (KeyError, TypeError, AttributeError):
                positions[child] = positions.get(loc, (1, 1))
            items.append(_plain(value, child, positions))
        return items
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool | int | float) or node is None:
        return node
    return str(node)  # dates and other YAML types: kept as their text


def load_yaml(path: Path, text: str | None = None) -> YamlDoc:
    """Parse ``path``; raise YamlSyntaxError with the position of the problem."""
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise YamlSyntaxError(path, 1, 1, f"not UTF-8 text ({exc.reason})") from exc
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        node = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context_mark is not None and "<stream end>" in problem:
            # An unclosed bracket or quote: the useful place is where it was opened.
            mark = exc.context_mark
            problem = f"{exc.context}: never closed ({problem})"
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlSyntaxError(path, line, col, f"YAML syntax error: {problem}") from exc
    except YAMLError as exc:
        raise YamlSyntaxError(path, 1, 1, f"YAML error: {exc}") from exc
    positions: dict[PathKey, Pos] = {(): (1, 1)}
    data = _plain(node, (), positions)
    return YamlDoc(path, data, positions)


__all__ = ["Pos", "PathKey", "YamlDoc", "YamlSyntaxError", "load_yaml"]
