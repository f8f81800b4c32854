"""Problems found while loading a bot project, each with its file, line and column."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: Path
    line: int
    col: int
    message: str
    severity: Literal["error", "warning"] = "error"

    def format(self, relative_to: Path | None = None) -> str:
        """``path:line:col: message``, the path relative to ``relative_to`` when inside it."""
        path = self.path
        if relative_to is not None and self.path.is_relative_to(relative_to):
            path = self.path.relative_to(relative_to)
        prefix = "" if self.severity == "error" else "warning: "
        return f"{path}:{self.line}:{self.col}: {prefix}{self.message}"


class ProjectError(Exception):
    """The project has errors; ``diagnostics`` lists every one."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        errors = [d for d in diagnostics if d.severity == "error"]
        lines = "\n".join(d.format() for d in errors[:20])
        more = f"\n... and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"{len(errors)} error(s) in the bot project:\n{lines}{more}")


__all__ = ["Diagnostic", "ProjectError"]
