"""Jira's scoped rate limits against the simulator, client and outbox on one virtual clock:
the simulator's world, its fresh Jira budgets and the client all read `clock`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from zen_tui.gateway import FakeClock
from zen_tui.models import Action, Issue
from zen_tui.services.jira import JiraClient

from ..conftest import jira_ending_at_long_waits, jira_on_virtual_time


@pytest.fixture
def clock(sim: Any) -> Iterator[FakeClock]:
    with jira_on_virtual_time(sim) as clock:
        yield clock


@pytest.fixture
async def jira(sim: Any, clock: FakeClock) -> AsyncIterator[JiraClient]:
    async with jira_ending_at_long_waits(sim, clock) as client:
        yield client


def comment(issue: Issue, text: str) -> Action:
    return Action(kind="comment", item_id=issue.id, account="jira", params={"body": text})
