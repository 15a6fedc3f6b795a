"""GET /repos/{o}/{r}/pulls/{n}/files in the GitHub look-alike, as the real API answers it:
`diff-entry` objects, 30 a page by default (100 at most), Link pagination, at most 3,000
files, no `patch` for a binary file or a diff too large to show, ETags and 304s."""

from __future__ import annotations

import httpx

from tests.simulator.github_helpers import open_pr
from zen_tui.simulator.github.files import LARGE_PATCH_LINES
from zen_tui.simulator.github.service import GitHubSim

REQUIRED = {"sha", "filename", "status", "additions", "deletions", "changes", "blob_url"}
REQUIRED |= {"raw_url", "contents_url"}
STATUSES = {"added", "removed", "modified", "renamed", "copied", "changed", "unchanged"}


def _files_url(item: object) -> str:
    return f"/repos/{item.repo.full_name}/pulls/{item.number}/files"  # type: ignore[attr-defined]


async def test_files_are_diff_entries_matching_the_pull_counts(
    gh: httpx.AsyncClient, sim: GitHubSim
) -> None:
    pr = open_pr(sim, seeded_files=None)
    r = await gh.get(_files_url(pr))
    assert r.status_code == 200 and r.headers["etag"].startswith('"')
    files = r.json()
    assert files and all(f.keys() >= REQUIRED and f["status"] in STATUSES for f in files)
    for f in files:
        assert f["changes"] == f["additions"] + f["deletions"]
        assert ("previous_filename" in f) == (f["status"] == "renamed")
        if f["filename"].endswith(".png"):
            assert "patch" not in f  # binary: GitHub sends no patch
        else:
            assert f["patch"].startswith("@@ ")
    pull = (await gh.get(f"/repos/{pr.repo.full_name}/pulls/{pr.number}")).json()
    assert pull["changed_files"] == len(files)
    assert pull["additions"] == sum(f["additions"] for f in files)

    again = await gh.get(_files_url(pr), headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304


async def test_a_push_changes_the_files(gh: httpx.AsyncClient, sim: GitHubSim) -> None:
    pr = open_pr(sim, seeded_files=None)
    before = (await gh.get(_files_url(pr))).json()
    for _ in range(5):  # a new head sha: most pushes change the mix
        sim.state.push(pr)
        if (await gh.get(_files_url(pr))).json() != before:
            return
    raise AssertionError("five pushes never changed the files")


async def test_the_listing_stops_at_3000_files_over_link_pages(
    gh: httpx.AsyncClient, sim: GitHubSim
) -> None:
    huge = next(i for i in sim.state.items if i.seeded_files and len(i.seeded_files) > 3000)
    first = await gh.get(_files_url(huge))
    assert len(first.json()) == 30 and 'rel="next"' in first.headers["link"]  # default page

    names: list[str] = []
    url: str | None = _files_url(huge) + "?per_page=100"
    pages = 0
    while url:
        r = await gh.get(url)
        names += [f["filename"] for f in r.json()]
        pages += 1
        url = r.links.get("next", {}).get("url")
    assert len(names) == 3000 == len(set(names)) and pages == 30
    pull = (await gh.get(f"/repos/{huge.repo.full_name}/pulls/{huge.number}")).json()
    assert pull["changed_files"] == len(huge.seeded_files) > 3000


async def test_a_diff_too_large_has_no_patch(gh: httpx.AsyncClient, sim: GitHubSim) -> None:
    item = next(i for i in sim.state.items if i.seeded_files and len(i.seeded_files) < 3000)
    files = {f["filename"]: f for f in (await gh.get(_files_url(item))).json()}
    big = [f for f in files.values() if f["changes"] > LARGE_PATCH_LINES]
    assert big and all("patch" not in f for f in big)
    long = [f for f in files.values() if "patch" in f and f["patch"].count("\n") > 1000]
    assert long  # a long patch that is still sent: the client must bound what it shows


async def test_files_of_an_issue_is_404(gh: httpx.AsyncClient, sim: GitHubSim) -> None:
    issue = next(i for i in sim.state.items if not i.is_pr)
    r = await gh.get(f"/repos/{issue.repo.full_name}/pulls/{issue.number}/files")
    assert r.status_code == 404 and r.json()["message"] == "Not Found"
