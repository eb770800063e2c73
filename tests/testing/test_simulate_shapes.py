"""``flowdsl simulate`` accepts every file shape the loader accepts, not only test requests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compiler.cli import main

WF: dict[str, Any] = {
    "name": "double",
    "version": 1,
    "inputParameters": ["n"],
    "tasks": [
        {
            "name": "calc",
            "taskReferenceName": "calc",
            "type": "INLINE",
            "inputParameters": {
                "evaluatorType": "javascript",
                "expression": "($.n || 1) * 2",
                "n": "${workflow.input.n}",
            },
        }
    ],
    "outputParameters": {"result": "${calc.output.result}"},
    "schemaVersion": 2,
}
OTHER = {**WF, "name": "other", "outputParameters": {"other": True}}


def _run(
    tmp_path: Path, doc: Any, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, Any, str]:
    path = tmp_path / "in.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    code = main(["simulate", str(path), *args])
    out, err = capsys.readouterr()
    return code, json.loads(out) if code == 0 else None, err


@pytest.mark.parametrize(
    "doc, result",
    [
        (WF, 2),
        ([WF, OTHER], 2),
        ({"workflowDefinitions": [WF], "taskDefinitions": [{"name": "t", "retryCount": 1}]}, 2),
        ({"workflowDef": WF, "input": {"n": 4}}, 8),
        (
            {
                "workflowId": "w1",
                "status": "COMPLETED",
                "input": {"n": 5},
                "workflowDefinition": WF,
            },
            10,
        ),
    ],
    ids=["workflow", "workflows", "bundle", "start-request", "execution"],
)
def test_every_shape_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], doc: Any, result: int
) -> None:
    code, run, err = _run(tmp_path, doc, capsys)
    assert code == 0, err
    assert run["status"] == "COMPLETED" and run["output"] == {"result": result}


def test_workflow_option_picks_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, run, _ = _run(tmp_path, [WF, OTHER], capsys, "--workflow", "other")
    assert code == 0 and run["output"] == {"other": True}
    code, _, err = _run(tmp_path, [WF, OTHER], capsys, "--workflow", "nope")
    assert code == 1 and "no workflow named 'nope' in this file (it has: double, other)" in err


def test_a_file_of_task_definitions_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(tmp_path, [{"name": "t", "retryCount": 1}], capsys)
    assert code == 1 and "holds only task definitions" in err
