"""Webhook signature checks against the providers' known-answer vectors, replay window, JSON."""

import json
import random
import string

import pytest

from zen_tui.sync.webhook_verify import (
    Accepted,
    Rejected,
    check,
    hub_signature,
    parse,
    slack_signature,
    verify_signature,
)

GITHUB_SECRET = "It's a Secret to Everybody"
GITHUB_VECTOR = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_TS = "1531420618"
SLACK_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
    b"G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"
    b"collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700"
    b"885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2"
    b"c447fce8b6703c"
)
SLACK_VECTOR = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def verify(service, headers, body, secret, now=0.0):
    return verify_signature(service, headers, body, secret, now=now, replay_window=300.0)


def test_known_answer_vectors():
    assert hub_signature(GITHUB_SECRET, b"Hello, World!") == GITHUB_VECTOR
    assert slack_signature(SLACK_SECRET, SLACK_TS, SLACK_BODY) == SLACK_VECTOR


def test_github_and_jira_accept_the_vector_and_reject_a_changed_byte_or_secret():
    good = {"x-hub-signature-256": GITHUB_VECTOR}
    assert verify("github", good, b"Hello, World!", GITHUB_SECRET) is None
    jira = {"x-hub-signature": GITHUB_VECTOR}
    assert verify("jira", jira, b"Hello, World!", GITHUB_SECRET) is None
    changed = verify("github", good, b"Hello, World?", GITHUB_SECRET)
    assert changed == Rejected(401, changed.reason) and "does not match" in changed.reason
    assert verify("github", good, b"Hello, World!", "another secret").status == 401
    # Jira's header has no -256 suffix; GitHub's legacy sha1 header alone is not enough
    assert verify("jira", good, b"Hello, World!", GITHUB_SECRET).reason == (
        "missing x-hub-signature header"
    )
    sha1_only = {"x-hub-signature": "sha1=0123"}
    assert verify("github", sha1_only, b"x", GITHUB_SECRET).reason.startswith("missing")


def test_the_secret_never_appears_in_a_rejection():
    rejected = verify("github", {"x-hub-signature-256": "sha256=00"}, b"{}", "s3cr3t-value")
    assert "s3cr3t-value" not in rejected.reason


def test_slack_vector_inside_the_replay_window_only():
    headers = {"x-slack-signature": SLACK_VECTOR, "x-slack-request-timestamp": SLACK_TS}
    ts = int(SLACK_TS)
    assert verify("slack", headers, SLACK_BODY, SLACK_SECRET, now=ts + 299) is None
    assert verify("slack", headers, SLACK_BODY, SLACK_SECRET, now=ts - 299) is None
    stale = verify("slack", headers, SLACK_BODY, SLACK_SECRET, now=ts + 301)
    assert stale.status == 401 and "replay window" in stale.reason
    moved = dict(headers, **{"x-slack-request-timestamp": str(ts + 1)})  # ts is signed too
    assert verify("slack", moved, SLACK_BODY, SLACK_SECRET, now=ts).status == 401
    no_ts = {"x-slack-signature": SLACK_VECTOR}
    assert "timestamp" in verify("slack", no_ts, SLACK_BODY, SLACK_SECRET, now=ts).reason


@pytest.mark.parametrize(
    "body, reason",
    [(b"{not json", "not JSON"), (b"[1, 2]", "not an object"), (b"\xff\xfe", "not JSON")],
)
def test_malformed_json_is_400_after_a_valid_signature(body, reason):
    headers = {"x-hub-signature-256": hub_signature("k", body), "x-github-event": "issues"}
    verdict = check("github", headers, body, "k", now=0, replay_window=300)
    assert verdict.status == 400 and reason in verdict.reason
    unsigned = check("github", {"x-github-event": "issues"}, body, "k", now=0, replay_window=300)
    assert unsigned.status == 401  # nothing unsigned is even parsed


def test_delivery_ids_and_event_names_per_service():
    gh = parse("github", {"x-github-event": "issues", "x-github-delivery": "g-1"}, b'{"a":1}')
    assert gh == Accepted("g-1", "issues", {"a": 1})
    body = json.dumps({"webhookEvent": "jira:issue_updated"}).encode()
    jira = parse("jira", {"x-atlassian-webhook-identifier": "j-1"}, body)
    assert (jira.delivery_id, jira.event) == ("j-1", "jira:issue_updated")
    envelope = {"type": "event_callback", "event_id": "Ev1", "event": {"type": "message"}}
    slack = parse("slack", {}, json.dumps(envelope).encode())
    assert (slack.delivery_id, slack.event) == ("Ev1", "message")


def test_a_missing_delivery_id_falls_back_to_the_body_digest():
    first = parse("jira", {}, b'{"webhookEvent":"x"}')
    again = parse("jira", {}, b'{"webhookEvent":"x"}')
    other = parse("jira", {}, b'{"webhookEvent":"y"}')
    assert first.delivery_id == again.delivery_id != other.delivery_id
    assert first.delivery_id.startswith("sha256:")


def test_no_event_name_is_400():
    assert parse("github", {"x-github-delivery": "d"}, b"{}").status == 400
    assert parse("jira", {}, b"{}").status == 400


def test_slack_url_verification_carries_the_challenge():
    body = b'{"token":"t","challenge":"abc123","type":"url_verification"}'
    verdict = parse("slack", {}, body)
    assert isinstance(verdict, Accepted) and verdict.challenge == "abc123"


@pytest.mark.parametrize("challenge", [None, "", 42, ["abc"]])
def test_slack_url_verification_without_a_challenge_is_400(challenge):
    """Slack always sends its challenge, a string (api.slack.com/events/url_verification):
    a body without one is not Slack's handshake, and gets no 200."""
    fields = {"token": "t", "type": "url_verification"}
    if challenge is not None:
        fields["challenge"] = challenge
    verdict = parse("slack", {}, json.dumps(fields).encode())
    assert verdict == Rejected(400, "url_verification without a challenge")


DEEP = b"[" * 100_000 + b"]" * 100_000  # past any JSON decoder's stack


@pytest.mark.parametrize(
    ("service", "headers", "body"),
    [
        ("github", {"x-github-event": "issues"}, DEEP),
        ("jira", {}, b'{"webhookEvent": "x", "deep": ' + DEEP + b"}"),
        ("slack", {}, DEEP),
        # a GitHub hook left at its form content type carries the JSON in `payload`
        (
            "github",
            {"x-github-event": "issues", "content-type": "application/x-www-form-urlencoded"},
            b"payload=" + b"%5B" * 100_000 + b"%5D" * 100_000,
        ),
    ],
    ids=["github", "jira", "slack", "github-form"],
)
def test_a_body_nested_too_deeply_is_400(service, headers, body):
    """json.loads raises RecursionError on it, no ValueError: it was a 500 and a traceback."""
    assert parse(service, headers, body) == Rejected(400, "body is nested too deeply")


def test_slack_accepts_exactly_five_minutes_and_rejects_anything_older():
    # Slack: reject a request whose timestamp is *more than* five minutes from local time.
    headers = {"x-slack-signature": SLACK_VECTOR, "x-slack-request-timestamp": SLACK_TS}
    ts = int(SLACK_TS)
    for now in (ts + 300, ts - 300):
        assert verify("slack", headers, SLACK_BODY, SLACK_SECRET, now=now) is None
    for now in (ts + 300.5, ts - 300.5):
        assert verify("slack", headers, SLACK_BODY, SLACK_SECRET, now=now).status == 401


def test_a_non_numeric_slack_timestamp_is_unauthenticated():
    headers = {"x-slack-signature": SLACK_VECTOR, "x-slack-request-timestamp": "soon"}
    verdict = verify("slack", headers, SLACK_BODY, SLACK_SECRET, now=int(SLACK_TS))
    assert verdict == Rejected(401, "missing or non-numeric x-slack-request-timestamp header")


@pytest.mark.parametrize("stamp", ["\u00b2", "1\u00b9", "\u00b3" * 9])
def test_a_slack_timestamp_of_other_digits_is_401_even_signed(stamp):
    """str.isdigit takes "²" (a header's latin-1 byte 0xB2), int() does not: a request signed
    over such a timestamp raised ValueError (500 and a traceback) instead of a 401."""
    headers = {"x-slack-signature": slack_signature(SLACK_SECRET, stamp, SLACK_BODY)}
    headers["x-slack-request-timestamp"] = stamp
    verdict = verify("slack", headers, SLACK_BODY, SLACK_SECRET, now=int(SLACK_TS))
    assert verdict == Rejected(401, "missing or non-numeric x-slack-request-timestamp header")


def _signed(service, secret, body, ts):
    if service == "slack":
        return {
            "x-slack-signature": slack_signature(secret, ts, body),
            "x-slack-request-timestamp": ts,
        }
    header = "x-hub-signature-256" if service == "github" else "x-hub-signature"
    return {header: hub_signature(secret, body)}


def _flip(text, rng):
    """`text` with one byte at a random place replaced by a different random byte."""
    at = rng.randrange(len(text))
    other = rng.choice([b for b in range(256) if b != text[at]])
    return text[:at] + bytes([other]) + text[at + 1 :]


@pytest.mark.parametrize("service", ["github", "jira", "slack"])
def test_every_single_byte_change_of_body_or_signature_is_rejected(service):
    """Seeded random bodies and secrets: the signed delivery passes, and any one changed byte
    (in the body, or in the signature header's value) is a 401."""
    rng = random.Random(service)
    ts = "1700000000"
    for _ in range(200):
        secret = "".join(rng.choice(string.ascii_letters) for _ in range(rng.randint(1, 40)))
        body = rng.randbytes(rng.randint(1, 300))
        headers = _signed(service, secret, body, ts)
        assert verify(service, headers, body, secret, now=int(ts)) is None
        changed = verify(service, headers, _flip(body, rng), secret, now=int(ts))
        assert changed.status == 401
        [(name, value)] = [(k, v) for k, v in headers.items() if "signature" in k]
        forged = _flip(value.encode(), rng).decode("latin-1")
        assert verify(service, {**headers, name: forged}, body, secret, now=int(ts)).status == 401


def test_a_github_form_delivery_is_read_from_its_payload_field():
    """GitHub's default hook content type: application/x-www-form-urlencoded, payload=<json>,
    signed over the form bytes."""
    from urllib.parse import urlencode

    event = {"action": "opened", "zen": "a&b=c caf\u00e9"}
    body = urlencode({"payload": json.dumps(event)}).encode()
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-hub-signature-256": hub_signature("s", body),
        "x-github-event": "issues",
        "x-github-delivery": "d-1",
    }
    accepted = check("github", headers, body, "s", now=0.0, replay_window=300.0)
    assert isinstance(accepted, Accepted) and accepted.payload == event
    assert (accepted.delivery_id, accepted.event) == ("d-1", "issues")
    assert accepted.document is not None and json.loads(accepted.document) == event  # queued
    json_headers = {**headers, "content-type": "application/json"}
    plain = parse("github", json_headers, json.dumps(event).encode())
    assert plain == Accepted("d-1", "issues", event)  # a JSON body is queued as it came
    no_payload = parse("github", headers, b"other=1")
    assert no_payload.status == 400 and "no `payload` field" in no_payload.reason
    # only GitHub sends forms: a Jira body is JSON whatever its content type says
    assert parse("jira", headers, body).reason.startswith("body is not JSON")
