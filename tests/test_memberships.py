from __future__ import annotations

import datetime as dt

from multipolar.memberships import MembershipTable

D = dt.date(2024, 1, 1)


def test_overlapping_memberships_and_history() -> None:
    table = MembershipTable()
    assert table.join("CSTO", "KAZ", D, "initial") and table.join("SCO", "KAZ", D, "initial")
    assert sorted(table.organizations_of("KAZ")) == ["CSTO", "SCO"]
    assert not table.join("SCO", "KAZ", D, "event")  # already a member
    assert table.suspend("CSTO", "KAZ", D, "event")
    assert table.organizations_of("KAZ") == ["SCO"]
    assert table.members("CSTO") == [] and table.members("CSTO", include_suspended=True) == ["KAZ"]
    assert table.join("CSTO", "KAZ", D, "rule")
    assert table.leave("SCO", "KAZ", D, "event") and not table.leave("SCO", "KAZ", D, "event")
    assert [c.action for c in table.history] == ["join", "join", "suspend", "resume", "leave"]
