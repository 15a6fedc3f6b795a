"""The GitHub client against the simulator's paging edges: Link headers without rel="last"
(GitHub leaves it out where it cannot compute it) and lists answered `204 No Content`."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

from zen_tui.models import Action
from zen_tui.services import make_client

from .conftest import section, sim_gateway


@pytest.fixture(scope="module")
def sim() -> Iterator[Any]:
    """A simulator of its own whose budgets allow the many small search pages read here
    (search's 30 a minute would end the invariant's rounds early)."""
    from zen_tui.simulator.server import SimulatorServer

    with SimulatorServer(seed=7, size=120, rate_scale=100.0) as server:
        yield server


@pytest.fixture
def github(sim: Any) -> Iterator[Any]:
    """The simulator's GitHub; every setting a test changes is put back after it."""
    gh = sim.world.services["github"]
    yield gh
    gh.link_last, gh.empty_lists_no_content = True, False


async def test_paging_without_last_collects_every_item_once_in_order(
    sim_client, github, monkeypatch
) -> None:
    """Invariant, over random page sizes: following `next` alone reads the same items, in
    the same order, as the paging whose links name the last page."""
    rng = random.Random(20261206)
    query = section("github", "is:open")
    for _ in range(8):
        monkeypatch.setattr("zen_tui.services.github.PER_PAGE", rng.randint(1, 8))
        github.link_last = True
        want = await sim_client("github").fetch_section(query, limit=1000)
        github.link_last = False
        got = await sim_client("github").fetch_section(query, limit=1000)
        assert got.complete and not got.partial and got.stale_error is None
        assert [i.id for i in got.items] == [i.id for i in want.items]
        assert len({i.id for i in got.items}) == len(got.items) > 15


async def test_comment_verify_walks_next_when_there_is_no_last(
    sim_client, github, monkeypatch
) -> None:
    """The comment check reads newest first via rel="last"; without it, it walks `next`
    and still finds the comment on the last page."""
    monkeypatch.setattr("zen_tui.services.github.PER_PAGE", 2)
    gh = sim_client("github")
    issue = (await gh.fetch_section(section("github", "is:open", pane="issues"))).items[0]
    for n in range(5):  # some pages of comments before ours
        note = Action(kind="comment", item_id=issue.id, account="github", params={"body": f"{n}"})
        assert (await gh.apply(note, idempotency_key=f"pad-{n}")).ok
    ours = Action(kind="comment", item_id=issue.id, account="github", params={"body": "ours"})
    assert (await gh.apply(ours, idempotency_key="nolast-1")).ok
    github.link_last = False
    assert await gh.verify(ours, idempotency_key="nolast-1") is True
    assert await gh.verify(ours, idempotency_key="nolast-missing") is False


async def test_no_content_lists_read_as_empty(sim: Any, sim_client, github) -> None:
    """204 No Content for an empty list is an empty list everywhere the client lists: an
    inbox with nothing in it, a preview's empty comments, verify's scans of issues and
    comments (which took it for a malformed answer before)."""
    github.empty_lists_no_content = True
    gh = sim_client("github")
    items = (await gh.fetch_section(section("github", "is:open", pane="issues"))).items
    silent = {f"{i.repo.full_name}#{i.number}" for i in github.state.items if not i.comments}
    quiet = next(i for i in items if i.key in silent)
    detail = await gh.details(quiet)
    assert detail.error is None and detail.comments == ()
    comment = Action(kind="comment", item_id=quiet.id, account="github", params={"body": "x"})
    assert await gh.verify(comment, idempotency_key="none-yet") is False
    repo = quiet.key.split("#")[0]
    create = Action(
        kind="create_issue",
        item_id="github:new",
        account="github",
        params={"repo": repo, "title": "t"},
    )
    assert await gh.verify(create, idempotency_key="never-created") is False
    github.other_users.clear()
    token = github.add_user("newcomer")  # their inbox is empty: the whole list is a 204
    gateway = sim_gateway(sim, "github", token=token)
    try:
        newcomer = make_client(sim.account("github"), gateway)
        inbox = await newcomer.fetch_section(section("github", "notifications", pane="issues"))
        assert inbox.items == [] and inbox.complete and inbox.stale_error is None
    finally:
        await gateway.aclose()
