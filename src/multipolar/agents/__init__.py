"""Mesa agents: states and organizations."""

from __future__ import annotations

from multipolar.agents.organization import OrganizationAgent
from multipolar.agents.state import StateAgent

__all__ = ["OrganizationAgent", "StateAgent"]
