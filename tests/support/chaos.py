"""The seeded chaos soak: two ``ingest run`` replicas, faulty sample sites, kill -9 and
database restarts, then an exact archive.

``make soak SECONDS=600 SEED=1`` runs it (``python -m tests.support.chaos``), and
``tests/soak/test_soak.py`` runs 60 seconds of it in ``make test``. The seed decides the
schedule of kills and restarts, printed before anything starts, and every injected fault
(each request's fate is a hash of the seed, the site, the path and how often it was asked
for), so a seed always repeats what it can: the processes' own timing is not seeded.

1. A private PostgreSQL (``initdb``/``pg_ctl``), one sample site per fault profile (slow,
   5xx and 429, resets, truncated bodies, compression bombs, oversized bodies; every layout),
   and two replicas, each on a host name of its own when ``unshare`` can give one (root).
2. The schedule: every ``gaps`` seconds either a replica is killed with -9 (and restarted
   after up to 3 s) or PostgreSQL is stopped (fast or immediate) for 1 to 8 s, in half of
   those with a replica killed and restarted while it is down.
   Meanwhile the sites publish: every 1 to 5 s one of them (seeded) adds a story to today.
3. Then calm: every site must finish a successful run that started after the last event.
4. SIGTERM to both replicas (each must exit 0), the abandoned-run sweep, and the checks:
   each site's export against the sample site's ground truth for every day any run covered
   (0 missing, 0 extra, 0 duplicates), no run left ``running``, no replica that exited on its
   own, no claim taken from a live replica, no traceback in any log.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from subprocess import Popen
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, select
from sqlalchemy.exc import SQLAlchemyError

from ingest.store import liveness, tables
from ingest.store.engine import Database
from tests.support.cli import ingest
from tests.support.postgres import PrivatePostgres
from tests.support.replicas import events, hosts_can_be_named, start_replica, stop_replicas
from tests.support.sample_site import (
    Bomb,
    Delay,
    Drop,
    FaultAction,
    Oversize,
    SampleSite,
    SampleSiteServer,
    Status,
    Truncate,
)
from tests.support.sample_site.flavours import Flavour
from tests.support.sample_site.plain import SELECTORS

HEARTBEAT_SECONDS = 4.0  # stale limit 6 s: a replica starved of CPU for a second is not dead
INTERVAL = "5s"
LOOKBACK_DAYS = 3
MAX_BODY_BYTES = 1024 * 1024
CALM_TIMEOUT_SECONDS = 240.0


BOMB = Bomb("gzip", 20 * 1024 * 1024)
OVERSIZE = Oversize(2 * MAX_BODY_BYTES)
# A listing page of each layout's flavour (the sample server's paths), not an article page.
LISTINGS = {
    "k2": re.compile(r"^/date/\d+/\d+/\d+"),
    "wordpress": re.compile(r"^/\d{4}/\d{2}/\d{2}/(page/\d+/)?(\?|$)"),
    "wordpress-api": re.compile(r"^/wp-json/wp/v2/posts"),
    "selectors": re.compile(r"^/archive/"),
}


@dataclass(frozen=True)
class Profile:
    """One faulty site: its layout, latency, and the faults each request may meet."""

    name: str
    layout: str
    latency: float
    faults: tuple[tuple[FaultAction, float], ...]  # (fault, share of requests)
    # Faults a real site would repeat for ever (a bomb, an oversized body) hit listing pages
    # only: a refused listing fails its date, which the next run tries again, while a refused
    # article page keeps the listing's text for good (as a page that is gone does).
    listing_only: tuple[FaultAction, ...] = ()


PROFILES = (
    Profile("slow", "k2", 0.3, ((Delay(3.0), 0.03),)),  # past the 2 s timeout
    Profile("flaky", "wordpress", 0.0, ((Status(503, retry_after=1), 0.05), (Status(500), 0.04),
                                        (Status(429, retry_after=0), 0.03))),
    Profile("resets", "wordpress-api", 0.05, ((Drop(), 0.12),)),
    Profile("truncated", "selectors", 0.05, ((Truncate(), 0.1),)),
    Profile("bombs", "k2", 0.05, ((BOMB, 0.08), (Status(502), 0.05)), listing_only=(BOMB,)),
    Profile("oversize", "wordpress", 0.05, ((OVERSIZE, 0.08), (Drop(), 0.05)),
            listing_only=(OVERSIZE,)),
)  # fmt: skip
FLAVOURS: dict[str, Flavour] = {
    "k2": "k2",
    "wordpress": "wordpress",
    "wordpress-api": "wordpress-api",
    "selectors": "plain",
}


class Recurring:
    """A fault's share of requests, decided per request by a hash of the seed, the fault, the
    path and how many times that path was asked for: robots.txt is spared (a 5xx there
    forbids everything, RFC 9309)."""

    def __init__(
        self, seed: int, label: str, share: float, where: re.Pattern[str] | None = None
    ) -> None:
        self.seed, self.label, self.share, self.where = seed, label, share, where
        self.asked: Counter[str] = Counter()

    def __call__(self, target: str) -> bool:
        if target.split("?", 1)[0] == "/robots.txt":
            return False
        if self.where is not None and not self.where.match(target):
            return False
        self.asked[target] += 1
        key = f"{self.seed}:{self.label}:{target}:{self.asked[target]}".encode()
        draw = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") / 2**64
        return draw < self.share


@dataclass(frozen=True)
class Event:
    at: float  # seconds from the start
    kind: str  # "kill" or "database"
    replica: int  # which replica a kill hits; in a database stop, -1 or one restarted meanwhile
    down: float  # seconds before the replica or the database comes back
    mode: str  # pg_ctl's stop mode for a database restart

    def describe(self) -> str:
        if self.kind == "kill":
            return f"kill -9 replica {self.replica}, restart after {self.down:.1f} s"
        during = f", kill -9 and restart replica {self.replica} meanwhile" * (self.replica >= 0)
        return f"stop PostgreSQL ({self.mode}){during}, start again after {self.down:.1f} s"


def plan(seed: int, seconds: float, gaps: tuple[float, float] = (10, 40)) -> list[Event]:
    """The seed's schedule: an event every ``gaps`` seconds, a fifth of them database stops; in
    half of those a replica is killed and restarted while the database is down (it must wait
    for it, not exit)."""
    rng = random.Random(seed)
    schedule: list[Event] = []
    at = rng.uniform(*gaps)
    while at < seconds:
        if rng.random() < 0.2:
            mode = rng.choice(("fast", "immediate"))
            replica = rng.randrange(2) if rng.random() < 0.5 else -1
            schedule.append(Event(at, "database", replica, rng.uniform(1, 8), mode))
        else:
            schedule.append(Event(at, "kill", rng.randrange(2), rng.uniform(0, 3), ""))
        at += rng.uniform(*gaps)
    return schedule


def noon_zone(now: datetime) -> str:
    """A fixed-offset zone where it is about noon now: no soak shorter than 11 hours sees the
    sites' day change under it (the incremental window would move)."""
    offset = 12 - now.hour
    offset = offset - 24 if offset > 14 else offset + 24 if offset < -12 else offset
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"  # Etc/GMT-3 is UTC+3


@dataclass
class Report:
    seed: int
    seconds: float
    hosts: str
    kills: int = 0
    database_restarts: int = 0
    takeovers: int = 0  # claims taken from replicas found dead (site_taken_over)
    claims_lost_alive: int = 0  # claim_taken_over: a live replica's claim taken
    runs_abandoned: int = 0
    abandoned_not_killed: list[int] = field(default_factory=list)
    waited_for_database: int = 0  # database_waiting events (replicas started while it was down)
    published: int = 0  # stories the sites added during the soak
    unexpected_exits: list[str] = field(default_factory=list)
    calm_seconds: float | None = None  # from the last event to every site's clean run
    stop_seconds: float = 0.0
    stop_codes: list[int | None] = field(default_factory=list)
    left_running: int = 0
    tracebacks: int = 0
    # The first few log lines that hold one, ends kept: what a failed soak must show.
    traceback_lines: list[str] = field(default_factory=list)
    sites: dict[str, dict[str, int]] = field(default_factory=dict)
    differences: list[str] = field(default_factory=list)  # a few missing and extra records
    wall_seconds: float = 0.0

    def ok(self) -> bool:
        exact = all(
            not (figures["missing"] or figures["extra"] or figures["duplicates"])
            for figures in self.sites.values()
        )
        return (
            exact
            and bool(self.sites)
            and self.calm_seconds is not None
            and not self.unexpected_exits
            and self.stop_codes == [0, 0]
            and self.left_running == 0
            and self.claims_lost_alive == 0
            and not self.abandoned_not_killed
            and self.tracebacks == 0
        )

    def lines(self) -> list[str]:
        calm = "never" if self.calm_seconds is None else f"{self.calm_seconds:.1f} s"
        lines = [
            f"soak: seed {self.seed}, {self.seconds:g} s of chaos, replicas on {self.hosts}",
            f"  kills {self.kills}, database restarts {self.database_restarts}, "
            f"takeovers {self.takeovers}, "
            f"claims taken from live replicas {self.claims_lost_alive}",
            f"  runs abandoned {self.runs_abandoned} (not of a killed process: "
            f"{self.abandoned_not_killed or 0}), "
            f"database_waiting events {self.waited_for_database}, "
            f"stories published during the soak {self.published}",
            f"  calm after the last event: {calm}; SIGTERM stopped both in "
            f"{self.stop_seconds:.1f} s, exit codes {self.stop_codes}",
            f"  runs left running {self.left_running}, replicas that exited on their own "
            f"{len(self.unexpected_exits)}, log lines with a traceback {self.tracebacks}",
        ]
        for name, figures in self.sites.items():
            lines.append(
                f"  {name:10} {figures['records']:4} records: missing {figures['missing']}, "
                f"extra {figures['extra']}, duplicates {figures['duplicates']}"
            )
        lines.extend(f"  exited on its own: {line}" for line in self.unexpected_exits)
        lines.extend(f"  traceback: {line}" for line in self.traceback_lines)
        lines.extend(f"  {line}" for line in self.differences)
        lines.append(f"  wall time {self.wall_seconds:.0f} s: {'PASS' if self.ok() else 'FAIL'}")
        return lines


class Soak:
    """One soak in ``workdir``: ``run()`` returns its report."""

    def __init__(
        self,
        seconds: float,
        seed: int,
        workdir: Path,
        *,
        sites: int = len(PROFILES),
        gaps: tuple[float, float] = (10, 40),
        say: Callable[[str], None] = print,
    ) -> None:
        self.seconds, self.seed, self.workdir = seconds, seed, workdir
        self.profiles = PROFILES[:sites]
        self.schedule = plan(seed, seconds, gaps)
        self.say = say
        self.named = hosts_can_be_named()
        self.hosts = ["soak-a", "soak-b"] if self.named else [None, None]
        self.logs = [workdir / "replica-0.log", workdir / "replica-1.log"]
        self.replicas: list[Popen[bytes]] = []
        self.killed_pids: set[int] = set()
        self.report = Report(seed, seconds, "soak-a, soak-b" if self.named else "one host")
        self.zone = noon_zone(datetime.now(UTC))

    def run(self) -> Report:
        started = time.monotonic()
        self.say(f"soak: seed {self.seed}, {self.seconds:g} s, {len(self.profiles)} sites, "
                 f"replicas on {self.report.hosts}; schedule:")  # fmt: skip
        for event in self.schedule:
            self.say(f"  {event.at:7.1f} s  {event.describe()}")
        with ExitStack() as stack:
            database = PrivatePostgres()
            stack.callback(database.remove)
            database.start()
            self.url = database.new_database("soak")
            servers = [self._site(n, p, stack) for n, p in enumerate(self.profiles)]
            self.config = self._config(servers)
            self.replicas = [self._start(n) for n in range(2)]
            stack.callback(stop_replicas, self.replicas)
            newsroom_closed = threading.Event()
            newsroom = threading.Thread(target=self._publish, args=(servers, newsroom_closed))
            newsroom.start()
            try:
                self._chaos(database)
            finally:
                newsroom_closed.set()
                newsroom.join()
            self._calm()
            self._stop()
            self._sweep()
            self._check(servers)
        self.report.wall_seconds = time.monotonic() - started
        return self.report

    def _site(self, n: int, profile: Profile, stack: ExitStack) -> SampleSiteServer:
        server = SampleSiteServer(SampleSite(seed=100 + n), latency_seconds=profile.latency)
        for fault, share in profile.faults:
            label = f"{profile.name}:{type(fault).__name__}"
            where = LISTINGS[profile.layout] if fault in profile.listing_only else None
            server.faults.add(Recurring(self.seed, label, share, where), fault, times=None)
        stack.enter_context(server)
        return server

    def _config(self, servers: list[SampleSiteServer]) -> Path:
        zone = self.zone
        tables_ = []
        for profile, server in zip(self.profiles, servers, strict=True):
            path = {
                "k2": server.listing_path,
                "wordpress": server.wordpress_listing_path,
                "wordpress-api": server.api_path,
                "selectors": server.plain_listing_path,
            }[profile.layout]
            table = (
                f'[[sites]]\nname = "{profile.name}"\nbase_url = "{server.base_url}"\n'
                f'layout = "{profile.layout}"\nlisting_path = "{path}"\ntimezone = "{zone}"\n'
            )
            if profile.layout == "selectors":
                table += "[sites.selectors]\n" + "".join(
                    f"{key} = {json.dumps(value)}\n" for key, value in SELECTORS.items()
                )
            tables_.append(table)
        config = self.workdir / "soak.toml"
        config.write_text(
            "".join(tables_)
            + "[http]\nrequests_per_second = 0\nconcurrency = 2\ntimeout_seconds = 2\n"
            "max_attempts = 5\nbackoff_initial_seconds = 0.05\nbackoff_max_seconds = 0.5\n"
            f"max_retry_after_seconds = 1\nmax_body_bytes = {MAX_BODY_BYTES}\n"
            f'[schedule]\ninterval = "{INTERVAL}"\nlookback_days = {LOOKBACK_DAYS}\n'
            f"max_parallel_sites = 3\nheartbeat_seconds = {HEARTBEAT_SECONDS:g}\n"
            f'[database]\nurl = "{self.url}"\n[logging]\nfile = ""\n'
        )
        return config

    def _start(self, n: int) -> Popen[bytes]:
        return start_replica(self.config, self.logs[n], host=self.hosts[n])

    def _publish(self, servers: list[SampleSiteServer], stop: threading.Event) -> None:
        """The newsroom: every 1 to 5 s a site (seeded) adds a story to today, its newest."""
        rng = random.Random(f"{self.seed}:news")
        while not stop.wait(rng.uniform(1, 5)):
            n = rng.randrange(len(servers))
            today = datetime.now(ZoneInfo(self.zone)).date()
            self.report.published += 1
            servers[n].site.add_article(
                today,
                title_html=f"Soak bulletin {self.report.published} of {self.profiles[n].name}",
                intro_paragraphs=[f"Bulletin {self.report.published}: {rng.random():.6f}."],
                full_paragraphs=[f"The full text of bulletin {self.report.published}."],
            )

    def _chaos(self, database: PrivatePostgres) -> None:
        began = time.monotonic()
        for event in self.schedule:
            while time.monotonic() - began < event.at:
                self._watch()
                time.sleep(0.2)
            self.say(f"  {time.monotonic() - began:7.1f} s  {event.describe()}")
            if event.kind == "kill":
                victim = self.replicas[event.replica]
                self.killed_pids.add(victim.pid)
                victim.kill()
                victim.wait()
                self.report.kills += 1
                self._pause(event.down)
                self.replicas[event.replica] = self._start(event.replica)
            else:
                database.stop(event.mode)
                self.report.database_restarts += 1
                if event.replica >= 0:
                    self._pause(event.down / 2)
                    victim = self.replicas[event.replica]
                    self.killed_pids.add(victim.pid)
                    victim.kill()
                    victim.wait()
                    self.report.kills += 1
                    self.replicas[event.replica] = self._start(event.replica)
                    self._pause(event.down / 2)
                else:
                    self._pause(event.down)
                database.start()
        while time.monotonic() - began < self.seconds:
            self._watch()
            time.sleep(0.2)

    def _pause(self, seconds: float) -> None:
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            self._watch()
            time.sleep(0.1)

    def _watch(self) -> None:
        """A replica that exited without being killed is a failure: noted, then restarted."""
        for n, process in enumerate(self.replicas):
            if process.poll() is not None and process.pid not in self.killed_pids:
                tail = self.logs[n].read_text(errors="replace").strip().splitlines()[-1:]
                self.report.unexpected_exits.append(
                    f"replica {n} (pid {process.pid}) exit {process.returncode}: {tail}"
                )
                self.killed_pids.add(process.pid)
                self.replicas[n] = self._start(n)

    def _calm(self) -> None:
        """Every site's clean run after the chaos: a success that started after the last event."""
        calm_from = datetime.now(UTC)
        began = time.monotonic()
        names = {p.name for p in self.profiles}
        while time.monotonic() - began < CALM_TIMEOUT_SECONDS:
            self._watch()
            runs = self._runs()
            done = {r.site for r in runs if r.status == "succeeded" and r.started_at > calm_from}
            if done >= names:
                self.report.calm_seconds = time.monotonic() - began
                return
            time.sleep(0.5)
        self.say(f"  no clean run within {CALM_TIMEOUT_SECONDS:g} s for: {sorted(names - done)}")

    def _stop(self) -> None:
        began = time.monotonic()
        stop_replicas(self.replicas)
        self.report.stop_seconds = time.monotonic() - began
        self.report.stop_codes = [p.returncode for p in self.replicas]

    def _sweep(self) -> None:
        """The abandoned-run sweep: runs of killed replicas still ``running`` are closed by a
        process watching them as any replica does (those of another host take the stale
        limit to be judged)."""
        database = Database.from_url(self.url, heartbeat=timedelta(seconds=HEARTBEAT_SECONDS))
        try:
            deadline = (
                time.monotonic()
                + 4 * HEARTBEAT_SECONDS
                + liveness.contact_gap(timedelta(seconds=HEARTBEAT_SECONDS))
            )
            while time.monotonic() < deadline:
                with database.transaction() as tx:
                    liveness.mark_abandoned_runs(tx.connection, datetime.now(UTC), database.witness)
                    tx.commit()
                if not any(r.status == "running" for r in self._runs()):
                    break
                time.sleep(0.25)
        finally:
            database.dispose()

    def _check(self, servers: list[SampleSiteServer]) -> None:
        report = self.report
        runs = self._runs()
        report.left_running = sum(r.status == "running" for r in runs)
        abandoned = [r for r in runs if r.status == "abandoned"]
        report.runs_abandoned = len(abandoned)
        killed = self.killed_pids
        report.abandoned_not_killed = [r.id for r in abandoned if pid(r.owner) not in killed]
        found = [e for log in self.logs for e in events(log)]
        names = Counter(str(e["event"]) for e in found)
        report.takeovers = names["site_taken_over"]
        report.claims_lost_alive = names["claim_taken_over"]
        report.waited_for_database = names["database_waiting"]
        with_traceback = [
            line
            for log in self.logs
            for line in log.read_text(errors="replace").splitlines()
            if "Traceback" in line
        ]
        report.tracebacks = sum(line.count("Traceback") for line in with_traceback)
        report.traceback_lines = [line[-2000:] for line in with_traceback[:3]]
        for profile, server in zip(self.profiles, servers, strict=True):
            days = {
                r.date_from + timedelta(days=n)
                for r in runs
                if r.site == profile.name and r.date_from and r.date_to
                for n in range((r.date_to - r.date_from).days + 1)
            }
            report.sites[profile.name] = self._compare(profile, server, days)

    def _compare(
        self, profile: Profile, server: SampleSiteServer, days: set[date]
    ) -> dict[str, int]:
        exported = ingest(
            "--config", str(self.config), "export", "--format", "jsonl", "--site", profile.name,
            cwd=self.workdir, env={"INGEST_DATABASE_URL": self.url},
        )  # fmt: skip
        if exported.returncode != 0:
            raise RuntimeError(f"export of {profile.name} failed: {exported.stderr.strip()}")
        got = [
            (r["date"], r["title"], r["url"], r["category"], r["body"])
            for r in map(json.loads, exported.stdout.splitlines())
        ]
        want = {
            (day.isoformat(), r.title, r.url, r.category, r.body)
            for day in days
            for r in server.site.expected_records(
                day, base_url=server.base_url, flavour=FLAVOURS[profile.layout]
            )
        }
        missing, extra = sorted(want - set(got)), sorted(set(got) - want)
        for label, records in (("missing", missing), ("extra", extra)):
            self.report.differences.extend(
                f"{profile.name} {label}: {r[0]} {r[1]!r} {r[2]} body {r[4][:80]!r}"
                for r in records[:3]
            )
        return {
            "records": len(got),
            "missing": len(missing),
            "extra": len(extra),
            "duplicates": len(got) - len(set(got)),
        }

    def _runs(self) -> list[Any]:
        engine = create_engine(self.url)
        try:
            with engine.connect() as connection:
                return list(connection.execute(select(tables.runs).order_by(tables.runs.c.id)))
        except SQLAlchemyError:
            return []
        finally:
            engine.dispose()


def pid(owner: str | None) -> int:
    """The process id in an owner name (``host:pid:token``); 0 when there is none."""
    parts = (owner or "").rsplit(":", 2)
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix=f"ingest-soak-{args.seed}-"))
    workdir.mkdir(parents=True, exist_ok=True)
    report = Soak(args.seconds, args.seed, workdir.resolve()).run()
    print("\n".join(report.lines()))
    print(f"logs: {workdir}")
    return 0 if report.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
