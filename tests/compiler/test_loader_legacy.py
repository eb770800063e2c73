"""Legacy and unusual Conductor spellings: loaded as written, validated, imported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compiler.cli import main
from compiler.codegen import import_file, round_trip
from compiler.loader import load_file

LEGACY: dict[str, Any] = {
    "name": "legacy",
    "version": 1,
    "schemaVersion": 2,
    "inputParameters": ["kind"],
    "ownerApp": "ui",
    "createTime": 1600000000000,
    "someFutureField": {"kept": True},
    "tasks": [
        {
            "name": "decide",
            "taskReferenceName": "decide",
            "type": "DECISION",
            "caseValueParam": "k",
            "inputParameters": {"k": "${workflow.input.kind}"},
            "decisionCases": {
                "a": [
                    {
                        "name": "by_script",
                        "taskReferenceName": "by_script",
                        "type": "DECISION",
                        "caseExpression": "$.k == 'a' ? 'yes' : 'no'",
                        "inputParameters": {"k": "${workflow.input.kind}"},
                        "decisionCases": {"yes": [{"name": "w", "taskReferenceName": "w"}]},
                    }
                ]
            },
            "defaultCase": [
                {
                    "name": "lam",
                    "taskReferenceName": "lam",
                    "type": "LAMBDA",
                    "inputParameters": {"scriptExpression": "return {x: 1};"},
                }
            ],
        },
        {
            "name": "worker",
            "taskReferenceName": "worker",
            "inputParameters": {},
            "taskDefinition": {"name": "worker", "retryCount": 7, "timeoutSeconds": 60},
            "unknownTaskField": 1,
        },
    ],
}


def _write(tmp_path: Path, doc: Any, bom: bool = False) -> Path:
    path = tmp_path / "legacy.json"
    path.write_bytes(("\ufeff" if bom else "").encode() + json.dumps(doc).encode())
    return path


def test_loaded_untouched_with_unknown_fields(tmp_path: Path) -> None:
    loaded = load_file(_write(tmp_path, LEGACY, bom=True))
    assert loaded.kind == "workflow"
    assert loaded.workflows[0].definition == LEGACY  # nothing dropped, nothing added


def test_validate_accepts_the_legacy_forms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(_write(tmp_path, LEGACY, bom=True))]) == 0
    assert "ok (workflow; 1 workflow(s): legacy" in capsys.readouterr().out


def test_import_upgrades_and_round_trips(tmp_path: Path) -> None:
    source = import_file(_write(tmp_path, LEGACY, bom=True)).source
    assert "DECISION" not in source and "LAMBDA" not in source
    assert "switch(\n        kind," in source and 'param="k"' in source
    assert "js(\"$.k == 'a' ? 'yes' : 'no'\", k=kind)" in source
    assert "function scriptFun(){return {x: 1};} scriptFun();" in source
    assert '"retryCount": 7' in source  # the inline taskDefinition is kept
    assert "# Not carried over (no @workflow option): someFutureField." in source
    [result] = round_trip([LEGACY])
    assert not result.ok and "someFutureField" in result.diff  # reported, not silently lost
    without = {k: v for k, v in LEGACY.items() if k != "someFutureField"}
    [result] = round_trip([without])
    assert result.ok and not result.rejected, result.diff


def test_schema_version_1_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    v1 = {
        "name": "old",
        "version": 1,
        "schemaVersion": 1,
        "inputParameters": ["id"],
        "tasks": [
            {
                "name": "a",
                "taskReferenceName": "a",
                "type": "SIMPLE",
                "inputParameters": {"id": "workflow.input.id"},
            },
            {
                "name": "b",
                "taskReferenceName": "b",
                "type": "SIMPLE",
                "inputParameters": {"x": "a.output.x", "t": "text"},
            },
        ],
    }
    path = _write(tmp_path, v1)
    assert main(["validate", str(path)]) == 1  # Conductor accepts only schemaVersion 2 ...
    assert "schemaVersion is 1" in capsys.readouterr().err
    source = import_file(path).source  # ... and the import writes the v2 equivalent
    assert "a(id=id)" in source and 'b(x=a_task.output["x"], t="text")' in source
    [result] = round_trip([v1])
    assert result.ok and not result.rejected
