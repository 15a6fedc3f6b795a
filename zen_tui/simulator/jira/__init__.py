"""The simulated Jira Cloud: REST v3 (v2 and latest alongside), JQL, bulk operations,
metadata for real clients (fields, editmeta, createmeta, users, statuses) and OAuth 2.0 3LO."""

from zen_tui.simulator.jira.service import JiraSim

__all__ = ["JiraSim"]
