"""Scenario problems, reported as ``<file>: <dotted.key>: <what is wrong>`` lines.

A problem in a value set on the command line or from Python has no file; it is reported
as ``--set <key>: <what is wrong>`` (or ``override <key>: ...``, ``event <key>: ...``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["KEYWORDS", "OVERRIDES", "SETTERS", "Problem", "ScenarioError"]

OVERRIDES = "--set"
KEYWORDS = "override"
SETTERS = (OVERRIDES, KEYWORDS)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a scenario: where it came from, which key, and what is wrong."""

    file: str
    key: str
    message: str

    def __str__(self) -> str:
        if self.file in SETTERS:
            return f"{self.file} {self.key or '(empty key)'}: {self.message}"
        return f"{self.file}: {self.key or '(top level)'}: {self.message}"


class ScenarioError(ValueError):
    """A scenario could not be loaded; ``problems`` lists every problem, not just the first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(dict.fromkeys(problems))
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def one(cls, file: str, key: str, message: str) -> ScenarioError:
        """An error with a single problem."""
        return cls([Problem(file, key, message)])
