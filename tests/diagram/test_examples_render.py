"""Every example draws to its golden DOT file, renders to SVG and PNG, and draws the same bytes in
every process.

Golden DOT files live beside the golden JSON: ``tests/golden/<example>/<workflow>.dot``, one per
workflow and sub-workflow, drawn with the defaults (legend on, sub-workflows not expanded). After
an intended change, rewrite them and review the diff (look at the SVG too):

    FLOWDSL_REGENERATE=1 .venv/bin/pytest tests/diagram
    git diff tests/golden
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import hashlib
import os
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from compiler import compile_workflow
from compiler.diagram import render, to_dot, to_mermaid
from compiler.targets import load_workflows
from tests.dot_support import parse_dot

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
EXAMPLES = sorted(
    p.stem for p in (ROOT / "examples").glob("*.py") if p.stem not in ("__init__", "__main__")
)
REGENERATE = os.environ.get("FLOWDSL_REGENERATE") == "1"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@functools.cache
def workflows(example: str) -> tuple[dict[str, Any], ...]:
    """Every WorkflowDef the example compiles to (sub-workflows included), each name once."""
    with contextlib.chdir(ROOT):
        functions = load_workflows(f"examples/{example}.py")
    found: dict[str, dict[str, Any]] = {}
    for fn in functions:
        for item in compile_workflow(fn).all_workflows():
            found.setdefault(item.name, item.workflow_def)
    return tuple(found.values())


def all_refs(tasks: list[dict[str, Any]]) -> list[str]:
    refs = []
    for task in tasks:
        refs.append(task["taskReferenceName"])
        for branch in [*task.get("forkTasks", []), *task.get("decisionCases", {}).values()]:
            refs += all_refs(branch)
        refs += all_refs(task.get("defaultCase", [])) + all_refs(task.get("loopOver", []))
    return refs


@pytest.mark.parametrize("example", EXAMPLES)
def test_draws_the_golden_dot(example: str) -> None:
    """The DOT text of each workflow is byte for byte tests/golden/<example>/<workflow>.dot."""
    directory = GOLDEN / example
    drawn = {f"{wf['name']}.dot": to_dot(wf) for wf in workflows(example)}
    if REGENERATE:
        for stale in directory.glob("*.dot"):
            if stale.name not in drawn:
                stale.unlink()
        for name, text in drawn.items():
            (directory / name).write_bytes(text.encode("utf-8"))
        return
    committed = sorted(p.name for p in directory.glob("*.dot"))
    assert committed == sorted(drawn), (
        f"tests/golden/{example}/ holds {committed}, the example draws {sorted(drawn)}; if the "
        "change is intended, run FLOWDSL_REGENERATE=1 .venv/bin/pytest tests/diagram"
    )
    diffs = [
        "".join(
            difflib.unified_diff(
                (directory / name).read_text(encoding="utf-8").splitlines(keepends=True),
                text.splitlines(keepends=True),
                f"tests/golden/{example}/{name} (committed)",
                f"{name} (drawn now)",
            )
        )
        for name, text in drawn.items()
        if (directory / name).read_bytes() != text.encode("utf-8")
    ]
    if diffs:
        pytest.fail(
            "the DOT text differs from the golden files; if the change is intended, run "
            "FLOWDSL_REGENERATE=1 .venv/bin/pytest tests/diagram and review the diff\n\n"
            + "\n".join(diffs),
            pytrace=False,
        )


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_task_is_drawn(example: str) -> None:
    for wf in workflows(example):
        graph = parse_dot(to_dot(wf))
        refs = all_refs(wf["tasks"])
        assert set(refs) <= set(graph.nodes), wf["name"]
        assert {n for n, c in graph.node_cluster.items() if c != "cluster_legend"} >= {
            "__start__",
            "__end__",
        }
        nodes = [line for line in to_mermaid(wf).splitlines() if line.startswith("    t_")]
        assert len({line.split("(")[0].split("[")[0].split("{")[0] for line in nodes}) >= len(refs)


@pytest.mark.parametrize("example", EXAMPLES)
def test_renders_svg_and_png(example: str) -> None:
    for wf in workflows(example):
        dot = to_dot(wf)
        svg = ET.fromstring(render(dot, "svg"))
        assert svg.tag == "{http://www.w3.org/2000/svg}svg"
        titles = {e.text for e in svg.iter("{http://www.w3.org/2000/svg}title")}
        assert set(all_refs(wf["tasks"])) <= titles, wf["name"]
        png = render(dot, "png")
        assert png.startswith(PNG_SIGNATURE)
        assert png[12:16] == b"IHDR"
        width, height = struct.unpack(">II", png[16:24])
        assert width > 200 and height > 200, (width, height)
        assert len(png) > 5_000


_SCRIPT = """
import hashlib, json, sys
from pathlib import Path
from compiler.diagram import to_dot, to_mermaid
digest = hashlib.sha256()
for path in sorted(Path("tests/golden").glob("*/*.json")):
    if path.name == "taskdefs.json":
        continue
    wf = json.loads(path.read_text())
    digest.update(to_dot(wf, expand_subworkflows=True).encode())
    digest.update(to_mermaid(wf).encode())
print(digest.hexdigest())
"""


def test_same_bytes_in_every_process() -> None:
    """Two processes with different hash seeds draw the same DOT and Mermaid bytes."""
    digests = set()
    for seed in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-c", _SCRIPT],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        digests.add(done.stdout.strip())
    assert len(digests) == 1
    here = hashlib.sha256()
    for path in sorted(GOLDEN.glob("*/*.json")):
        if path.name != "taskdefs.json":
            import json

            wf = json.loads(path.read_text())
            here.update(to_dot(wf, expand_subworkflows=True).encode())
            here.update(to_mermaid(wf).encode())
    assert digests == {here.hexdigest()}
