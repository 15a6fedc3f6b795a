"""The config's parse kept between runs (zen_tui/config_cache.py): a run whose config text is
the one parsed last time loads no TOML parser and gets the same settings; any other text,
and any cache file that cannot be read back whole, is parsed by tomllib as before, with the
same settings and the same messages. Real files and real child processes throughout."""

from __future__ import annotations

import json
import math
import os
import random
import re
import struct
import subprocess
import sys
import tomllib
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import zen_tui
from zen_tui import config_cache, toml_input
from zen_tui.config import ConfigError, load_settings
from zen_tui.redaction import redact

from .conftest import run_config
from .test_config_errors import CASES, GH

EXAMPLE = Path(zen_tui.__file__).parent / "example-config.toml"


def cache() -> Path:
    file = config_cache.cache_file()
    assert file is not None
    return file


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def entry() -> dict[str, Any]:
    return json.loads(cache().read_text(encoding="utf-8"))  # type: ignore[no-any-return]


# -- a hit loads no tomllib ---------------------------------------------------------------------
PROBE = """
import json, sys
from pathlib import Path
from zen_tui.config import load_settings
settings = load_settings(Path(sys.argv[1]), Path(sys.argv[2]))
print(json.dumps({"tomllib": "tomllib" in sys.modules, "settings": repr(settings)}))
"""


def run_in_a_fresh_process(config: Path, data: Path) -> dict[str, Any]:
    """load_settings in a new interpreter (this one has tomllib loaded), with this test's cache
    folder: whether tomllib got loaded, and the settings' repr."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(config), str(data)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=Path(zen_tui.__file__).parents[1],
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_the_same_config_again_loads_no_toml_parser(tmp_path: Path) -> None:
    config = write(tmp_path / "config.toml", EXAMPLE.read_text(encoding="utf-8"))
    first = run_in_a_fresh_process(config, tmp_path / "data")
    second = run_in_a_fresh_process(config, tmp_path / "data")
    assert first["tomllib"] and not second["tomllib"]
    assert second["settings"] == first["settings"]
    assert entry()["source"] == config.read_text(encoding="utf-8")


def test_the_example_config_reads_the_same_from_the_cache(tmp_path: Path) -> None:
    """Every key the example sets, read through a hit: the same settings as tomllib's parse."""
    config = write(tmp_path / "config.toml", EXAMPLE.read_text(encoding="utf-8"))
    missed = load_settings(config, tmp_path)
    assert config_cache.lookup(cache(), config.read_text(encoding="utf-8")) is not None
    assert load_settings(config, tmp_path) == missed


# -- which text it answers for ------------------------------------------------------------------
def test_a_changed_config_is_parsed_again_even_at_the_same_size_and_time(tmp_path: Path) -> None:
    config = write(tmp_path / "config.toml", GH.replace("gh", "aa"))
    stamp = config.stat()
    assert [a.name for a in load_settings(config, tmp_path).accounts] == ["aa"]
    write(config, GH.replace("gh", "bb"))
    os.utime(config, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert config.stat().st_size == stamp.st_size and config.stat().st_mtime == stamp.st_mtime
    assert [a.name for a in load_settings(config, tmp_path).accounts] == ["bb"]
    assert entry()["source"] == GH.replace("gh", "bb")  # the new text is the one kept


def test_one_cache_serves_any_config_path_by_its_text(tmp_path: Path) -> None:
    one = write(tmp_path / "one.toml", GH)
    other = write(tmp_path / "other.toml", GH)
    load_settings(one, tmp_path)
    kept = cache().stat().st_mtime_ns
    assert load_settings(other, tmp_path).config_path == other  # the path is the caller's
    assert cache().stat().st_mtime_ns == kept  # a hit: nothing written


# -- cache files it cannot use ------------------------------------------------------------------
def _entry_for(text: str, **changes: Any) -> str:
    good = {"format": config_cache.FORMAT, "parser": config_cache.PARSER, "source": text}
    good |= {"parsed": {}, "code": config_cache.code_stamp()}
    return json.dumps(good | changes)


UNUSABLE: dict[str, Callable[[str], str]] = {
    "empty": lambda _text: "",
    "not JSON": lambda _text: "{not json",
    "cut short": lambda text: _entry_for(text)[:-5],
    "a list": lambda _text: "[1, 2]",
    "a string": lambda _text: '"config"',
    "no source": lambda _text: '{"format": 1, "parsed": {}}',
    "another text": lambda text: _entry_for(text + "# more\n"),
    "another format": lambda text: _entry_for(text, format=config_cache.FORMAT + 1),
    "another code": lambda text: _entry_for(text, code="config.py:1:1"),
    "another Python": lambda text: _entry_for(text, parser="cpython 3.99.0"),
    "parse not a table": lambda text: _entry_for(text, parsed=[]),
    "a null in the parse": lambda text: _entry_for(text, parsed={"accounts": [None]}),
    "nested past the JSON reader's stack": lambda _text: "[" * 100_000 + "]" * 100_000,
    "an int too long to read": lambda _text: "1" * 5000,
    "not UTF-8": lambda _text: "\udcff",  # written as the byte 0xff below
}


@pytest.mark.parametrize("name", sorted(UNUSABLE))
def test_an_unusable_cache_file_is_ignored_and_replaced(tmp_path: Path, name: str) -> None:
    text = GH
    config = write(tmp_path / "config.toml", text)
    cache().parent.mkdir(parents=True)
    cache().write_bytes(UNUSABLE[name](text).encode("utf-8", "surrogateescape"))
    assert [a.name for a in load_settings(config, tmp_path).accounts] == ["gh"]
    assert entry()["source"] == text
    assert entry()["parsed"] == tomllib.loads(text)  # replaced by this config's parse


def test_a_folder_where_the_cache_file_goes_changes_nothing(tmp_path: Path) -> None:
    config = write(tmp_path / "config.toml", GH)
    cache().mkdir(parents=True)  # cannot be read as a file, nor replaced by one
    for _ in range(2):
        assert [a.name for a in load_settings(config, tmp_path).accounts] == ["gh"]
    assert cache().is_dir()


def test_a_cache_folder_that_cannot_be_made_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache folder's place is taken by a file: it cannot be created, nothing is kept."""
    config = write(tmp_path / "config.toml", GH)
    blocker = write(tmp_path / "not-a-folder", "")
    monkeypatch.setenv("ZEN_TUI_CACHE_DIR", str(blocker / "zen-tui"))
    for _ in range(2):
        assert [a.name for a in load_settings(config, tmp_path).accounts] == ["gh"]
    assert blocker.read_text() == ""


def test_no_home_folder_means_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No cache folder can be found (Linux: no usable HOME nor XDG_CACHE_HOME, as for a
    container's random uid): the config still loads, with nothing said about a cache."""
    import pwd

    def no_user(uid: int) -> Any:
        raise KeyError(uid)

    config = write(tmp_path / "config.toml", GH)
    for name in ("ZEN_TUI_CACHE_DIR", "XDG_CACHE_HOME", "HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(pwd, "getpwuid", no_user)
    if sys.platform == "linux":
        assert config_cache.cache_file() is None
    assert [a.name for a in load_settings(config, tmp_path).accounts] == ["gh"]


FILE_SIZE_LIMITED = """
import resource, signal, sys
from pathlib import Path
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))
from zen_tui.config import load_settings
print([a.name for a in load_settings(Path(sys.argv[1]), Path(sys.argv[2])).accounts])
"""


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_no_room_to_write_the_cache_changes_nothing(tmp_path: Path) -> None:
    """Writes past 64 bytes fail as on a full disk: the run's answer is the same, with nothing
    on stderr, and no half-written cache file is left behind."""
    config = write(tmp_path / "config.toml", GH)
    done = subprocess.run(
        [sys.executable, "-c", FILE_SIZE_LIMITED, str(config), str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=Path(zen_tui.__file__).parents[1],
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "['gh']\n", "")
    assert list(cache().parent.iterdir()) == []


def test_the_cache_file_is_private(tmp_path: Path) -> None:
    load_settings(write(tmp_path / "config.toml", GH), tmp_path)
    if sys.platform != "win32":
        assert cache().stat().st_mode & 0o777 == 0o600
        assert cache().parent.stat().st_mode & 0o777 == 0o700
    assert sorted(p.name for p in cache().parent.iterdir()) == [config_cache.FILE_NAME]


# -- what it does not keep ----------------------------------------------------------------------
def test_dates_and_times_are_not_kept_but_still_parsed(tmp_path: Path) -> None:
    text = "when = 1979-05-27T07:32:00-08:00\nday = 1979-05-27\nat = 07:32:00\n"
    parsed = toml_input.loads(text)
    config_cache.store(cache(), text, parsed)
    assert not cache().exists()
    assert parsed["when"] == datetime(1979, 5, 27, 7, 32, tzinfo=timezone(timedelta(hours=-8)))
    # In the config they are a mistake like any other, said the same each run.
    config = write(tmp_path / "config.toml", "[ui]\ntheme = 1979-05-27\n")
    errors = []
    for _ in range(2):
        with pytest.raises(ConfigError) as info:
            load_settings(config, tmp_path)
        errors.append(str(info.value))
    assert errors[0] == errors[1] and "ui.theme = 1979-05-27" in errors[0]
    assert not cache().exists()


def test_a_negative_nan_is_not_kept(tmp_path: Path) -> None:
    """JSON writes every NaN the same: "-nan" would come back without its sign."""
    text = "x = -nan\n"
    config_cache.store(cache(), text, tomllib.loads(text))
    assert not cache().exists()
    config_cache.store(cache(), "x = nan\n", tomllib.loads("x = nan\n"))
    hit = config_cache.lookup(cache(), "x = nan\n")
    assert hit is not None and math.isnan(hit["x"])


def test_a_text_holding_a_token_is_never_copied(tmp_path: Path) -> None:
    """The config holds no token by design (token_env names a variable); one pasted into a
    text a check accepts (a section's title) stays in the config file alone."""
    token = "ghp_" + "Q7r2" * 9
    text = GH + f'\n[[sections]]\npane = "prs"\naccount = "gh"\ntitle = "{token}"\nquery = "x"\n'
    config = write(tmp_path / "config.toml", text)
    assert load_settings(config, tmp_path).sections[0].title == token
    assert not cache().exists()


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_bad_config_is_never_kept_and_says_the_same_each_run(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After a good config was kept: the bad one's message, twice, and the good one's parse
    is still what the cache holds."""
    load_settings(write(tmp_path / "good.toml", GH), tmp_path)
    kept = cache().read_bytes()
    text, fragments = CASES[name]
    messages = [run_config(tmp_path, text, capsys) for _ in range(2)]
    assert messages[0] == messages[1] and messages[0][0] == 2
    assert all(f in messages[0][1] for f in fragments)
    assert cache().read_bytes() == kept


def _is_toml(text: str) -> bool:
    """Read as zen-tui reads TOML: too deep, an integer past int()'s limit, are invalid too."""
    try:
        toml_input.loads(text)
    except tomllib.TOMLDecodeError:
        return False
    return True


@pytest.mark.parametrize("name", sorted(n for n, (text, _) in CASES.items() if _is_toml(text)))
def test_a_checked_mistake_reads_the_same_from_a_kept_parse(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A kept parse is checked each run as tomllib's is: a config a newer zen-tui refuses
    (its parse kept by an older one) gets the message it gets with no cache, word for word."""
    text, _fragments = CASES[name]
    parsed = tomllib.loads(text)
    missed = run_config(tmp_path, text, capsys)
    cache().parent.mkdir(parents=True)
    cache().write_text(_entry_for(text, parsed=parsed), encoding="utf-8")
    assert config_cache.lookup(cache(), text) == parsed
    assert run_config(tmp_path, text, capsys) == missed


# -- random documents: the same parse from tomllib, a miss and a hit ----------------------------
CHARS = (
    [chr(c) for c in range(0x20, 0x7F)] * 4
    + [chr(c) for c in (*range(0, 0x20), 0x7F)]  # controls: always escaped
    + list("éß€中文ʼ\u0301\u200b\u2028\ufeff")
    + ["\U0001f600", "\U00010348"]
)
BARE = re.compile(r"[A-Za-z0-9_-]+")
SHORT_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def random_text(rng: random.Random) -> str:
    return "".join(rng.choice(CHARS) for _ in range(rng.choice([0, 1, 3, 12, 40])))


def random_key(rng: random.Random) -> str:
    return rng.choice([rng.choice(["a", "b-c", "d_1", "10", "x"]) + str(rng.randrange(99)), ""])[
        : rng.choice([0, 8, 8, 8])
    ] or random_text(rng)


def random_int(rng: random.Random) -> int:
    return rng.choice(
        [rng.randrange(-100, 100), rng.randrange(-(2**63), 2**63), 10 ** rng.randrange(19, 200)]
    )


def random_float(rng: random.Random) -> float:
    pick = rng.randrange(5)
    if pick == 0:
        return rng.choice([0.0, -0.0, math.inf, -math.inf, math.nan, -math.nan, 5e-324, 1e308])
    if pick == 1:  # any finite double, by its bits
        value = struct.unpack("<d", rng.randbytes(8))[0]
        return value if math.isfinite(value) else 1.5
    return rng.uniform(-1e6, 1e6) * 10 ** rng.randrange(-30, 30)


def random_value(rng: random.Random, depth: int) -> Any:
    kinds = ["str", "int", "float", "bool", "date"] + (["list", "table", "tables"] * 2) * (
        depth < 4
    )
    kind = rng.choice(kinds)
    if kind == "str":
        return random_text(rng)
    if kind == "int":
        return random_int(rng)
    if kind == "float":
        return random_float(rng)
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "date":  # not JSON: such a document is never kept
        return rng.choice([date(2024, 2, 29), time(7, 32, 0, 999000), datetime(1979, 5, 27, 7)])
    if kind == "list":
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if kind == "table":
        return random_table(rng, depth + 1)
    return [random_table(rng, depth + 1) for _ in range(rng.randrange(1, 3))]


def random_table(rng: random.Random, depth: int) -> dict[str, Any]:
    return {random_key(rng): random_value(rng, depth) for _ in range(rng.randrange(5))}


def toml_key(key: str) -> str:
    return key if BARE.fullmatch(key) else toml_string(key, literal=False)


def toml_string(text: str, *, literal: bool) -> str:
    controls = any((c < " " and c != "\t") or c == "\x7f" for c in text)
    if literal and "'" not in text and not controls:
        return f"'{text}'"
    out = []
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif c in SHORT_ESCAPES:
            out.append(SHORT_ESCAPES[c])
        elif c < " " or c == "\x7f" or (c > "~" and literal):  # literal: the long escapes too
            out.append(f"\\u{ord(c):04X}" if ord(c) < 0x10000 else f"\\U{ord(c):08X}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def toml_float(value: float) -> str:
    if math.isnan(value):
        return "-nan" if math.copysign(1.0, value) < 0 else "nan"
    return {math.inf: "inf", -math.inf: "-inf"}.get(value, repr(value))


def toml_int(value: int, rng: random.Random) -> str:
    if value >= 0 and rng.random() < 0.3:
        return rng.choice([hex, oct, bin])(value)
    digits = str(value)
    if len(digits) > 3 and rng.random() < 0.3:  # 1_000
        return digits[:2] + "_" + digits[2:]
    return digits


def toml_inline(value: Any, rng: random.Random) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return toml_int(value, rng)
    if isinstance(value, float):
        return toml_float(value)
    if isinstance(value, str):
        return toml_string(value, literal=rng.random() < 0.5)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, list):
        sep = rng.choice([", ", ",\n  ", " , # a comment\n"])
        return "[" + sep.join(toml_inline(v, rng) for v in value) + "]"
    return "{" + ", ".join(f"{toml_key(k)} = {toml_inline(v, rng)}" for k, v in value.items()) + "}"


def is_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def toml_document(table: dict[str, Any], rng: random.Random, path: tuple[str, ...] = ()) -> str:
    """`table` as TOML: some sub-tables inline, others under [headers] and [[headers]]."""
    inline, headed = [], []
    for key, value in table.items():
        own = isinstance(value, dict) or is_tables(value)
        (headed if own and rng.random() < 0.7 else inline).append((key, value))
    lines = [f"{toml_key(k)} = {toml_inline(v, rng)}" for k, v in inline]
    for key, value in headed:
        name = ".".join(toml_key(k) for k in (*path, key))
        for sub in value if isinstance(value, list) else [value]:
            header = f"[[{name}]]" if isinstance(value, list) else f"[{name}]"
            lines += ["", header, toml_document(sub, rng, (*path, key))]
    return "\n".join(lines) + "\n"


def exact(value: Any, *, ordered: bool = True) -> Any:
    """`value` with every type and float bit made visible: `==` on it is the parse's identity
    (1 is not 1.0 nor True; -0.0 is not 0.0; NaN equals a NaN of the same bits; a table's
    keys in their order, unless not `ordered`)."""
    if isinstance(value, dict):
        items = [(k, exact(v, ordered=ordered)) for k, v in value.items()]
        return ("table", items if ordered else sorted(items, key=lambda kv: kv[0]))
    if isinstance(value, list):
        return ("array", [exact(v, ordered=ordered) for v in value])
    if isinstance(value, float):
        return ("float", struct.pack("<d", value))
    return (type(value).__name__, value)


def keepable(value: Any) -> bool:
    """Whether a parse can go through JSON whole: no date or time, no NaN with its sign set."""
    if isinstance(value, dict):
        return all(keepable(v) for v in value.values())
    if isinstance(value, list):
        return all(keepable(v) for v in value)
    if isinstance(value, float) and math.isnan(value):
        return math.copysign(1.0, value) > 0
    return not isinstance(value, date | time)


@pytest.mark.parametrize("seed", range(8))
def test_random_documents_read_the_same_through_a_miss_and_a_hit(seed: int) -> None:
    rng = random.Random(seed)
    kept, last = 0, None
    for _ in range(60):
        doc = random_table(rng, 0)
        text = toml_document(doc, rng)
        expected = tomllib.loads(text)
        # The generator writes what it means (a [header] table comes after the keys above it)
        assert exact(expected, ordered=False) == exact(doc, ordered=False), text
        if text != last:  # another text than the one kept: a miss
            assert config_cache.lookup(cache(), text) is None
        missed = toml_input.loads(text)  # what load_settings does on a miss
        config_cache.store(cache(), text, missed)
        hit = config_cache.lookup(cache(), text)
        if keepable(expected) and redact(text) == text:
            assert hit is not None, text
            assert exact(hit) == exact(expected) == exact(missed), text
            kept, last = kept + 1, text
        else:
            assert hit is None, text
    assert kept >= 10  # most documents are kept: the hits above were tested
