"""The HTML report in a real headless Chromium (Debian's ``chromium``, driven by playwright).

Opens the page from a file, checks that nothing is fetched, no script but ours runs and the policy blocks nothing of
ours, clicks the filters and an evidence toggle, and inspects screenshots of the table: the fail badges' red is
there with every stream shown and gone when only passes are. Skips only when chromium or playwright is missing.
"""

from __future__ import annotations

import shutil
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import report_cases as rc
from sseguard.report import html
from test_report_html import history

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
if CHROMIUM is None:
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
FAIL_RED = (0xB4, 0x23, 0x18)
PASS_GREEN = (0x06, 0x76, 0x47)


def png_pixels(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Decode an 8-bit RGB or RGBA PNG (what Chromium writes) into its width, height and RGB pixels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert (depth, interlace) == (8, 0) and color in (2, 6)
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
    raw = zlib.decompress(idat)
    stride = width * channels
    prev = bytearray(stride)
    pixels: list[tuple[int, int, int]] = []
    for y in range(height):
        start = y * (stride + 1)
        kind_byte, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = prev[i]
            if kind_byte == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind_byte == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind_byte == 3:
                line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
            elif kind_byte == 4:
                up_left = prev[i - channels] if i >= channels else 0
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else up_left)
                line[i] = (line[i] + pred) & 0xFF
        pixels.extend((line[i], line[i + 1], line[i + 2]) for i in range(0, stride, channels))
        prev = line
    return width, height, pixels


def count(pixels: list[tuple[int, int, int]], color: tuple[int, int, int]) -> int:
    return sum(1 for p in pixels if all(abs(a - b) <= 6 for a, b in zip(p, color, strict=True)))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, tmp_path: Path) -> Iterator[Any]:
    path = tmp_path / "report.html"
    path.write_text(html.render_page(rc.report(), history=history()), encoding="utf-8")
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    pg = context.new_page()
    pg.dialogs, pg.requests, pg.console = [], [], []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.on("request", lambda r: pg.requests.append(r.url))
    pg.on("console", lambda m: pg.console.append(m.text))
    pg.goto(path.as_uri())
    yield pg
    context.close()


def visible_statuses(pg: Any) -> list[str]:
    statuses: list[str] = pg.eval_on_selector_all(
        "tbody.finding", "els => els.filter(e => e.offsetParent !== null).map(e => e.dataset.status)")
    return statuses


def test_page_loads_offline_without_foreign_script(page: Any) -> None:
    assert [u for u in page.requests if not u.startswith("file://")] == []
    assert page.dialogs == []
    assert [m for m in page.console if "Content Security Policy" in m] == []
    shown = page.locator("td.addr", has_text="alert(1)").inner_text()
    assert shown == rc.SCRIPT_ADDRESS
    assert page.locator("#history-chart rect.fail").count() == 3


def test_filters_change_the_visible_rows(page: Any) -> None:
    assert visible_statuses(page) == ["fail"] * 5 + ["unknown"] * 2 + ["suppressed"] + ["pass"] * 2
    assert page.locator("tr.evidence:visible").count() == 0
    page.click("button[data-filter=fail]")
    assert visible_statuses(page) == ["fail"] * 5
    assert page.inner_text("#shown-count") == "5"
    assert page.get_attribute("button[data-filter=fail]", "aria-pressed") == "true"
    page.click("button[data-filter=all]")
    page.fill("#filter-text", "LEGACY/main")
    assert visible_statuses(page) == ["fail", "suppressed"]
    page.fill("#filter-text", "")
    page.click("button[data-filter=pass]")
    assert visible_statuses(page) == ["pass", "pass"]


def test_evidence_row_expands(page: Any) -> None:
    group = page.locator("tbody.finding", has_text="aws_kinesis_stream.moved_key")
    evidence = group.locator("tr.evidence")
    assert not evidence.is_visible()
    group.locator("button.toggle").click()
    assert evidence.is_visible()
    assert "Key policy analysis" in evidence.inner_text()
    assert group.locator("button.toggle").get_attribute("aria-expanded") == "true"
    group.locator("button.toggle").click()
    assert not evidence.is_visible()


def test_screenshot_shows_the_table_and_follows_the_filter(page: Any, tmp_path: Path) -> None:
    table = page.locator("table#findings")
    shot = table.screenshot(path=str(tmp_path / "all.png"))
    width, height, pixels = png_pixels(shot)
    box = table.bounding_box()
    assert abs(width - box["width"]) <= 2 and abs(height - box["height"]) <= 2
    assert height > 300
    assert len(set(pixels)) > 50  # text, badges and borders, not a blank area
    red_all, green_all = count(pixels, FAIL_RED), count(pixels, PASS_GREEN)
    assert red_all > 5 * 100 and green_all > 2 * 100  # five fail badges and two pass badges
    page.click("button[data-filter=pass]")
    _, short_height, only_pass = png_pixels(table.screenshot(path=str(tmp_path / "pass.png")))
    assert short_height < height
    assert count(only_pass, FAIL_RED) == 0
    assert count(only_pass, PASS_GREEN) == pytest.approx(green_all, rel=0.05)


def test_page_composed_without_the_table_runs_cleanly(browser: Any, tmp_path: Path) -> None:
    # A period report may build its own page from the sections; the script must not break on what is absent.
    path = tmp_path / "period.html"
    path.write_text(html.document("period", html.summary_section(rc.report()) + html.mapping_section()), "utf-8")
    pg = browser.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(path.as_uri())
    assert pg.locator("table#frameworks tbody tr").count() == 22
    assert errors == []
    pg.close()
