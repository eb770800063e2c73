"""What-if estimates for simulator speed-ups: monkeypatch candidate fixes, measure, compare.

Evidence for the fix list in docs/benchmarks.md ("Simulator benchmarks"); it edits nothing on
disk. The patches are written against the simulator as of the commit named in the report and
reach into its internals, so they may stop applying when testing/ is refactored (the script
then fails loudly: every run checks its attempts and end times against the reference).

From the repo root:
    .venv/bin/python bench/simulate_whatif.py --table --runs 5 --at HEAD \\
        --markdown bench/results/simulate_whatif.md           # --at: as in bench_simulate.py
    .venv/bin/python bench/simulate_whatif.py ids,gc 0        # one run: patches, responseTimeoutSeconds

Workload: bench/simulate_flowdsl.py's "workflows 1000 50" on one Engine (target (a)); seconds
= start_workflow x 1,000 + run, mocks parsed before the clock. Patches:
  ids      Engine.new_id: a counter formatted as a UUID instead of uuid5 (SHA-1) per id
  gc       the cyclic GC disabled while the engine runs
  resolve  resolve() of an empty inputParameters dict returns {} without walking or building
           the workflow document
  taskdef  the merged TaskDef cached per (engine, task name), and next_deadline() answers None
           at once for a TaskDef without any timeout
  steps    MockBuilder.steps returns its list instead of a fresh tuple per call (it is called
           5 times per attempt, and copies every step of the key)
  arm      no timer armed when the mocked update is already scheduled before the deadline (a
           responseTimeoutSeconds that cannot fire; Conductor's default TaskDef has 3600 s)
"retries" rows: one task failing N times, then completing, with and without "steps".
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

PATCHES = ("ids", "gc", "resolve", "taskdef", "steps", "arm")
ALL = "ids,gc,resolve,taskdef,steps"
CONFIGS = [  # (patches, responseTimeoutSeconds)
    ("", 0),
    ("ids", 0),
    ("gc", 0),
    ("resolve", 0),
    ("taskdef", 0),
    ("steps", 0),
    (ALL, 0),
    ("", 3600),
    ("arm", 3600),
    (ALL + ",arm", 3600),
]
RETRIES = [("", 1000), ("", 10000), ("steps", 1000), ("steps", 10000)]
ENV: dict[str, str] | None = None  # the measured processes' environment (--at REV)


def bench_simulate_state() -> str:
    import bench_simulate

    return bench_simulate.source_state()


def apply(patches: set[str]) -> None:
    import testing.decider as decider
    import testing.engine as engine
    import testing.mocks as mocks
    import testing.params as params
    import testing.tasks as tasks

    if "ids" in patches:

        def new_id(self: Any, kind: str) -> str:
            self._ids += 1
            return f"{len(kind):08x}-0000-5000-8000-{self._ids:012x}"

        engine.Engine.new_id = new_id  # type: ignore[method-assign]
    if "resolve" in patches:
        original = params.resolve

        def resolve(template: Any, doc: Any, **kw: Any) -> Any:
            if type(template) is dict and not template:
                return {}
            return original(template, doc, **kw)

        tasks.resolve = resolve  # type: ignore[attr-defined]
        engine.resolve = resolve  # type: ignore[attr-defined]
    if "taskdef" in patches:
        merge = tasks.task_def_for
        deadline = decider.next_deadline
        merged: dict[tuple[int, Any, Any], dict[str, Any]] = {}
        quiet: dict[int, bool] = {}
        keys = ("totalTimeoutSeconds", "timeoutSeconds", "pollTimeoutSeconds")

        def task_def_for(eng: Any, wt: dict[str, Any]) -> dict[str, Any]:
            if wt.get("taskDefinition") is not None:
                return merge(eng, wt)
            key = (id(eng), wt.get("name"), wt.get("type") or "SIMPLE")
            found = merged.get(key)
            if found is None:
                found = merged[key] = merge(eng, wt)
            return found

        def next_deadline(task: Any) -> int | None:
            td = task.task_def
            flag = quiet.get(id(td))
            if flag is None:
                flag = quiet[id(td)] = not any(
                    int(td.get(k) or 0) for k in (*keys, "responseTimeoutSeconds")
                )
            return None if flag else deadline(task)

        tasks.task_def_for = task_def_for
        engine.next_deadline = next_deadline  # type: ignore[attr-defined]
    if "steps" in patches:
        mocks.MockBuilder.steps = property(lambda self: self._steps)  # type: ignore[method-assign,assignment]
    if "arm" in patches:
        arm = engine.Engine.arm

        def lazy_arm(self: Any, wf: Any, task: Any) -> None:
            step = task.worker_state
            if task.status == "IN_PROGRESS" and type(step) is mocks.WorkerStep and step.responds:
                due = engine.next_deadline(task)  # type: ignore[attr-defined]
                if due is None or due > self.now + step.execution_ms:
                    return  # the update comes first; a later state arms again
            arm(self, wf, task)

        engine.Engine.arm = lazy_arm  # type: ignore[method-assign]


def workflows(response_timeout: int, patches: set[str]) -> dict[str, Any]:
    from simulate_flowdsl import START_MS, definition, mock_entries, retry_def, simple
    from simulate_workload import draws, summary

    from testing.engine import Engine
    from testing.mocks import Mocks

    d = draws(1000, 50)
    defs = [
        definition(f"wf_{i}", [simple(f"w{i}_t{j}", optional=True) for j in range(50)])
        for i in range(1000)
    ]
    conductor = {f"w{i}_t{j}": mock_entries(a) for i, wf in enumerate(d) for j, a in enumerate(wf)}
    mocks = Mocks.from_conductor(conductor)
    if "gc" in patches:
        gc.disable()
    t0 = time.perf_counter()
    eng = Engine(start_ms=START_MS, task_defs={"work": retry_def(response_timeout)}, mocks=mocks)
    for defn in defs:
        eng.start_workflow(defn, {})
    eng.run()
    seconds = time.perf_counter() - t0
    gc.enable()
    ref = summary(d)
    ends = [wf.end_time - wf.create_time for wf in eng.order]
    if eng.attempts_run != ref["attempts"] or sum(ends) != ref["end_sum_ms"]:
        raise SystemExit(f"the patched simulator ran differently: {eng.attempts_run} attempts")
    return {"seconds": seconds, "events": eng.events_run}


def retries(n: int) -> dict[str, Any]:
    from testing.simulator import Simulator

    td = {"name": "work", "retryCount": n, "retryDelaySeconds": 1, "responseTimeoutSeconds": 0}
    defn = {"name": "w", "version": 1, "tasks": [{"name": "work", "taskReferenceName": "t0"}]}
    sim = Simulator(task_defs=[td])
    sim.mock("work").fails(times=n).then_completes()
    t0 = time.perf_counter()
    run = sim.run(defn)
    seconds = time.perf_counter() - t0
    if len(run.tasks) != n + 1 or run.status != "COMPLETED":
        raise SystemExit(f"retries {n}: {run.status} after {len(run.tasks)} attempts")
    return {"seconds": seconds}


def one(args: list[str]) -> dict[str, Any]:
    import compiler.compile  # noqa: F401  (Simulator.run imports it on first use; not timed)

    patches = {p for p in args[0].split(",") if p}
    unknown = patches - set(PATCHES)
    if unknown:
        raise SystemExit(f"unknown patches {sorted(unknown)}; known: {', '.join(PATCHES)}")
    apply(patches)
    if len(args) > 2 and args[2] == "retries":
        return retries(int(args[1]))
    return workflows(int(args[1]), patches)


def fresh_once(args: list[str]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(Path(__file__)), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=ENV,
    )
    if proc.returncode:
        raise SystemExit(f"{args}: {(proc.stderr.strip().splitlines() or ['?'])[-1]}")
    row: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return row


def table(runs: int, source: str) -> str:
    jobs = [[patches, str(rt)] for patches, rt in CONFIGS]
    jobs += [[patches, str(n), "retries"] for patches, n in RETRIES]
    samples: dict[int, list[dict[str, Any]]] = {i: [] for i in range(len(jobs))}
    for _ in range(runs):  # round-robin, so that drift on a shared machine hits every row alike
        for i, job in enumerate(jobs):
            samples[i].append(fresh_once(job))
    med = [statistics.median(r["seconds"] for r in samples[i]) for i in range(len(jobs))]
    out = [
        "# Simulator what-if: candidate fixes, monkeypatched",
        "",
        f"Sources: {source}. Median of {runs} fresh processes per row, the rows interleaved; "
        "see bench/simulate_whatif.py for the patches. Workload: target (a), 1,000 workflows x "
        "50 tasks on one Engine (62,672 attempts).",
        "",
        "| patches | responseTimeoutSeconds | events | median | vs unpatched | all runs (ms) |",
        "|---|---|---|---|---|---|",
    ]
    base: dict[int, float] = {}
    for i, (patches, rt) in enumerate(CONFIGS):
        base.setdefault(rt, med[i])
        runs_ms = ", ".join(f"{r['seconds'] * 1e3:.0f}" for r in samples[i])
        out.append(
            f"| {patches or 'none'} | {rt} | {samples[i][0]['events']:,} | {med[i] * 1e3:,.0f} ms "
            f"| {med[i] / base[rt] - 1:+.0%} | {runs_ms} |"
        )
    out += ["", "| patches | retries of one task | median |", "|---|---|---|"]
    for j, (patches, n) in enumerate(RETRIES):
        out.append(f"| {patches or 'none'} | {n:,} | {med[len(CONFIGS) + j] * 1e3:,.0f} ms |")
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("args", nargs="*", help="PATCHES RT | PATCHES N retries")
    parser.add_argument("--table", action="store_true", help="every configuration, fresh runs")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--at", metavar="REV", help="measure the simulator as committed at REV")
    ns = parser.parse_args()
    if not ns.table:
        print(json.dumps(one(ns.args)))
        return 0
    global ENV
    snapshot = None
    if ns.at:
        import bench_simulate

        snapshot, source = bench_simulate.make_snapshot(ns.at)
        ENV = bench_simulate.FLOWDSL_ENV
    else:
        source = bench_simulate_state()
    try:
        text = table(ns.runs, source)
    finally:
        if snapshot:
            shutil.rmtree(snapshot, ignore_errors=True)
    print(text, end="")
    if ns.markdown:
        ns.markdown.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
