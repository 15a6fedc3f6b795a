"""Structured logging to a rotating JSON-lines file, with every secret masked.

`setup_logging` sends all records to <data_dir>/logs/zen-tui.log and nowhere else (never the
terminal: the TUI owns it), rotated at MAX_BYTES into zen-tui.log.1 .. .BACKUP_COUNT. A filter
on the handler runs `redact` over the message, its args, exception and stack text and extra
fields, so a token cannot reach the file even when a library logs a header or a URL with an
OAuth code in it; and `text_safety.clean` after it, so no terminal control either (a server's
title in a message, uvicorn's coloured copy of its message): the file is read with `cat`,
`less -R`, `jq -r`, which would send an escape to the terminal.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from zen_tui.paths import PRIVATE_DIR, PRIVATE_FILE, log_file, make_private
from zen_tui.redaction import MASK, MIN_SECRET_LENGTH, redact, register_secret
from zen_tui.text_safety import clean

# The masking itself is zen_tui.redaction's; its names stay importable from here.
__all__ = [
    "BACKUP_COUNT",
    "MASK",
    "MAX_BYTES",
    "MIN_SECRET_LENGTH",
    "JsonFormatter",
    "PrivateRotatingFileHandler",
    "RedactingFilter",
    "current_log_file",
    "redact",
    "register_secret",
    "route_to_log_file",
    "setup_logging",
    "shutdown_logging",
]

MAX_BYTES = 2_000_000
BACKUP_COUNT = 3


# Attributes every LogRecord has; anything else came in through `extra=`.
_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)


# Extras dropped whole: uvicorn's `color_message` is its message again, with ANSI colours for
# its own console formatter; cleaned, it would only be a copy with ␛[36m in it.
_DROPPED_EXTRAS = frozenset({"color_message"})


def _safe(text: str) -> str:
    """`text` with every secret masked and every terminal control made visible (newlines and
    tabs kept: a traceback, a body)."""
    return clean(redact(text), multiline=True)


def _safe_value(value: Any) -> Any:
    if isinstance(value, str):
        return _safe(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    return _safe(repr(value))


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    """The fields a record got through `extra=`, but the dropped ones."""
    return {
        k: v
        for k, v in vars(record).items()
        if k not in _STANDARD_ATTRS and k not in _DROPPED_EXTRAS
    }


class RedactingFilter(logging.Filter):
    """Rewrites a record in place so no handler after it can see a secret or a terminal
    control."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _safe(record.getMessage())
        record.args = None
        if record.exc_info:
            formatter = logging.Formatter()
            record.exc_text = _safe(formatter.formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = _safe(record.exc_text)
        if record.stack_info:
            record.stack_info = _safe(record.stack_info)
        for key in _DROPPED_EXTRAS & vars(record).keys():
            delattr(record, key)
        for key, value in _extras(record).items():
            setattr(record, key, _safe_value(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, extra context, exc."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": _safe(record.getMessage()),
        }
        extra = _extras(record)
        if extra:
            entry["extra"] = {k: _safe_value(v) for k, v in extra.items()}
        exc = record.exc_text or (
            self.formatException(record.exc_info) if record.exc_info else None
        )
        if exc:
            entry["exc"] = _safe(exc)
        if record.stack_info:
            entry["stack"] = _safe(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


class PrivateRotatingFileHandler(logging.FileHandler):
    """The log file, rotated like the standard library's RotatingFileHandler (at `max_bytes`,
    into .1 .. .`backup_count`), and every file it opens (the first, and each one after a
    rotation) is 0600, whatever the umask: the log names accounts, repositories and channels.

    Not a RotatingFileHandler itself: `logging.handlers` imports socket, pickle, queue and
    struct for its other handlers, a few milliseconds of every command, where rotation is a
    size check and a chain of renames. tests/unit/config/test_logs.py runs both on the same
    records and compares the files, so the two cannot drift apart.
    """

    def __init__(self, path: Path, max_bytes: int, backup_count: int) -> None:
        super().__init__(path, mode="a", encoding="utf-8")
        self.max_bytes = max_bytes
        self.backup_count = backup_count

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self.should_roll_over(record):
                self.roll_over()
            super().emit(record)
        except Exception:
            self.handleError(record)

    def should_roll_over(self, record: logging.LogRecord) -> bool:
        """When this record would take the file to max_bytes (counting characters, as the
        standard library does). Never for an empty file, nor a file that is not a regular one
        (a log pointed at /dev/null or a pipe stays where it is)."""
        if self.max_bytes <= 0:
            return False
        if self.stream is None:  # a rotation failed half-way: reopen, as FileHandler.emit would
            self.stream = self._open()
        self.stream.seek(0, os.SEEK_END)
        size = self.stream.tell()
        if not size or size + len(self.format(record)) + len(self.terminator) < self.max_bytes:
            return False
        return not os.path.exists(self.baseFilename) or os.path.isfile(self.baseFilename)

    def roll_over(self) -> None:
        """zen-tui.log becomes .1, .1 becomes .2, ..., the oldest is dropped; a new file opens."""
        if self.stream:
            self.stream.close()
            self.stream = None
        if self.backup_count > 0:
            base = self.baseFilename
            for n in range(self.backup_count - 1, 0, -1):
                if os.path.exists(f"{base}.{n}"):
                    os.replace(f"{base}.{n}", f"{base}.{n + 1}")
            if os.path.exists(f"{base}.1"):
                os.remove(f"{base}.1")
            if os.path.exists(base):
                os.rename(base, f"{base}.1")
        self.stream = self._open()

    def handleError(self, record: logging.LogRecord) -> None:
        """A full disk is said once, as a notice (the CLI prints it, the dashboard shows it),
        instead of logging's traceback on stderr for every record that cannot be written."""
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            from zen_tui.store import notices  # here: the store imports logging helpers too
            from zen_tui.store.rows import DiskFull

            notices.announce_disk_full(DiskFull(self.baseFilename))
            return
        super().handleError(record)

    def close(self) -> None:
        try:
            super().close()
        except OSError as exc:  # the last buffered line could not be written: said already
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise

    def _open(self) -> Any:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
        os.close(fd)
        make_private(Path(self.baseFilename), PRIVATE_FILE)
        return super()._open()


_installed: PrivateRotatingFileHandler | None = None


def _is_terminal_handler(handler: logging.Handler) -> bool:
    if isinstance(handler, logging.FileHandler) or not isinstance(handler, logging.StreamHandler):
        return False
    terminals = (sys.stderr, sys.stdout, sys.__stderr__, sys.__stdout__)
    return handler.stream in terminals


def setup_logging(data_dir: Path, level: str | int = "INFO") -> Path:
    """Log everything at `level` and above to the rotating JSON file; returns its path.

    Idempotent: a second call replaces the handler the first one installed.
    """
    global _installed
    path = log_file(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    handler = PrivateRotatingFileHandler(path, MAX_BYTES, BACKUP_COUNT)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if old is _installed or _is_terminal_handler(old):
            root.removeHandler(old)
            old.close()
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    logging.captureWarnings(True)
    _installed = handler
    return path


def route_to_log_file(*names: str) -> None:
    """Send these loggers (e.g. uvicorn's, which print to stderr) to the log file instead,
    so an in-process server cannot write over the TUI."""
    for name in names:
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            if _is_terminal_handler(handler):
                logger.removeHandler(handler)
        logger.propagate = True


def current_log_file() -> Path | None:
    """The file setup_logging writes to, or None before it ran."""
    return Path(_installed.baseFilename) if _installed is not None else None


def shutdown_logging() -> None:
    """Remove and close the handler setup_logging installed (tests, embedding)."""
    global _installed
    if _installed is not None:
        logging.getLogger().removeHandler(_installed)
        _installed.close()
        _installed = None
        logging.captureWarnings(False)
