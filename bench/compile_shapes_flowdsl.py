"""Compile one workflow shape with flowdsl; print one JSON line.

Run with the project venv from the repo root:
    .venv/bin/python bench/compile_shapes_flowdsl.py chain 1000
    .venv/bin/python bench/compile_shapes_flowdsl.py fork 10000

Shapes match bench/compile_shapes_conductor.py: chain N (task i's input x references
task i-1's output) and fork N (N/10 branches of 10 chained tasks, JOIN, one trailing task).

construct = defining @task/@workflow + compile_workflow (trace, validate, networkx graph,
WorkflowDef dict); serialize = compiled.to_json(); seconds = both. If the compiled object
has a ``timings`` mapping of phase -> seconds it is copied into "breakdown".
If flowdsl cannot be imported yet, prints "flowdsl: not available yet" and exits 0.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BRANCH_LEN = 10
SKIP_MESSAGE = "flowdsl: not available yet"


def load_api() -> tuple[Any, Any, Any, Any] | None:
    """Import (task, workflow, fork, compile_workflow), or None if the core is not there."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    try:
        from compiler import compile_workflow
        from flowdsl import fork, task, workflow
    except ImportError:
        return None
    return task, workflow, fork, compile_workflow


def define(shape: str, n: int, task: Any, workflow: Any, fork: Any) -> Callable[..., Any]:
    """Return the @workflow function for the shape; loops run over constants only."""

    @task(name="t")
    def t(x: int) -> dict[str, Any]:
        return {"x": x}

    def chain(length: int) -> None:
        h = t(x=0)
        for _ in range(length - 1):
            h = t(x=h.output["x"])

    @workflow
    def chain_wf() -> None:
        chain(n)

    @workflow
    def fork_wf() -> None:
        fork(*[lambda: chain(BRANCH_LEN) for _ in range(n // BRANCH_LEN)])
        t(x=0)

    return chain_wf if shape == "chain" else fork_wf


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("chain", "fork") or not argv[1].isdigit():
        print("usage: compile_shapes_flowdsl.py {chain|fork} N", file=sys.stderr)
        return 2
    shape, n = argv[0], int(argv[1])
    api = load_api()
    if api is None:
        print(SKIP_MESSAGE)
        return 0
    task, workflow, fork, compile_workflow = api
    t0 = time.perf_counter()
    compiled = compile_workflow(define(shape, n, task, workflow, fork))
    t1 = time.perf_counter()
    text = compiled.to_json()
    t2 = time.perf_counter()
    row: dict[str, Any] = {
        "peer": "flowdsl",
        "shape": shape,
        "n": n,
        "seconds": t2 - t0,
        "construct": t1 - t0,
        "serialize": t2 - t1,
        "bytes": len(text.encode()),
    }
    timings = getattr(compiled, "timings", None)
    if isinstance(timings, Mapping):
        row["breakdown"] = {str(k): float(v) for k, v in timings.items()}
    print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
