"""`ingest coverage` as a user runs it: after a backfill with failed days, plain text, JSON and
an SVG that a real browser draws."""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from tests.support.cli import ingest, write_config
from tests.support.sample_site import SampleSiteServer, Status


def backfilled(server: SampleSiteServer, tmp_path: Path) -> str:
    server.faults.add(lambda path: path.startswith("/date/2020/2/4."), Status(404), times=None)
    config = str(write_config(tmp_path, server))
    done = ingest("--config", config, "backfill", "--from", "2020-02-01", "--to", "2020-02-10",
                  cwd=tmp_path)  # fmt: skip
    assert done.returncode == 1, done.stderr  # one failed date
    return config


def test_coverage_text_json_and_svg(server: SampleSiteServer, tmp_path: Path) -> None:
    """Failed day marked X at its column, JSON per day, SVG written; the database untouched."""
    config = backfilled(server, tmp_path)
    database = tmp_path / "db.sqlite"
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    shown = ingest("--config", config, "coverage", "--svg", str(tmp_path / "c.svg"), cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "\x1b[" not in shown.stdout, "no colour when piped"
    (feb,) = [line for line in shown.stdout.splitlines() if line.strip().startswith("Feb")]
    assert feb[10 + 2 * 3] == "X" and "1 failed" in feb
    assert "cli: 2020-02-01 to 2020-02-10, 10 days" in shown.stdout
    assert (tmp_path / "c.svg").read_text().startswith("<svg ")

    as_json = ingest("--config", config, "coverage", "--json", "--from", "2020-01-31",
                     "--to", "2020-02-10", cwd=tmp_path)  # fmt: skip
    (site,) = json.loads(as_json.stdout)["sites"]
    kinds = [day["kind"] for day in site["days"]]
    assert kinds[0] == "never" and kinds[4] == "failed" and len(kinds) == 11
    assert site["total"]["failed"] == 1
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before


def test_coverage_never_creates_a_database(server: SampleSiteServer, tmp_path: Path) -> None:
    config = str(write_config(tmp_path, server))
    shown = ingest("--config", config, "coverage", cwd=tmp_path)
    assert shown.returncode == 1 and "no database at" in shown.stderr
    assert not (tmp_path / "db.sqlite").exists()


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_a_browser_draws_the_svg(server: SampleSiteServer, tmp_path: Path) -> None:
    """Headless Chromium screenshots the SVG: not blank, with green days and a red failed one."""
    assert CHROMIUM is not None
    config = backfilled(server, tmp_path)
    svg, png = tmp_path / "c.svg", tmp_path / "c.png"
    assert ingest("--config", config, "coverage", "--svg", str(svg), cwd=tmp_path).returncode == 0
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}",
         "--window-size=700,300", svg.as_uri()],
        capture_output=True, timeout=90, check=True,
    )  # fmt: skip
    pixels = rgb_pixels(png.read_bytes())
    assert len(set(pixels)) > 10, "the screenshot is blank"
    assert any(r > 180 and g < 90 and b < 100 for r, g, b in pixels), "no red failed day"
    assert any(g > 120 and r < 100 and b < 120 for r, g, b in pixels), "no green complete day"


def rgb_pixels(data: bytes) -> list[tuple[int, int, int]]:
    """The pixels of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, header = 8, b"", b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])  # fmt: skip
        kind = data[position + 4:position + 8]  # fmt: skip
        body = data[position + 8:position + 8 + length]  # fmt: skip
        header = body if kind == b"IHDR" else header
        chunks += body if kind == b"IDAT" else b""
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0
    size = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(chunks), width * size
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])  # fmt: skip
        for i in range(stride):
            left = line[i - size] if i >= size else 0
            up, corner = previous[i], previous[i - size] if i >= size else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                best = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + best) & 255
        rows.append(line)
        previous = line
    return [tuple(row[i:i + 3]) for row in rows for i in range(0, stride, size)]  # type: ignore[misc]  # fmt: skip
