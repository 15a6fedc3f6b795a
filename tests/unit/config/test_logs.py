"""Redaction of every token shape, and a real log file that never holds a secret.

Fake tokens are built at run time so no committed literal looks like a real one.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import logging.handlers
import os
import random
import stat
from pathlib import Path

import pytest

from tests.helpers import eventually
from zen_tui.logs import (
    MASK,
    PrivateRotatingFileHandler,
    redact,
    register_secret,
    setup_logging,
    shutdown_logging,
)

BODY36 = "aB3" * 12


def prefixed_tokens() -> dict[str, str]:
    return {
        "ghp": "ghp_" + BODY36,
        "gho": "gho_" + BODY36,
        "ghu": "ghu_" + BODY36,
        "ghs": "ghs_" + BODY36,
        "ghr": "ghr_" + BODY36,
        "github_pat": "github_pat_" + "11ABCDEFG0" + "_" + BODY36 + "x" * 20,
        "xoxb": "xoxb-" + "-".join(["1234567890", "0987654321", BODY36[:24]]),
        "xoxp": "xoxp-" + "-".join(["1234567890", "0987654321", "1111", BODY36]),
        "xoxe": "xoxe-1-" + BODY36 + "Zz9",
        "xoxe.xoxp": "xoxe.xoxp-1-" + BODY36,
        "xoxe.xoxb": "xoxe.xoxb-1-" + BODY36,
        "xapp": "xapp-1-A0123456789-1234567890-" + BODY36,
        "ATATT": "ATATT" + "3xFfGF0" + BODY36 + "=ABCD1234",
    }


@pytest.mark.parametrize("name", sorted(prefixed_tokens()))
def test_prefixed_tokens_are_masked_anywhere_in_text(name: str) -> None:
    token = prefixed_tokens()[name]
    for text in (
        f"token {token} expired",
        f'{{"token": "{token}"}}',
        f"url=https://x/?t={token}&a=1",
        f"({token})",
        f"GH_TOKEN_{token}",
    ):
        out = redact(text)
        assert token not in out, out
        assert MASK in out
    # The kind of token stays visible for debugging.
    assert redact(token).startswith(token.split("-")[0].split("_")[0][:3])


@pytest.mark.parametrize("prefix", ["xoxe.xoxp-1-", "xoxe.xoxb-1-", "xoxe-1-"])
def test_a_rotating_slack_token_is_masked_to_its_end(prefix: str) -> None:
    """Slack's rotating tokens end in opaque base64: a `+` or `/` in it must not end the
    mask and leave the token's tail in the text."""
    tail = "Zm9v+YmFy/" + BODY36
    token = prefix + "MS0y" + tail
    for text in (f"token {token} expired", f"Authorization: Bearer {token}", f"'{token}'"):
        out = redact(text)
        assert "YmFy" not in out and BODY36 not in out, out
    assert redact(f"got {token} back") == f"got {prefix.removesuffix('1-')}{MASK} back"


def test_authorization_header_values() -> None:
    opaque = "opaque" + BODY36
    basic = base64.b64encode(f"me@example.com:{opaque}".encode()).decode()
    cases = [
        f"Authorization: Bearer {opaque}",
        f"authorization: token {opaque}",
        f"AUTHORIZATION: Basic {basic}",
        f'{{"Authorization": "Bearer {opaque}", "Accept": "json"}}',
        f"{{'authorization': 'Basic {basic}'}}",
        f"headers=[('Authorization', 'Bearer {opaque}')]",
        f"Authorization={opaque}",
    ]
    for text in cases:
        out = redact(text)
        assert opaque not in out and basic not in out, out
        assert MASK in out
    assert redact(f"Authorization: Bearer {opaque}") == f"Authorization: Bearer {MASK}"
    assert "Accept" in redact(cases[3])


@pytest.mark.parametrize(
    "field",
    ["code", "access_token", "refresh_token", "client_secret", "code_verifier", "device_code"],
)
def test_oauth_fields_in_query_form_and_json(field: str) -> None:
    secret = "s3cr3t" + BODY36
    cases = [
        f"GET https://example.com/callback?{field}={secret}&state=abc",
        f"POST body: grant_type=x&{field}={secret}&client_id=cid",
        f"{field}={secret}",
        f'{{"{field}": "{secret}", "token_type": "bearer"}}',
        f'{{"{field}":"{secret}"}}',
        f"{{'{field}': '{secret}'}}",
    ]
    for text in cases:
        out = redact(text)
        assert secret not in out, out
        assert MASK in out
    assert "state=abc" in redact(cases[0])
    assert "client_id=cid" in redact(cases[1])
    assert '"token_type": "bearer"' in redact(cases[3])


def test_ordinary_text_is_left_alone() -> None:
    for text in (
        "GET /repos/o/r/pulls?state=open&per_page=50 -> 200",
        "error_code=42 barcode=7 user_code=WDJB-MJHT",
        '{"code": 404, "message": "Not Found"}',
        "breaker open until 14:02; Authorization header missing",
        "ghp_ alone is just a prefix",
    ):
        assert redact(text) == text


def test_registered_secret_without_a_known_shape() -> None:
    secret = "plain-" + "q" * 30
    assert secret in redact(f"token {secret}")
    register_secret(secret)
    assert redact(f"token {secret}!") == f"token {MASK}!"
    register_secret("abc")  # too short to mask safely: ignored
    assert redact("abc def") == "abc def"


def test_url_password() -> None:
    assert redact("https://me:hunter2pw@proxy:8080/x") == f"https://me:{MASK}@proxy:8080/x"


@pytest.mark.parametrize(
    "template",
    [
        "[(b'Server', b'x'), (b'Set-Cookie', b'{v}; Path=/; HttpOnly'), (b'Vary', b'y')]",
        "Set-Cookie: {v}; Secure",
        "cookie: {v}",
        "{{'set-cookie': '{v}', 'etag': 'W/1'}}",
        '{{"Cookie": "{v}"}}',
    ],
)
def test_cookies_are_masked(template: str) -> None:
    value = "session=" + "c0ffee" * 6  # a cookie has no known token shape
    out = redact(template.format(v=value))
    assert "c0ffee" not in out and MASK in out


def test_a_word_cookie_in_prose_is_left_alone() -> None:
    assert redact("cookies from responses are masked") == "cookies from responses are masked"


def test_log_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = setup_logging(tmp_path / "data", "INFO")
        logging.getLogger("zen_tui.test").info("x")
        handler = logging.getLogger().handlers[-1]
        assert isinstance(handler, PrivateRotatingFileHandler)
        handler.roll_over()  # the file opened after a rotation is private too
    finally:
        os.umask(old)
        shutdown_logging()
    for file in [path, *path.parent.glob("zen-tui.log.*")]:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def read_log(path: Path) -> list[dict[str, object]]:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_log_file_is_json_lines_and_holds_no_secret(tmp_path: Path) -> None:
    tokens = prefixed_tokens()
    runtime = "runtime-only-" + "k" * 24
    register_secret(runtime)
    path = setup_logging(tmp_path, "DEBUG")
    assert path == tmp_path / "logs" / "zen-tui.log"
    log = logging.getLogger("zen_tui.test")
    log.info("message with %s", tokens["ghp"])  # in args
    log.warning(f"inline {tokens['xoxb']} and Authorization: Bearer {runtime}")  # in the message
    log.debug("ctx", extra={"account": "gh", "url": f"https://x/cb?code={runtime}"})
    try:
        raise RuntimeError(f"boom with {tokens['ATATT']} and {tokens['github_pat']}")
    except RuntimeError:
        log.exception("request failed for %s", tokens["xoxp"])
    log.error("body %s", {"refresh_token": runtime, "client_secret": runtime})

    raw = path.read_text(encoding="utf-8")
    for token in [*tokens.values(), runtime]:
        assert token not in raw
    entries = read_log(path)
    assert [e["level"] for e in entries] == ["INFO", "WARNING", "DEBUG", "ERROR", "ERROR"]
    assert entries[0]["logger"] == "zen_tui.test"
    assert entries[0]["message"] == "message with ghp_***"
    assert entries[2]["extra"] == {"account": "gh", "url": f"https://x/cb?code={MASK}"}
    assert "RuntimeError: boom with ATATT***" in str(entries[3]["exc"])
    assert str(entries[0]["ts"]).endswith("Z")


def test_level_filters_and_nothing_goes_to_the_terminal(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = setup_logging(tmp_path, "WARNING")
    logging.getLogger("zen_tui.x").info("quiet")
    logging.getLogger("zen_tui.x").warning("loud")
    entries = read_log(path)
    assert [e["message"] for e in entries] == ["loud"]
    out, err = capfd.readouterr()
    assert "loud" not in out and "loud" not in err


def test_setup_twice_switches_files(tmp_path: Path) -> None:
    first = setup_logging(tmp_path / "a")
    second = setup_logging(tmp_path / "b")
    logging.getLogger("zen_tui.x").warning("where")
    assert "where" in second.read_text(encoding="utf-8")
    assert "where" not in first.read_text(encoding="utf-8")


def test_each_shape_skipped_by_its_substring_test_would_have_matched_nothing() -> None:
    """The patterns compile only for a text that could hold them; on seeded random texts
    built from the patterns' own pieces (and the characters re.IGNORECASE folds oddly:
    dotless i, dotted I, long s, the Kelvin sign), the substring test never skips a text
    the compiled pattern would have changed."""
    import random
    import re

    from zen_tui import redaction

    shapes = [
        redaction._PREFIXED,
        redaction._AUTH_HEADER,
        redaction._FORM_FIELD,
        redaction._QUOTED_FIELD,
        redaction._URL_PASSWORD,
        redaction._COOKIE,
    ]
    pieces = [
        *("gh", "ghp_", "github_pat_", "xoxb-", "xoxe.xoxp-", "xoxe-", "xapp-", "ATATT"),
        *("AUTH", "+", "/"),
        *("Authorization", "author\u0131zation", "AUTHOR\u0130ZATION", "Bearer ", "basic "),
        *("token ", "Set-Cookie", "COOK\u0130E", "coo\u212aie", "b'", "aB3", "1234"),
        *("code", "pa\u017fsword", "access_token", "=", "?", "&", '"', "'", ":", " ", "\n"),
        *("://", "user", "@", "host"),
    ]
    rng = random.Random(12)
    for _ in range(4000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        for shape in shapes:
            compiled = re.compile(shape.pattern, shape.flags)
            changed = compiled.sub("<m>", text) != text
            assert shape.could_match(text) or not changed, (shape.pattern, text)
            assert shape.sub(lambda m: "<m>", text) == compiled.sub("<m>", text)


def test_a_plain_log_line_compiles_no_pattern(tmp_path: Path) -> None:
    """A fresh interpreter that logs a line with no secret shape in it compiles none."""
    import subprocess
    import sys

    probe = (
        "from zen_tui import logs, redaction\n"
        "assert logs.redact('zen-tui 0.1.0: health') == 'zen-tui 0.1.0: health'\n"
        "shapes = [v for v in vars(redaction).values() if isinstance(v, redaction._Shape)]\n"
        "assert len(shapes) == 6, shapes\n"
        "print(sum(s.compiled is not None for s in shapes))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "0"


def _rotating_pair(
    ours_dir: Path, stdlib_dir: Path, max_bytes: int, backups: int
) -> list[logging.FileHandler]:
    """Our handler and the standard library's, each on its own zen-tui.log, same settings."""
    ours = PrivateRotatingFileHandler(ours_dir / "zen-tui.log", max_bytes, backups)
    theirs = logging.handlers.RotatingFileHandler(
        stdlib_dir / "zen-tui.log", maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
    )
    for handler in (ours, theirs):
        handler.setFormatter(logging.Formatter("%(message)s"))
    return [ours, theirs]


def _files(folder: Path) -> dict[str, bytes]:
    return {f.name: f.read_bytes() for f in sorted(folder.iterdir())}


# The first 15 rounds of the seeded stream in every run, all 40 with `make soak`.
@pytest.mark.parametrize("rounds", [15, pytest.param(40, marks=pytest.mark.slow)])
def test_rotation_writes_the_same_files_as_the_standard_librarys_handler(
    tmp_path: Path, rounds: int
) -> None:
    """Seeded random records (empty, multi-byte, near the limit) through our handler and
    logging.handlers.RotatingFileHandler, with handlers closed and reopened on the same files
    between records (one process per command): the files on disk match byte for byte after
    every record. Records stay shorter than the limit: Python 3.11's handler rotates an empty
    file for a longer one, later ones do not (gh-116263), and ours follows the later rule."""
    import random

    rng = random.Random(2024)
    alphabet = "abc xyz {}\"':é€😀"
    for round_ in range(rounds):
        max_bytes, backups = rng.randint(40, 400), rng.randint(0, 3)
        ours_dir, stdlib_dir = tmp_path / f"ours{round_}", tmp_path / f"stdlib{round_}"
        ours_dir.mkdir()
        stdlib_dir.mkdir()
        pair = _rotating_pair(ours_dir, stdlib_dir, max_bytes, backups)
        for n in range(rng.randint(1, 120)):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, max_bytes - 2)))
            record = logging.LogRecord("zen_tui.t", logging.INFO, "f", 1, text, None, None)
            for handler in pair:
                handler.handle(record)
            assert _files(ours_dir) == _files(stdlib_dir), (round_, n)
            if rng.random() < 0.1:  # the next command opens the same files
                for handler in pair:
                    handler.close()
                pair = _rotating_pair(ours_dir, stdlib_dir, max_bytes, backups)
        for handler in pair:
            handler.close()
        assert len(_files(ours_dir)) <= backups + 1


def test_a_record_is_written_after_the_file_fills_up(tmp_path: Path) -> None:
    """Through setup_logging: a log at the size limit moves to .1 and the new record starts
    a fresh zen-tui.log; the oldest backup falls off."""
    from zen_tui.logs import BACKUP_COUNT, MAX_BYTES

    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "zen-tui.log").write_text("x" * (MAX_BYTES - 10) + "\n", encoding="utf-8")
    for n in range(1, BACKUP_COUNT + 1):
        (logs / f"zen-tui.log.{n}").write_text(f"backup {n}\n", encoding="utf-8")
    path = setup_logging(tmp_path)
    logging.getLogger("zen_tui.t").warning("after the limit")
    shutdown_logging()
    assert [e["message"] for e in map(json.loads, path.read_text().splitlines())] == [
        "after the limit"
    ]
    assert (logs / "zen-tui.log.1").stat().st_size == MAX_BYTES - 9
    assert (logs / "zen-tui.log.2").read_text() == "backup 1\n"
    assert (logs / f"zen-tui.log.{BACKUP_COUNT}").read_text() == f"backup {BACKUP_COUNT - 1}\n"
    assert not (logs / f"zen-tui.log.{BACKUP_COUNT + 1}").exists()


def test_a_secret_registered_before_logging_loads_is_masked_in_the_log(tmp_path: Path) -> None:
    """zen_tui.redaction needs no `logging`: the config registers a token before the log is
    set up (and a usage error is redacted without it). A fresh interpreter registers one with
    logging not loaded, then sets up the log: the file holds *** and never the token."""
    import subprocess
    import sys

    secret = "s3cr" + "et-" + BODY36
    probe = (
        "import sys\n"
        "from zen_tui.redaction import redact, register_secret\n"
        f"register_secret({secret!r})\n"
        f"assert redact('token ' + {secret!r}) == 'token ***'\n"
        "assert 'logging' not in sys.modules, 'logging loaded early'\n"
        "import logging\n"
        "from pathlib import Path\n"
        "from zen_tui.logs import setup_logging\n"
        f"path = setup_logging(Path({str(tmp_path)!r}))\n"
        f"logging.getLogger('t').warning('sent %s', {secret!r})\n"
        "logging.shutdown()\n"
        "print(path)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    text = Path(done.stdout.strip()).read_text(encoding="utf-8")
    assert "sent ***" in text and secret not in text


# What may stand next to a secret in a log line: separators, quotes, brackets, and the
# characters a repr, json.dumps or a bytes repr turns into escapes (`\n`, `\x1b`, `\u2028`).
_BESIDE = [*" \t\r\n:;,.=()[]{}<>|/#!*'\"", "\x1b", "\x00", "\u2028", "\u00e9"]
_RENDER = {
    "as is": str,
    "repr": repr,
    "json": json.dumps,
    "bytes repr": lambda text: repr(text.encode()),
}


def _percent(text: str) -> str:
    return "".join(f"%{b:02X}" for b in text.encode())


def _secret_lines(rng: random.Random) -> list[tuple[str, str]]:
    """(a text holding one secret of each known shape, the secret's part that must go)."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    body = "".join(rng.choice(alphabet) for _ in range(36))
    lines = [(token.replace(BODY36, body), body) for token in prefixed_tokens().values()]
    field = rng.choice(["code", "access_token", "refresh_token", "client_secret", "device_code"])
    lines += [
        (f"Authorization: Bearer {body}", body),
        (f"{field}={body}", body),
        (f'"{field}": "{body}"', body),
        (f"Set-Cookie: session={body}; Path=/", body),
        (f"https://me:{body}@proxy:8080/x", body),
    ]
    return lines


@pytest.mark.parametrize("seed", range(12))
def test_no_secret_survives_whatever_stands_beside_it_or_renders_it(seed: int) -> None:
    """Every known shape, between random separators and escapes, as is or rendered the ways
    a log line renders text (repr, json, a bytes repr, percent-encoded): redact leaves no
    part of the secret. Before, a token right after an escape (`'x:\\nghp_...'`, a repr of
    two lines; `%3Aghp_...`) was left whole: the letter before it read as part of a word."""
    rng = random.Random(seed)
    for _ in range(60):
        for line, secret in _secret_lines(rng):
            before = "".join(rng.choices(_BESIDE, k=rng.randint(0, 3)))
            after = "".join(rng.choices(_BESIDE, k=rng.randint(0, 3)))
            texts = [render(before + line + after) for render in _RENDER.values()]
            texts.append(f"?q={_percent(before)}{line}{_percent(after)}")  # a URL's query
            for text in texts:
                assert secret not in redact(text), (seed, text)


def test_a_secret_after_an_escape_or_a_separator_is_masked() -> None:
    """The first texts the randomised test above found left whole (seed 0), and their kin."""
    secret = "2yW4Acq9GFz6Y1t9" + "EwL56nGisiWgNZq6ITZM"  # built here: no token-like literal
    token = "ghp_" + secret
    for text in (
        repr(f"\r\r{token}{{\r"),  # '\r\rghp_...'
        f"?q=%3A{token}",
        repr(f"\nAuthorization: Bearer {secret}"),
        f"['grant_type=x', 'access_token={secret}']",
        json.dumps(json.dumps({"refresh_token": secret})),
    ):
        assert secret not in redact(text), text
    assert redact("error_code=42 barcode=7 user_code=WDJB-MJHT") == (
        "error_code=42 barcode=7 user_code=WDJB-MJHT"
    )


async def test_a_uvicorn_start_line_reaches_the_file_without_terminal_control(
    tmp_path: Path,
) -> None:
    """uvicorn logs its start and end lines with `extra={"color_message": ...}`, the same text
    with ANSI colours (`ESC [36m`) for its own console formatter. That copy is dropped, and
    any other text with terminal control in a record (its message, an extra, the traceback)
    reaches the file with each control made visible (text_safety.clean), never as an escape
    a `jq -r` or `cat` of the file would send to the terminal."""
    import uvicorn

    async def app(scope: object, receive: object, send: object) -> None:  # never called
        raise AssertionError("no request is made")

    path = setup_logging(tmp_path, "INFO")
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started or task.done(), "uvicorn to start")
    server.should_exit = True
    await task
    log = logging.getLogger("zen_tui.test")
    log.warning("title \x1b]52;c;aGk=\x07 shown", extra={"title": "a\x1b[2Jb\u202ec", "n": 3})
    try:
        raise RuntimeError("bad \x1b[31mred")
    except RuntimeError:
        log.exception("failed")

    raw = path.read_text(encoding="utf-8")
    assert "\x1b" not in raw and "\\u001b" not in raw and "\x07" not in raw, raw
    assert "\u202e" not in raw and "color_message" not in raw, raw
    entries = read_log(path)
    started = [e for e in entries if str(e["message"]).startswith("Started server process")]
    assert started and "extra" not in started[0], entries
    assert entries[-2]["message"] == "title \u241b]52;c;aGk=\u2407 shown"
    assert entries[-2]["extra"] == {"title": "a\u241b[2Jb\ufffdc", "n": 3}
    assert "RuntimeError: bad \u241b[31mred" in str(entries[-1]["exc"])
