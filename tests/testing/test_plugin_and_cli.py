"""The pytest plugin (fixture, failure report) and the ``flowdsl simulate`` command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from compiler.cli import main

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]

FAILING_TEST = """
from datetime import timedelta

WF = {"name": "wf", "version": 1, "tasks": [
    {"name": "upload", "taskReferenceName": "upload", "type": "SIMPLE"}]}

def test_upload(flowdsl_sim):
    flowdsl_sim.mock("upload").fails(times=2, after=timedelta(seconds=3)).then_completes({"url": "x"})
    run = flowdsl_sim.run(WF)
    assert run.task("upload").attempts == 2
"""


def test_fixture_is_registered_by_the_entry_point(pytester: pytest.Pytester) -> None:
    """A test can take ``flowdsl_sim`` with no conftest: the pytest11 entry point provides it."""
    pytester.makepyfile("def test_it(flowdsl_sim):\n    assert flowdsl_sim.runs == []\n")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_failure_report_shows_the_timeline_and_the_mocks(pytester: pytest.Pytester) -> None:
    """A failing assertion about a run shows its timeline and the mocks that reproduce it."""
    pytester.makepyfile(FAILING_TEST)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "flowdsl timeline (run 1)" in text
    assert "workflow wf v1: COMPLETED after 0:02:06" in text  # 3 s, +60 s delay, 3 s, +60 s, done
    assert "upload" in text and "attempt 3" in text and "FAILED" in text
    assert 'sim.mock("upload").fails(times=2, after=timedelta(seconds=3))' in text


def _request(tmp_path: Path, request: dict[str, Any]) -> Path:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request), encoding="utf-8")
    return path


REQUEST = {
    "name": "wf",
    "workflowDef": {
        "name": "wf",
        "version": 1,
        "tasks": [{"name": "a", "taskReferenceName": "a", "type": "SIMPLE"}],
        "outputParameters": {"v": "${a.output.v}"},
    },
    "input": {"k": 1},
    "taskRefToMockOutput": {
        "a": [
            {"status": "FAILED"},
            {"status": "COMPLETED", "output": {"v": 7}, "executionTime": 1500},
        ]
    },
}


def test_simulate_prints_the_execution_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``flowdsl simulate REQUEST.json`` prints the execution: exit 0, Conductor-shaped JSON."""
    assert main(["simulate", str(_request(tmp_path, REQUEST))]) == 0
    execution = json.loads(capsys.readouterr().out)
    assert execution["status"] == "COMPLETED"
    assert execution["output"] == {"v": 7}
    assert [t["status"] for t in execution["tasks"]] == ["FAILED", "COMPLETED"]
    assert execution["tasks"][1]["startTime"] - execution["tasks"][0]["endTime"] == 60_000


def test_simulate_writes_the_output_file_and_exits_0_on_a_failed_workflow(tmp_path: Path) -> None:
    """Exit 0 whatever the workflow's status; -o writes the JSON."""
    request = {**REQUEST, "taskRefToMockOutput": {"a": [{"status": "FAILED_WITH_TERMINAL_ERROR"}]}}
    out = tmp_path / "out.json"
    assert main(["simulate", str(_request(tmp_path, request)), "-o", str(out)]) == 0
    assert json.loads(out.read_text())["status"] == "FAILED"


def test_simulate_is_deterministic(tmp_path: Path) -> None:
    """Two runs of the same request write the same bytes."""
    path = _request(tmp_path, REQUEST)
    first, second = tmp_path / "1.json", tmp_path / "2.json"
    main(["simulate", str(path), "-o", str(first)])
    main(["simulate", str(path), "-o", str(second)])
    assert first.read_bytes() == second.read_bytes()


def test_simulate_rejects_a_bad_mock_with_its_json_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Invalid input: exit 1 and a message naming the JSON path, no traceback."""
    request = {**REQUEST, "taskRefToMockOutput": {"a": [{"stauts": "COMPLETED"}]}}
    assert main(["simulate", str(_request(tmp_path, request))]) == 1
    err = capsys.readouterr().err
    assert "$.taskRefToMockOutput.a[0]" in err and "did you mean 'status'" in err
    assert "Traceback" not in err


def test_simulate_reports_a_missing_mock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A worker with no mock left: exit 1 naming the ref and attempt."""
    request = {**REQUEST, "taskRefToMockOutput": {"a": [{"status": "FAILED"}]}}
    assert main(["simulate", str(_request(tmp_path, request))]) == 1
    assert "task 'a'" in capsys.readouterr().err


def test_simulate_runs_as_a_subcommand_of_the_installed_cli(tmp_path: Path) -> None:
    """The testing package contributes ``simulate`` through the flowdsl.commands entry point."""
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "flowdsl"),
            "simulate",
            str(_request(tmp_path, REQUEST)),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "COMPLETED"
