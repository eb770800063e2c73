"""Workflow coverage: points of a definition, what runs covered, data files, the pytest plugin."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from compiler.cli import main
from testing.coverage.data import CoverageData
from testing.coverage.model import Branch, CoverageError, points_of
from testing.coverage.report import rows, terminal_lines
from testing.simulator import Simulator

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]


def simple(ref: str) -> dict[str, Any]:
    return {"name": ref, "taskReferenceName": ref, "type": "SIMPLE"}


SHAPES = {
    "name": "shapes",
    "version": 3,
    "tasks": [
        {
            "name": "route",
            "taskReferenceName": "route",
            "type": "SWITCH",
            "evaluatorType": "value-param",
            "expression": "kind",
            "inputParameters": {"kind": "${workflow.input.kind}"},
            "decisionCases": {"a": [simple("in_a")], "b": []},
            "defaultCase": [simple("in_default")],
        },
        {
            "name": "fan",
            "taskReferenceName": "fan",
            "type": "FORK_JOIN",
            "forkTasks": [[simple("left")], [simple("right")]],
        },
        {
            "name": "fan_join",
            "taskReferenceName": "fan_join",
            "type": "JOIN",
            "joinOn": ["left", "right"],
        },
        {
            "name": "loop",
            "taskReferenceName": "loop",
            "type": "DO_WHILE",
            "loopCondition": "if ($.loop['iteration'] < $.times) { true; } else { false; }",
            "inputParameters": {"times": "${workflow.input.times}"},
            "loopOver": [simple("body")],
        },
    ],
}


def sim() -> Simulator:
    s = Simulator()
    for ref in ("in_a", "in_default", "left", "right", "body"):
        s.mock(ref).completes({})
    return s


def test_points_of_a_definition() -> None:
    """Every task, every case plus default, every fork branch, the loop body; in document order."""
    points = points_of(SHAPES)
    assert points.tasks == (
        "route", "in_a", "in_default", "fan", "left", "right", "fan_join", "loop", "body",
    )  # fmt: skip
    assert [b.key for b in points.branches] == [
        "case:route:a",
        "case:route:b",
        "case:route:default",
        "fork:fan:0",
        "fork:fan:1",
        "loop:loop:entered",
    ]
    assert points.loops == ("loop",)
    dynamic = {
        "name": "d",
        "tasks": [{"name": "x", "taskReferenceName": "x", "type": "FORK_JOIN_DYNAMIC"}],
    }
    assert points_of(dynamic).branches == (Branch("dynamic", "x", "forked"),)


def test_runs_add_up_to_the_coverage() -> None:
    """Case 'a' once with one iteration, the default once with three: 'b' is never taken."""
    data = CoverageData()
    data.add_run(sim().run(SHAPES, {"kind": "a", "times": 1}))
    data.add_run(sim().run(SHAPES, {"kind": "zzz", "times": 3}))
    [cov] = data.sorted()
    assert cov.runs == 2
    assert cov.branches == {
        "case:route:a": 1,
        "case:route:default": 1,
        "fork:fan:0": 2,
        "fork:fan:1": 2,
        "loop:loop:entered": 2,
    }
    assert cov.loops == {"loop": {"1": 1, "many": 1}}
    assert cov.tasks["body"] == 2 and cov.tasks["in_a"] == 1
    tasks_hit, tasks, hit, total, missing = cov.summary()
    assert (tasks_hit, tasks, hit, total) == (9, 9, 5, 6)
    assert [b.describe() for b in missing] == ["switch route: case 'b'"]
    lines = terminal_lines(rows(data))
    assert lines[2].split() == [
        "shapes",
        "v3",
        "2",
        "9/9",
        "100%",
        "5/6",
        "83%",
        "switch",
        "route:",
        "case",
        "'b'",
    ]
    assert lines[-1].split()[-2:] == ["5/6", "83%"]


def test_empty_case_is_taken_when_chosen() -> None:
    """An empty SWITCH case counts as taken (the switch chose it), not as the default."""
    data = CoverageData()
    data.add_run(sim().run(SHAPES, {"kind": "b", "times": 1}))
    assert "case:route:b" in data.sorted()[0].branches


def test_definitions_that_differ_are_kept_apart() -> None:
    """Two definitions with one name and version are two rows, labelled by digest."""
    other = {**SHAPES, "tasks": SHAPES["tasks"][1:]}
    data = CoverageData()
    data.add_run(sim().run(SHAPES, {"kind": "a", "times": 1}))
    data.add_run(sim().run(other, {"times": 1}))
    labels = [r.label for r in rows(data)]
    assert len(labels) == 2 and all(label.startswith("shapes v3 [") for label in labels)


def test_child_workflows_are_counted() -> None:
    """A sub-workflow's run counts for the child definition."""
    child = {"name": "child", "version": 1, "tasks": [simple("c1")]}
    parent = {
        "name": "parent",
        "version": 1,
        "tasks": [
            {
                "name": "sub",
                "taskReferenceName": "sub",
                "type": "SUB_WORKFLOW",
                "subWorkflowParam": {"name": "child", "version": 1},
            }
        ],
    }
    s = Simulator(workflows=[child])
    s.mock("c1").completes({})
    data = CoverageData()
    data.add_run(s.run(parent))
    assert [c.name for c in data.sorted()] == ["child", "parent"]


def test_two_data_files_merge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Files of two processes add up, through the API and ``flowdsl coverage combine``."""
    one, two = CoverageData(), CoverageData()
    one.add_run(sim().run(SHAPES, {"kind": "a", "times": 1}))
    two.add_run(sim().run(SHAPES, {"kind": "b", "times": 2}))
    two.add_run(sim().run(SHAPES, {"kind": "c", "times": 1}))
    one.write(tmp_path / ".flowdsl-cov.w1")
    two.write(tmp_path / ".flowdsl-cov.w2")
    combined = CoverageData.combine([tmp_path / ".flowdsl-cov.w2", tmp_path / ".flowdsl-cov.w1"])
    [cov] = combined.sorted()
    assert cov.runs == 3 and cov.summary()[2:4] == (6, 6)
    assert cov.loops == {"loop": {"1": 2, "many": 1}}
    out = tmp_path / ".flowdsl-cov"
    assert main(["coverage", "combine", "-o", str(out)]) == 0
    assert not (tmp_path / ".flowdsl-cov.w1").exists()  # combined files are removed
    assert out.read_text() == combined.to_json()  # deterministic: order of files does not matter
    assert main(["coverage", "report", str(out), "--fail-under", "100"]) == 0
    assert "shapes v3" in capsys.readouterr().out


def test_data_file_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file that is not coverage data is refused with its name and why."""
    bad = tmp_path / "bad"
    bad.write_text('{"format": "something-else"}')
    with pytest.raises(CoverageError, match=r"bad: \$.format: expected 'flowdsl-coverage/1'"):
        CoverageData.read(bad)
    assert main(["coverage", "report", str(bad)]) == 1
    assert "Traceback" not in capsys.readouterr().err
    bad.write_text('{"format": "flowdsl-coverage/1", "workflows": {"k": {"definition": {}}}}')
    with pytest.raises(CoverageError, match=r'bad: \$.workflows\["k"\]: malformed'):
        CoverageData.read(bad)
    assert main(["coverage", "combine", "-o", str(tmp_path / "none")]) == 2


def test_fail_under_exit_status(tmp_path: Path) -> None:
    """``coverage report --fail-under`` exits 2 below the threshold, like coverage.py."""
    data = CoverageData()
    data.add_run(sim().run(SHAPES, {"kind": "a", "times": 1}))
    data.write(tmp_path / "d")
    assert main(["coverage", "report", str(tmp_path / "d"), "--fail-under", "80"]) == 2
    assert main(["coverage", "report", str(tmp_path / "d"), "--fail-under", "60"]) == 0


PLUGIN_TEST = f"""
SHAPES = {json.dumps(SHAPES)}

def run(flowdsl_sim, kind):
    for ref in ("in_a", "in_default", "left", "right", "body"):
        flowdsl_sim.mock(ref).completes({{}})
    return flowdsl_sim.run(SHAPES, {{"kind": kind, "times": 2}})

def test_a(flowdsl_sim):
    assert run(flowdsl_sim, "a").status == "COMPLETED"

def test_other(flowdsl_sim):
    assert run(flowdsl_sim, "zz").status == "COMPLETED"
"""


def test_plugin_reports_and_fails_under(pytester: pytest.Pytester) -> None:
    """--flowdsl-cov prints the table with the missing branch; fail-under makes exit status 2."""
    pytester.makepyfile(PLUGIN_TEST)
    result = pytester.runpytest("-p", "no:cacheprovider", "--flowdsl-cov")
    result.assert_outcomes(passed=2)
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*flowdsl workflow coverage*",
            "shapes v3 * 2 * 9/9 100% * 5/6 * 83%  switch route: case 'b'",
        ]
    )
    data = json.loads((pytester.path / ".flowdsl-cov").read_text())
    assert list(data["workflows"]) == [next(iter(data["workflows"]))]
    failed = pytester.runpytest("-p", "no:cacheprovider", "--flowdsl-cov-fail-under=90")
    failed.assert_outcomes(passed=2)
    assert failed.ret == 2
    failed.stdout.fnmatch_lines(
        ["FAIL: required workflow branch coverage of 90% not reached: 83.33%"]
    )


BODY_TEST = f"""
from testing.simulator import Simulator

SHAPES = {json.dumps(SHAPES)}

def make():
    sim = Simulator()
    for ref in ("in_a", "in_default", "left", "right", "body"):
        sim.mock(ref).completes({{}})
    return sim

def test_made_in_the_body():
    assert make().run(SHAPES, {{"kind": "a", "times": 2}}).status == "COMPLETED"

def test_fixture_and_body(flowdsl_sim):
    for ref in ("in_a", "in_default", "left", "right", "body"):
        flowdsl_sim.mock(ref).completes({{}})
    flowdsl_sim.run(SHAPES, {{"kind": "b", "times": 2}})
    make().run(SHAPES, {{"kind": "zz", "times": 2}})
"""


def test_plugin_counts_simulators_made_in_the_test_body(pytester: pytest.Pytester) -> None:
    """Runs of a Simulator() made inside a test count; a fixture's runs count once."""
    pytester.makepyfile(BODY_TEST)
    result = pytester.runpytest("-p", "no:cacheprovider", "--flowdsl-cov")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["shapes v3 * 3 * 9/9 100% * 6/6 100%*"])


def test_plugin_writes_html(pytester: pytest.Pytester) -> None:
    """--flowdsl-cov-html writes an index and a page per workflow with its coloured diagram."""
    pytester.makepyfile(PLUGIN_TEST)
    result = pytester.runpytest("-p", "no:cacheprovider", "--flowdsl-cov-html=cov")
    assert result.ret == 0
    index = (pytester.path / "cov" / "index.html").read_text()
    assert "shapes v3" in index and "switch route: case &#39;b&#39;" in index
    [page] = [p for p in (pytester.path / "cov").glob("shapes-*.html")]
    html = page.read_text()
    assert "<svg" in html and "never ran" not in html  # every task ran
    assert html.count('class="status" style="background: #c4493a"') == 1  # one missing branch


def test_worker_writes_its_own_file(pytester: pytest.Pytester) -> None:
    """An xdist worker (config.workerinput) writes DATA.<worker id> and prints no table."""
    pytester.makeconftest(
        "import pytest\n"
        "@pytest.hookimpl(tryfirst=True)\n"
        "def pytest_configure(config):\n"
        "    config.workerinput = {'workerid': 'gw3'}\n"
    )
    pytester.makepyfile(PLUGIN_TEST)
    result = pytester.runpytest("-p", "no:cacheprovider", "--flowdsl-cov")
    assert result.ret == 0
    assert "flowdsl workflow coverage" not in result.stdout.str()
    assert not (pytester.path / ".flowdsl-cov").exists()
    [cov] = CoverageData.read(pytester.path / ".flowdsl-cov.gw3").sorted()
    assert cov.runs == 2


def test_controller_combines_worker_files(pytester: pytest.Pytester) -> None:
    """At the end of the session the main process adds the workers' files in and removes them."""
    from testing.coverage.session import CoverageSession

    stale = pytester.path / ".flowdsl-cov.gw9"
    stale.write_text("left by an earlier session")
    config = pytester.parseconfigure("--flowdsl-cov")
    state = CoverageSession(config)
    state.start()
    assert not stale.exists()  # an earlier session's leftovers are not counted
    for worker, kind in (("gw0", "a"), ("gw1", "b")):
        part = CoverageData()
        part.add_run(sim().run(SHAPES, {"kind": kind, "times": 1}))
        part.write(pytester.path / f".flowdsl-cov.{worker}")

    class Session:
        exitstatus = pytest.ExitCode.OK

    state.finish(Session())  # type: ignore[arg-type]
    assert sorted(p.name for p in pytester.path.glob(".flowdsl-cov*")) == [".flowdsl-cov"]
    [cov] = CoverageData.read(pytester.path / ".flowdsl-cov").sorted()
    assert cov.runs == 2 and cov.summary()[2:4] == (5, 6)
    assert any("switch route: default case" in line for line in state.lines)


def test_plugin_stays_lazy() -> None:
    """Loading the plugin (as pytest does for every project) imports no simulator nor jinja2."""
    code = (
        "import sys, testing.pytest_plugin; "
        "print(sorted(m for m in ('testing.simulator', 'testing.coverage.session', 'jinja2', "
        "'networkx', 'compiler.diagram.dot') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stderr


def test_html_pages_are_deterministic_and_grey_what_never_ran(tmp_path: Path) -> None:
    """The same data gives the same pages; a task that never ran is greyed in the diagram."""
    from testing.coverage.report import overlay_for, write_html

    data = CoverageData()
    data.add_run(sim().run(SHAPES, {"kind": "a", "times": 1}))
    first = write_html(data, tmp_path / "one").parent
    second = write_html(data, tmp_path / "two").parent
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir()) and len(names) == 2
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes()
    [page] = [first / n for n in names if n != "index.html"]
    html = page.read_text()
    overlay = overlay_for(data.sorted()[0])
    assert [ref for ref, style in overlay.tasks.items() if style.greyed] == ["in_default"]
    assert overlay.edges[("route", "default")] != overlay.edges[("route", "a")]
    assert "<svg" in html
    assert html.count('class="status" style="background: #c4493a"') == 3  # b, default, in_default


def test_observers_see_the_runs_finished_inside_their_block() -> None:
    from testing.simulator import observe_runs

    outer: list[Any] = []
    inner: list[Any] = []
    with observe_runs(outer.append):
        first = sim().run(SHAPES, {"kind": "a", "times": 1})
        with observe_runs(inner.append):
            second = sim().run(SHAPES, {"kind": "b", "times": 1})
    sim().run(SHAPES, {"kind": "a", "times": 1})  # after both blocks: nobody is told
    assert outer == [first, second]
    assert inner == [second]
