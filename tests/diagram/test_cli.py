"""``flowdsl render``: formats, targets, --workflow, --execution, exit codes and messages."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from compiler.cli import main
from compiler.diagram import run_overlay, to_dot, to_mermaid
from tests.dot_support import parse_dot

ROOT = Path(__file__).resolve().parents[2]
KYC = ROOT / "examples" / "kyc.py"
KYC_JSON = ROOT / "tests" / "golden" / "kyc" / "kyc_onboarding.json"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["render", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("suffix", [".svg", ".png", ".dot", ".mmd"])
def test_each_format_from_a_python_target(
    suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "deep" / f"kyc{suffix}"
    code, stdout, err = run(capsys, str(KYC), "-o", str(out))
    assert (code, err) == (0, "")
    assert stdout == f"wrote {out} (kyc_onboarding)\n"
    data = out.read_bytes()
    definition = json.loads(KYC_JSON.read_text())
    expected = {
        ".svg": lambda: data.startswith(b"<?xml") and b"<svg" in data,
        ".png": lambda: data.startswith(b"\x89PNG\r\n\x1a\n"),
        ".dot": lambda: data.decode() == to_dot(definition),
        ".mmd": lambda: data.decode() == to_mermaid(definition),
    }
    assert expected[suffix]()


def test_a_json_file_draws_like_the_compiled_workflow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = run(capsys, str(KYC_JSON), "-o", str(tmp_path / "a.dot"))
    assert code == 0
    run(capsys, "examples.kyc:kyc_onboarding", "-o", str(tmp_path / "b.dot"))
    assert (tmp_path / "a.dot").read_text() == (tmp_path / "b.dot").read_text()


def test_sub_workflows_pick_and_expand(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = str(ROOT / "examples" / "image_subworkflow.py")
    code, stdout, _ = run(capsys, target, "-o", str(tmp_path / "p.dot"), "--expand-subworkflows")
    assert code == 0 and "(image_multiple_convert_resize_subworkflow)" in stdout
    graph = parse_dot((tmp_path / "p.dot").read_text())
    assert "image_convert_resize_jpg/upload_toS3" in graph.nodes  # expanded from the compile
    code, stdout, _ = run(
        capsys, target, "-o", str(tmp_path / "c.dot"), "--workflow", "image_convert_resize"
    )
    assert code == 0 and "(image_convert_resize)" in stdout


def write(path: Path, doc: Any) -> str:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def test_several_workflows_in_a_file_need_workflow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    both = write(
        tmp_path / "both.json",
        [{"name": "one", "tasks": []}, {"name": "two", "version": 2, "tasks": []}],
    )
    code, _, err = run(capsys, both, "-o", str(tmp_path / "x.svg"))
    assert code == 2
    assert "holds 2 workflows (one, two); pick one with --workflow NAME" in err
    code, _, err = run(capsys, both, "-o", str(tmp_path / "x.dot"), "--workflow", "three")
    assert code == 2 and "has no workflow named 'three'; it holds: one, two" in err
    code, _, _ = run(capsys, both, "-o", str(tmp_path / "x.dot"), "--workflow", "two")
    assert code == 0
    assert parse_dot((tmp_path / "x.dot").read_text()).attrs["label"] == "two v2"


def test_execution_overlay(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    definition = json.loads(KYC_JSON.read_text())
    execution = {
        "workflowName": "kyc_onboarding",
        "workflowVersion": 1,
        "status": "FAILED",
        "tasks": [
            {"referenceTaskName": "collect_kyc_documents", "status": "COMPLETED"},
            {"referenceTaskName": "screen_customer", "status": "FAILED"},
        ],
    }
    path = write(tmp_path / "run.json", execution)
    code, _, _ = run(capsys, str(KYC), "-o", str(tmp_path / "r.dot"), "--execution", path)
    assert code == 0
    assert (tmp_path / "r.dot").read_text() == to_dot(definition, overlay=run_overlay(execution))
    graph = parse_dot((tmp_path / "r.dot").read_text())
    assert graph.nodes["screen_customer"]["fillcolor"] == "#ffcdd2"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "run.json:1:2: not valid JSON"),
        ("[1]", "run.json: $: expected a workflow execution"),
        ('{"tasks": 3}', "run.json: $: expected a workflow execution"),
    ],
)
def test_bad_execution_is_exit_1(
    content: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "run.json").write_text(content)
    code, _, err = run(
        capsys,
        str(KYC_JSON),
        "-o",
        str(tmp_path / "x.svg"),
        "--execution",
        str(tmp_path / "run.json"),
    )
    assert code == 1
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "x.svg").exists()


def test_bad_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, str(KYC_JSON), "-o", str(tmp_path / "x.pdf"))
    assert code == 2 and "cannot tell the format of -o" in err and ".svg, .png, .dot, .mmd" in err
    code, _, err = run(capsys, str(tmp_path / "missing.json"), "-o", str(tmp_path / "x.svg"))
    assert code == 2 and "no such file" in err
    code, _, err = run(
        capsys, str(KYC_JSON), "-o", str(tmp_path / "x.svg"), "--execution", str(tmp_path / "no")
    )
    assert code == 2 and "cannot read --execution" in err
    broken = tmp_path / "broken.json"
    broken.write_text('{"name": "w", "tasks": {}}')
    code, _, err = run(capsys, str(broken), "-o", str(tmp_path / "x.svg"))
    assert code == 1 and "broken.json: $.tasks: expected 'tasks' to be a list" in err
    taskdef = write(tmp_path / "td.json", {"name": "t", "retryCount": 1})
    code, _, err = run(capsys, taskdef, "-o", str(tmp_path / "x.svg"))
    assert code == 1 and "holds no workflow definition (taskdef)" in err
    bad_py = tmp_path / "bad.py"
    bad_py.write_text("import flowdsl as f\n\n@f.workflow\ndef w(n: int):\n    f.switch(n, {})\n")
    code, _, err = run(capsys, str(bad_py), "-o", str(tmp_path / "x.svg"))
    assert code == 1 and "is invalid" in err
    assert "Traceback" not in err


def test_the_installed_command(tmp_path: Path) -> None:
    """`flowdsl render` as .ci/examples runs it (a fresh process, the console script)."""
    out = tmp_path / "kyc.svg"
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "flowdsl"), "render", "examples/kyc.py", "-o", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"<?xml")
    helped = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "flowdsl"), "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "render" in helped.stdout


def test_an_execution_of_another_workflow_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "run.json", {"workflowName": "other", "tasks": []})
    code, _, err = run(capsys, str(KYC_JSON), "-o", str(tmp_path / "x.dot"), "--execution", path)
    assert code == 0
    assert "is a run of workflow 'other', not of 'kyc_onboarding'" in err


def test_a_test_request_draws_the_workflow_under_test(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    child = {"name": "child", "version": 1, "tasks": [{"name": "c", "taskReferenceName": "c"}]}
    parent = {
        "name": "parent",
        "version": 1,
        "tasks": [
            {
                "name": "s",
                "taskReferenceName": "s",
                "type": "SUB_WORKFLOW",
                "subWorkflowParam": {"name": "child", "version": 1},
            }
        ],
    }
    request = {
        "workflowDef": parent,
        "taskRefToMockOutput": {},
        "subWorkflowTestRequest": {"s": {"workflowDef": child, "taskRefToMockOutput": {}}},
    }
    path = write(tmp_path / "request.json", request)
    code, stdout, _ = run(capsys, path, "-o", str(tmp_path / "x.dot"), "--expand-subworkflows")
    assert code == 0 and "(parent)" in stdout
    assert "s/c" in parse_dot((tmp_path / "x.dot").read_text()).nodes
