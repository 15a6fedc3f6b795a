"""How one attempt's failure is classified: what the user reads, and whether a resend is safe."""

from __future__ import annotations

import json

import httpx
import msgspec
import pytest

from zen_tui.gateway import ApiError, ApiGone, AuthExpired, BadResponse, Unavailable
from zen_tui.gateway.answer import Answer
from zen_tui.gateway.classify import CallContext, response_failure, transport_failure
from zen_tui.gateway.errors import VersionRefused
from zen_tui.gateway.profiles import profile_for
from zen_tui.gateway.response import GatewayResponse
from zen_tui.gateway.retry import AttemptFailed

CTX = CallContext(service="github", account="gh", method="POST", endpoint="/issues", attempt=1)


@pytest.mark.parametrize(
    "exc, kind, text",
    [
        (httpx.ConnectError("refused"), "connect", "cannot connect"),
        (httpx.ConnectTimeout("slow"), "connect", "connect timed out"),
        (httpx.PoolTimeout("busy"), "connect", "connect timed out"),
        (httpx.ReadTimeout("slow"), "timeout", "timed out"),
        (httpx.WriteTimeout("slow"), "timeout", "timed out"),
        (httpx.RemoteProtocolError("closed"), "timeout", "connection lost"),
        (httpx.ReadError("reset"), "timeout", "connection lost"),
    ],
)
def test_a_transport_error_says_what_happened_and_only_connect_errors_are_safe(
    exc: httpx.TransportError, kind: str, text: str
) -> None:
    # "connect" means nothing was sent (any method may retry); the rest may have been applied.
    failure = transport_failure(exc, CTX)
    name = type(exc).__name__
    assert (failure.kind, failure.reason, failure.outcome_unknown) == (
        kind,
        name,
        kind != "connect",
    )
    assert isinstance(failure.error, Unavailable)
    assert failure.error.message == f"offline: {text} ({name})"
    assert (failure.error.method, failure.error.endpoint) == ("POST", "/issues")


@pytest.mark.parametrize("service", ["github", "jira"])
def test_every_status_from_100_to_599_gets_its_one_outcome(service: str) -> None:
    """2xx and 304 are answers; 408 and 5xx are retryable server failures; 401 asks for a
    login, 410 says the API is gone; every other status (1xx, 3xx, 4xx) is a final ApiError."""
    profile = profile_for(service)
    ctx = msgspec.structs.replace(CTX, service=service)
    for status in range(100, 600):
        if status in (403, 429):  # rate-limit detection has its own tests (test_retry.py)
            continue
        answer = Answer(status, httpx.Headers(), b"{}", "https://api.test/x", "Reason")
        outcome = response_failure(answer, ctx, profile, now=0.0)
        if 200 <= status < 300 or status == 304:
            assert outcome is None, status
        elif status == 408 or status >= 500:
            assert isinstance(outcome, AttemptFailed), status
            assert (outcome.kind, outcome.reason, outcome.error.status) == (
                "status",
                str(status),
                status,
            )
            assert isinstance(outcome.error, Unavailable)
        else:
            kind = {401: AuthExpired, 410: ApiGone}.get(status, ApiError)
            assert type(outcome) is kind, status
            assert outcome.status == status


@pytest.mark.parametrize("fields", [False, True], ids=["its headers", "fields given"])
def test_a_rate_limit_names_what_the_server_said_to_wait_for(fields: bool) -> None:
    """Alike whether classify reads the answer's headers or is given its fields by
    lower-case name (the gateway reads them once per answer)."""
    github = profile_for("github")
    told = httpx.Headers({"Retry-After": "30"})
    reset = httpx.Headers({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2000000000"})
    for status, headers, reason, retry_at in (
        (429, told, "429 Retry-After", 1030.0),
        (403, reset, "403 reset", 2_000_000_000.0),
    ):
        answer = Answer(status, headers, b"{}", "https://api.test/x")
        given = {k.lower(): v for k, v in headers.items()} if fields else None
        failure = response_failure(answer, CTX, github, now=1000.0, headers=given)
        assert isinstance(failure, AttemptFailed)
        assert (failure.kind, failure.reason, failure.retry_at) == ("rate_limit", reason, retry_at)


def test_a_refusal_without_a_json_body_reads_as_the_status_reason() -> None:
    jira = profile_for("jira")
    for phrase, message in (("Bad Request", "Bad Request"), ("", "request failed")):
        answer = Answer(400, httpx.Headers(), b"<html>nope</html>", "https://api.test/x", phrase)
        error = response_failure(answer, CTX, jira, now=0.0)
        assert isinstance(error, ApiError) and error.message == message


@pytest.mark.parametrize(
    "body, message",
    [
        ({"message": "Validation Failed"}, "Validation Failed"),  # GitHub
        ({"errorMessages": ["The JQL is  invalid.\n"]}, "The JQL is invalid."),  # Jira
        ({"errorMessages": [], "errors": {"summary": "required"}}, "summary: required"),
        (
            {"errors": {"summary": "required", "priority": "unknown"}},
            "summary: required; priority: unknown",
        ),
        ({"ok": False, "error": "channel_not_found"}, "channel_not_found"),  # Slack
        # Jira's bulk API: BulkOperationErrorResponse, the reasons alone (Atlassian's example)
        (
            {"errors": [{"message": "Some of the issues in the issueIdsOrKeys are not valid"}]},
            "Some of the issues in the issueIdsOrKeys are not valid",
        ),
        ({"errors": [{"message": "a"}, {"message": "b"}]}, "a; b"),
        # Jira lists every problem of a JQL: all of them, on one line
        (
            {
                "errorMessages": [
                    "The value 'NOPE' does not exist for the field 'project'.",
                    "Field 'colour' does not exist or you do not have permission to view it.",
                ],
                "errors": {},
            },
            "The value 'NOPE' does not exist for the field 'project'. Field 'colour' does not"
            " exist or you do not have permission to view it.",
        ),
        ({"message": "x" * 200}, "x" * 200),
        ({"message": "x" * 201}, "x" * 197 + "..."),
        ({}, "Reason"),
    ],
)
def test_a_refusal_reads_as_the_servers_own_one_line_reason(body: object, message: str) -> None:
    answer = Answer(400, httpx.Headers(), json.dumps(body).encode(), "https://api.test/x", "Reason")
    error = response_failure(answer, CTX, profile_for("jira"), now=0.0)
    assert isinstance(error, ApiError) and error.message == message


@pytest.mark.parametrize(
    ("service", "message", "item_gone"),
    [
        ("github", "This issue was deleted", True),  # one issue: an answer about it
        ("github", "Issues are disabled for this repo", True),  # the repository's settings
        ("github", "The requested API version '2020-01-01' is not supported.", False),
        ("github", "Issues are deleted for nothing here: gone", False),
        ("jira", "This issue was deleted", False),  # Jira's 410s are retired APIs
    ],
)
def test_a_410_for_one_deleted_github_issue_is_no_retired_api(
    service: str, message: str, item_gone: bool
) -> None:
    """A deleted issue's 410 reads as that (a refusal, label `gone`), never as `update
    zen-tui`: only the other 410s say the provider removed the endpoint."""
    body = json.dumps({"message": message}).encode()
    answer = Answer(410, httpx.Headers(), body, "https://api.test/x", "Gone")
    error = response_failure(answer, CTX, profile_for(service), now=0.0)
    assert isinstance(error, ApiError) and error.status == 410
    assert isinstance(error, ApiGone) is not item_gone
    if item_gone:
        assert error.message == message


@pytest.mark.parametrize("service", ["github", "jira"])
@pytest.mark.parametrize(
    "message", ["This issue was deleted", "The requested API version '1' is not supported."]
)
def test_an_unreadable_410_is_no_retired_api(service: str, message: str) -> None:
    """A 410 whose body is cut short (or empty, or a proxy's HTML) is no evidence that the
    endpoint was retired: a plain 410 (label `gone`, the item asked about), never `update
    zen-tui`. Only a readable answer counts as retired."""
    whole = json.dumps({"message": message, "documentation_url": "https://docs"}).encode()
    for body in (whole[: len(whole) // 2], b"", b"<html>Gone</html>"):
        answer = Answer(410, httpx.Headers(), body, "https://api.test/x", "Gone")
        error = response_failure(answer, CTX, profile_for(service), now=0.0)
        assert type(error) is ApiError, body
        assert (error.status, error.message) == (410, "Gone")
    whole_answer = Answer(410, httpx.Headers(), whole, "https://api.test/x", "Gone")
    retired = response_failure(whole_answer, CTX, profile_for(service), now=0.0)
    assert isinstance(retired, ApiGone) is not (message.endswith("deleted") and service == "github")


# GitHub's answer to an X-GitHub-Api-Version it does not serve (expipiplus1/update-nix-fetchgit#79).
def _version_body(version: str, status: int) -> bytes:
    reason = (
        f'The version you specified in the "X-GitHub-API-Version" request header, "{version}", '
        "is not a supported version. The following versions are currently supported: "
        '"2026-03-10" (most recent).'
    )
    message = "Gone" if status == 410 else "Bad Request"
    return json.dumps({"message": message, "errors": reason, "status": str(status)}).encode()


@pytest.mark.parametrize(
    ("status", "said"),
    [
        (400, "GitHub does not support REST API version 2022-11-28 (400 Bad Request)"),
        (410, "GitHub no longer supports REST API version 2022-11-28 (410 Gone)"),
    ],
)
def test_the_pinned_api_version_refused_says_update_zen_tui(status: int, said: str) -> None:
    """GitHub's 400 for a version it never had, its 410 for one it closed down: one line
    saying which version and what to do, never `400 Bad Request` or `endpoint removed`."""
    answer = Answer(status, httpx.Headers(), _version_body("2022-11-28", status), "u", "R")
    error = response_failure(answer, CTX, profile_for("github"), now=0.0)
    assert isinstance(error, VersionRefused) and error.status == status
    assert str(error) == f"github: {said}, the one this zen-tui is built for: update zen-tui"


@pytest.mark.parametrize(
    ("service", "status", "body"),
    [
        ("github", 400, _version_body("2026-03-10", 400)),  # a version zen-tui does not send
        ("github", 400, b'{"message": "Problems parsing JSON"}'),
        ("github", 422, _version_body("2022-11-28", 400)),  # no version refusal's status
        ("github", 400, b"<html>2022-11-28 version</html>"),  # a proxy's page
        ("jira", 400, _version_body("2022-11-28", 400)),  # Jira pins no version header
    ],
)
def test_only_a_refusal_of_the_pinned_version_reads_as_one(
    service: str, status: int, body: bytes
) -> None:
    answer = Answer(status, httpx.Headers(), body, "https://api.test/x", "Reason")
    ctx = msgspec.structs.replace(CTX, service=service)
    error = response_failure(answer, ctx, profile_for(service), now=0.0)
    assert type(error) is ApiError


@pytest.mark.parametrize(
    ("service", "status", "accepted", "hint"),
    [
        ("github", 403, "pull_requests=write", " (the token needs pull_requests=write)"),
        (
            "github",
            403,
            "issues=write; pull_requests=write",
            " (the token needs issues=write or pull_requests=write)",
        ),
        (
            "github",
            403,
            "contents=read,metadata=read",
            " (the token needs contents=read and metadata=read)",
        ),
        ("github", 403, "\x1b[31m<b>x</b>; issues=write\x07", " (the token needs issues=write)"),
        ("github", 403, "nonsense", ""),
        ("github", 404, "issues=write", ""),  # a 404 may be real: no hint on it
        ("jira", 403, "issues=write", ""),
    ],
)
def test_a_github_403_names_the_permissions_the_endpoint_takes(
    service: str, status: int, accepted: str, hint: str
) -> None:
    """x-accepted-github-permissions (GitHub changelog 2023-08-10: sets of permissions, any
    one of which will do, apart by ";") becomes what the refusal tells the user to add; only
    well-formed names are kept (server text never reaches the terminal as control codes)."""
    body = json.dumps({"message": "Resource not accessible by personal access token"}).encode()
    headers = httpx.Headers({"x-accepted-github-permissions": accepted})
    answer = Answer(status, headers, body, "https://api.test/x", "Forbidden")
    error = response_failure(answer, CTX, profile_for(service), now=0.0)
    assert isinstance(error, ApiError)
    assert error.message == "Resource not accessible by personal access token" + hint


@pytest.mark.parametrize(
    ("body", "limited"),
    [
        ({"ok": False, "error": "ratelimited"}, True),  # every method's reference lists it
        ({"ok": False, "error": "rate_limited"}, True),  # chat.postMessage's too
        ({"ok": False, "error": "is_archived"}, False),  # a refusal, no limit
        ({"ok": True, "messages": [{"text": "we got ratelimited"}]}, False),  # content
        ({"ok": True, "error": "ratelimited"}, False),  # not an ok:false answer
    ],
)
def test_a_slack_200_is_a_rate_limit_only_when_its_ok_false_code_says_so(
    body: dict[str, object], limited: bool
) -> None:
    slack = profile_for("slack")
    content = json.dumps(body).encode()
    assert slack.is_rate_limited(200, {}, content) is limited
    assert profile_for("jira").is_rate_limited(200, {}, content) is False


def test_a_slack_rate_limit_naming_no_time_waits_out_the_tier_minute() -> None:
    """Slack's tiers are per-minute budgets; with a Retry-After, that time."""
    slack = profile_for("slack")
    assert slack.server_retry_at(200, {}, 1000.0) == 1060.0
    assert slack.server_retry_at(429, {"retry-after": "7"}, 1000.0) == 1007.0


def _deep(**fields: object) -> bytes:
    """A JSON object holding `fields`, then a list nested past any JSON decoder's stack."""
    depth = 100_000
    return json.dumps(fields).encode()[:-1] + b', "x": ' + b"[" * depth + b"]" * depth + b"}"


DEEP = _deep(
    ok=False, error="ratelimited token_expired", message="This issue was deleted"
)  # every word a parse of the body looks for


@pytest.mark.parametrize(("service", "status"), [("jira", 400), ("github", 410), ("slack", 400)])
def test_a_refusal_nested_too_deeply_reads_as_the_status_reason(service: str, status: int) -> None:
    """json.loads raises RecursionError on it, no ValueError: it got past every parse."""
    answer = Answer(status, httpx.Headers(), DEEP, "https://api.test/x", "Reason")
    error = response_failure(answer, CTX, profile_for(service), now=0.0)
    assert type(error) is ApiError  # a 410 too: no retired API, no deleted issue said
    assert (error.status, error.message) == (status, "Reason")


def test_a_slack_200_nested_too_deeply_is_no_rate_limit_and_no_expired_token() -> None:
    slack = profile_for("slack")
    assert slack.is_rate_limited(200, {}, DEEP) is False
    assert slack.token_refused(200, DEEP) is False


def test_an_answer_nested_too_deeply_is_a_bad_response() -> None:
    answer = GatewayResponse(200, {}, DEEP, "https://api.test/x", "miss", 0.0, endpoint="/x")
    with pytest.raises(BadResponse) as info:
        answer.json()
    assert info.value.message == "malformed JSON from /x (nested too deeply)"
