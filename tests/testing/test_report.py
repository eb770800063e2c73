"""The run report: time formatting, axis ticks, the timeline SVG, the HTML page and ``flowdsl report``."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from compiler.cli import main
from testing.report import ExecutionError, render_report, write_report
from testing.report.data import format_duration, format_offset, read_execution
from testing.report.scale import CUT_W, TimeScale, nice_step
from testing.report.timeline import ROW_H, axis_svg, make_scale, timeline_svg
from testing.simulator import Simulator
from tests.report_scenarios import big_run, example_run, image_fork_with_retries, kyc_with_retries

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "conductor"

WF = {
    "name": "wf",
    "version": 2,
    "tasks": [{"name": "upload", "taskReferenceName": "upload", "type": "SIMPLE"}],
}


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (0, "0 ms"),
        (250, "250 ms"),
        (1000, "1 s"),
        (1500, "1.5 s"),
        (59_999, "59.999 s"),
        (60_000, "1 min"),
        (125_000, "2 min 5 s"),
        (3_600_000, "1 h"),
        (3_660_000, "1 h 1 min"),
        (3_605_000, "1 h"),  # seconds are below what an hour-long duration shows
        (86_400_000 * 2 + 3_600_000 * 5, "2 d 5 h"),
    ],
)
def test_format_duration(ms: int, text: str) -> None:
    """Durations read the way a person says them, two units at most."""
    assert format_duration(ms) == text


def test_format_offset() -> None:
    """Offsets carry a sign; a time that never happened is a dash."""
    assert format_offset(5000) == "+5 s"
    assert format_offset(None) == "-"


@pytest.mark.parametrize(
    ("span", "step"),
    [
        (7, 1),
        (900, 200),
        (15_000, 2000),
        (30 * 60_000, 5 * 60_000),
        (7 * 3_600_000, 3_600_000),
        (3 * 86_400_000, 12 * 3_600_000),
        (400 * 86_400_000, 60 * 86_400_000),
    ],
)
def test_linear_axis_ticks_are_nice_and_few(span: int, step: int) -> None:
    """Ticks start at 0, use a nice step, and there are at most 8 of them after 0."""
    assert nice_step(span) == step
    scale = TimeScale(span, range(0, span + 1, max(1, span // 20)), left=0, width=800)
    assert scale.cuts == ()
    ticks = scale.ticks()
    assert ticks[0] == 0 and len(ticks) <= 9
    assert all(b - a >= step and (b - a) % step == 0 for a, b in pairwise(ticks))
    assert (
        scale.x(0) == 0
        and scale.x(span) == 800
        and scale.x(span // 2) == pytest.approx(span // 2 / span * 800)
    )


def test_long_idle_stretch_is_drawn_shortened() -> None:
    """Retries seconds apart, then a 4-hour wait: the wait is cut, the retries get the width."""
    hour = 3_600_000
    events = [0, 20_000, 35_000, 55_000, 85_000, 105_000, 165_000, 4 * hour]
    scale = TimeScale(4 * hour, events, left=100, width=800)
    [cut] = scale.cuts
    assert (cut.start, cut.end, cut.label) == (165_000, 4 * hour, "3 h 57 min")
    assert cut.x1 - cut.x0 == CUT_W and scale.x(4 * hour) == 900
    assert scale.x(165_000) == pytest.approx(900 - CUT_W)  # the 165 s before get the rest
    xs = [scale.x(t) for t in sorted({*events, hour, 2 * hour})]
    assert xs == sorted(xs)  # still monotonic
    ticks = scale.ticks()
    assert all(not cut.start < t < cut.end for t in ticks)  # no tick inside the cut
    assert nice_step(165_000) == 30_000 and 150_000 in ticks


def test_no_cut_when_the_run_is_busy_or_the_gaps_are_modest() -> None:
    """Waits that do not dwarf the rest of the run stay on a linear axis."""
    minute = 60_000
    assert (
        TimeScale(30 * minute, [0, 10 * minute, 20 * minute, 30 * minute], left=0, width=800).cuts
        == ()
    )
    # retries: two 1-minute waits around 10 s of work; 12 times the rest, under 15
    assert (
        TimeScale(
            130_000,
            [0, 5000, 65_000, 70_000, 130_000],
            left=0,
            width=800,
        ).cuts
        == ()
    )


def test_kyc_with_retries_has_a_shortened_wait_and_labelled_retries() -> None:
    """The 4-hour compliance review is cut; the screening retries are wide enough to label."""
    data = read_execution(kyc_with_retries().execution)
    assert [c.label for c in make_scale(data).cuts] == ["3 h 57 min"]
    svg = timeline_svg(data)
    assert svg.count('class="cutband"') == 1
    assert "retry after 30 s" in svg and "retry after 1 min" in svg
    assert 'class="cutlabel">3 h 57 min<' in axis_svg(data)


def test_retries_are_one_row_with_a_bar_per_attempt() -> None:
    """Three attempts of one task: one row, three execution bars, two retry gaps with labels."""
    sim = Simulator(task_defs=[{"name": "upload", "retryCount": 2, "retryDelaySeconds": 60}])
    sim.mock("upload").fails(times=2, after=timedelta(seconds=5)).then_completes({})
    run = sim.run(WF)
    data = read_execution(run.execution)
    assert [a.attempt for a in data.attempts] == [1, 2, 3]
    svg = timeline_svg(data)
    assert svg.count('class="run"') == 3
    assert svg.count('class="retry"') == 2
    assert svg.count("retry after 1 min") == 2  # the gap is wide enough for its label
    assert svg.count("start delay 1 min (retry delay)") == 2  # in the hover titles
    assert svg.count('<g class="row') == 1
    assert f'height="{1 * ROW_H + 4}"' in svg


def test_timeout_is_marked() -> None:
    """A TIMED_OUT attempt ends in a timeout marker; its hover title gives the reason."""
    run = image_fork_with_retries()
    svg = timeline_svg(read_execution(run.execution))
    assert svg.count('class="timeout"') == 1
    assert "responseTimeout: 120 exceeded" in svg


def test_report_has_every_part() -> None:
    """Header, diagram, timeline, attempts table, input/output and the definition."""
    run = image_fork_with_retries()
    html = render_report(run.execution)
    assert "<title>image_multiple_convert_resize v1: COMPLETED" in html
    assert 'id="diagram"' in html and "<svg" in html.split('id="diagram"')[1][:400]
    assert 'class="timeline"' in html and 'class="axis"' in html
    assert html.count("<tr>") >= len(run.tasks)
    assert "503 Slow Down" in html
    assert '<details id="definition">' in html
    assert "+2 min 50 s" in html  # the run's end
    assert not re.search(r"(src|href)=\"https?:", html), "the page must not fetch anything"


def test_report_bytes_are_deterministic(tmp_path: Path) -> None:
    """The same run gives the same bytes, through the API and through the command."""
    first = write_report(example_run("kyc"), tmp_path / "a.html").read_bytes()
    second = write_report(example_run("kyc"), tmp_path / "b.html").read_bytes()
    assert first == second


def test_a_200_task_run_renders_every_row() -> None:
    """All 202 references get a row; long runs keep to the fixed width."""
    run = big_run(200)
    data = read_execution(run.execution)
    svg = timeline_svg(data)
    assert svg.count('<g class="row') == len({t["referenceTaskName"] for t in run.tasks}) == 202
    assert 'width="1090"' in svg


def test_long_references_are_cut_with_the_full_one_in_the_title() -> None:
    """A reference longer than the label column is cut with an ellipsis."""
    ref = "a_really_long_task_reference_name_that_goes_on"
    wf = {"name": "w", "version": 1, "tasks": [{"name": "t", "taskReferenceName": ref}]}
    sim = Simulator()
    sim.mock("t").completes({})
    svg = timeline_svg(read_execution(sim.run(wf).execution))
    assert f"<title>{ref} (t)</title>a_really_long_task_reference_na\u2026" in svg


@pytest.mark.parametrize(
    ("execution", "message"),
    [
        ([], "$: expected an execution record"),
        ({"tasks": "x"}, "$.tasks: expected the list of task attempts"),
        ({"tasks": [{"status": "COMPLETED"}]}, "$.tasks[0]: expected a task object"),
        (
            {"name": "wf", "tasks": [{"taskReferenceName": "a"}]},
            "string (this is a WorkflowDef, not an execution",
        ),
        (
            {"tasks": [{"referenceTaskName": "a", "scheduledTime": "soon"}]},
            "$.tasks[0].scheduledTime: expected a time in epoch milliseconds",
        ),
    ],
)
def test_bad_execution_says_where(execution: Any, message: str) -> None:
    """A malformed execution record is an ExecutionError naming the JSON path."""
    with pytest.raises(ExecutionError, match=re.escape(message)):
        read_execution(execution, file="x.json")


def test_cli_report_of_a_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``flowdsl report REQUEST.json`` simulates the request (mocks included) and reports."""
    request = {
        "workflowDef": WF,
        "input": {"n": 1},
        "taskRefToMockOutput": {
            "upload": [
                {"status": "FAILED", "output": {}},
                {"status": "COMPLETED", "output": {"u": 1}},
            ]
        },
    }
    (tmp_path / "req.json").write_text(json.dumps(request))
    out = tmp_path / "r.html"
    assert main(["report", str(tmp_path / "req.json"), "-o", str(out)]) == 0
    html = out.read_text()
    assert 'wf <span class="muted">v2</span>' in html
    assert html.count('data-status="FAILED"') == 1
    assert "wrote" in capsys.readouterr().err


def test_cli_report_of_an_execution(tmp_path: Path) -> None:
    """``--execution`` reports on a recorded run; ``--definition`` overrides the embedded one."""
    run = example_run("lending")
    execution = dict(run.execution)
    definition = execution.pop("workflowDefinition")
    (tmp_path / "exec.json").write_text(json.dumps(execution))
    (tmp_path / "def.json").write_text(json.dumps(definition))
    out = tmp_path / "r.html"
    assert main(["report", "--execution", str(tmp_path / "exec.json"), "-o", str(out)]) == 0
    assert "No diagram: the execution embeds no workflowDefinition" in out.read_text()
    args = ["report", "--execution", str(tmp_path / "exec.json"), "--definition"]
    assert main([*args, str(tmp_path / "def.json"), "-o", str(out)]) == 0
    assert "No diagram" not in out.read_text()
    assert "poll_underwriting" in out.read_text()


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not laid out here")
@pytest.mark.parametrize(
    "name",
    [
        "conductor-oss_conductor/ui__e2e__fixtures__doWhile__doWhileSwitch.json",
        "conductor-oss_conductor/ui__e2e__fixtures__dynamicFork__oneFailed.json",
        "netflix_conductor/client__src__test__resources__test_data__workflow1_run.json",
        "conductor-oss_conductor/core__src__test__resources__completed.json",
    ],
)
def test_cli_report_of_real_server_executions(name: str, tmp_path: Path) -> None:
    """Executions exported from real Conductor servers report (real clocks, skewed stamps)."""
    out = tmp_path / "r.html"
    assert main(["report", "--execution", str(CORPUS / name), "-o", str(out)]) == 0
    html = out.read_text()
    execution = json.loads((CORPUS / name).read_text())
    assert html.count('<g class="attempt"') == len(execution["tasks"])


def test_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Bad input exits 1 with the file and JSON path; a usage error exits 2."""
    (tmp_path / "bad.json").write_text('{"workflowId": "x", "tasks": [{"status": 1}]}')
    out = str(tmp_path / "r.html")
    assert main(["report", "--execution", str(tmp_path / "bad.json"), "-o", out]) == 1
    err = capsys.readouterr().err
    assert "bad.json: $.tasks[0]: expected a task object" in err and "Traceback" not in err
    assert main(["report", "--execution", str(tmp_path / "missing.json"), "-o", out]) == 1
    assert "cannot read execution" in capsys.readouterr().err
    assert main(["report", "-o", out]) == 2
    assert "give either REQUEST.json or --execution" in capsys.readouterr().err
    assert not Path(out).exists()
