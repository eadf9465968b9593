"""``ingest add URL``: look at a site politely, choose its layout, check it on a recent day, and
print its ``[[sites]]`` block (a comment on each choice), or append it to a config file.

``--write CONFIG`` appends the block only when the whole resulting file loads as settings, and
writes it atomically (a temporary file beside it, then a rename; ``_output.replacing``), the
existing text kept byte for byte; a name already taken there is refused before any request.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import tomli

from ingest.commands._common import EXIT_FAILED, EXIT_OK, start_logging
from ingest.errors import ConfigError, UsageError
from ingest.settings import HttpSettings, Settings, SiteSettings, load_settings
from ingest.settings.loading import SITE_NAME_MAX_LENGTH, settings_from_mapping
from ingest.terminal import printable

if TYPE_CHECKING:
    from ingest.adding import Placement
    from ingest.adding_check import CrossChecked
    from ingest.cross_check import Placed

NAME = "add"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", metavar="URL", help="the site's address, e.g. its home page")
    parser.add_argument("--name", metavar="NAME", help="the site's name (default: from its host)")
    parser.add_argument(
        "--write",
        metavar="CONFIG",
        type=Path,
        help="append the block to this config file (checked to load first; written atomically)",
    )


def handle(args: argparse.Namespace, settings: Settings) -> int:
    start_logging(settings, NAME, stream_level="CRITICAL", reads_only=True)
    from ingest.adding import SiteUnreadable, place_site
    from ingest.discovery import default_name, site_address

    try:
        base_url, start_url = site_address(args.url)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    name = args.name if args.name is not None else default_name(base_url)
    _check_name(name)
    existing: str | None = None
    http = settings.http
    if args.write is not None:
        existing = _existing_text(args.write)
        taken = _site_names(args.write, existing)
        if name in taken:
            raise UsageError(
                f"{args.write} has a site named {name!r} already: choose another with --name"
            )
        if args.config is None and existing is not None:
            # The file the site joins says how to fetch (user agent, rate), as its crawl will.
            http = _http_of(args.write)
    from ingest.domain import utc_now

    try:
        placement = place_site(base_url, start_url, http, utc_now().date())
    except SiteUnreadable as exc:
        print(printable(f"ingest: add: {exc}"), file=sys.stderr)
        return EXIT_FAILED
    config = str(args.write or args.config or "CONFIG")
    block = render(name, placement, config)
    if args.write is None:
        sys.stdout.write(block)
        return EXIT_OK
    _write(args.write, existing, block)
    sys.stdout.write(block)
    print(f"ingest: add: site {name!r} appended to {args.write}", file=sys.stderr)
    if existing is not None and not _names_sites(args.write, existing):
        # A file without site tables read the built-in site; a [[sites]] table replaces it.
        default = SiteSettings().name
        print(
            f"ingest: add: {args.write} named no site, so it read the built-in {default!r}; "
            f"it now reads {name!r} only",
            file=sys.stderr,
        )
    return EXIT_OK


def _names_sites(path: Path, text: str) -> bool:
    data = _toml(path, text)
    return "site" in data or "sites" in data


def _check_name(name: str) -> None:
    if not name.strip() or not name.isprintable() or len(name) > SITE_NAME_MAX_LENGTH:
        raise UsageError(
            f"--name {name!r}: a site name is printable text of 1 to {SITE_NAME_MAX_LENGTH} "
            "characters"
        )


def _existing_text(path: Path) -> str | None:
    """The config's text as it stands; None when there is no file yet."""
    if path.is_dir():
        raise UsageError(f"--write {path}: it is a folder")
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--write {path}: cannot read it: {exc}") from None


def _site_names(path: Path, text: str | None) -> set[str]:
    """The names the config's own site tables use; ConfigError when it does not load now,
    UsageError when it holds one ``[site]`` table (a ``[[sites]]`` table cannot join it)."""
    if text is None:
        return set()
    data = _toml(path, text)
    if "site" in data:
        raise UsageError(
            f"{path} holds one [site] table: rename it [[sites]] to add another site beside it"
        )
    settings_from_mapping(data, source=str(path))  # it loads as it is, or says why not
    tables = data.get("sites", [])
    if not isinstance(tables, list):
        return set()
    return {t["name"] for t in tables if isinstance(t, dict) and isinstance(t.get("name"), str)}


def _http_of(path: Path) -> HttpSettings:
    return load_settings(path, {}).http


def _toml(path: Path, text: str) -> dict[str, object]:
    try:
        return tomli.loads(text)  # as the settings read it (ingest/settings/loading.py)
    except tomli.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None


def _write(path: Path, existing: str | None, block: str) -> None:
    """``existing`` and the block, checked to load as a whole, then put in place atomically."""
    from ingest.commands._output import write_whole

    text = block
    if existing:
        text = existing + ("" if existing.endswith("\n") else "\n") + "\n" + block
    try:
        settings_from_mapping(_toml(path, text), source=str(path))
    except ConfigError as exc:
        raise ConfigError(f"{path} with this site would not load, left as it was: {exc}") from None
    write_whole(path, text)


def _feed_path(feed_url: str) -> str:
    """The feed's path (with its query) on the site: ``feed_path`` reads the site's origin."""
    parts = urlsplit(feed_url)
    return parts.path + (f"?{parts.query}" if parts.query else "") or "/"


def render(name: str, placement: Placement, config: str) -> str:
    """The ``[[sites]]`` block: each choice with its reason above it, what was found beside
    it, and the check's count (or, for a site not placed, the ``inspect`` line to fill it)."""
    from ingest.discovery import site_zone
    from ingest.sites import default_listing_path

    found, chosen, check = placement.findings, placement.chosen, placement.check
    zone = site_zone(found)
    lines = ["[[sites]]", *(comment(why) for why in chosen.why)]
    lines += [f"name = {_string(name)}", f"base_url = {_string(found.base_url)}"]
    lines.append(f"layout = {_string(chosen.layout)}")
    if chosen.listing_path is not None:
        lines.append(f"listing_path = {_string(chosen.listing_path)}")
    lines += [comment(zone.why), f"timezone = {_string(zone.name)}"]
    feeds = ", ".join(f"{feed.kind} {feed.url}" for feed in found.home.feeds)
    if feeds and "feed" in SiteSettings.__struct_fields__:
        lines += [comment(f"feeds: {feeds}; new articles are read there first"), "feed = true"]
        feed_path = _feed_path(found.home.feeds[0].url)
        if feed_path != "/feed/":  # the setting's default, WordPress's
            lines.append(f"feed_path = {_string(feed_path)}")
    elif feeds:
        lines.append(comment(f"feeds: {feeds} (found, not read: a day's listing is its source)"))
    else:
        lines.append(comment('feeds: none announced (<link rel="alternate">)'))
    sitemaps = "; ".join(f"{url} ({how})" for url, how in found.sitemaps)
    lines.append(comment(f"sitemaps: {sitemaps or 'none named by robots.txt or found'}"))
    for candidate, why in placement.tried:
        path = candidate.listing_path or default_listing_path(candidate.layout)
        where = f" ({path})" if path else ""
        lines.append(comment(f"not {candidate.layout}{where}: {why}"))
    if check is not None and check.sitemaps:
        more = ", more not read" if check.more else ""
        lines.append(
            comment(
                f"checked: {check.day}, the newest day its sitemaps place articles on: "
                f"{_count(check.count, 'article')} in {_count(check.pages, 'sitemap')} read"
                f"{more} ({placement.requests} requests in all)"
            )
        )
    elif check is not None:
        more = ", and more pages follow" if check.more else ""
        lines.append(
            comment(
                f"checked: {check.day} read with this layout as `ingest inspect --date` reads "
                f"it: {_count(check.count, 'article')} on {_count(check.pages, 'page')}{more} "
                f"({placement.requests} requests in all)"
            )
        )
    if placement.cross_checked is not None:
        lines += _cross_checked(placement.cross_checked)
    if check is None:
        day = found.today - timedelta(days=1)
        lines.append(
            comment(
                f"fill it in, checking each change with: ingest --config {config} inspect "
                f"--site {name} --date {day} (docs/layouts.md)"
            )
        )
    if chosen.selectors:
        lines.append("[sites.selectors]")
        lines += [f"{key} = {_value(value)}" for key, value in chosen.selectors.items()]
    return "\n".join(lines) + "\n"


def _cross_checked(crossed: CrossChecked) -> list[str]:
    """What the other sources place on the checked day that its listing lacks; a listing that
    lacked articles gets ``cross_check = true`` (with the sitemap read, as a source)."""
    sources = [f"its {name} ({_count(count, 'article')} on the day"
               + (f"; {partly})" if partly else ")")
               for name, count, partly in crossed.placed]  # fmt: skip
    sources += [f"its {name} (not read: {why})" for name, why in crossed.unread]
    if not crossed.placed:
        return [comment(f"not cross-checked: {', '.join(sources) or 'no sitemap or feed found'}")]
    said = f"cross-checked: {crossed.day}'s listing against {' and '.join(sources)}: "
    if not crossed.missing and not crossed.changed:
        return [comment(said + "it lacks none")]
    lines: list[str] = []
    if crossed.missing:
        lines.append(comment(said + f"it lacks {_urls(crossed.missing)}"))
        said = ""
    if crossed.changed:
        lines.append(comment(
            (said or "and ") + f"it lacks {_urls(crossed.changed)}, dated by their sitemap "
            "lastmod alone: older posts edited that day, or hidden ones (cross_check = true "
            "reads their pages to tell)"
        ))  # fmt: skip
    if crossed.missing:
        why = ("so every crawled day's listing is compared with them, and what it lacks "
               "stored (docs/layouts.md, the cross-check)")  # fmt: skip
        lines += [comment(why), "cross_check = true"]
        if crossed.sitemap_path is not None:  # read: a source for every day too
            lines.append(f"sitemap_path = {_string(crossed.sitemap_path)}")
    return lines


def _urls(found: Sequence[Placed]) -> str:
    shown = ", ".join(p.url for p in found[:3])
    return f"{_count(len(found), 'article')}: {shown}" + (", …" if len(found) > 3 else "")


def comment(text: str) -> str:
    """Site text made safe as one TOML comment line: printable, no line break."""
    return "# " + printable(text).replace("\n", " ")


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}{'' if number == 1 else 's'}"


def _string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's."""
    return json.dumps(text, ensure_ascii=False)


def _value(value: str | bool) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else _string(value)
