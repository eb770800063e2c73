"""Build and serialise one workflow shape with conductor-python; print one JSON line.

Run with the peers venv (see bench/peers_venv.sh):
    bench/.venv-peers/bin/python bench/compile_shapes_conductor.py chain 1000
    bench/.venv-peers/bin/python bench/compile_shapes_conductor.py fork 10000
    bench/.venv-peers/bin/python bench/compile_shapes_conductor.py chain 3 --print

Shapes (same as bench/compile_shapes_flowdsl.py):
- chain N: N SIMPLE tasks, task i's input x references task i-1's output.
- fork N: N/10 branches of 10 chained tasks (``wf >> [[...], ...]``: FORK_JOIN),
  then one trailing task, because conductor-python only emits the JOIN when
  another task follows the fork.

construct = building the DSL objects; serialize = json.dumps(wf.to_workflow_def().toJSON()),
both timed with time.perf_counter after all imports, as in shared peer-performance.md.
"tasks" counts WorkflowTasks in the output (after timing), to check both peers built
the same shape.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from conductor.client.workflow.conductor_workflow import ConductorWorkflow
from conductor.client.workflow.task.simple_task import SimpleTask

BRANCH_LEN = 10


def make_task(ref: str, prev: SimpleTask | None) -> SimpleTask:
    task = SimpleTask(task_def_name="t", task_reference_name=ref)
    task.input_parameters["x"] = prev.output("x") if prev is not None else 0
    return task


def build_chain(n: int) -> ConductorWorkflow:
    wf = ConductorWorkflow(executor=None, name=f"chain_{n}", version=1)
    prev: SimpleTask | None = None
    for i in range(n):
        prev = make_task(f"t_{i}", prev)
        wf >> prev
    return wf


def build_fork(n: int) -> ConductorWorkflow:
    wf = ConductorWorkflow(executor=None, name=f"fork_{n}", version=1)
    branches: list[list[SimpleTask]] = []
    for b in range(n // BRANCH_LEN):
        branch: list[SimpleTask] = []
        for j in range(BRANCH_LEN):
            branch.append(make_task(f"t_{b}_{j}", branch[-1] if branch else None))
        branches.append(branch)
    wf >> branches
    wf >> make_task("after", None)
    return wf


BUILDERS = {"chain": build_chain, "fork": build_fork}


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
    argv = [a for a in argv if a != "--print"]
    if len(argv) != 2 or argv[0] not in BUILDERS or not argv[1].isdigit():
        usage = f"usage: compile_shapes_conductor.py {{{'|'.join(BUILDERS)}}} N [--print]"
        print(usage, file=sys.stderr)
        return 2
    shape, n = argv[0], int(argv[1])
    t0 = time.perf_counter()
    wf = BUILDERS[shape](n)
    t1 = time.perf_counter()
    text = json.dumps(wf.to_workflow_def().toJSON())
    t2 = time.perf_counter()
    if show:
        print(json.dumps(json.loads(text), indent=2))
        return 0
    row = {
        "peer": "conductor-python",
        "shape": shape,
        "n": n,
        "seconds": t2 - t0,
        "construct": t1 - t0,
        "serialize": t2 - t1,
        "bytes": len(text.encode()),
        "tasks": count_tasks(json.loads(text)),
    }
    print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
