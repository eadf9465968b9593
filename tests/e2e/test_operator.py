"""The operator's first hour (issue 23), as a real process: a mistyped site name, a file named
with --output, a rerun of the demo, a start that cannot bind or write, probes run from any
folder."""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.support.cli import cli_environment, ingest, on_a_terminal, wait_for, write_config
from tests.support.disks import small_tmpfs
from tests.support.sample_site import Delay, SampleSiteServer, Status


@pytest.fixture
def crawled(server: SampleSiteServer, tmp_path: Path) -> Path:
    """A config (site "cli") whose database holds 2020-02-01..03, and the demo's site too."""
    config = write_config(tmp_path, server)
    done = ingest("--config", str(config), "backfill", "--from", "2020-02-01", "--to",
                  "2020-02-03", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    demo = ingest("--config", str(config), "demo", "--from", "2020-02-01", "--to", "2020-02-01",
                  cwd=tmp_path)  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    return config


@pytest.mark.parametrize(
    "argv",
    [
        ("health",),
        ("coverage",),
        ("runs",),
        ("export",),
        ("logs",),
        ("backfill", "--from", "2020-02-01", "--to", "2020-02-01"),
        ("reparse", "--from", "2020-02-01", "--to", "2020-02-01"),
        ("crawl", "--days", "1"),
        ("inspect", "--date", "2020-02-01"),
    ],
    ids=lambda argv: argv[0],
)
def test_a_site_name_neither_configured_nor_stored_is_exit_2_naming_the_sites(
    crawled: Path, argv: tuple[str, ...]
) -> None:
    """The issue's typo (`--site etilaf-sampel`) is refused by every command that takes --site,
    never answered with "no runs yet", "never crawled" or 0 articles."""
    done = ingest("--config", str(crawled), *argv, "--site", "etilaf-sampel", cwd=crawled.parent)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("ingest: error: no site named 'etilaf-sampel' (configured: cli")
    if argv[0] not in ("backfill", "reparse", "crawl", "inspect"):  # these need its config
        assert "etilaf-sample" in line


@pytest.mark.parametrize("argv", [("health",), ("coverage",), ("runs",), ("export",), ("logs",)])
def test_a_site_stored_but_not_configured_is_read(crawled: Path, argv: tuple[str, ...]) -> None:
    """The demo's site lives in the database only: the reading commands still show it."""
    done = ingest("--config", str(crawled), *argv, "--site", "etilaf-sample", cwd=crawled.parent)
    assert done.returncode == 0, done.stderr
    assert "etilaf-sample" in done.stdout


def test_export_output_replaces_the_file_only_with_a_whole_export(crawled: Path) -> None:
    """A mistyped site leaves the file as it was; a good export replaces it whole (its mode
    kept), leaving no temporary file behind."""
    folder = crawled.parent
    keep = folder / "keep.jsonl"
    keep.write_text("".join(f"{n}\n" for n in range(134)))
    keep.chmod(0o640)
    wrong = ingest("--config", str(crawled), "export", "--site", "etilaf-sampel", "--output",
                   str(keep), cwd=folder)  # fmt: skip
    assert wrong.returncode == 2
    assert len(keep.read_text().splitlines()) == 134
    good = ingest("--config", str(crawled), "export", "--output", str(keep), cwd=folder)
    assert good.returncode == 0, good.stderr
    records = [json.loads(line) for line in keep.read_text().splitlines()]
    assert good.stderr == f"wrote {len(records)} articles to {keep}\n"
    assert {r["site"] for r in records} == {"cli"}
    assert keep.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".keep")) == []


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KB tmpfs, unmounted afterwards; skipped where it cannot be mounted."""
    with small_tmpfs(tmp_path, "64k") as disk:
        yield disk


def test_an_export_that_fills_the_disk_leaves_the_good_file(
    crawled: Path, small_disk: Path
) -> None:
    """The export does not fit beside the file it replaces on a 64 KB disk: exit 1 naming the
    file, the file unchanged, no temporary file left."""
    whole = ingest("--config", str(crawled), "export", cwd=crawled.parent).stdout
    assert len(whole.encode()) > 12 * 1024
    keep = small_disk / "keep.jsonl"
    good = "".join(f'{{"n": {n:06d}}}\n' for n in range(56 * 1024 // 14))  # 56 KB
    keep.write_text(good)
    done = ingest("--config", str(crawled), "export", "--output", str(keep), cwd=crawled.parent)
    assert done.returncode == 1, done.stderr
    assert done.stderr == f"ingest: error: cannot write {keep}: No space left on device\n"
    assert keep.read_text() == good
    assert [p.name for p in small_disk.iterdir()] == ["keep.jsonl"]


def test_a_demo_rerun_reports_no_new_and_no_updated_articles(tmp_path: Path) -> None:
    """The demo serves on a new port each run: its URLs change, its articles do not."""
    env = {"INGEST_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"}
    args = ("demo", "--from", "2020-02-01", "--to", "2020-02-07")
    first = ingest(*args, cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert " 0 updated" in first.stdout and " 0 new" not in first.stdout
    again = ingest(*args, cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    assert "articles 0 new, 0 updated, " in again.stdout, again.stdout


def busy_port() -> socket.socket:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    return taken


def test_a_busy_metrics_port_is_one_line_and_nothing_is_created(tmp_path: Path) -> None:
    """`ingest run` with metrics.port taken: exit 2, the key and the port named, before the
    log folder or the database file exists."""
    with busy_port() as taken:
        port = taken.getsockname()[1]
        config = tmp_path / "ingest.toml"
        config.write_text(
            f'[metrics]\nport = {port}\n[database]\nurl = "sqlite:///data/x.db"\n'
            f'[logging]\nfile = "logs/ingest.jsonl"\n'
        )
        done = ingest("--config", str(config), "run", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"ingest: config error: metrics.port = {port}: cannot listen on 127.0.0.1:{port}: "
        "Address already in use\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ingest.toml"]


@pytest.mark.parametrize("command", [("run",), ("crawl",), ("demo",), ("db", "upgrade")])
def test_a_database_folder_that_cannot_be_made_is_one_line_and_nothing_is_created(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    (tmp_path / "data").write_text("a file where the folder should be")
    config = tmp_path / "ingest.toml"
    config.write_text('[database]\nurl = "sqlite:///data/x.db"\n')
    done = ingest("--config", str(config), *command, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "ingest: config error: database.url = 'sqlite:///data/x.db': data is not a folder\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "ingest.toml"]


def test_a_log_folder_on_a_read_only_disk_is_one_line_and_nothing_is_created(
    tmp_path: Path,
) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    disk = tmp_path / "ro"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(disk)],
                             capture_output=True, text=True, check=False)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        config = tmp_path / "ingest.toml"
        config.write_text(
            '[logging]\nfile = "ro/logs/i.jsonl"\n[database]\nurl = "sqlite:///d/x.db"\n'
        )
        done = ingest("--config", str(config), "crawl", cwd=tmp_path)
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "ingest: config error: logging.file = 'ro/logs/i.jsonl': cannot write in ro to make "
        "ro/logs (Read-only file system)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ingest.toml", "ro"]


@pytest.mark.parametrize(
    "argv",
    [
        ("health",),
        ("runs",),
        ("export",),
        ("coverage",),
        ("logs",),
        ("db", "backup", "b.db"),
    ],
    ids=lambda argv: argv[0],
)
def test_a_read_command_run_from_any_folder_creates_nothing_there(
    crawled: Path, tmp_path: Path, argv: tuple[str, ...]
) -> None:
    """Run where nothing is (the built-in defaults: logs/ and data/ in the working folder),
    each fails or answers, and leaves the folder empty; on a database that exists, it
    answers and still makes no logs/."""
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    ingest(*argv, cwd=empty)
    assert list(empty.iterdir()) == []
    database = f"sqlite:///{tmp_path / 'db.sqlite'}"
    ingest(*argv, cwd=empty, env={"INGEST_DATABASE_URL": database})
    assert [p.name for p in empty.iterdir()] == (["b.db"] if argv[0] == "db" else [])


def test_a_probe_logs_one_short_line(crawled: Path) -> None:
    """health, runs and export, run every few seconds, add one short line each to the log,
    not the settings; a crawl still logs the settings it ran with."""
    log = crawled.parent / "ingest.jsonl"
    for argv in (("health",), ("runs",), ("export",)):
        before = log.read_text().splitlines()
        ingest("--config", str(crawled), *argv, cwd=crawled.parent)
        added = log.read_text().splitlines()[len(before) :]
        assert len(added) == 1 and len(added[0]) < 200, added
        assert json.loads(added[0])["event"] == "command_started"
    started = [json.loads(line) for line in log.read_text().splitlines()]
    assert "settings" in next(e for e in started if e.get("command") == "backfill")


def test_db_upgrade_says_whether_it_migrated_and_backup_names_its_target(tmp_path: Path) -> None:
    env = {"INGEST_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    first = ingest("db", "upgrade", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("migrated the database from an empty database to ")
    again = ingest("db", "upgrade", cwd=tmp_path, env=env)
    assert again.stdout.startswith("the database is already at the newest schema (")
    # A folder that cannot be made (a file is in the way): the target is named, not the source.
    (tmp_path / "nodir").write_text("")
    target = tmp_path / "nodir" / "b.db"
    backup = ingest("db", "backup", str(target), cwd=tmp_path, env=env)
    assert backup.returncode == 1
    assert backup.stderr == f"ingest: error: cannot write the backup to {target}: Not a directory\n"


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (("crawl", "--days", "-3"), "argument --days: '-3' is negative: it must be 0 or more"),
        (
            ("backfill", "--from", "2020-02-30", "--to", "2020-03-01"),
            "argument --from: '2020-02-30' is not a valid date (day is out of range for month)",
        ),
        (
            ("backfill", "--from", "Feb 1", "--to", "2020-03-01"),
            "argument --from: 'Feb 1' is not a date like 2020-02-01",
        ),
    ],
)
def test_argument_mistakes_are_named_as_they_are(
    tmp_path: Path, argv: tuple[str, ...], said: str
) -> None:
    done = ingest(*argv, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == f"ingest: error: {said}\n"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_demo_serve_keeps_the_site_up_for_the_inspect_line_it_prints(
    tmp_path: Path, stop: signal.Signals
) -> None:
    """`ingest demo --serve`: after the ingest it prints the site's URL and an inspect command
    line that works as printed, serves until SIGTERM or Ctrl-C, then stops cleanly (exit 0),
    its temporary config gone."""
    env = cli_environment({"INGEST_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"})
    process = subprocess.Popen(
        [sys.executable, "-m", "ingest", "demo", "--serve", "--from", "2020-02-01", "--to",
         "2020-02-02"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        lines = []
        while not lines or "inspect --date" not in lines[-1]:
            line = process.stdout.readline()
            assert line, "demo --serve ended before printing the inspect line"
            lines.append(line)
        serving = next(line for line in lines if line.startswith("serving the sample site at "))
        url = serving.split()[5]
        with urllib.request.urlopen(f"{url}/date/2020/2/1.html", timeout=10) as page:
            assert page.status == 200
        command = shlex.split(lines[-1])
        config = Path(command[command.index("--config") + 1])
        shown = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                               timeout=60, check=False)  # fmt: skip
        assert shown.returncode == 0, shown.stderr
        assert "2 items on 1 page(s)" in shown.stdout and f"article {url}/" in shown.stdout
    finally:
        process.send_signal(stop)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert stderr.endswith("stopped serving the sample site\n")
    assert not config.exists()


def test_warnings_go_above_the_progress_line_on_a_terminal(
    server: SampleSiteServer, tmp_path: Path
) -> None:
    """A backfill on a terminal with a failing date: each warning starts a line of its own
    above the progress line (erased first, drawn again under it), never on it."""
    server.faults.add("/date/2020/2/20.html", Status(503), times=None)  # the last date
    config = str(write_config(tmp_path, server))
    args = ["--config", config, "backfill", "--from", "2020-02-01", "--to", "2020-02-20"]
    code, shown = on_a_terminal(args, tmp_path, stream="stderr")
    assert code == 1
    warnings = shown.count('{"')
    assert warnings >= 1 and "new articles" in shown
    # Each warning follows the erasing of the progress line (or a line's end), and the
    # progress line is drawn again after it.
    assert shown.count('\x1b[J{"') == warnings, shown
    assert "new articles{" not in shown
    assert shown.rstrip().endswith("new articles")


def test_after_ctrl_c_a_backfill_says_what_it_stored_and_that_a_rerun_resumes(
    server: SampleSiteServer, tmp_path: Path
) -> None:
    """Ctrl-C in a backfill of slow days: exit 130, a line saying how many dates were stored
    and one saying a rerun resumes; the rerun skips exactly those dates."""
    for day in range(1, 21):
        server.faults.add(f"/date/2020/2/{day}.html", Delay(1.0), times=None)
    config = str(write_config(tmp_path, server))
    args = ["--config", config, "backfill", "--from", "2020-02-01", "--to", "2020-02-20"]
    process = subprocess.Popen(
        [sys.executable, "-m", "ingest", *args], cwd=tmp_path, env=cli_environment(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    log = tmp_path / "ingest.jsonl"
    wait_for(lambda: log.exists() and log.read_text().count('"date_done"') >= 2, timeout=60)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    said = stderr.splitlines()
    done = re.fullmatch(
        r"cli: run 1 interrupted: (\d+) of 20 dates crawled and stored; (\d+) new articles, "
        r"0 updated",
        said[-3],
    )
    assert done is not None, stderr
    assert said[-2:] == [
        "interrupted: run the same command again to resume (the dates done are skipped)",
        "ingest: interrupted",
    ]
    again = ingest(*args, cwd=tmp_path)
    assert f"{done[1]} skipped (already complete)" in again.stdout, again.stdout


def luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_coverage_svg_says_it_wrote_and_its_legend_shows_the_cells_colours(
    server: SampleSiteServer, tmp_path: Path
) -> None:
    """`coverage --svg`: a line saying where the picture went; every colour a day's cell has is
    in the legend, and neighbouring shades of complete days differ by at least 1.9:1."""
    config = str(write_config(tmp_path, server))
    first = ingest("--config", config, "backfill", "--from", "2020-02-01", "--to", "2020-02-20",
                   cwd=tmp_path)  # fmt: skip
    assert first.returncode == 0, first.stderr
    server.faults.add(lambda path: "/item/" in path, Status(404), times=None)  # listing bodies
    listing = ingest("--config", config, "backfill", "--from", "2020-02-21", "--to",
                     "2020-02-29", cwd=tmp_path)  # fmt: skip
    assert listing.returncode == 0, listing.stderr
    svg = tmp_path / "c.svg"
    shown = ingest("--config", config, "coverage", "--svg", str(svg), cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stderr == f"wrote the calendar of 1 site(s) to {svg}\n"
    tree = ElementTree.fromstring(svg.read_text())
    cells: dict[str, set[str]] = {}
    legend: set[str] = set()
    for rect in tree.iter("{http://www.w3.org/2000/svg}rect"):
        title = rect.find("{http://www.w3.org/2000/svg}title")
        if title is None:
            legend.add(rect.get("fill", ""))
        else:
            kind = (title.text or "").split(": ")[1].split(",")[0]
            cells.setdefault(kind, set()).add(rect.get("fill", ""))
    assert {"complete", "listing"} <= cells.keys()
    assert len(cells["complete"]) >= 3, "the month's counts span several shades"
    for kind, fills in cells.items():
        assert fills <= legend, (kind, fills, legend)
    shades = sorted((luminance(c) for c in cells["complete"]), reverse=True)
    for lighter, darker in itertools.pairwise(shades):
        assert (lighter + 0.05) / (darker + 0.05) >= 1.9


@pytest.mark.parametrize(
    "command", ["backfill", "reparse", "crawl", "health", "runs", "export", "logs", "coverage"]
)
def test_site_help_is_a_whole_sentence(tmp_path: Path, command: str) -> None:
    """`--help` says what --site takes, to the end of the sentence; --config is there too."""
    shown = ingest(command, "--help", cwd=tmp_path, env={"COLUMNS": "300"})
    (line,) = [line for line in shown.stdout.splitlines() if line.startswith("  --site NAME")]
    assert re.search(r"only this site, a configured site( or one (stored in the database, such "
                     r"as the demo's|named in the log))? \(repeatable; default: every "
                     r"configured site\)$", line), line  # fmt: skip
    assert "--config PATH" in shown.stdout
