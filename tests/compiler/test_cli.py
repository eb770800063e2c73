"""The flowdsl command line: compile and validate, exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from compiler.cli import main

REPO = Path(__file__).resolve().parents[2]

GOOD = """
import flowdsl as f

@f.task(retry_count=1)
def charge(amount: int) -> dict:
    return {}

@f.task
def notify(who: str) -> None: ...

@f.workflow
def payment(amount: int):
    c = charge(amount)
    return {"charged": c.output}

@f.workflow(name="order_flow", version=2)
def order(amount: int, who: str):
    f.sub_workflow(payment, amount=amount)
    notify(who)
"""

BAD = """
import flowdsl as f

@f.task
def charge(amount: int) -> dict:
    return {}

@f.workflow
def broken(n: int):
    charge(amont=n)
    f.switch(n, {})
"""

BOOM = """
import flowdsl as f

VALUE = 1
raise RuntimeError("kaboom")
"""

VALID_JSON = {
    "name": "w",
    "version": 1,
    "tasks": [{"name": "t", "taskReferenceName": "t", "type": "SIMPLE", "inputParameters": {}}],
}

INVALID_JSON = {
    "name": "w",
    "version": 1,
    "tasks": [
        {
            "name": "t",
            "taskReferenceName": "t",
            "type": "SIMPLE",
            "inputParameters": {"x": "${nope.output}"},
        },
        {
            "name": "s",
            "taskReferenceName": "s",
            "type": "TERMINATE",
            "inputParameters": {"terminationStatus": "X"},
        },
    ],
}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary working directory; modules the CLI imports from it are forgotten afterwards."""
    monkeypatch.chdir(tmp_path)
    modules = set(sys.modules)
    path = list(sys.path)
    yield tmp_path
    for name in set(sys.modules) - modules:
        del sys.modules[name]
    sys.path[:] = path


def write(directory: Path, name: str, text: str) -> Path:
    target = directory / name
    target.write_text(textwrap.dedent(text))
    return target


def test_compile_writes_one_json_per_workflow_and_taskdefs(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """compile FILE.py -o DIR writes each workflow (sub-workflows too) and taskdefs.json, exit 0."""
    write(workdir, "cli_good.py", GOOD)
    assert main(["compile", "cli_good.py", "-o", "out"]) == 0
    assert sorted(p.name for p in (workdir / "out").iterdir()) == [
        "order_flow.json",
        "payment.json",
        "taskdefs.json",
    ]
    order = json.loads((workdir / "out" / "order_flow.json").read_text())
    assert (order["name"], order["version"]) == ("order_flow", 2)
    taskdefs = json.loads((workdir / "out" / "taskdefs.json").read_text())
    assert sorted(td["name"] for td in taskdefs) == ["charge", "notify"]
    assert "taskdefs.json (2 task definitions)" in capsys.readouterr().out


def test_compile_output_is_the_compiled_json(workdir: Path) -> None:
    """The written file is exactly CompiledWorkflow.to_json()."""
    write(workdir, "cli_same.py", GOOD)
    assert main(["compile", "cli_same.py", "-o", "out"]) == 0
    from compiler import compile_workflow

    module = sys.modules["cli_same"]
    expected = compile_workflow(module.payment).to_json()
    assert (workdir / "out" / "payment.json").read_text(encoding="utf-8") == expected


def test_compile_one_function(workdir: Path) -> None:
    """compile FILE.py:fn compiles only that workflow (and what it starts)."""
    write(workdir, "cli_one.py", GOOD)
    assert main(["compile", "cli_one.py:payment", "-o", "out"]) == 0
    assert sorted(p.name for p in (workdir / "out").iterdir()) == ["payment.json", "taskdefs.json"]


def test_compile_invalid_workflow_lists_every_problem(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An invalid workflow exits 1 and prints every problem with file:line, without a traceback."""
    write(workdir, "cli_bad.py", BAD)
    assert main(["compile", "cli_bad.py", "-o", "out"]) == 1
    err = capsys.readouterr().err
    assert "workflow 'broken' (cli_bad.py:8) is invalid:" in err
    assert "cli_bad.py:10: error: task 'charge' has no input 'amont'" in err
    assert "fix: Did you mean 'amount'?" in err
    assert "cli_bad.py:11: error: task 'switch': SWITCH has no decisionCases" in err
    assert "Traceback" not in err
    assert not (workdir / "out").exists()


def test_compile_missing_file_is_a_usage_error(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file that does not exist exits 2."""
    assert main(["compile", "nowhere.py", "-o", "out"]) == 2
    assert "flowdsl: error: no such file: nowhere.py" in capsys.readouterr().err


def test_compile_missing_function_is_a_usage_error(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """FILE.py:name with no such attribute exits 2."""
    write(workdir, "cli_nofn.py", GOOD)
    assert main(["compile", "cli_nofn.py:nope", "-o", "out"]) == 2
    assert "cli_nofn.py has no attribute 'nope'" in capsys.readouterr().err


def test_compile_non_workflow_function_is_a_usage_error(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """FILE.py:name naming a task, not a workflow, exits 2."""
    write(workdir, "cli_task.py", GOOD)
    assert main(["compile", "cli_task.py:charge", "-o", "out"]) == 2
    assert "is a TaskFunction, not a @workflow function" in capsys.readouterr().err


def test_no_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """flowdsl without a subcommand prints help and exits 2."""
    assert main([]) == 2
    assert "usage: flowdsl" in capsys.readouterr().err


def test_missing_output_option_is_a_usage_error(workdir: Path) -> None:
    """compile without -o exits 2 (argparse)."""
    write(workdir, "cli_noout.py", GOOD)
    with pytest.raises(SystemExit) as info:
        main(["compile", "cli_noout.py"])
    assert info.value.code == 2


def test_module_raising_at_import(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A module that raises at import exits 1 naming its file:line, without a traceback."""
    write(workdir, "cli_boom.py", BOOM)
    assert main(["compile", "cli_boom.py", "-o", "out"]) == 1
    err = capsys.readouterr().err
    assert "cannot load cli_boom.py: RuntimeError: kaboom (cli_boom.py:5)" in err
    assert "Traceback" not in err


def test_module_with_syntax_error(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A module with a syntax error exits 1 naming its file:line."""
    write(workdir, "cli_syntax.py", "import flowdsl\n\ndef broken(:\n    pass\n")
    assert main(["compile", "cli_syntax.py", "-o", "out"]) == 1
    err = capsys.readouterr().err
    assert "cli_syntax.py:3" in err
    assert "Traceback" not in err


def test_validate_python_file(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """validate FILE.py checks every workflow and writes nothing."""
    write(workdir, "cli_check.py", GOOD)
    assert main(["validate", "cli_check.py"]) == 0
    out = capsys.readouterr().out
    assert "payment v1: ok (1 tasks, 1 task definitions)" in out
    assert "order_flow v2: ok" in out


def test_validate_valid_json(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """validate on a valid hand-written JSON file exits 0."""
    (workdir / "good.json").write_text(json.dumps(VALID_JSON))
    assert main(["validate", "good.json"]) == 0
    assert (
        "good.json: ok (workflow; 1 workflow(s): w; 0 task definition(s))"
        in capsys.readouterr().out
    )


def test_validate_invalid_json(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """validate on an invalid JSON file exits 1; each problem names the file and JSON path."""
    (workdir / "bad.json").write_text(json.dumps(INVALID_JSON))
    assert main(["validate", "bad.json"]) == 1
    err = capsys.readouterr().err
    assert "bad.json: $.tasks[0].inputParameters.x: error: task 't' reads '${nope.output}'" in err
    assert "bad.json: $.tasks[1].inputParameters.terminationStatus: error:" in err
    assert "bad.json: 2 error(s)" in err


def test_validate_not_json(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """validate on a file that is not JSON exits 1 with line:column."""
    (workdir / "broken.json").write_text('{"name": "w",\n  "tasks": [}\n')
    assert main(["validate", "broken.json"]) == 1
    err = capsys.readouterr().err
    assert "broken.json:2:13: not valid JSON" in err
    assert "Traceback" not in err


def test_validate_missing_json_is_a_usage_error(workdir: Path) -> None:
    """validate on a JSON file that does not exist exits 2."""
    assert main(["validate", "missing.json"]) == 2


def test_flowdsl_script_end_to_end(tmp_path: Path) -> None:
    """The installed flowdsl script compiles a file in a subprocess and reports a bad one."""
    script = REPO / ".venv" / "bin" / "flowdsl"
    if not script.exists():
        pytest.skip("no .venv/bin/flowdsl")
    write(tmp_path, "sub_good.py", GOOD)
    write(tmp_path, "sub_bad.py", BAD)
    ok = subprocess.run(
        [str(script), "compile", "sub_good.py", "-o", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "out" / "order_flow.json").is_file()
    bad = subprocess.run(
        [str(script), "compile", "sub_bad.py", "-o", "out2"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 1
    assert "sub_bad.py:10: error:" in bad.stderr
    assert "Traceback" not in bad.stderr
