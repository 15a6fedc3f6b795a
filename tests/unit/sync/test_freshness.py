from zen_tui.gateway.errors import (
    ApiError,
    ApiGone,
    AuthExpired,
    CircuitOpen,
    DeadlineExceeded,
    OffOrigin,
    PagingStopped,
    QueryRefused,
    RateLimited,
    ResponseTooLarge,
    Unavailable,
)
from zen_tui.models import Cause, FreshnessState, Issue, SectionInfo
from zen_tui.sync import freshness

ITEM = Issue(
    id="j:P-1",
    account="j",
    service="jira",
    key="P-1",
    title="t",
    url="u",
    updated_at="2026-01-01T00:00:00Z",
)


def test_reasons_are_one_line_and_specific():
    assert "breaker open until" in freshness.reason_for(
        CircuitOpen(service="github", account="gh", retry_at=2_000_000_000)
    )
    assert freshness.reason_for(RateLimited(service="s", account="a")) == "rate limited"
    assert freshness.reason_for(Unavailable(service="s", account="a")) == "offline"
    assert "log in" in freshness.reason_for(AuthExpired(service="s", account="a"))
    err = Unavailable(service="jira", account="j", method="GET", endpoint="/rest/x", status=503)
    assert freshness.reason_for(err) == "server error 503 on GET /rest/x"
    err4 = ApiError(
        service="g", account="a", method="GET", endpoint="/q", status=422, message="bad query"
    )
    assert freshness.reason_for(err4) == "422 bad query on GET /q"
    assert "\n" not in freshness.reason_for(ValueError("boom"))


def test_each_failure_has_a_typed_cause_whatever_its_words():
    """The UI acts on the cause, never on the English: a Slack revocation worded its own way
    is still AUTH, and a message that mentions logging in is not AUTH by its words."""
    cases = [
        (AuthExpired(service="slack", account="s", message="Slack says token_revoked"), Cause.AUTH),
        (CircuitOpen(service="g", account="a", message="log in again"), Cause.BREAKER),
        (RateLimited(service="g", account="a"), Cause.RATE_LIMIT),
        (Unavailable(service="g", account="a"), Cause.OFFLINE),
        (Unavailable(service="g", account="a", status=503), Cause.SERVER),
        (DeadlineExceeded(service="g", account="a", budget=3.0), Cause.DEADLINE),
        (OffOrigin(service="g", account="a"), Cause.OFF_ORIGIN),
        (ResponseTooLarge(service="g", account="a"), Cause.BAD_RESPONSE),
        (PagingStopped(service="g", account="a"), Cause.PAGING),
        (ApiGone(service="g", account="a", status=410), Cause.GONE),
        (ApiError(service="g", account="a", status=422), Cause.REFUSED),
        (QueryRefused(service="jira", account="a", status=400), Cause.QUERY),
        (ValueError("boom"), Cause.INTERNAL),
        (None, None),
    ]
    for error, cause in cases:
        assert freshness.cause_for(error) is cause, error


def test_every_derived_freshness_carries_its_cause():
    auth = AuthExpired(service="slack", account="s", message="Slack says token_revoked")
    memory = freshness.live([ITEM], 100.0)
    assert freshness.live([ITEM], 1.0).freshness.cause is None
    assert freshness.cached([ITEM], 1.0, auth).freshness.cause is Cause.AUTH
    assert freshness.local([ITEM], 1.0, auth).freshness.cause is Cause.AUTH
    assert freshness.local([ITEM], 1.0).freshness.cause is Cause.LOCAL
    for memo, stored in ((memory, ([], None)), (None, ([ITEM], 5.0)), (None, ([], None))):
        assert freshness.degraded(auth, memo, stored).freshness.cause is Cause.AUTH
    assert freshness.from_local_store([], None).freshness.cause is Cause.NOT_SYNCED
    down = freshness.fallback("polling stopped", None, ([], None), Cause.POLLER)
    assert down.freshness.cause is Cause.POLLER
    hit = freshness.from_cache([ITEM], 1.0, 30.0).freshness
    assert (hit.state, hit.cause, hit.answered) == (FreshnessState.CACHED, Cause.CACHE_HIT, True)
    # only a poll's answer is `answered`: a failure's cached copy, the store's, none are
    for failed in (memory, freshness.cached([ITEM], 1.0, auth), freshness.local([ITEM], 1.0)):
        assert failed.freshness.answered is (failed is memory)


def test_fallback_prefers_memory_then_store_then_empty():
    err = Unavailable(service="jira", account="j")
    memory = freshness.live([ITEM], 100.0)
    snap = freshness.degraded(err, memory, ([], 50.0))
    assert snap.freshness.state is FreshnessState.CACHED
    assert snap.freshness.fetched_at == 100.0 and snap.freshness.reason == "offline"

    snap = freshness.degraded(err, None, ([ITEM], 50.0))
    assert snap.freshness.state is FreshnessState.LOCAL and snap.items == (ITEM,)
    assert snap.freshness.reason == "offline"

    snap = freshness.degraded(err, None, ([], None))
    assert snap.freshness.state is FreshnessState.EMPTY and snap.freshness.reason == "offline"


def test_local_store_before_any_poll():
    assert freshness.from_local_store([], None).freshness.state is FreshnessState.EMPTY
    snap = freshness.from_local_store([ITEM], 10.0)
    assert snap.freshness.state is FreshnessState.LOCAL and snap.freshness.fetched_at == 10.0


# --- what a retrying or waiting refresh shows (issue 8, part 8) ----------------------------


def test_a_retried_failure_reads_as_the_attempt_about_to_be_made() -> None:
    from zen_tui.gateway.events import RetryScheduled

    event = RetryScheduled(
        service="jira",
        account="j",
        method="GET",
        endpoint="/search",
        attempt=1,
        wait=2.0,
        reason="503",
        at=100.0,
    )
    activity = freshness.activity_for(event, attempts=4)
    assert activity is not None and activity.label(now=100.5) == "retrying 2/4"


def test_a_server_asked_wait_and_a_token_wait_count_down_then_say_nothing() -> None:
    from zen_tui.gateway.events import RetryScheduled, WaitingForToken

    told = RetryScheduled(
        service="slack",
        account="s",
        method="GET",
        endpoint="x",
        attempt=1,
        wait=12.0,
        reason="429 Retry-After",
        at=100.0,
    )
    queued = WaitingForToken(service="github", account="g", scope="search", wait=30.0, at=100.0)
    for event, at_start in ((told, "12s"), (queued, "30s")):
        activity = freshness.activity_for(event, attempts=4)
        assert activity is not None
        assert activity.label(now=100.0) == f"waiting for rate limit {at_start}"
        assert activity.label(now=109.2) == f"waiting for rate limit {int(event.wait) - 9 - 1}s"
        assert activity.label(now=100.0 + event.wait) == ""
    brief = WaitingForToken(service="github", account="g", scope="core", wait=0.2, at=100.0)
    assert freshness.activity_for(brief, attempts=4) is None  # too short to be worth a flicker


def test_a_token_wait_of_a_second_or_more_is_shown_a_shorter_one_is_not() -> None:
    from zen_tui.gateway.events import WaitingForToken

    def shown(wait: float) -> bool:
        event = WaitingForToken(service="github", account="g", scope="core", wait=wait, at=1.0)
        return freshness.activity_for(event, attempts=4) is not None

    assert shown(1.0) and shown(1.5) and not shown(0.99)


def test_one_line_folds_a_multi_line_message_and_names_a_silent_error() -> None:
    # A keyring error spanning lines would break a pane badge or a log line.
    assert freshness.one_line(RuntimeError("no keyring:\n  locked\tcollection ")) == (
        "no keyring: locked collection"
    )
    assert freshness.one_line(KeyError()) == "KeyError"


def test_every_5xx_from_500_up_is_a_server_error_and_a_408_is_offline() -> None:
    for status in (408, 500, 501, 503, 599):
        err = Unavailable(
            service="g",
            account="a",
            method="GET",
            endpoint="/x",
            status=status,
            message=f"server error {status}",
        )
        server = status >= 500
        assert freshness.cause_for(err) is (Cause.SERVER if server else Cause.OFFLINE), status
        where = " on GET /x" if server else ""
        assert freshness.reason_for(err) == f"server error {status}{where}"


def test_a_rate_limit_reason_names_the_reset_time_not_a_countdown_that_goes_stale(
    monkeypatch,
):
    """The reason is kept (a pane's status line, an outbox entry) and read later: `rate
    limited, resets in 0m12s` still said 12 s a minute on, beside the card's own countdown.
    A time of day stays true, as the breaker's `until 14:02` does."""
    import time as clock

    from zen_tui.timefmt import local_time

    reset = 2_000_000_000.0
    err = RateLimited(service="jira", account="j", retry_at=reset)
    said = []
    for now in (reset - 53, reset - 12):  # read twice, 41 s apart
        monkeypatch.setattr(clock, "time", lambda now=now: now)
        said.append(freshness.reason_for(err))
    assert said[0] == said[1] == f"rate limited until {local_time(reset)}"


def test_a_refused_query_says_the_servers_words_and_which_setting_to_fix() -> None:
    """The reason is one line naming the config key and the section (a title holding line
    breaks or markup stays one line of text), and the stored rows stay shown with it."""
    said = "The value 'NOPE' does not exist for the field 'project'."
    err = QueryRefused(
        service="jira", account="j", method="POST", endpoint="/x", status=400, message=said
    )
    title = "Ops\n[b]board[/b]"
    section = SectionInfo("issues:1:j", "issues", title, "j", "jira", "project = NOPE")
    snap = freshness.degraded(err, None, ([ITEM], 5.0), section)
    assert snap.items == (ITEM,) and snap.freshness.state is FreshnessState.LOCAL
    assert snap.freshness.cause is Cause.QUERY
    assert snap.freshness.reason == (
        f"jira refused the query: {said}; fix `jql` of section 'Ops [b]board[/b]' in the config"
    )
    github = SectionInfo("prs:0:g", "prs", "Mine", "g", "github", "repo:no/pe")
    gh_err = QueryRefused(service="github", account="g", status=422, message="Validation Failed")
    assert freshness.query_reason(gh_err, github).endswith(
        "fix `query` of section 'Mine' in the config"
    )
    # without a section (a preview, a diff) it is the server's words alone
    assert freshness.degraded(err, None, ([], None)).freshness.reason == (
        f"jira refused the query: {said}"
    )


def test_read_only_is_kept_with_rows_and_by_a_fallback_to_them():
    """Unlike the empty-section note, a read-only source is said with rows too, and a failed
    poll that falls back to the rows in memory keeps saying it."""
    why = "#dev archived in Slack: read-only, no new messages"
    live = freshness.live([ITEM], 100.0, note=why, read_only=why)
    assert live.freshness.reason is None and live.freshness.read_only == why
    down = freshness.degraded(Unavailable(service="slack", account="s"), live, ([], None))
    assert down.freshness.state is FreshnessState.CACHED and down.freshness.read_only == why
    assert freshness.live([ITEM], 100.0).freshness.read_only is None


def test_a_channel_left_is_said_with_rows_by_a_delivery_and_by_a_fallback_to_them():
    """A Slack channel left (FetchResult.left_out) is said with rows, as live, and why (the
    note) with it; a delivery's rows (live_again), a failed poll's fallback to the rows in
    memory and a read cut short keep saying it; an answer that leaves nothing out says
    nothing."""
    why = "#dev left: conversations.history: not_in_channel (join the channel in Slack first)"
    live = freshness.live([ITEM], 100.0, note=why, left_out="#dev left")
    fresh = live.freshness
    assert (fresh.state, fresh.reason, fresh.left_out) == (FreshnessState.LIVE, why, "#dev left")
    again = freshness.live_again([ITEM], 120.0, fresh).freshness
    assert (again.fetched_at, again.reason, again.left_out) == (120.0, why, "#dev left")
    down = freshness.degraded(Unavailable(service="slack", account="s"), live, ([], None))
    assert down.freshness.state is FreshnessState.CACHED and down.freshness.left_out == "#dev left"
    cut = Unavailable(service="slack", account="s")  # another channel's page failed
    for kept in (freshness.cached, freshness.partial):
        assert kept([ITEM], 100.0, cut, None, "#dev left").freshness.left_out == "#dev left"
    hit = freshness.from_cache([ITEM], 100.0, 30.0, None, "#dev left", why).freshness
    assert (hit.cause, hit.left_out) == (Cause.CACHE_HIT, "#dev left")
    assert hit.reason is not None and hit.reason.startswith(why + "; ")  # and why it is old
    plain = freshness.live([ITEM], 100.0, note="no messages")
    assert (plain.freshness.reason, plain.freshness.left_out) == (None, None)
    assert freshness.live_again([ITEM], 120.0, plain.freshness).freshness.reason is None


def test_a_reason_names_where_it_failed_once():
    """Slack's ok:false reason already names its method (and has no HTTP method): the pane
    said `... (join the channel in Slack first) on  conversations.history`."""
    from zen_tui.services.slack_parse import slack_error

    gone = slack_error(
        {"ok": False, "error": "not_in_channel"}, account="sl", method="conversations.history"
    )
    assert freshness.reason_for(gone) == (
        "conversations.history: not_in_channel (join the channel in Slack first)"
    )
    refused = ApiError(
        service="jira", account="j", method="PUT", endpoint="/issue/{key}", message="400 nope"
    )
    assert freshness.reason_for(refused) == "400 nope on PUT /issue/{key}"
