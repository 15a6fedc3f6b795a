"""Render the simulated GitHub state as REST and webhook JSON (shapes from GitHub's REST
schemas and octokit webhook payloads, as vendored in tests/contracts/)."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

from zen_tui.simulator.github.files import FileChange
from zen_tui.simulator.github.state import (
    TEAMS,
    Comment,
    GitHubState,
    Item,
    Repo,
    Review,
    Thread,
)

HTML = "https://github.com"
# A repository's merge settings: the method -> its allow_* field (full-repository).
MERGE_FIELDS = {"merge": "merge_commit", "squash": "squash_merge", "rebase": "rebase_merge"}
# Issue fields a pull request object shares (the rest are PR-specific).
PR_FROM_ISSUE = (
    "html_url",
    "id",
    "number",
    "title",
    "user",
    "labels",
    "state",
    "locked",
    "assignee",
    "assignees",
    "milestone",
    "created_at",
    "updated_at",
    "closed_at",
    "author_association",
    "active_lock_reason",
    "body",
)


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sha_of(*parts: object) -> str:
    return hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()


def node_id(kind: str, ident: int) -> str:
    return base64.b64encode(f"0:{kind}{ident}".encode()).decode()


class Renderer:
    def __init__(self, state: GitHubState) -> None:
        self.state = state
        self.api_base = "http://127.0.0.1/github"  # updated from each request's own URL
        # Rendered users and repos, reused until the state changes (treat them as read-only).
        self._cache: dict[tuple[str, str, object], dict[str, Any]] = {}
        self._cache_version = -1

    def _cached(self, kind: str, key: object) -> dict[str, Any] | None:
        if self._cache_version != self.state.version:
            self._cache.clear()
            self._cache_version = self.state.version
        return self._cache.get((kind, self.api_base, key))

    # ---- small objects ----
    def user(self, login: str) -> dict[str, Any]:
        cached = self._cached("user", login)
        if cached is None:
            cached = self._cache[("user", self.api_base, login)] = self._user(login)
        return cached

    def author(self, login: str) -> dict[str, Any] | None:
        """Who wrote an issue, PR, comment or review: null once that account is deleted (the
        schema's nullable-simple-user; GitHub's web pages show "ghost")."""
        return None if login in self.state.deleted_users else self.user(login)

    def _user(self, login: str) -> dict[str, Any]:
        api = f"{self.api_base}/users/{login}"
        uid = self.state.users.get(login, 0)
        return {
            "login": login,
            "id": uid,
            "node_id": node_id("User", uid),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4",
            "gravatar_id": "",
            "url": api,
            "html_url": f"{HTML}/{login}",
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": "User",
            "site_admin": False,
        }

    def label(self, repo: Repo, name: str) -> dict[str, Any]:
        ident, color = repo.labels.get(name, (0, "ededed"))
        return {
            "id": ident,
            "node_id": node_id("Label", ident),
            "url": f"{self.repo_url(repo)}/labels/{name}",
            "name": name,
            "color": color,
            "default": name in ("bug", "enhancement", "documentation"),
            # A string, not null: the REST schema of the contract version requires one.
            "description": f"{name} (simulated)",
            "archived_at": None,  # the current description (2026-03-10) requires both
            "archived_by": None,
        }

    def team(self, slug: str) -> dict[str, Any]:
        """A team of the acme org: valid as REST `team-simple` and as the webhook `team`."""
        ident = 100 + sorted(TEAMS).index(slug)
        url = f"{self.api_base}/organizations/1/team/{ident}"
        return {
            "name": slug.capitalize(),
            "id": ident,
            "node_id": node_id("Team", ident),
            "slug": slug,
            "description": f"The {slug} team (simulated)",
            "privacy": "closed",
            "notification_setting": "notifications_enabled",
            "url": url,
            "html_url": f"https://github.com/orgs/acme/teams/{slug}",
            "members_url": url + "/members{/member}",
            "repositories_url": url + "/repos",
            "permission": "push",
            "parent": None,
            "type": "organization",
        }

    def repo_url(self, repo: Repo) -> str:
        return f"{self.api_base}/repos/{repo.full_name}"

    def repo(self, repo: Repo) -> dict[str, Any]:
        cached = self._cached("repo", repo.id)
        if cached is None:
            cached = self._cache[("repo", self.api_base, repo.id)] = self._repo(repo)
        return cached

    def full_repo(self, repo: Repo, *, merge_settings: bool = True) -> dict[str, Any]:
        """GET/PATCH /repos/{owner}/{repo}: a `full-repository`, which has fields the
        webhook's repository may not carry (its schema allows no others), among them the
        merge methods its settings allow (optional in the description: `merge_settings`
        False leaves them out)."""
        allowed = {
            f"allow_{name}": method in repo.merge_methods for method, name in MERGE_FIELDS.items()
        }
        return {
            **self.repo(repo),
            "has_discussions": False,
            "subscribers_count": 7,
            "network_count": 3,
            **(allowed if merge_settings else {}),
        }

    def _repo(self, repo: Repo) -> dict[str, Any]:
        """A full repository: valid as REST `repository` and as the webhook repository."""
        api = self.repo_url(repo)
        open_count = sum(1 for i in repo.items.values() if i.state == "open")
        # From the state, not the clock: bodies (and so ETags) stay put until something changes.
        last_change = max((i.updated for i in repo.items.values()), default=repo.created)
        urls = {
            "forks_url": "/forks",
            "keys_url": "/keys{/key_id}",
            "collaborators_url": "/collaborators{/collaborator}",
            "teams_url": "/teams",
            "hooks_url": "/hooks",
            "issue_events_url": "/issues/events{/number}",
            "events_url": "/events",
            "assignees_url": "/assignees{/user}",
            "branches_url": "/branches{/branch}",
            "tags_url": "/tags",
            "blobs_url": "/git/blobs{/sha}",
            "git_tags_url": "/git/tags{/sha}",
            "git_refs_url": "/git/refs{/sha}",
            "trees_url": "/git/trees{/sha}",
            "statuses_url": "/statuses/{sha}",
            "languages_url": "/languages",
            "stargazers_url": "/stargazers",
            "contributors_url": "/contributors",
            "subscribers_url": "/subscribers",
            "subscription_url": "/subscription",
            "commits_url": "/commits{/sha}",
            "git_commits_url": "/git/commits{/sha}",
            "comments_url": "/comments{/number}",
            "issue_comment_url": "/issues/comments{/number}",
            "contents_url": "/contents/{+path}",
            "compare_url": "/compare/{base}...{head}",
            "merges_url": "/merges",
            "archive_url": "/{archive_format}{/ref}",
            "downloads_url": "/downloads",
            "issues_url": "/issues{/number}",
            "pulls_url": "/pulls{/number}",
            "milestones_url": "/milestones{/number}",
            "notifications_url": "/notifications{?since,all,participating}",
            "labels_url": "/labels{/name}",
            "releases_url": "/releases{/id}",
            "deployments_url": "/deployments",
        }
        return {
            "id": repo.id,
            "node_id": node_id("Repository", repo.id),
            "name": repo.name,
            "full_name": repo.full_name,
            "private": False,
            "owner": self.user(repo.owner) | {"type": "Organization"},
            "html_url": f"{HTML}/{repo.full_name}",
            "description": f"The {repo.name} service",
            "fork": False,
            "url": api,
            **{key: api + suffix for key, suffix in urls.items()},
            "created_at": iso(repo.created),
            "updated_at": iso(last_change),
            "pushed_at": iso(last_change),
            "git_url": f"git://github.com/{repo.full_name}.git",
            "ssh_url": f"git@github.com:{repo.full_name}.git",
            "clone_url": f"{HTML}/{repo.full_name}.git",
            "svn_url": f"{HTML}/{repo.full_name}",
            "homepage": None,
            "size": 1024,
            "stargazers_count": 42,
            "watchers_count": 42,
            "language": "Python",
            "has_issues": repo.has_issues,
            "has_projects": True,
            "has_downloads": True,
            "has_wiki": False,
            "has_pages": False,
            "forks_count": 3,
            "mirror_url": None,
            "archived": repo.archived,
            "disabled": False,
            "open_issues_count": open_count,
            "license": None,
            "forks": 3,
            "open_issues": open_count,
            "watchers": 42,
            "default_branch": "main",
            "is_template": False,
            "web_commit_signoff_required": False,
            "topics": [],
            "visibility": "public",
            "custom_properties": {},
        }

    # ---- issues and PRs ----
    def _issue_core(self, item: Item) -> dict[str, Any]:
        repo_api = self.repo_url(item.repo)
        api = f"{repo_api}/issues/{item.number}"
        kind = "pull" if item.is_pr else "issues"
        return {
            "url": api,
            "repository_url": repo_api,
            "labels_url": f"{api}/labels{{/name}}",
            "comments_url": f"{api}/comments",
            "events_url": f"{api}/events",
            "html_url": f"{HTML}/{item.repo.full_name}/{kind}/{item.number}",
            "id": item.id,
            "node_id": node_id("Issue", item.id),
            "number": item.number,
            "title": item.title,
            "user": self.author(item.user),
            "labels": [self.label(item.repo, n) for n in item.labels],
            "state": item.state,
            "locked": False,
            "assignee": self.user(item.assignees[0]) if item.assignees else None,
            "assignees": [self.user(u) for u in item.assignees],
            "milestone": None,
            "comments": len(item.comments),
            "created_at": iso(item.created),
            "updated_at": iso(item.updated),
            "closed_at": iso(item.closed),
            "author_association": "OWNER" if item.user == "me" else "MEMBER",
            "active_lock_reason": None,
            "body": item.body,
            "performed_via_github_app": None,
            "state_reason": ("completed" if item.state == "closed" else None),
            "timeline_url": f"{api}/timeline",
        }

    def _pr_ref(self, item: Item) -> dict[str, Any]:
        api = f"{self.repo_url(item.repo)}/pulls/{item.number}"
        return {
            "url": api,
            "html_url": f"{HTML}/{item.repo.full_name}/pull/{item.number}",
            "diff_url": f"{HTML}/{item.repo.full_name}/pull/{item.number}.diff",
            "patch_url": f"{HTML}/{item.repo.full_name}/pull/{item.number}.patch",
            "merged_at": iso(item.merged_at),
        }

    def issue(self, item: Item) -> dict[str, Any]:
        out = self._issue_core(item)
        out["reactions"] = self._reactions(out["url"])
        out["closed_by"] = self.user(item.merged_by or item.user) if item.closed else None
        if item.is_pr:
            out["pull_request"] = self._pr_ref(item)
            out["draft"] = item.draft
        return out

    def search_item(self, item: Item) -> dict[str, Any]:
        out = self.issue(item)
        out["score"] = 1.0
        return out

    def _branch(self, item: Item, ref: str, sha: str) -> dict[str, Any]:
        return {
            "label": f"{item.repo.owner}:{ref}",
            "ref": ref,
            "sha": sha,
            "user": self.user(item.repo.owner) | {"type": "Organization"},
            "repo": self.repo(item.repo),
        }

    def pull_simple(self, item: Item) -> dict[str, Any]:
        core = self._issue_core(item)
        api = f"{self.repo_url(item.repo)}/pulls/{item.number}"
        issue_api = core["url"]
        base_sha = f"{item.repo.id:040x}"
        links = {
            "self": api,
            "html": core["html_url"],
            "issue": issue_api,
            "comments": f"{issue_api}/comments",
            "review_comments": f"{api}/comments",
            "review_comment": f"{self.repo_url(item.repo)}/pulls/comments{{/number}}",
            "commits": f"{api}/commits",
            "statuses": f"{self.repo_url(item.repo)}/statuses/{item.head_sha}",
        }
        return {
            **{k: v for k, v in core.items() if k in PR_FROM_ISSUE},
            **self._pr_ref(item),
            "url": api,
            "node_id": node_id("PullRequest", item.id),
            "issue_url": issue_api,
            "commits_url": f"{api}/commits",
            "review_comments_url": f"{api}/comments",
            "review_comment_url": links["review_comment"],
            "comments_url": f"{issue_api}/comments",
            "statuses_url": links["statuses"],
            "merge_commit_sha": item.merge_sha,
            "requested_reviewers": [self.user(u) for u in item.reviewers],
            "requested_teams": [self.team(t) for t in item.teams],
            "head": self._branch(item, item.head_ref, item.head_sha),
            "base": self._branch(item, "main", base_sha),
            "_links": {k: {"href": v} for k, v in links.items()},
            "auto_merge": None,
            "draft": item.draft,
        }

    def pull(self, item: Item) -> dict[str, Any]:
        out = self.pull_simple(item)
        files = item.files
        mergeable_state = {True: "clean", False: "dirty", None: "unknown"}[item.mergeable]
        if item.mergeable and item.check_state != "success":
            mergeable_state = "unstable" if item.check_state == "failure" else "blocked"
        out.update(
            {
                "merged": item.merged,
                "mergeable": item.mergeable,
                "rebaseable": item.mergeable,
                "mergeable_state": "draft" if item.draft else mergeable_state,
                "merged_by": self.user(item.merged_by) if item.merged_by else None,
                "comments": len(item.comments),
                "review_comments": 0,
                "maintainer_can_modify": False,
                "commits": 1 + item.number % 7,
                "additions": sum(f.additions for f in files),
                "deletions": sum(f.deletions for f in files),
                "changed_files": len(files),
            }
        )
        return out

    def file_change(self, item: Item, change: FileChange) -> dict[str, Any]:
        """A `diff-entry`: `patch` and `previous_filename` only when there is one."""
        repo, ref = item.repo.full_name, item.head_sha
        out: dict[str, Any] = {
            "sha": change.sha,
            "filename": change.filename,
            "status": change.status,
            "additions": change.additions,
            "deletions": change.deletions,
            "changes": change.additions + change.deletions,
            "blob_url": f"{HTML}/{repo}/blob/{ref}/{change.filename}",
            "raw_url": f"{HTML}/{repo}/raw/{ref}/{change.filename}",
            "contents_url": f"{self.api_base}/repos/{repo}/contents/{change.filename}?ref={ref}",
        }
        if change.patch is not None:
            out["patch"] = change.patch
        if change.previous_filename is not None:
            out["previous_filename"] = change.previous_filename
        return out

    def review(self, item: Item, review: Review) -> dict[str, Any]:
        pr_api = f"{self.repo_url(item.repo)}/pulls/{item.number}"
        html = f"{HTML}/{item.repo.full_name}/pull/{item.number}#pullrequestreview-{review.id}"
        out = {
            "id": review.id,
            "node_id": node_id("PullRequestReview", review.id),
            "user": self.author(review.user),
            "body": review.body,
            "state": review.state,
            "commit_id": review.commit_id,
            "html_url": html,
            "pull_request_url": pr_api,
            "_links": {"html": {"href": html}, "pull_request": {"href": pr_api}},
            "author_association": "MEMBER",
        }
        if review.state != "PENDING":
            out["submitted_at"] = iso(review.submitted)
        return out

    def comment(self, item: Item, comment: Comment) -> dict[str, Any]:
        api = f"{self.repo_url(item.repo)}/issues/comments/{comment.id}"
        return {
            "id": comment.id,
            "node_id": node_id("IssueComment", comment.id),
            "url": api,
            "html_url": f"{self._html(item)}#issuecomment-{comment.id}",
            "body": comment.body,
            "user": self.author(comment.user),
            "created_at": iso(comment.created),
            "updated_at": iso(comment.updated),
            "issue_url": f"{self.repo_url(item.repo)}/issues/{item.number}",
            "author_association": "MEMBER",
            "performed_via_github_app": None,
            "reactions": self._reactions(api),
        }

    def _html(self, item: Item) -> str:
        kind = "pull" if item.is_pr else "issues"
        return f"{HTML}/{item.repo.full_name}/{kind}/{item.number}"

    def _reactions(self, url: str) -> dict[str, Any]:
        keys = ("+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket")
        return {"url": f"{url}/reactions", "total_count": 0, **dict.fromkeys(keys, 0)}

    def thread(self, thread: Thread) -> dict[str, Any]:
        item = thread.item
        kind = "pulls" if item.is_pr else "issues"
        subject_url = f"{self.repo_url(item.repo)}/{kind}/{item.number}"
        latest = item.comments[-1] if item.comments else None
        latest_url = (
            f"{self.repo_url(item.repo)}/issues/comments/{latest.id}" if latest else subject_url
        )
        api = f"{self.api_base}/notifications/threads/{thread.id}"
        return {
            "id": thread.id,
            "repository": self.repo(item.repo),
            "subject": {
                "title": item.title,
                "url": subject_url,
                "latest_comment_url": latest_url,
                "type": "PullRequest" if item.is_pr else "Issue",
            },
            "reason": thread.reason,
            "unread": thread.unread,
            "updated_at": iso(thread.updated),
            "last_read_at": iso(thread.last_read),
            "url": api,
            "subscription_url": f"{api}/subscription",
        }

    def combined_status(self, item: Item, ref: str) -> dict[str, Any]:
        """A repository without commit statuses (Actions only) says "pending" and lists none."""
        api = f"{self.repo_url(item.repo)}/commits/{ref}/status"
        statuses = [self._status(item, ref)] if item.statuses else []
        return {
            "state": item.check_state if statuses else "pending",
            "statuses": statuses,
            "sha": ref,
            "total_count": len(statuses),
            "repository": self.repo(item.repo),
            "commit_url": f"{self.repo_url(item.repo)}/commits/{ref}",
            "url": api,
        }

    def _status(self, item: Item, ref: str) -> dict[str, Any]:
        return {
            "id": item.id,
            "node_id": node_id("StatusContext", item.id),
            "avatar_url": "https://avatars.githubusercontent.com/u/9919?v=4",
            "state": item.check_state,
            "context": "ci/tests",
            "description": f"Tests {item.check_state}",
            "target_url": f"https://ci.example.invalid/{item.repo.name}/{item.number}",
            "created_at": iso(item.updated),
            "updated_at": iso(item.updated),
            "url": f"{self.repo_url(item.repo)}/statuses/{ref}",
        }

    def check_run_list(self, item: Item, ref: str) -> list[dict[str, Any]]:
        """The head commit's check runs: none where the repository has no Actions."""
        if not item.check_runs:
            return []
        done = item.check_state != "pending"
        return [
            {
                "id": item.id,
                "head_sha": ref,
                "node_id": node_id("CheckRun", item.id),
                "external_id": "",
                "name": "tests",
                "status": "completed" if done else "in_progress",
                "conclusion": item.check_state if done else None,
                "started_at": iso(item.updated),
                "completed_at": iso(item.updated) if done else None,
                "url": f"{self.repo_url(item.repo)}/check-runs/{item.id}",
                "html_url": f"{HTML}/{item.repo.full_name}/runs/{item.id}",
                "details_url": f"{HTML}/{item.repo.full_name}/runs/{item.id}",
                "output": {
                    "title": f"Tests {item.check_state}",
                    "summary": f"Tests {item.check_state}",
                    "text": None,
                    "annotations_count": 0,
                    "annotations_url": f"{self.repo_url(item.repo)}/check-runs/{item.id}/"
                    "annotations",
                },
                "check_suite": {"id": item.id + 1},
                "app": None,  # GitHub Actions' app; the schema allows null
                "pull_requests": [],  # GitHub lists only same-repository PRs here; kept empty
            }
        ]

    def commit(self, item: Item, ref: str) -> dict[str, Any]:
        """GET /repos/{o}/{r}/commits/{ref}: the PR's head commit (`commit` schema)."""
        api = f"{self.repo_url(item.repo)}/commits/{ref}"
        when = iso(item.updated)
        person = {"name": item.user, "email": f"{item.user}@example.invalid", "date": when}
        tree = sha_of("tree", ref)
        parent = sha_of("parent", ref)
        return {
            "url": api,
            "sha": ref,
            "node_id": node_id("Commit", item.id),
            "html_url": f"{HTML}/{item.repo.full_name}/commit/{ref}",
            "comments_url": f"{api}/comments",
            "commit": {
                "url": f"{self.repo_url(item.repo)}/git/commits/{ref}",
                "author": person,
                "committer": person,
                "message": item.title,
                "comment_count": 0,
                "tree": {"sha": tree, "url": f"{self.repo_url(item.repo)}/git/trees/{tree}"},
                "verification": {
                    "verified": False,
                    "reason": "unsigned",
                    "payload": None,
                    "signature": None,
                    "verified_at": None,
                },
            },
            "author": self.user(item.user),
            "committer": self.user(item.user),
            "parents": [
                {
                    "sha": parent,
                    "url": f"{self.repo_url(item.repo)}/commits/{parent}",
                    "html_url": f"{HTML}/{item.repo.full_name}/commit/{parent}",
                }
            ],
            "stats": {"additions": 10, "deletions": 3, "total": 13},
            "files": [],
        }

    # ---- webhook payloads (octokit-webhooks shapes) ----
    def _event(self, item: Item, action: str, sender: str = "me") -> dict[str, Any]:
        return {"action": action, "repository": self.repo(item.repo), "sender": self.user(sender)}

    def webhook_pull(self, item: Item) -> dict[str, Any]:
        out = self.pull(item)
        for key in ("reactions",):
            out.pop(key, None)
        return _webhook_shapes(out)

    def pr_event(
        self,
        item: Item,
        action: str,
        sender: str = "me",
        reviewer: str | None = None,
        team: str | None = None,
    ) -> dict[str, Any]:
        payload = self._event(item, action, sender)
        payload["number"] = item.number
        payload["pull_request"] = self.webhook_pull(item)
        if reviewer is not None:
            payload["requested_reviewer"] = self.user(reviewer)
        if team is not None:
            payload["requested_team"] = _webhook_team(self.team(team))
        return payload

    def review_event(self, item: Item, review: Review) -> dict[str, Any]:
        payload = self._event(item, "submitted", review.user)
        payload["review"] = self.review(item, review)
        payload["review"]["state"] = review.state.lower()  # webhooks use lowercase states
        payload["pull_request"] = self.webhook_simple_pull(item)
        return payload

    def webhook_simple_pull(self, item: Item) -> dict[str, Any]:
        return _webhook_shapes(self.pull_simple(item))

    def webhook_issue(self, item: Item) -> dict[str, Any]:
        out = self.issue(item)
        out.pop("closed_by", None)  # not part of the webhook issue object
        return _webhook_shapes(out)

    def issue_event(
        self, item: Item, action: str, sender: str = "me", assignee: str | None = None
    ) -> dict[str, Any]:
        payload = self._event(item, action, sender)
        payload["issue"] = self.webhook_issue(item)
        if assignee is not None:
            payload["assignee"] = self.user(assignee)
        return payload

    def comment_event(self, item: Item, comment: Comment) -> dict[str, Any]:
        payload = self._event(item, "created", comment.user)
        payload["issue"] = self.webhook_issue(item)
        payload["comment"] = self.comment(item, comment)
        return payload

    def labeled_event(self, item: Item, action: str, name: str) -> tuple[str, dict[str, Any]]:
        payload = self.pr_event(item, action) if item.is_pr else self.issue_event(item, action)
        payload["label"] = _webhook_label(self.label(item.repo, name))
        return ("pull_request" if item.is_pr else "issues"), payload

    def repo_event(
        self, repo: Repo, action: str, *, name: str | None = None, owner: str | None = None
    ) -> dict[str, Any]:
        """`repository` renamed (`changes.repository.name.from`) or transferred
        (`changes.owner.from.user`), in octokit-webhooks' shapes."""
        changes: dict[str, Any] = {}
        if name is not None:
            changes["repository"] = {"name": {"from": name}}
        if owner is not None:
            changes["owner"] = {"from": {"user": self.user(owner)}}
        return {
            "action": action,
            "changes": changes,
            "repository": self.repo(repo),
            "sender": self.user("me"),
        }

    def ping(self, hook_url: str, hook_id: int, repo: Repo) -> dict[str, Any]:
        """The `ping` GitHub sends when a repository webhook is created."""
        now = iso(self.state.clock())
        api = f"{self.repo_url(repo)}/hooks/{hook_id}"
        return {
            "zen": "Design for failure.",
            "hook_id": hook_id,
            "hook": {
                "type": "Repository",
                "id": hook_id,
                "name": "web",
                "active": True,
                "events": ["*"],
                "config": {"content_type": "json", "insecure_ssl": "0", "url": hook_url},
                "updated_at": now,
                "created_at": now,
                "url": api,
                "test_url": f"{api}/test",
                "ping_url": f"{api}/pings",
                "deliveries_url": f"{api}/deliveries",
                "last_response": {"code": None, "status": "unused", "message": None},
            },
            "repository": self.repo(repo),
            "sender": self.user("me"),
        }


# Fields the current REST description has and webhook payloads (octokit-webhooks) do not.
_REST_ONLY_LABEL = ("archived_at", "archived_by")


def _webhook_label(label: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in label.items() if k not in _REST_ONLY_LABEL}


def _webhook_team(team: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in team.items() if k != "type"}


def _webhook_shapes(obj: dict[str, Any]) -> dict[str, Any]:
    """A PR or issue as a webhook carries it: labels and teams in their webhook shapes."""
    out = dict(obj)
    if "labels" in out:
        out["labels"] = [_webhook_label(label) for label in out["labels"]]
    if "requested_teams" in out:
        out["requested_teams"] = [_webhook_team(team) for team in out["requested_teams"]]
    return out
