"""The simulator benchmark's flowdsl side: one measurement, one JSON line.

Run with the project venv from the repo root:
    .venv/bin/python bench/simulate_flowdsl.py workflows 1000 50 --api engine      # target (a)
    .venv/bin/python bench/simulate_flowdsl.py workflows 1000 50 --api simulator
    .venv/bin/python bench/simulate_flowdsl.py workflows 1000 50 --response-timeout 3600
    .venv/bin/python bench/simulate_flowdsl.py chain 10000                         # target (b)
    .venv/bin/python bench/simulate_flowdsl.py fork 1000
    .venv/bin/python bench/simulate_flowdsl.py retry 259200 --repeat 200           # target (c)
    .venv/bin/python bench/simulate_flowdsl.py timeout 86400 172800 --repeat 200
    .venv/bin/python bench/simulate_flowdsl.py chain 10000 --profile 20            # cProfile instead

workflows W T: W workflows of T sequential SIMPLE tasks, the draws of
bench/simulate_workload.py as Conductor-format mocks (one list per taskReferenceName:
{status, executionTime, queueWaitTime} per attempt). TaskDef: retryCount 3,
EXPONENTIAL_BACKOFF, retryDelaySeconds 5, responseTimeoutSeconds 0 (none; --response-timeout S
sets one: it never fires here but arms one timer per attempt); every WorkflowTask optional.
  --api engine: ONE testing.engine.Engine, the W workflows started at the same instant
    (start_workflow each), then engine.run(): one clock, as SimPy's one Environment. Mocks are
    keyed by taskReferenceName and their cursors are per reference, not per workflow, so
    workflow i's tasks are named w<i>_t<j> (one WorkflowDef per workflow).
  --api simulator: what a test does, one Simulator per workflow: Simulator(task_defs=...),
    sim.mocks = Mocks.from_conductor(...) and sim.run(def) (which builds the Run / execution
    JSON); the W runs one after another, each on its own clock starting at 2024-01-01.
  seconds = starting + running (engine) or all W Simulator runs (simulator, mock parsing
  included); mocks = Mocks.from_conductor time (engine; outside seconds).

chain N / fork N: one workflow, through Simulator.run (--api engine: Engine only, no Run).
chain = N sequential SIMPLE tasks; fork = FORK_JOIN_DYNAMIC with forkTaskName and a literal
forkTaskInputs list of N items, then its JOIN. Every worker completes after 1 s
(sim.mock("work").completes(after=1s)), TaskDef responseTimeoutSeconds 0.

retry D: one SIMPLE task, retryCount 10, FIXED, retryDelaySeconds D; it fails 10 times at
once, then completes: 10 x D s of retry delay (D = 259200: 30 days). timeout T D: the worker
polls and never answers 10 times (responseTimeoutSeconds T, TIMED_OUT, retried after D s),
then completes: 10 x (T + D) s. --repeat K fresh Simulator runs in this process; seconds is
their median.

compiler.compile is imported before any clock starts: Simulator.run imports it (and networkx) on
its first call, even for a WorkflowDef dict, about 0.1 s once per process (bench_simulate.py
reports that cost on its own).

Every row also reports what the engine did (events scheduled, attempts run, simulated time),
from the timed run (engine) or from one extra Engine run after the clock (simulator).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import compiler.compile  # noqa: F401  Simulator.run imports it on its first call; not timed
from testing.engine import Engine
from testing.mocks import Mocks
from testing.simulator import DEFAULT_START, Simulator

sys.path.insert(0, str(Path(__file__).resolve().parent))
from simulate_workload import BASE_DELAY_S, RETRIES, draws, ends_digest

START_MS = int(DEFAULT_START.timestamp() * 1000)
TASK = "work"
Row = dict[str, Any]


def task_def(**extra: Any) -> dict[str, Any]:
    td = {"name": TASK, "responseTimeoutSeconds": 0, "timeoutSeconds": 0}
    td.update(extra)
    return td


def simple(ref: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": TASK,
        "taskReferenceName": ref,
        "type": "SIMPLE",
        "inputParameters": {},
        **extra,
    }


def definition(name: str, tasks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": name, "version": 1, "schemaVersion": 2, "tasks": tasks, "timeoutSeconds": 0}


# -- target (a): W workflows x T tasks with random failures --------------------------------------
def mock_entries(attempts: list[tuple[int, int, bool]]) -> list[dict[str, Any]]:
    return [
        {"status": "FAILED" if failed else "COMPLETED", "executionTime": ex, "queueWaitTime": wait}
        for wait, ex, failed in attempts
    ]


def retry_def(response_timeout: int) -> dict[str, Any]:
    return task_def(
        retryCount=RETRIES,
        retryLogic="EXPONENTIAL_BACKOFF",
        retryDelaySeconds=BASE_DELAY_S,
        responseTimeoutSeconds=response_timeout,
    )


def workflows_engine(n_wf: int, n_tasks: int, response_timeout: int) -> Row:
    d = draws(n_wf, n_tasks)
    defs = [
        definition(f"wf_{i}", [simple(f"w{i}_t{j}", optional=True) for j in range(n_tasks)])
        for i in range(n_wf)
    ]
    conductor = {f"w{i}_t{j}": mock_entries(a) for i, wf in enumerate(d) for j, a in enumerate(wf)}
    t0 = time.perf_counter()
    mocks = Mocks.from_conductor(conductor)
    t1 = time.perf_counter()
    engine = Engine(start_ms=START_MS, task_defs={TASK: retry_def(response_timeout)}, mocks=mocks)
    for defn in defs:
        engine.start_workflow(defn, {})
    engine.run()
    t2 = time.perf_counter()
    ends = [wf.end_time - wf.create_time for wf in engine.order]
    return {
        "seconds": t2 - t1,
        "mocks": t1 - t0,
        "attempts": engine.attempts_run,
        "events": engine.events_run,
        "end_sum_ms": sum(ends),
        "ends_digest": ends_digest(ends),
        "sim_end_ms": engine.now - START_MS,
        "statuses": sorted({wf.status for wf in engine.order}),
        "skipped": sum(
            1 for wf in engine.order for t in wf.tasks if t.status == "COMPLETED_WITH_ERRORS"
        ),
    }


def workflows_simulator(n_wf: int, n_tasks: int, response_timeout: int) -> Row:
    d = draws(n_wf, n_tasks)
    defn = definition("wf", [simple(f"t{j}", optional=True) for j in range(n_tasks)])
    per_wf = [{f"t{j}": mock_entries(a) for j, a in enumerate(wf)} for wf in d]
    td = retry_def(response_timeout)
    runs = []
    t0 = time.perf_counter()
    for conductor in per_wf:
        sim = Simulator(task_defs=[td])
        sim.mocks = Mocks.from_conductor(conductor)
        runs.append(sim.run(defn))
    t1 = time.perf_counter()
    ends = [r.execution["endTime"] - r.execution["createTime"] for r in runs]
    return {
        "seconds": t1 - t0,
        "attempts": sum(1 for r in runs for t in r.execution["tasks"] if t["pollCount"]),
        "end_sum_ms": sum(ends),
        "ends_digest": ends_digest(ends),
        "statuses": sorted({r.status for r in runs}),
        "skipped": sum(
            1 for r in runs for t in r.execution["tasks"] if t["status"] == "COMPLETED_WITH_ERRORS"
        ),
    }


# -- target (b): one big workflow ----------------------------------------------------------------
def big_definition(shape: str, n: int) -> dict[str, Any]:
    if shape == "chain":
        return definition(f"chain_{n}", [simple(f"t{j}") for j in range(n)])
    fork = {
        "name": "fan",
        "taskReferenceName": "fan",
        "type": "FORK_JOIN_DYNAMIC",
        "inputParameters": {"forkTaskName": TASK, "forkTaskInputs": [{"i": k} for k in range(n)]},
    }
    join = {"name": "fan_join", "taskReferenceName": "fan_join", "type": "JOIN"}
    return definition(f"fork_{n}", [fork, join])


def one_second_mocks() -> Mocks:
    mocks = Mocks()
    mocks.mock(TASK).completes(after=timedelta(seconds=1))
    return mocks


# -- target (c): long retry delays / timeouts ----------------------------------------------------
def long_case(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any], Mocks]:
    mocks = Mocks()
    builder = mocks.mock(TASK)
    if args.mode == "retry":
        td = task_def(retryCount=10, retryLogic="FIXED", retryDelaySeconds=args.a)
        builder.fails(times=10).then_completes()
    else:
        td = task_def(
            retryCount=10,
            retryLogic="FIXED",
            retryDelaySeconds=args.b,
            responseTimeoutSeconds=args.a,
            timeoutPolicy="RETRY",
        )
        for _ in range(10):
            builder.times_out()
        builder.completes()
    return td, definition(f"{args.mode}_{args.a}", [simple("t0")]), mocks


# -- running one workflow ------------------------------------------------------------------------
def engine_once(
    defn: dict[str, Any], td: dict[str, Any], mocks: Mocks
) -> tuple[float, Engine, Any]:
    t0 = time.perf_counter()
    engine = Engine(start_ms=START_MS, task_defs={TASK: td}, mocks=mocks)
    wf = engine.start_workflow(defn, {})
    engine.run()
    return time.perf_counter() - t0, engine, wf


def simulator_once(defn: dict[str, Any], td: dict[str, Any], mocks: Mocks) -> tuple[float, Any]:
    t0 = time.perf_counter()
    sim = Simulator(task_defs=[td])
    sim.mocks = mocks
    run = sim.run(defn)
    return time.perf_counter() - t0, run


def one_workflow(args: argparse.Namespace) -> Row:
    if args.mode in ("chain", "fork"):
        defn, td = big_definition(args.mode, args.a), task_def()

        def fresh_mocks() -> Mocks:
            return one_second_mocks()
    else:
        td, defn, _ = long_case(args)

        def fresh_mocks() -> Mocks:
            return long_case(args)[2]

    times = []
    for _ in range(args.repeat):
        mocks = fresh_mocks()
        if args.api == "engine":
            seconds, engine, wf = engine_once(defn, td, mocks)
        else:
            seconds, run = simulator_once(defn, td, mocks)
        times.append(seconds)
    # What the engine did: from the last timed run (engine) or one more, untimed, Engine run.
    if args.api != "engine":
        _, engine, wf = engine_once(defn, td, fresh_mocks())
        assert run.status == wf.status and len(run.tasks) == len(wf.tasks)
    return {
        "seconds": statistics.median(times),
        "repeat": args.repeat,
        "status": wf.status,
        "tasks": len(wf.tasks),
        "attempts": engine.attempts_run,
        "events": engine.events_run,
        "sim_ms": wf.end_time - wf.create_time,
    }


def profile(args: argparse.Namespace, top: int) -> str:
    """cProfile of one run of the measurement: the top functions by own time and cumulative.

    chain / fork: one Simulator.run (or Engine run) only, without the extra counting run."""
    prof = cProfile.Profile()
    if args.mode in ("chain", "fork"):
        defn, td, mocks = big_definition(args.mode, args.a), task_def(), one_second_mocks()
        once = engine_once if args.api == "engine" else simulator_once
        prof.enable()
        once(defn, td, mocks)
    else:
        prof.enable()
        measure(args)
    prof.disable()
    out = []
    for key in ("tottime", "cumulative"):
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf)
        stats.strip_dirs().sort_stats(key).print_stats(top)
        out.append(buf.getvalue())
    return "\n".join(out)


def measure(args: argparse.Namespace) -> Row:
    if args.mode == "workflows":
        timeout = args.response_timeout
        if args.api == "engine":
            return workflows_engine(args.a, args.b, timeout)
        return workflows_simulator(args.a, args.b, timeout)
    return one_workflow(args)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("workflows", "chain", "fork", "retry", "timeout"))
    parser.add_argument("a", type=int, help="workflows / N / retry delay s / response timeout s")
    parser.add_argument("b", type=int, nargs="?", default=0, help="tasks / retry delay s")
    parser.add_argument("--api", choices=("engine", "simulator"), default=None)
    parser.add_argument("--response-timeout", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--profile", type=int, default=0, metavar="TOP")
    args = parser.parse_args()
    if args.api is None:
        args.api = "engine" if args.mode == "workflows" else "simulator"
    if args.profile:
        print(profile(args, args.profile))
        return 0
    row = {"engine": "flowdsl", "mode": args.mode, "api": args.api, **measure(args)}
    print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
