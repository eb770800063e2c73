"""Compiling is deterministic: same bytes twice, across processes, and for random shapes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import compile_workflow, dumps, validate_workflow_def
from compiler.targets import load_workflows
from flowdsl import fork, task, workflow

REPO = Path(__file__).resolve().parents[2]

EXAMPLE = """
from datetime import timedelta
from typing import TypedDict

import flowdsl as f


class Info(TypedDict):
    url: str
    items: list


@f.task(retry_count=2, timeout_seconds=timedelta(minutes=5), response_timeout_seconds=60)
def fetch(path: str, size: int = 3) -> Info:
    return {"url": path, "items": []}


@f.task(retry_logic="EXPONENTIAL_BACKOFF")
def store(data: object = None, tags: object = None) -> None: ...


@f.workflow(version=2)
def child(url: str):
    store(url, tags={"z": 1, "a": 2, "m": [3, 2, 1]})
    return {"stored": url}


@f.workflow(timeout_seconds=600, variables={"b": 1, "a": 2})
def main(path: str, mode: str = "fast"):
    info = fetch(path)
    left, right = f.fork(lambda: store(info.output.url), lambda: f.http("https://x/" + info.output.url))
    f.switch(mode, {"fast": lambda: f.noop(), 2: lambda: f.wait("10m")}, default=lambda: f.terminate("FAILED"))
    f.do_while(lambda loop: store(loop.item, tags=[loop.index]), items=info.output["items"], keep_last_n=1)
    f.dynamic_fork(store, info.output["items"])
    f.sub_workflow(child, url=info.output.url)
    f.set_variable(seen=f.workflow_property("workflowId"))
    return {"url": info.output.url, "right": right.output, "secret": f.secret("k")}
"""

PRINT = """
import sys
from compiler import dumps
from compiler.compile import compile_workflow
from compiler.targets import load_workflows
for fn in load_workflows(sys.argv[1]):
    compiled = compile_workflow(fn)
    for item in compiled.all_workflows():
        sys.stdout.write(item.to_json())
    sys.stdout.write(dumps(compiled.all_task_defs()))
"""


def output_of(module: Path) -> str:
    """What PRINT writes for ``module`` in this process."""
    parts = []
    for fn in load_workflows(str(module)):
        compiled = compile_workflow(fn)
        parts.extend(item.to_json() for item in compiled.all_workflows())
        parts.append(dumps(compiled.all_task_defs()))
    return "".join(parts)


def run_in_subprocess(module: Path, seed: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [sys.executable, "-c", PRINT, str(module)],
        cwd=REPO,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def test_same_workflow_twice_gives_identical_bytes(tmp_path: Path) -> None:
    """Compiling the same workflow twice in one process gives identical JSON and TaskDefs."""
    module = tmp_path / "det_same.py"
    module.write_text(EXAMPLE)
    (fn,) = [w for w in load_workflows(str(module)) if w.name == "main"]
    first, second = compile_workflow(fn), compile_workflow(fn)
    assert first.to_json() == second.to_json()
    assert dumps(first.all_task_defs()) == dumps(second.all_task_defs())
    assert first is not second


def test_two_processes_give_identical_bytes(tmp_path: Path) -> None:
    """Two separate Python processes (different hash seeds) write identical JSON and TaskDefs."""
    module = tmp_path / "det_procs.py"
    module.write_text(EXAMPLE)
    first = run_in_subprocess(module, "1")
    second = run_in_subprocess(module, "987654")
    assert first == second
    assert b'"name": "main"' in first
    assert b'"name": "child"' in first
    assert first.decode() == output_of(module)


# -- property: random linear / forked shapes ----------------------------------------------------


@task
def step(prev: Any = None) -> dict[str, Any]:
    return {}


Shape = Any  # "task" or ("fork", [branch shapes...]); a branch is a list of shapes

shapes: st.SearchStrategy[list[Shape]] = st.recursive(
    st.lists(st.just("task"), min_size=1, max_size=3),
    lambda inner: st.lists(
        st.one_of(
            st.just("task"), st.lists(inner, min_size=1, max_size=3).map(lambda bs: ("fork", bs))
        ),
        min_size=1,
        max_size=4,
    ),
    max_leaves=12,
)


def build(shape: list[Shape]) -> Any:
    """A workflow running ``shape``: each task reads the previous handle in its list."""

    def run(steps: list[Shape], prev: Any) -> Any:
        for item in steps:
            if item == "task":
                prev = step(prev.output if prev is not None else None)
            else:
                _, branches = item
                fork(*[lambda b=b, p=prev: run(b, p) for b in branches])
        return prev

    def body() -> None:
        run(shape, None)

    return workflow(name="shape")(body)


def count_tasks(shape: list[Shape]) -> int:
    total = 0
    for item in shape:
        if item == "task":
            total += 1
        else:
            total += 2 + sum(count_tasks(b) for b in item[1])
    return total


@settings(max_examples=60, deadline=None)
@given(shapes)
def test_random_shapes_compile_validate_and_repeat(shape: list[Shape]) -> None:
    """Random linear/forked shapes compile, validate clean, and give the same JSON twice."""
    fn = build(shape)
    first = compile_workflow(fn)
    second = compile_workflow(fn)
    assert first.to_json() == second.to_json()
    assert validate_workflow_def(first.workflow_def) == []
    assert first.graph.number_of_nodes() == count_tasks(shape) + 2
