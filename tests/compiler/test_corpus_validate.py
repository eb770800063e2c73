"""``flowdsl validate`` on every file of the shared Conductor corpus, and docs/corpus-validation.md.

The CLI runs in-process (``compiler.cli.main``) on each file: it must never crash, and its exit
code must agree with tools/corpus_validation.py, which writes the page listing every rejected
file with the reason.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from compiler.cli import main

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "conductor"
TOOL = ROOT / "tools" / "corpus_validation.py"
INVALID_DIR = "_invalid_json"

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("corpus_validation", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Run:
    """One ``flowdsl validate FILE`` run: exit code, output, and the exception if it raised."""

    code: int | None
    stdout: str
    stderr: str
    crash: str | None


def _run_cli(path: Path) -> Run:
    out, err = io.StringIO(), io.StringIO()
    crash = None
    code: int | None = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["validate", str(path)])
        except BaseException as exc:  # SystemExit included: the CLI must return, not exit
            crash = f"{type(exc).__name__}: {exc}"
    return Run(code, out.getvalue(), err.getvalue(), crash)


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    return _load_tool()


@pytest.fixture(scope="module")
def results(tool: ModuleType) -> list:  # list[FileResult]
    return tool.collect(CORPUS)


@pytest.fixture(scope="module")
def runs(tool: ModuleType) -> dict[str, Run]:
    """Corpus file (relative path) -> the CLI run on it, for every file in the tool's order."""
    return {p.relative_to(CORPUS).as_posix(): _run_cli(p) for p in tool.corpus_files(CORPUS)}


def _failures(runs: dict[str, Run]) -> Iterator[str]:
    for rel, run in runs.items():
        if run.crash:
            yield f"{rel}: raised {run.crash}"
        elif run.code not in (0, 1):
            yield f"{rel}: exit code {run.code}"
        elif "Traceback" in run.stderr or "Traceback" in run.stdout:
            yield f"{rel}: traceback in the output"


def test_validate_never_crashes(runs: dict[str, Run]) -> None:
    assert len(runs) >= 1_250
    assert list(_failures(runs)) == []


def test_exit_code_agrees_with_the_page(runs: dict[str, Run], results: list) -> None:
    """Exit 0 for accepted files, 1 for rejected ones, with the same number of errors."""
    assert [r.rel for r in results] == list(runs)
    wrong = []
    for result in results:
        run = runs[result.rel]
        if result.accepted:
            if run.code != 0 or ": ok (" not in run.stdout:
                wrong.append((result.rel, "accepted", run.code))
        elif run.code != 1:
            wrong.append((result.rel, "rejected", run.code))
        elif result.load_error is None:
            summary = re.search(r": (\d+) error\(s\) \(", run.stderr)
            if summary is None or int(summary.group(1)) != len(result.errors):
                wrong.append((result.rel, f"{len(result.errors)} errors", run.stderr[-300:]))
    assert wrong == []
    assert sum(not r.accepted for r in results) >= 1


def test_printed_problems_match(runs: dict[str, Run], results: list) -> None:
    """Every error and warning the page lists is printed by the CLI, at its JSON path."""
    missing = []
    for result in results:
        run = runs[result.rel]
        for problem in result.problems:
            line = f": {problem.json_path}: {problem.severity}: {problem.message}"
            if line not in run.stderr:
                missing.append((result.rel, line))
    assert missing == []


def test_invalid_json_files_name_line_and_column(runs: dict[str, Run]) -> None:
    invalid = {rel: run for rel, run in runs.items() if rel.startswith(f"{INVALID_DIR}/")}
    assert len(invalid) == 2
    for rel, run in invalid.items():
        assert run.code == 1, rel
        assert re.search(r"\.json:\d+:\d+: not valid JSON: ", run.stderr), (rel, run.stderr)
        assert run.stderr.count("\n") == 1, (rel, run.stderr)  # one line, no traceback
    others = [
        rel for rel, run in runs.items() if rel not in invalid and "not valid JSON" in run.stderr
    ]
    assert others == []


def test_every_rejection_is_reviewed(tool: ModuleType, results: list) -> None:
    """Each rejected file has a hand review; no review is left for a file that is now accepted."""
    rejected = {r.rel for r in results if not r.accepted}
    assert sorted(rejected - set(tool.REVIEWS)) == [], "review these rejections in REVIEWS"
    assert sorted(set(tool.REVIEWS) - rejected) == [], "these files are accepted now"
    verdicts = {verdict for verdict, _ in tool.REVIEWS.values()}
    assert verdicts <= {tool.CONFIRMED, tool.PARTLY_WRONG, tool.WRONG}


def test_page_is_up_to_date(tool: ModuleType, results: list) -> None:
    expected = tool.render(results)
    assert tool.DOC.is_file(), "run .venv/bin/python tools/corpus_validation.py"
    current = tool.DOC.read_text(encoding="utf-8")
    assert current == expected, "docs/corpus-validation.md is stale: run tools/corpus_validation.py"
    assert str(ROOT.parent) not in current  # no absolute paths


def test_page_is_deterministic(tool: ModuleType, results: list) -> None:
    assert tool.render(tool.collect(CORPUS)) == tool.render(results)
