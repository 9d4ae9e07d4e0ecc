import datetime as dt

from multipolar.config.schema import MembershipRules
from multipolar.mechanisms.organizations import RuleCounters, cohesion, rule_decision
from multipolar.world import World

RULES = MembershipRules(join_threshold=0.6, leave_threshold=0.2, patience_months=3)


def test_cohesion_is_the_mean_and_one_without_followers():
    assert cohesion([0.2, 0.6]) == 0.4
    assert cohesion([]) == 1.0


def test_leave_only_after_patience_consecutive_months():
    counters = RuleCounters()
    actions = []
    for level in (0.1, 0.1, 0.5, 0.1, 0.1, 0.1):
        action, counters = rule_decision("active", level, False, counters, RULES)
        actions.append(action)
    assert actions == [None, None, None, None, None, "leave"]


def test_join_needs_candidacy_and_patience():
    counters = RuleCounters()
    for _ in range(5):
        action, counters = rule_decision(None, 0.9, False, counters, RULES)
        assert action is None
    actions = []
    for _ in range(3):
        action, counters = rule_decision(None, 0.9, True, counters, RULES)
        actions.append(action)
    assert actions == [None, None, "join"]


def test_suspended_members_count_and_push_away(toy: World):
    toy.memberships.suspend("CSTO", "KAZ", dt.date(2024, 2, 22), cause="event")
    assert "KAZ" in toy.memberships.members("CSTO", include_suspended=True)
    penalty = toy.params.alignment.suspended_penalty
    assert toy.ties("KAZ")[0] == -penalty
    toy.memberships.join("CSTO", "KAZ", dt.date(2025, 1, 1), cause="event")
    assert toy.ties("KAZ")[0] == 1.0


def test_eviction_after_patience_months_below_the_threshold():
    from multipolar.mechanisms.organizations import eviction_decision

    counter, decisions = 0, []
    for level in (0.1, 0.1, 0.3, 0.1, 0.1, 0.1):
        evict, counter = eviction_decision(level, counter, threshold=0.15, patience=3)
        decisions.append(evict)
    assert decisions == [False, False, False, False, False, True]
    assert counter == 0
