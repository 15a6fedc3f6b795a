"""Turn one attempt's HTTP outcome into a return, a retryable failure, or a final error."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import msgspec

from zen_tui.json_input import loads

from .answer import Answer
from .errors import (
    ApiError,
    ApiGone,
    AuthExpired,
    GatewayError,
    RateLimited,
    Unavailable,
    VersionRefused,
)
from .profiles import ServiceProfile, parse_retry_after
from .retry import AttemptFailed, FailureKind

if TYPE_CHECKING:
    import httpx


class CallContext(msgspec.Struct, frozen=True):
    service: str
    account: str
    method: str
    endpoint: str
    attempt: int

    def kw(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "account": self.account,
            "method": self.method,
            "endpoint": self.endpoint,
            "attempt": self.attempt,
        }


def transport_failure(exc: httpx.TransportError, ctx: CallContext) -> AttemptFailed:
    """Connect-phase errors sent nothing (always safe); the rest may have reached the server."""
    import httpx  # loaded already: the client that raised `exc` is httpx's

    name = type(exc).__name__
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        kind: FailureKind = "connect"
        text = "cannot connect" if isinstance(exc, httpx.ConnectError) else "connect timed out"
        text = tls_refusal(exc) or text
    else:
        kind = "timeout"
        text = "timed out" if isinstance(exc, httpx.TimeoutException) else "connection lost"
    error = Unavailable(**ctx.kw(), message=f"offline: {text} ({name})")
    return AttemptFailed(error=error, kind=kind, reason=name)


def tls_refusal(exc: BaseException) -> str | None:
    """What refused the TLS handshake behind a connect error, in one line; None when it was
    not TLS. Still a connect failure (retried, counted by the breaker): a captive portal's
    certificate goes away on its own, a wrong trust store does not, and the text says so."""
    import ssl

    from .tls import TrustStoreError

    cause: BaseException | None = exc
    for _ in range(5):  # httpx's error wraps httpcore's, which wraps the ssl one
        if cause is None:
            return None
        if isinstance(cause, ssl.SSLCertVerificationError):
            return (
                f"TLS certificate not trusted ({cause.verify_message}); if a private CA "
                "signs it, point SSL_CERT_FILE or SSL_CERT_DIR at that CA"
            )
        if isinstance(cause, TrustStoreError):
            return str(cause)
        cause = cause.__cause__ or cause.__context__
    return None


def response_failure(
    response: Answer,
    ctx: CallContext,
    profile: ServiceProfile,
    now: float,
    headers: Mapping[str, str] | None = None,
) -> AttemptFailed | GatewayError | None:
    """None for a usable answer (2xx, 304); else a retryable failure or a final error.
    `headers`: the answer's fields by lower-case name, when the caller has read them."""
    status = response.status_code
    headers = response.headers if headers is None else headers
    limited = profile.is_rate_limited(status, headers, response.content)
    failed = profile.failed_server_side(status, response.content)  # Slack's 200 internal_error
    if (200 <= status < 300 or status == 304) and not limited and failed is None:
        return None
    common = {**ctx.kw(), "status": status, "request_id": profile.request_id(headers)}
    if limited:
        retry_at = profile.server_retry_at(status, headers, now)
        error = RateLimited(**common, retry_at=retry_at)
        how = "Retry-After" if "retry-after" in headers else "reset"
        return AttemptFailed(error, "rate_limit", f"{status} {how}", retry_at)
    if status == 408 or status >= 500 or failed is not None:
        return _server_failed(common, parse_retry_after(headers.get("retry-after"), now), failed)
    if status == 401:
        return AuthExpired(**common)
    refusal = profile.version_refusal(status, response.content)
    if refusal is not None:
        return VersionRefused(**common, message=refusal)
    if profile.api_retired(status, response.content):
        return ApiGone(
            **common,
            message=f"{ctx.method} {ctx.endpoint} is gone (removed by {ctx.service}); "
            "update zen-tui or report it",
        )
    hint = profile.refusal_hint(status, headers)
    return ApiError(**common, message=_server_message(response) + hint)


def _server_failed(
    common: dict[str, Any], retry_at: float | None, code: str | None
) -> AttemptFailed:
    """A 5xx or 408, or a 200 whose body says the server failed (`code`): retried when
    safe, counted by the breaker."""
    status = common["status"]
    if code is None:
        error = Unavailable(**common, retry_at=retry_at, message=f"server error {status}")
        return AttemptFailed(error, "status", str(status), retry_at)
    said = f"{shortened(code)} (failed on the server's side)"
    error = Unavailable(**common, retry_at=retry_at, message=said)
    return AttemptFailed(error, "status", f"{status} {shortened(code)}", retry_at)


# Long enough for GitHub's search refusal (157 characters) or two of Jira's JQL errors whole.
MESSAGE_MAX = 200


def _server_message(response: Answer) -> str:
    """The server's own one-line reason (GitHub message, Jira errorMessages, Slack error)."""
    try:
        body = loads(response.content)
    except ValueError:
        return response.reason_phrase or "request failed"
    text = ""
    if isinstance(body, dict):
        messages = body.get("errorMessages") or []
        listed = " ".join(str(m) for m in messages) if isinstance(messages, list) else ""
        # Jira lists every problem of a JQL at once (a project and a field): all of them
        text = str(body.get("message") or listed or body.get("error", ""))
        errors = body.get("errors")  # Jira: per-field reasons (create, edit)
        if not text and isinstance(errors, dict) and errors:
            text = "; ".join(f"{name}: {why}" for name, why in errors.items())
        if isinstance(errors, list) and errors:
            # GitHub 422: a message, then the reasons themselves; Jira's bulk API (its
            # BulkOperationErrorResponse): the reasons alone, [{"message": ...}]
            reasons = "; ".join(_github_reason(e) for e in errors[:3])
            text = f"{text}: {reasons}" if text else reasons
    text = " ".join(text.split())
    return shortened(text) or response.reason_phrase


# Where Jira's JQL syntax error puts the blame, at the end of its sentence ("Expecting operator
# but got 'x'. The valid operators are ... (line 1, character 9)").
_POSITION = re.compile(r" \(line \d+, character \d+\)$")


def shortened(text: str) -> str:
    """`text` cut to MESSAGE_MAX, if longer; a JQL error's closing position is kept, as it
    says where in the query the mistake is (its list of valid operators alone runs to 100
    characters)."""
    if len(text) <= MESSAGE_MAX:
        return text
    found = _POSITION.search(text)
    tail = found.group(0) if found else ""
    return text[: MESSAGE_MAX - 3 - len(tail)] + "..." + tail


def _github_reason(error: object) -> str:
    """One of GitHub's 422 `errors`: a plain string ("Can not approve your own pull request")
    or {resource, field, code[, message]} (validation-error); its message, else field + code."""
    if not isinstance(error, dict):
        return str(error)
    if error.get("message"):
        return str(error["message"])
    return " ".join(str(error[k]) for k in ("field", "code") if error.get(k)) or "invalid"
