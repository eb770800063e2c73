"""Where flowdsl's compile time goes: per-phase timings and cProfile top functions.

From the repo root:
    .venv/bin/python bench/profile_compile.py                       # chain:10000,fork:10000
    .venv/bin/python bench/profile_compile.py --runs 5 --markdown bench/results/profile.md
    .venv/bin/python bench/profile_compile.py --cases chain:1000 --top 20

Phases are timed by calling the compiler's internals in the order compile_workflow
does (same shapes as bench/compile_shapes_flowdsl.py):

    trace     fn.trace()
    emit      compiler.conductor.ConductorEmitter(ir).workflow_def()
    validate  compiler.validate.validate_workflow_def(wf, locate=..., reads=reads)
    graph     compiler.graph.build_graph(wf, emitter.source_map, reads)
    gc_after  gc.collect(0) once the GC is back on: the collection compile_workflow's
              GC pause leaves pending (it would run at the next allocation)
    dumps     compiler.dumps(wf)                      (what CompiledWorkflow.to_json() does)

(``reads`` is passed only where the function takes it, as compile_workflow does: the
validator then records which task reads which, and the graph reuses that instead of
scanning the inputs again.) Each run is a fresh process; tables show medians. "compile_workflow" is timed in
its own fresh processes; "rest" = compile_workflow - (trace + emit + validate + graph),
i.e. TaskDefs, sub-workflow and name-clash scans and building the result.
The first four phases run with the cyclic GC paused, as compile_workflow runs;
"GC on" repeats them with it running, to show what that pause saves.
The cProfile section profiles one compile_workflow(fn) + to_json() per case
(cProfile inflates call-heavy code, so read it for the shape, the phases for the size).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DEFAULT_CASES = "chain:10000,fork:10000"
PHASES = ("trace", "emit", "validate", "graph", "gc_after", "dumps")

Row = dict[str, Any]


# -- inside one fresh process ------------------------------------------------------
def takes(fn: Any, name: str) -> bool:
    import inspect

    return name in inspect.signature(fn).parameters


def measure_phases(shape: str, n: int, gc_on: bool) -> Row:
    from compile_shapes_flowdsl import define

    import compiler
    from compiler.compile import locator
    from compiler.conductor import ConductorEmitter
    from compiler.graph import build_graph
    from compiler.validate import validate_workflow_def

    fn = define(shape, n)
    reads: dict[str, Any] = {}
    validate_kw: dict[str, Any] = {"reads": reads} if takes(validate_workflow_def, "reads") else {}
    graph_args: tuple[Any, ...] = (reads,) if takes(build_graph, "reads") and validate_kw else ()
    if not gc_on:
        gc.disable()
    t0 = time.perf_counter()
    ir = fn.trace()
    t1 = time.perf_counter()
    emitter = ConductorEmitter(ir)
    wf = emitter.workflow_def()
    t2 = time.perf_counter()
    problems = validate_workflow_def(wf, locate=locator(emitter.source_map), **validate_kw)
    t3 = time.perf_counter()
    graph = build_graph(wf, emitter.source_map, *graph_args)
    t4 = time.perf_counter()
    gc.enable()
    if not gc_on:
        gc.collect(0)
    t5 = time.perf_counter()
    text = compiler.dumps(wf)
    t6 = time.perf_counter()
    assert not [p for p in problems if p.severity == "error"], problems
    assert graph.number_of_nodes() > n and text
    return {
        "trace": t1 - t0,
        "emit": t2 - t1,
        "validate": t3 - t2,
        "graph": t4 - t3,
        "gc_after": t5 - t4,
        "dumps": t6 - t5,
    }


def measure_total(shape: str, n: int) -> Row:
    from compile_shapes_flowdsl import define

    from compiler import compile_workflow

    fn = define(shape, n)
    t0 = time.perf_counter()
    compiled = compile_workflow(fn)
    t1 = time.perf_counter()
    compiled.to_json()
    t2 = time.perf_counter()
    return {"compile_workflow": t1 - t0, "to_json": t2 - t1}


def where(filename: str) -> str:
    """A file name without machine-specific prefixes (repo-relative, stdlib/, site-packages/)."""
    path = Path(filename)
    if not path.is_absolute():
        return filename
    for prefix, label in (
        (sysconfig.get_paths()["purelib"], "site-packages"),
        (sysconfig.get_paths()["stdlib"], "stdlib"),
        (str(ROOT), ""),
    ):
        if path.is_relative_to(prefix):
            rel = str(path.relative_to(prefix))
            return f"{label}/{rel}" if label else rel
    return path.name


def profile(shape: str, n: int, top: int) -> Row:
    from compile_shapes_flowdsl import define

    from compiler import compile_workflow

    fn = define(shape, n)
    prof = cProfile.Profile()
    prof.enable()
    compile_workflow(fn).to_json()
    prof.disable()
    stats = pstats.Stats(prof)
    rows = []
    for (file, line, func), (cc, nc, tt, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
        name = f"{where(file)}:{line}({func})" if line else func
        calls = f"{nc}/{cc}" if nc != cc else str(nc)
        rows.append({"function": name, "calls": calls, "tottime": tt, "cumtime": ct})
    return {
        "total": stats.total_tt,  # type: ignore[attr-defined]
        "by_cumtime": sorted(rows, key=lambda r: -r["cumtime"])[:top],
        "by_tottime": sorted(rows, key=lambda r: -r["tottime"])[:top],
    }


# -- the driver ---------------------------------------------------------------------
def child(mode: str, shape: str, n: int, top: int) -> Row:
    cmd = [sys.executable, str(Path(__file__)), "--child", mode, f"{shape}:{n}", "--top", str(top)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{mode} {shape}:{n} failed:\n{proc.stderr}")
    row: Row = json.loads(proc.stdout.strip().splitlines()[-1])
    return row


def medians(rows: list[Row]) -> Row:
    return {k: statistics.median(r[k] for r in rows) for k in rows[0]}


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f}"


def render(
    cases: list[tuple[str, int]], results: dict[tuple[str, int], Row], runs: int, state: str
) -> str:
    out = [
        "# flowdsl compile profile",
        "",
        f"Python {platform.python_version()}, {platform.machine()}, {platform.system()}, "
        f"{os.cpu_count()} CPUs; medians of {runs} fresh processes per row; times in ms.",
        "",
        "Command: `"
        + " ".join([".venv/bin/python", "bench/profile_compile.py", *sys.argv[1:]])
        + "`",
        "",
        f"Sources: {state}.",
        "",
        "## Phases",
        "",
        "| shape | N | trace | emit | validate | graph | gc after | dumps | sum | compile_workflow "
        "| rest | to_json | us/task (sum) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for shape, n in cases:
        r = results[(shape, n)]
        p, t = r["phases"], r["total"]
        total = sum(p[k] for k in PHASES)
        rest = t["compile_workflow"] - sum(p[k] for k in PHASES[:4])
        cells = " | ".join(ms(p[k]) for k in PHASES)
        out.append(
            f"| {shape} | {n:,} | {cells} | {ms(total)} | {ms(t['compile_workflow'])} "
            f"| {ms(rest)} | {ms(t['to_json'])} | {total / n * 1e6:.1f} |"
        )
    out += [
        "",
        "Share of the phase sum:",
        "",
        "| shape | N | " + " | ".join(k.replace("_", " ") for k in PHASES) + " |",
    ]
    out.append("|---|---|" + "---|" * len(PHASES))
    for shape, n in cases:
        p = results[(shape, n)]["phases"]
        total = sum(p[k] for k in PHASES)
        out.append(
            f"| {shape} | {n:,} | " + " | ".join(f"{p[k] / total:.0%}" for k in PHASES) + " |"
        )
    out += [
        "",
        "With the cyclic GC running during all phases (what pausing it saves):",
        "",
        "| shape | N | "
        + " | ".join(k.replace("_", " ") for k in PHASES)
        + " | sum | pausing saves |",
        "|---|---|" + "---|" * (len(PHASES) + 2),
    ]
    for shape, n in cases:
        p, q = results[(shape, n)]["phases"], results[(shape, n)]["phases_gc_on"]
        off, on = sum(p[k] for k in PHASES), sum(q[k] for k in PHASES)
        out.append(
            f"| {shape} | {n:,} | "
            + " | ".join(ms(q[k]) for k in PHASES)
            + f" | {ms(on)} | {ms(on - off)} ({(on - off) / on:.0%}) |"
        )
    for shape, n in cases:
        prof = results[(shape, n)]["profile"]
        for key, title in (("by_cumtime", "cumulative"), ("by_tottime", "own (tottime)")):
            out += [
                "",
                f"## cProfile {shape} {n:,}: top {len(prof[key])} by {title} "
                f"(profiled total {prof['total']:.2f} s)",
                "",
                "| function | calls | own s | cumulative s |",
                "|---|---|---|---|",
            ]
            out += [
                f"| `{r['function']}` | {r['calls']} | {r['tottime']:.3f} | {r['cumtime']:.3f} |"
                for r in prof[key]
            ]
    return "\n".join(out) + "\n"


def parse_case(item: str) -> tuple[str, int]:
    shape, _, n = item.partition(":")
    if shape not in ("chain", "fork") or not n.isdigit():
        raise SystemExit(f"bad case {item!r}: want chain:N or fork:N")
    return shape, int(n)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per timing")
    parser.add_argument("--cases", default=DEFAULT_CASES, help="comma list of shape:N")
    parser.add_argument("--top", type=int, default=15, help="rows per cProfile table")
    parser.add_argument("--markdown", type=Path, help="also write the report to this file")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "CASE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(BENCH))

    if args.child:
        mode, case = args.child
        shape, n = parse_case(case)
        if mode == "profile":
            row = profile(shape, n, args.top)
        elif mode == "total":
            row = measure_total(shape, n)
        else:
            row = measure_phases(shape, n, gc_on=mode == "phases_gc_on")
        print(json.dumps(row))
        return 0

    from bench_compile import source_state

    cases = [parse_case(item) for item in args.cases.split(",")]
    state = source_state()
    results: dict[tuple[str, int], Row] = {}
    for shape, n in cases:
        got: dict[str, list[Row]] = {"phases": [], "phases_gc_on": [], "total": []}
        for _ in range(args.runs):  # interleave modes so drift hits all alike
            for mode, rows in got.items():
                rows.append(child(mode, shape, n, args.top))
        results[(shape, n)] = {k: medians(v) for k, v in got.items()}
        results[(shape, n)]["profile"] = child("profile", shape, n, args.top)
        print(f"done {shape} {n}", file=sys.stderr)
    if source_state() != state:
        raise SystemExit("flowdsl/compiler sources changed during the run; run it again")
    text = render(cases, results, args.runs, state)
    print(text, end="")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
