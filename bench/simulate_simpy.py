"""The simulator benchmark's SimPy model (peer-performance.md section 3(b), "plain"); one JSON line.

Run with the peers venv from the repo root (bash bench/peers_venv.sh makes it):
    bench/.venv-peers/bin/python bench/simulate_simpy.py 1000 50     # workflows, tasks each

One simpy.Environment, one process per workflow, all started at t = 0 (times in ms). Per
task attempt: after a failure, ``yield env.timeout(backoff)``; then ``yield env.timeout(queue
wait)`` (the poll) and ``yield env.timeout(execution)``; 2 or 3 events per attempt, as in the
peer model. The draws are bench/simulate_workload.py's, generated before the clock starts;
a task whose last attempt failed is skipped (the next task runs).

seconds = Environment + processes + env.run(); events = events SimPy scheduled.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from simulate_workload import Attempt, backoff_ms, draws, ends_digest


def workflow(
    env: simpy.Environment,
    tasks: list[list[Attempt]],
    ends: list[int],
    index: int,
    count: list[int],
) -> Generator[Any, Any, None]:
    timeout = env.timeout
    for attempts in tasks:
        for retry, (wait, execution, _failed) in enumerate(attempts):
            if retry:
                yield timeout(backoff_ms(retry - 1))
            yield timeout(wait)  # pollable -> polled
            yield timeout(execution)  # polled -> updated (COMPLETED or FAILED)
            count[0] += 1
    ends[index] = env.now  # the last task's last attempt is COMPLETED, or FAILED and skipped


def main() -> int:
    workflows, tasks = int(sys.argv[1]), int(sys.argv[2])
    d = draws(workflows, tasks)
    ends = [0] * workflows
    count = [0]
    t0 = time.perf_counter()
    env = simpy.Environment()
    for i, wf in enumerate(d):
        env.process(workflow(env, wf, ends, i, count))
    env.run()
    seconds = time.perf_counter() - t0
    row = {
        "engine": "simpy",
        "seconds": seconds,
        "attempts": count[0],
        "events": next(env._eid),  # the counter of scheduled events
        "sim_end_ms": int(env.now),
        "end_sum_ms": sum(ends),
        "ends_digest": ends_digest(ends),
    }
    print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
