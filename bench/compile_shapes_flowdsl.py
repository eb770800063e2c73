"""Compile one workflow shape with flowdsl; print one JSON line.

Run with the project venv from the repo root:
    .venv/bin/python bench/compile_shapes_flowdsl.py chain 1000
    .venv/bin/python bench/compile_shapes_flowdsl.py fork 10000
    .venv/bin/python bench/compile_shapes_flowdsl.py chain 3 --print   # show the JSON instead

Shapes match bench/compile_shapes_conductor.py:
- chain N: N calls of one @task; call i gets one input x = call i-1's output x
  (the first gets x=0).
- fork N: fork() of N/10 branches of 10 such chained calls (FORK_JOIN + JOIN),
  then one trailing call.

References are flowdsl's automatic ones (t, t_2, t_3 ...; conductor-python's side
names them t_0, t_1 ...). The JSON text differs in layout only: compiled.to_json()
writes 2-space indented JSON, conductor-python's side json.dumps compact.

construct = defining @task/@workflow + compile_workflow (trace, emit the WorkflowDef
dict, validate, networkx graph); serialize = compiled.to_json(); gc_after = the
generation-0 collection that compile_workflow's paused garbage collector leaves
pending (it runs at the next allocation; conductor-python pays its collections
inside its timings); seconds = all three.
Imports (flowdsl, compiler, networkx) happen before the clock starts, as on the
conductor side. "tasks" counts WorkflowTasks in the output (after timing), to check
both peers built the same shape.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from typing import Any

from compiler import compile_workflow
from flowdsl import WorkflowFunction, fork, task, workflow

BRANCH_LEN = 10
SHAPES = ("chain", "fork")


def define(shape: str, n: int) -> WorkflowFunction[[], None]:
    """Return the @workflow function for the shape; loops run over constants only."""

    @task(name="t")
    def t(x: int) -> dict[str, Any]:
        return {"x": x}

    def chain(length: int) -> None:
        h = t(x=0)
        for _ in range(length - 1):
            h = t(x=h.output["x"])

    @workflow(name=f"chain_{n}")
    def chain_wf() -> None:
        chain(n)

    @workflow(name=f"fork_{n}")
    def fork_wf() -> None:
        fork(*[lambda: chain(BRANCH_LEN) for _ in range(n // BRANCH_LEN)])
        t(x=0)

    return chain_wf if shape == "chain" else fork_wf


def count_tasks(value: Any) -> int:
    """WorkflowTasks (dicts with a taskReferenceName) anywhere in a JSON value."""
    count = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            count += "taskReferenceName" in item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def main(argv: list[str]) -> int:
    show = "--print" in argv
    args = [a for a in argv if a != "--print"]
    if len(args) != 2 or args[0] not in SHAPES or not args[1].isdigit():
        print("usage: compile_shapes_flowdsl.py {chain|fork} N [--print]", file=sys.stderr)
        return 2
    shape, n = args[0], int(args[1])
    t0 = time.perf_counter()
    compiled = compile_workflow(define(shape, n))
    t1 = time.perf_counter()
    text = compiled.to_json()
    t2 = time.perf_counter()
    gc.collect(0)  # the collection the next allocation would trigger anyway
    t3 = time.perf_counter()
    if show:
        print(text, end="")
        return 0
    row: dict[str, Any] = {
        "peer": "flowdsl",
        "shape": shape,
        "n": n,
        "seconds": t3 - t0,
        "construct": t1 - t0,
        "serialize": t2 - t1,
        "gc_after": t3 - t2,
        "bytes": len(text.encode()),
        "tasks": count_tasks(compiled.workflow_def),
    }
    print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
