"""Organizations' cohesion and membership rules (mechanism 6).

Cohesion is the mean alignment with the organization's leaders of all its followers,
suspended ones included (a member that froze its participation, like Armenia in the CSTO
in 2024, still counts, with its alignment), and 1 with no follower:

    cohesion[o] = mean_{m in followers(o)} sum_{p in leaders(o)} a_m[p]

Membership rules have hysteresis: a member (active or suspended) whose alignment with the
leaders stays below ``leave_threshold``, or below ``leave_ratio`` times its highest level of
the last ``memory_months`` months (a turn), for ``patience_months`` consecutive months leaves;
a listed candidate whose alignment stays above ``join_threshold`` as long joins. Each
counter runs only while its action is possible.

Hosts evict foreign bases by the same kind of rule, on how far they have turned: a host
whose alignment with a base's power stays below ``base_rules.evict_ratio`` times its highest
level over the last ``memory_months`` months, for ``patience_months`` months, closes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from multipolar.config.schema import MembershipRules

__all__ = ["EvictionCounter", "RuleCounters", "cohesion", "eviction_decision", "rule_decision"]


def cohesion(levels: Sequence[float]) -> float:
    """Mean alignment of the followers with the leaders (1 for an organization without any)."""
    return float(sum(levels) / len(levels)) if levels else 1.0


@dataclass(frozen=True)
class RuleCounters:
    """Months below the exit bar and above the join threshold, and recent levels.

    ``recent`` holds the member's last alignments with the leaders (newest last).
    """

    below: int = 0
    above: int = 0
    recent: tuple[float, ...] = ()


def _recent(before: tuple[float, ...], level: float, memory: int) -> tuple[float, ...]:
    """The last ``memory`` monthly levels, this month's included."""
    return (*before[max(0, len(before) - memory + 1) :], level)


def rule_decision(
    status: str | None,
    level: float,
    candidate: bool,
    counters: RuleCounters,
    rules: MembershipRules,
) -> tuple[str | None, RuleCounters]:
    """This month's rule-made change for one state, and the counters to keep.

    The change is ``join``, ``leave`` or None.

    Args:
        status: ``active``, ``suspended`` or None for a non-member.
        level: the state's alignment with the organization's leaders.
        candidate: whether the state may join by the rules.
        counters: the state's counters so far.
        rules: the organization's rules.
    """
    member = status is not None
    may_join = not member and candidate
    # the recent levels matter only to a member, and only with the turn rule on
    turns = member and rules.leave_ratio > 0
    recent = _recent(counters.recent, level, rules.memory_months) if turns else ()
    low = member and (
        level < rules.leave_threshold or level < rules.leave_ratio * max(recent, default=0.0)
    )
    below = counters.below + 1 if low else 0
    above = counters.above + 1 if may_join and level > rules.join_threshold else 0
    if member and below >= rules.patience_months:
        return "leave", RuleCounters()
    if may_join and above >= rules.patience_months:
        return "join", RuleCounters()
    return None, RuleCounters(below, above, recent)


@dataclass(frozen=True)
class EvictionCounter:
    """A host's recent alignments with a base's power (newest last), and its months below."""

    recent: tuple[float, ...]
    below: int = 0


def eviction_decision(
    level: float,
    counter: EvictionCounter | None,
    ratio: float,
    memory: int,
    patience: int,
) -> tuple[bool, EvictionCounter]:
    """Whether a host evicts a base this month, and the counter to keep.

    The host counts a month below when its alignment is under ``ratio`` times its highest
    alignment over the last ``memory`` months (this one included): a turn, not a level.

    Args:
        level: the host's alignment with the base's power this month.
        counter: the counter so far; None the first month the rule sees the base.
        ratio: ``base_rules.evict_ratio``.
        memory: ``base_rules.memory_months``.
        patience: ``base_rules.patience_months``.
    """
    recent = _recent(() if counter is None else counter.recent, level, memory)
    below = (0 if counter is None else counter.below) + 1 if level < ratio * max(recent) else 0
    if below >= patience:
        return True, EvictionCounter(recent)
    return False, EvictionCounter(recent, below)
