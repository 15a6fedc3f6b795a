"""Every request the GitHub client sends, checked against GitHub's current REST description
(API version 2026-03-10, through githubkit's generated operations): the method and path are an
operation of it, the query parameters are ones it names (and `per_page` within its maximum),
and the JSON body validates as its request body. The client runs its whole repertoire against
the simulator: every section kind, a delta read, the preview, the diff, every action and its
verify."""

from __future__ import annotations

from typing import Any, Union

import pydantic
import pytest

from tests.contract.test_github_githubkit import operations, placeholders
from zen_tui.gateway.gateway import Gateway
from zen_tui.gateway.profiles import PROFILES
from zen_tui.models import Action, Item, PullRequest

from .conftest import section

models = pytest.importorskip("githubkit_schemas.v2026_03_10.models")

# GitHub's documented maximum page sizes: 100 (its pagination guide), notifications 50 (their
# reference: "The number of results per page (max 50)").
PER_PAGE_MAX = {"GET /notifications": 50}


class _Models(dict[str, Any]):
    """githubkit's models by name, loaded as asked for (its module loads them lazily)."""

    def __missing__(self, name: str) -> Any:
        try:
            return getattr(models, name)
        except AttributeError:
            raise KeyError(name) from None  # then eval looks in its globals


def body_model(expression: str) -> Any:
    """A body type as githubkit writes it ("Union[A, list[str]]"), as a type."""
    return eval(expression, {"Union": Union, "list": list}, _Models())


async def _run_everything(gh: Any) -> None:
    prs = (await gh.fetch_section(section("github", "is:open review-requested:@me"))).items
    issues = (await gh.fetch_section(section("github", "is:open", pane="issues"))).items
    notes = await gh.fetch_section(section("github", "notifications participating", pane="issues"))
    await gh.fetch_section(
        section("github", "is:open", pane="issues"), cursor=issues[-1].updated_at
    )
    pr = next(i for i in prs if isinstance(i, PullRequest))
    issue = issues[0]
    await gh.details(pr)
    await gh.details(issue)
    await gh.diff(pr)
    await gh.merge_methods(pr.key)
    await gh.exists(issue)

    def act(kind: str, item: Item, **params: str) -> Action:
        return Action(kind=kind, item_id=item.id, account="github", params=params)  # type: ignore[arg-type]

    actions = [
        act("comment", issue, body="on it"),
        act("add_label", issue, label="bug"),
        act("remove_label", issue, label="bug"),
        act("assign", issue, assignee="alice"),
        act("unassign", issue, assignee="alice"),
        act("close", issue),
        act("reopen", issue),
        act("comment", pr, body="a review comment", review="1"),
        act("request_changes", pr, body="please fix"),
        act("approve", pr),
        act("merge", pr, merge_method="squash", sha="0" * 40),
        act("mark_read", notes.items[0]),
        act("mark_done", notes.items[0]),
        Action("create_issue", "slack:C1/1.2", "github", {"repo": pr.repo, "title": "t"}),
    ]
    for n, action in enumerate(actions):
        await gh.verify(action, idempotency_key=f"described-{n}")
        await gh.apply(action, idempotency_key=f"described-{n}")
        await gh.verify(action, idempotency_key=f"described-{n}")


async def test_every_request_is_an_operation_of_the_current_description(
    sim_client, monkeypatch
) -> None:
    sent: list[tuple[str, str, dict[str, Any], Any]] = []
    real = Gateway.request

    async def recorded(self: Gateway, method: str, path: str, **kw: Any) -> Any:
        sent.append(
            (method, kw.get("endpoint") or path, dict(kw.get("params") or {}), kw.get("json"))
        )
        return await real(self, method, path, **kw)

    monkeypatch.setattr(Gateway, "request", recorded)
    await _run_everything(sim_client("github"))

    described = operations()
    seen = set()
    for method, endpoint, params, body in sent:
        if endpoint == "/graphql":  # GitHub's GraphQL API: its schema, not the REST description
            continue
        route = f"{method} {placeholders(endpoint)}"
        assert route in described, f"{route}: not an operation of the description"
        operation = described[route]
        seen.add(operation.name)
        assert set(params) <= operation.params, (route, sorted(set(params) - operation.params))
        assert int(params.get("per_page", 1)) <= PER_PAGE_MAX.get(route, 100), (route, params)
        if body is not None:
            assert operation.body, f"{route} takes no body, was sent {body}"
            value = pydantic.TypeAdapter(body_model(operation.body)).validate_python(body)
            if isinstance(value, pydantic.BaseModel):  # its models ignore unknown fields
                fields = type(value).model_fields
                named = {f.alias or name for name, f in fields.items()}
                assert set(body) <= named, (route, "fields it does not name", set(body) - named)
    # The repertoire above reached every operation zen-tui uses (so each one was checked).
    assert seen >= {
        "search.issues_and_pull_requests",
        "activity.list_notifications_for_authenticated_user",
        "activity.get_thread",
        "activity.mark_thread_as_read",
        "activity.mark_thread_as_done",
        "users.get_authenticated",
        "repos.get",
        "pulls.get",
        "pulls.list_reviews",
        "pulls.list_files",
        "pulls.create_review",
        "pulls.merge",
        "issues.list_for_repo",
        "issues.create",
        "issues.get",
        "issues.update",
        "issues.list_comments",
        "issues.create_comment",
        "issues.list_labels_on_issue",
        "issues.add_labels",
        "issues.remove_label",
        "issues.add_assignees",
        "issues.remove_assignees",
        "repos.get_combined_status_for_ref",
        "checks.list_for_ref",
    }, sorted(seen)


async def test_issues_read_as_version_2026_03_10_answers_them(sim, sim_client, monkeypatch) -> None:
    """REST API version 2026-03-10 removed the singular `assignee` (its breaking changes): an
    issue's assignee is read from `assignees`, as both versions answer it, so asking for the
    newer version loses nobody."""
    monkeypatch.setitem(PROFILES["github"].default_headers, "X-GitHub-Api-Version", "2026-03-10")
    state = sim.world.services["github"].state
    assigned = {
        f"{i.repo.full_name}#{i.number}": i.assignees[0]
        for i in state.items
        if not i.is_pr and i.state == "open" and i.assignees
    }
    assert assigned
    gh = sim_client("github")
    issues = await gh.fetch_section(section("github", "is:open", pane="issues"), limit=1000)
    read = {i.key: i.assignee for i in issues.items if i.key in assigned}
    assert read and read == {key: assigned[key] for key in read}
