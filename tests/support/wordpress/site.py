"""A real WordPress for the tests: Debian's ``wordpress`` package, copied into a temporary
folder, installed into a database of its own on the machine's MariaDB, filled with the corpus
(``corpus.py``) and served by PHP's built-in server, one server per bundled theme.

Needs the Debian packages ``wordpress``, ``wordpress-theme-twentytwentyone``, ``-twentytwentytwo``,
``-twentytwentythree``, ``php-cli`` and ``php-mysql`` (``.ci/run`` installs them), and MariaDB on
127.0.0.1:3306 (root, no password). ``missing()`` says what is not there, for a skip.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import free_port
from tests.support.wordpress import corpus

WORDPRESS_DIR = Path("/usr/share/wordpress")
THEMES = ("twentytwentyone", "twentytwentytwo", "twentytwentythree")
MARIADB = ("127.0.0.1", 3306)
_HERE = Path(__file__).parent
_PHP_SERVER_WORKERS = "4"


def missing() -> str | None:
    """Why a real WordPress cannot run here, or None when it can."""
    if shutil.which("php") is None:
        return "php is not installed (Debian: php-cli php-mysql)"
    if not (WORDPRESS_DIR / "wp-load.php").is_file():
        return f"WordPress is not installed at {WORDPRESS_DIR} (Debian: wordpress)"
    for theme in THEMES:
        if not (WORDPRESS_DIR / "wp-content" / "themes" / theme).is_dir():
            return f"the theme {theme} is not installed (Debian: wordpress-theme-{theme})"
    probe = subprocess.run(
        ["php", "-r", "exit(function_exists('mysqli_connect') ? 0 : 1);"], check=False
    )
    if probe.returncode != 0:
        return "PHP has no mysqli (Debian: php-mysql)"
    try:
        socket.create_connection(MARIADB, timeout=2).close()
    except OSError as exc:
        return f"MariaDB is not reachable on {MARIADB[0]}:{MARIADB[1]}: {exc}"
    return None


@dataclass(frozen=True)
class ThemeServer:
    theme: str
    base_url: str


class RealWordPress:
    """One installation, its database and a server per theme; ``stop()`` removes all three."""

    def __init__(self, root: Path, *, rest: bool = True) -> None:
        self.root = root
        self.tree = root / "wordpress"
        self.database = f"ingest_wp_{os.getpid()}_{secrets.token_hex(4)}"
        self.rest = rest
        self.servers: dict[str, ThemeServer] = {}
        self._processes: list[subprocess.Popen[bytes]] = []
        self.post_ids: list[int] = []

    # -- set-up ------------------------------------------------------------------------------
    def start(
        self,
        themes: tuple[str, ...] = THEMES,
        *,
        posts: Sequence[corpus.Post] = corpus.POSTS,
        categories: Sequence[str] = corpus.CATEGORIES,
        posts_per_page: int = corpus.POSTS_PER_PAGE,
    ) -> RealWordPress:
        """Install WordPress, write ``posts`` (the tests' corpus unless told otherwise) and
        start a server for each of ``themes``."""
        shutil.copytree(WORDPRESS_DIR, self.tree, symlinks=True)
        (self.tree / ".htaccess").unlink(missing_ok=True)
        shutil.copy(_HERE / "router.php", self.tree / "router.php")
        shutil.copy(_HERE / "wp.php", self.tree / "wp.php")
        mu_plugins = self.tree / "wp-content" / "mu-plugins"
        mu_plugins.mkdir()
        shutil.copy(_HERE / "mu-plugin.php", mu_plugins / "ingest-test-switches.php")
        (self.tree / "wp-config.php").write_text(self._config(), encoding="utf-8")
        self._mysql(f"CREATE DATABASE `{self.database}` CHARACTER SET utf8mb4")
        ports = {theme: free_port() for theme in themes}
        home = f"http://127.0.0.1:{ports[themes[0]]}"
        self.php("install", home=home, timezone=corpus.TIMEZONE, posts_per_page=posts_per_page)
        self.post_ids = self.php(
            "corpus",
            home=home,
            categories=list(categories),
            posts=[asdict(post) for post in posts],
        )["ids"]
        for theme, port in ports.items():
            self.servers[theme] = self._serve(theme, port, rest=self.rest)
        return self

    def serve_refusing_rest(self, theme: str) -> ThemeServer:
        """One more server of ``theme`` on this installation, its REST API refused by the
        must-use plugin (401 ``rest_disabled``), as security plugins refuse it."""
        return self._serve(theme, free_port(), rest=False)

    def _config(self) -> str:
        keys = "\n".join(
            f"define('{name}', '{secrets.token_hex(16)}');"
            for name in (
                "AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY",
                "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT",
            )
        )  # fmt: skip
        return f"""<?php
define('DB_NAME', '{self.database}');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', '{MARIADB[0]}:{MARIADB[1]}');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
{keys}
$table_prefix = 'wp_';
define('WP_DEBUG', false);
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('ABSPATH', __DIR__ . '/');
require_once ABSPATH . 'wp-settings.php';
"""

    def _serve(self, theme: str, port: int, *, rest: bool) -> ThemeServer:
        base_url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "PHP_CLI_SERVER_WORKERS": _PHP_SERVER_WORKERS,
            "INGEST_WP_HOME": base_url,
            "INGEST_WP_THEME": theme,
        }
        if not rest:
            env["INGEST_WP_NO_REST"] = "1"
        log_path = self.root / f"php-{theme}-{port}.log"
        with log_path.open("wb") as log:  # the server keeps its own copy of the descriptor
            process = subprocess.Popen(
                ["php", "-S", f"127.0.0.1:{port}", "-t", str(self.tree),
                 str(self.tree / "router.php")],
                cwd=self.tree,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                # A group of its own: its PHP_CLI_SERVER_WORKERS are stopped with it.
                start_new_session=True,
            )  # fmt: skip
        self._processes.append(process)
        deadline = time.monotonic() + 20
        while True:
            try:
                # Ready when WordPress answers (its REST API may be the part refused).
                with urllib.request.urlopen(
                    base_url + ("/wp-json/" if rest else "/"), timeout=5
                ) as answer:
                    answer.read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"php -S for {theme} did not start; see {log.name}"
                    ) from None
                time.sleep(0.1)
        return ThemeServer(theme, base_url)

    # -- what the tests ask of it ------------------------------------------------------------
    def truth(self, theme: str) -> dict[str, Any]:
        """Every post as the database holds it, rendered by WordPress's template tags with the
        addresses of ``theme``'s server."""
        return self.php("truth", home=self.servers[theme].base_url, theme=theme)

    def edit(self, post_id: int, content: str) -> None:
        self.php("edit", home=self.servers[THEMES[0]].base_url, id=post_id, content=content)

    def php(self, command: str, **spec: object) -> Any:
        spec_file = self.root / f"spec-{command}.json"
        spec_file.write_text(json.dumps(spec), encoding="utf-8")
        env = dict(os.environ)
        home = spec.get("home")
        if isinstance(home, str):
            env["INGEST_WP_HOME"] = home
        theme = spec.get("theme")
        if isinstance(theme, str):
            env["INGEST_WP_THEME"] = theme
        done = subprocess.run(
            ["php", "wp.php", command, str(spec_file)],
            cwd=self.tree,
            env=env,
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"wp.php {command} failed ({done.returncode}): "
                f"{done.stderr.decode(errors='replace')}{done.stdout.decode(errors='replace')}"
            )
        return json.loads(done.stdout)

    def _mysql(self, statement: str) -> None:
        host, port = MARIADB
        script = (
            f"$m = new mysqli('{host}', 'root', '', '', {port});"
            f"if (!$m->query({json.dumps(statement)})) {{ fwrite(STDERR, $m->error); exit(1); }}"
        )
        subprocess.run(["php", "-r", script], check=True, capture_output=True)

    # -- tear-down ---------------------------------------------------------------------------
    def stop(self) -> None:
        # The whole process group: terminating the parent alone left its workers running.
        for process in self._processes:
            _signal_group(process, signal.SIGTERM)
        for process in self._processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
            _signal_group(process, signal.SIGKILL)  # a worker that outlived its parent
        self._processes.clear()
        self._mysql(f"DROP DATABASE IF EXISTS `{self.database}`")


@contextlib.contextmanager
def serving_corpus(folder: Path, themes: tuple[str, ...] = THEMES) -> Iterator[RealWordPress]:
    """The tests' corpus in a real WordPress under ``folder``, served by each of ``themes``,
    removed afterwards; the test is skipped, saying why, where no real WordPress can run."""
    reason = missing()
    if reason is not None:
        pytest.skip(f"no real WordPress here: {reason}")
    site = RealWordPress(folder)
    try:
        yield site.start(themes)
    finally:
        site.stop()


def published(truth: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [post for post in truth["posts"] if post["status"] == "publish"]


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    """Send ``signum`` to ``process``'s group (its own, ``start_new_session``); gone: nothing."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)
