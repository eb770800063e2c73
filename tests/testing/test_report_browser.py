"""Each example's run report, opened in a real headless browser (Debian's chromium).

The page must load with no console error and no network request (everything is inline), show
the diagram and the timeline, and screenshot to a sane PNG (kept under build/report-screens/).
Skipped only when chromium or playwright is missing (``.ci/run`` installs chromium).
"""

from __future__ import annotations

import shutil
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testing.report import write_report
from tests.report_scenarios import (
    EXAMPLES,
    big_run,
    example_run,
    image_fork_with_retries,
    kyc_with_retries,
)

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "report-screens"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless chromium for the module (skips when it cannot be started)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (.ci/run installs it with apt-get)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def open_report(browser: Any, html: Path, shot: Path) -> dict[str, Any]:
    """Load the report, check what a reader sees, screenshot it; returns measurements."""
    page = browser.new_page(viewport=VIEWPORT)
    errors: list[str] = []
    requests: list[str] = []
    failed: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.on("requestfailed", lambda r: failed.append(r.url))
    try:
        page.goto(html.as_uri(), wait_until="load")
        boxes = {
            name: page.locator(selector).first.bounding_box(timeout=5000)
            for name, selector in {
                "summary": "#summary",
                "diagram": "#diagram svg",
                "timeline": "#timeline svg.timeline",
                "axis": "#timeline svg.axis",
                "attempts": "#attempts",
            }.items()
        }
        bars = page.locator("#timeline g.attempt rect.run").count()
        timeouts = page.locator("#timeline path.timeout").count()
        failed_bars = page.locator('#timeline g.attempt[data-status="FAILED"] rect.run').count()
        shot.parent.mkdir(parents=True, exist_ok=True)
        png = page.screenshot(path=str(shot), full_page=True)
    finally:
        page.close()
    assert errors == [], errors
    assert failed == [], failed
    assert [u for u in requests if not u.startswith("file:")] == [], "the report fetched something"
    return {
        "boxes": boxes,
        "bars": bars,
        "timeouts": timeouts,
        "failed_bars": failed_bars,
        "png": png,
    }


def check_boxes(boxes: dict[str, Any]) -> None:
    for name, box in boxes.items():
        assert box is not None, f"{name} is not on the page"
        assert box["width"] > 50 and box["height"] > 10, f"{name} is not visible: {box}"


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_report_in_a_browser(browser: Any, example: str, tmp_path: Path) -> None:
    """The example's report loads cleanly; diagram and timeline are visible; screenshot is sane."""
    run = example_run(example)
    html = write_report(run, tmp_path / f"{example}.html")
    seen = open_report(browser, html, SHOTS / f"report-{example}.png")
    check_boxes(seen["boxes"])
    assert seen["bars"] >= len({t["referenceTaskName"] for t in run.tasks if t["startTime"]})
    width, height = png_size(seen["png"])
    assert width == VIEWPORT["width"] and height >= VIEWPORT["height"]
    assert len(seen["png"]) > 20_000


@pytest.mark.parametrize(
    ("name", "make"),
    [("kyc-retries", kyc_with_retries), ("image-fork-retries", image_fork_with_retries)],
)
def test_report_with_retries_in_a_browser(
    browser: Any, name: str, make: Any, tmp_path: Path
) -> None:
    """Retries and timeouts show on the task's row: one bar per attempt, a marker per timeout."""
    run = make()
    html = write_report(run, tmp_path / f"{name}.html")
    seen = open_report(browser, html, SHOTS / f"report-{name}.png")
    check_boxes(seen["boxes"])
    assert seen["bars"] == sum(1 for t in run.tasks if t["startTime"])
    assert seen["timeouts"] == sum(1 for t in run.tasks if t["status"] == "TIMED_OUT")
    assert seen["failed_bars"] == sum(1 for t in run.tasks if t["status"] == "FAILED")
    width, _ = png_size(seen["png"])
    assert width == VIEWPORT["width"]  # nothing wider than the window
    assert len(seen["png"]) > 20_000


def test_200_task_report_stays_readable(browser: Any, tmp_path: Path) -> None:
    """A 200-task run: the timeline scrolls inside its box (the page does not grow by 4000 px)."""
    run = big_run(200)
    html = write_report(run, tmp_path / "big.html")
    seen = open_report(browser, html, SHOTS / "report-200-tasks.png")
    boxes = seen["boxes"]
    check_boxes(boxes)
    assert boxes["timeline"]["height"] > 200 * 19  # every row is drawn at full height ...
    assert seen["bars"] >= 200
    width, height = png_size(seen["png"])
    assert width == VIEWPORT["width"]
    # ... but inside a scrolling box, so the page holds far less than the rows' height.
    assert height < boxes["timeline"]["height"]
