"""The membership table: which state belongs to which organization, since when, in what status.

States may belong to several organizations at once (Kazakhstan is in the CSTO, the SCO and
the EAEU), so memberships are rows of a table rather than Mesa meta-agents. Every change is
kept in ``history`` for the outputs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

__all__ = ["Change", "MembershipTable"]

Status = Literal["active", "suspended"]


@dataclass(frozen=True)
class Change:
    """One change of membership: who, where, what, when, and why (an event or a rule)."""

    date: dt.date
    organization: str
    state: str
    action: Literal["join", "leave", "suspend", "resume"]
    cause: str


class MembershipTable:
    """Current memberships keyed by (organization, state), with their history."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], tuple[Status, dt.date]] = {}
        self.history: list[Change] = []

    def status(self, organization: str, state: str) -> Status | None:
        """``active``, ``suspended``, or None for a non-member."""
        row = self._rows.get((organization, state))
        return None if row is None else row[0]

    def since(self, organization: str, state: str) -> dt.date | None:
        """Date of the last change of this membership, or None for a non-member."""
        row = self._rows.get((organization, state))
        return None if row is None else row[1]

    def members(self, organization: str, *, include_suspended: bool = False) -> list[str]:
        """Members of an organization, active ones only unless asked otherwise, in join order."""
        return [
            state
            for (org, state), (status, _) in self._rows.items()
            if org == organization and (include_suspended or status == "active")
        ]

    def rows(self) -> list[tuple[tuple[str, str], Status]]:
        """Every current membership as ``((organization, state), status)``."""
        return [(key, status) for key, (status, _) in self._rows.items()]

    def organizations_of(self, state: str) -> list[str]:
        """Organizations where ``state`` is an active member."""
        return [
            org for (org, s), (status, _) in self._rows.items() if s == state and status == "active"
        ]

    def join(self, organization: str, state: str, date: dt.date, cause: str) -> bool:
        """Make ``state`` an active member (joining or resuming); False if it already is one."""
        current = self.status(organization, state)
        if current == "active":
            return False
        self._rows[(organization, state)] = ("active", date)
        action = "resume" if current == "suspended" else "join"
        self.history.append(Change(date, organization, state, action, cause))
        return True

    def suspend(self, organization: str, state: str, date: dt.date, cause: str) -> bool:
        """Suspend an active membership; False if the state is not an active member."""
        if self.status(organization, state) != "active":
            return False
        self._rows[(organization, state)] = ("suspended", date)
        self.history.append(Change(date, organization, state, "suspend", cause))
        return True

    def leave(self, organization: str, state: str, date: dt.date, cause: str) -> bool:
        """End a membership (active or suspended); False if the state is not a member."""
        if self._rows.pop((organization, state), None) is None:
            return False
        self.history.append(Change(date, organization, state, "leave", cause))
        return True
