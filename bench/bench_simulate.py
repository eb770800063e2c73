"""Simulator benchmark: flowdsl's fake-clock simulator vs SimPy, size scaling, long simulated time.

From the repo root:
    .venv/bin/python bench/bench_simulate.py                  # 5 runs, prints Markdown
    .venv/bin/python bench/bench_simulate.py --runs 5 --markdown bench/results/simulate.md
    .venv/bin/python bench/bench_simulate.py --runs 1 --no-profile   # a quick look
    .venv/bin/python bench/bench_simulate.py --at HEAD     # the committed simulator, not the tree

--at REV measures a snapshot (git archive REV testing compiler flowdsl, put first on
PYTHONPATH of the flowdsl processes) instead of the working tree, which other work may be
changing while the benchmark runs.

Every measurement is a fresh subprocess (bench/simulate_flowdsl.py in this interpreter,
bench/simulate_simpy.py in bench/.venv-peers, made by bench/peers_venv.sh if missing); the
tables show medians over --runs processes, the engines interleaved so that drift hits both.

(a) 1,000 workflows x 50 sequential tasks, random failures and retries (seed 42), SimPy and
    flowdsl on the same draws (bench/simulate_workload.py); attempts/s, and a check that both
    give the same attempts and the same end time for every workflow.
(b) one workflow of N sequential tasks, and one FORK_JOIN_DYNAMIC of N, at N and 10N.
(c) retries / timeouts adding up to 30 simulated seconds vs 30 simulated days.
Then the one-off cost of the first Simulator.run in a process, and a cProfile of chain 10,000.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PEERS_PYTHON = BENCH / ".venv-peers" / "bin" / "python"
sys.path.insert(0, str(BENCH))
from simulate_workload import draws, summary  # noqa: E402

Row = dict[str, Any]
WORKFLOWS, TASKS = 1000, 50
A_CASES: list[tuple[str, list[str]]] = [  # (label, command after the interpreter)
    ("simpy", ["bench/simulate_simpy.py", str(WORKFLOWS), str(TASKS)]),
    ("engine", ["bench/simulate_flowdsl.py", "workflows", str(WORKFLOWS), str(TASKS)]),
    (
        "simulator",
        [
            "bench/simulate_flowdsl.py",
            "workflows",
            str(WORKFLOWS),
            str(TASKS),
            "--api",
            "simulator",
        ],
    ),
    (
        "engine-rt3600",
        [
            "bench/simulate_flowdsl.py",
            "workflows",
            str(WORKFLOWS),
            str(TASKS),
            "--response-timeout",
            "3600",
        ],
    ),
]
B_SIZES = {"chain": (100, 1000, 10000), "fork": (100, 1000, 10000)}
C_CASES = [  # (label, simulated total, args)
    ("retry", "30 s", ["retry", "3"]),
    ("retry", "30 days", ["retry", "259200"]),
    ("timeout", "30 s", ["timeout", "1", "2"]),
    ("timeout", "30 days", ["timeout", "86400", "172800"]),
]
C_REPEAT = 200
FIRST_RUN = (
    "import time\n"
    "from testing.simulator import Simulator\n"
    "d = {'name': 'w', 'version': 1, 'tasks': "
    "[{'name': 'work', 'taskReferenceName': 't0', 'type': 'SIMPLE'}]}\n"
    "s = Simulator()\n"
    "s.mock('work').completes()\n"
    "t0 = time.perf_counter(); s.run(d); t1 = time.perf_counter(); s.run(d); "
    "t2 = time.perf_counter()\n"
    "import json, sys\n"
    "print(json.dumps({'first': t1 - t0, 'second': t2 - t1, "
    "'networkx': 'networkx' in sys.modules}))\n"
)


FLOWDSL_ENV: dict[str, str] | None = None  # the flowdsl processes' environment (--at REV)


def run_json(python: Path | str, args: list[str]) -> Row:
    """One fresh process; its last stdout line as JSON."""
    env = FLOWDSL_ENV if str(python) == sys.executable else None
    proc = subprocess.run(
        [str(python), *args], cwd=ROOT, capture_output=True, text=True, timeout=1800, env=env
    )
    if proc.returncode != 0:
        err = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"{' '.join(args)} failed (rc={proc.returncode}): {err}")
    row: Row = json.loads(proc.stdout.strip().splitlines()[-1])
    return row


def median_row(samples: list[Row]) -> Row:
    """The first sample's fields, with 'seconds' (and 'mocks', 'first') the medians."""
    out = dict(samples[0])
    for key in ("seconds", "mocks", "first", "second"):
        if key in out:
            out[key] = statistics.median(s[key] for s in samples)
            out[f"{key}_all"] = [s[key] for s in samples]
    for s in samples[1:]:  # the simulated outcome must not vary between processes
        for key in ("attempts", "events", "ends_digest", "tasks", "sim_ms"):
            if key in out and s.get(key) != out[key]:
                raise SystemExit(f"non-deterministic {key}: {s.get(key)} != {out[key]}")
    return out


def source_state() -> str:
    """The commit, uncommitted files under testing/, and a digest of testing/ and the bench."""
    digest = hashlib.sha256()
    files = [*ROOT.glob("testing/*.py"), *BENCH.glob("simulate_*.py"), BENCH / "bench_simulate.py"]
    for path in sorted(files):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    git = ["git", "-C", str(ROOT)]
    commit = subprocess.run(
        [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    status = subprocess.run(
        [*git, "status", "--porcelain", "--", "testing"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()
    dirty = [line[3:] for line in status if line[3:].endswith(".py")]
    state = f"commit {commit or '?'}"
    if dirty:
        state += f" + uncommitted changes to {', '.join(dirty)}"
    return f"{state}; testing/ + bench sources sha256 {digest.hexdigest()[:12]}"


def make_snapshot(rev: str) -> tuple[str, str]:
    """Export testing/, compiler/ and flowdsl/ at ``rev`` to a temporary directory that the
    flowdsl processes import first; return it and the sources line of the report."""
    global FLOWDSL_ENV
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", rev],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    tmp = tempfile.mkdtemp(prefix="flowdsl-sim-bench-")
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "testing", "compiler", "flowdsl"],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
    FLOWDSL_ENV = {**os.environ, "PYTHONPATH": tmp}
    where = subprocess.run(
        [
            sys.executable,
            "-P",
            "-c",
            "import testing.engine, compiler; print(testing.engine.__file__)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=FLOWDSL_ENV,
    ).stdout.strip()
    if not where.startswith(tmp):
        shutil.rmtree(tmp, ignore_errors=True)
        raise SystemExit(f"the snapshot is not the one imported ({where})")
    digest = hashlib.sha256()
    for path in sorted(Path(tmp).glob("testing/*.py")):
        digest.update(f"testing/{path.name}".encode() + b"\0" + path.read_bytes())
    state = f"commit {commit} (a snapshot: git archive; not the working tree); testing/ sha256 "
    return tmp, state + digest.hexdigest()[:12]


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        mem = f"{mem_kb / 2**20:.0f} GiB RAM"
    except (OSError, StopIteration):
        mem = "RAM ?"
    peers = subprocess.run(
        [
            str(PEERS_PYTHON),
            "-c",
            "import platform; from importlib.metadata import version; "
            "print(platform.python_version(), version('simpy'))",
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    peer_py, simpy = [*peers, "?", "?"][:2]
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {mem}, {platform.system()} {platform.release()} "
        f"{platform.machine()}; flowdsl on CPython {platform.python_version()}, SimPy {simpy} on "
        f"CPython {peer_py}"
    )


def rel_python() -> str:
    exe = Path(sys.executable)
    return str(exe.relative_to(ROOT)) if exe.is_relative_to(ROOT) else exe.name


def fmt_s(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} µs"
    return f"{seconds * 1e3:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


def verdict(ok: bool) -> str:
    return "met" if ok else "**MISSED**"


def flowdsl(args: list[str]) -> Row:
    return run_json(sys.executable, ["bench/simulate_flowdsl.py", *args])


def measure(runs: int, profile: bool) -> dict[str, Any]:
    res: dict[str, Any] = {}
    # (a) interleaved: simpy, engine, simulator, engine-rt3600, simpy, ...
    samples: dict[str, list[Row]] = {label: [] for label, _ in A_CASES}
    for _ in range(runs):
        for label, args in A_CASES:
            python = PEERS_PYTHON if label == "simpy" else Path(sys.executable)
            samples[label].append(run_json(python, args))
    res["a"] = {label: median_row(s) for label, s in samples.items()}
    print("done (a)", file=sys.stderr)
    # (b)
    b: dict[tuple[str, int, str], Row] = {}
    for shape, sizes in B_SIZES.items():
        for n in sizes:
            got: dict[str, list[Row]] = {"simulator": [], "engine": []}
            for _ in range(runs):
                for api in got:
                    got[api].append(flowdsl([shape, str(n), "--api", api]))
            for api, s in got.items():
                b[(shape, n, api)] = median_row(s)
    res["b"] = b
    print("done (b)", file=sys.stderr)
    # (c)
    c: dict[tuple[str, str], Row] = {}
    got_c: dict[tuple[str, str], list[Row]] = {(k, t): [] for k, t, _ in C_CASES}
    for _ in range(runs):
        for kind, total, args in C_CASES:
            got_c[(kind, total)].append(flowdsl([*args, "--repeat", str(C_REPEAT)]))
    for key, s in got_c.items():
        c[key] = median_row(s)
    res["c"] = c
    print("done (c)", file=sys.stderr)
    first = [run_json(sys.executable, ["-P", "-c", FIRST_RUN]) for _ in range(runs)]  # -P: no cwd
    res["first"] = median_row(first)
    if profile:
        proc = subprocess.run(
            [sys.executable, "bench/simulate_flowdsl.py", "chain", "10000", "--profile", "20"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            env=FLOWDSL_ENV,
        )
        res["profile"] = proc.stdout
    return res


def render(res: dict[str, Any], runs: int, state: str) -> str:
    ref = summary(draws(WORKFLOWS, TASKS))
    a = res["a"]
    simpy = a["simpy"]
    simpy_rate = simpy["attempts"] / simpy["seconds"]
    out = [
        "# Simulator benchmark: flowdsl's simulator vs SimPy 4.1.2",
        "",
        f"Machine: {machine()}; load average {os.getloadavg()[0]:.2f} at the end. Median of "
        f"{runs} fresh processes per row.",
        "",
        "Command: `" + " ".join([rel_python(), "bench/bench_simulate.py", *sys.argv[1:]]) + "`",
        "",
        f"Sources: {state}.",
        "",
        f"## (a) {WORKFLOWS:,} workflows x {TASKS} sequential tasks, random failures and retries",
        "",
        "Seed 42, the same pre-generated draws for both engines (bench/simulate_workload.py): "
        "queueWaitTime U(0,1) s, executionTime exponential mean 10 s, FAILED with p = 0.2, "
        "retryCount 3, EXPONENTIAL_BACKOFF 5 s (5, 10, 20 s), optional tasks (a task out of "
        "retries is COMPLETED_WITH_ERRORS and the workflow goes on; SimPy skips it). Times in "
        "whole ms. median = SimPy: Environment + processes + run; flowdsl engine: one Engine, "
        "start_workflow x 1,000 + run (the Conductor-format mocks parsed before the clock, "
        "column 'mocks'); flowdsl Simulator: 1,000 x (Simulator + Mocks.from_conductor + run, "
        "which also builds each Run's execution JSON).",
        "",
        "| engine | API | attempts | events | median | + mocks | attempts/s | SimPy / this |",
        "|---|---|---|---|---|---|---|---|",
    ]
    labels = {
        "simpy": ("SimPy", "1 Environment, 1,000 processes"),
        "engine": ("flowdsl", "1 Engine, 1,000 workflows"),
        "simulator": ("flowdsl", "1,000 Simulator.run (one per workflow)"),
        "engine-rt3600": ("flowdsl", "1 Engine, responseTimeoutSeconds 3600"),
    }
    for label, row in a.items():
        name, api = labels[label]
        rate = row["attempts"] / row["seconds"]
        mocks = fmt_s(row["mocks"]) if "mocks" in row else "-"
        events = format(row["events"], ",") if "events" in row else "-"
        out.append(
            f"| {name} | {api} | {row['attempts']:,} | {events} | {fmt_s(row['seconds'])} "
            f"| {mocks} | {rate:,.0f} | {row['seconds'] / simpy['seconds']:.1f}x |"
        )
    out += [
        "",
        "Same workload check (reference = computed directly from the draws):",
        "",
        "| | attempts | skipped tasks | sum of workflow end times | end times digest |",
        "|---|---|---|---|---|",
        f"| reference | {ref['attempts']:,} | {ref['skipped']} | {ref['end_sum_ms']:,} ms "
        f"| {ref['ends_digest']} |",
    ]
    for label, row in a.items():
        out.append(
            f"| {label} | {row['attempts']:,} | {row.get('skipped', '-')} "
            f"| {row['end_sum_ms']:,} ms | {row['ends_digest']} |"
        )
    agree = all(
        row["attempts"] == ref["attempts"]
        and row["ends_digest"] == ref["ends_digest"]
        and row.get("skipped", ref["skipped"]) == ref["skipped"]
        for row in a.values()
    )
    out += ["", f"All engines agree with the reference: {'yes' if agree else '**NO**'}.", ""]

    b = res["b"]
    out += [
        "## (b) One workflow, N tasks",
        "",
        "chain = N sequential SIMPLE tasks; fork = FORK_JOIN_DYNAMIC (forkTaskName, literal "
        "forkTaskInputs of N items) + JOIN. Every worker completes after 1 s "
        "(`sim.mock('work').completes(after=1s)`). Simulator.run = what a test pays (includes "
        "the Run / execution JSON); Engine = Engine + start_workflow + run only.",
        "",
        "| shape | N | Simulator.run | Engine | µs/task (run) | tasks | events | growth (run) "
        "| growth (Engine) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for shape, sizes in B_SIZES.items():
        prev = None
        for n in sizes:
            sim, eng = b[(shape, n, "simulator")], b[(shape, n, "engine")]
            growth = f"{sim['seconds'] / prev[0]['seconds']:.1f}x" if prev else "-"
            growth_e = f"{eng['seconds'] / prev[1]['seconds']:.1f}x" if prev else "-"
            out.append(
                f"| {shape} | {n:,} | {fmt_s(sim['seconds'])} | {fmt_s(eng['seconds'])} "
                f"| {sim['seconds'] / n * 1e6:.1f} | {sim['tasks']:,} | {sim['events']:,} "
                f"| {growth} | {growth_e} |"
            )
            prev = (sim, eng)
    c = res["c"]
    out += [
        "",
        "## (c) Long simulated time",
        "",
        "One SIMPLE task, retryCount 10, FIXED delay. retry: the worker fails 10 times "
        "(at once), then completes: 10 x D of delay, D = 3 s or 259,200 s (3 days). timeout: "
        "the worker polls and never answers 10 times (responseTimeoutSeconds T, TIMED_OUT, "
        "retried after D), then completes: 10 x (T + D), (T, D) = (1 s, 2 s) or (86,400 s, "
        f"172,800 s). median = median of {C_REPEAT} fresh-Simulator runs in a process, then "
        "over processes.",
        "",
        "| case | simulated | median Simulator.run | attempts | events |",
        "|---|---|---|---|---|",
    ]
    for (kind, total), row in c.items():
        sim_s = row["sim_ms"] / 1000
        shown = f"{sim_s:,.0f} s" if sim_s < 86400 else f"{sim_s / 86400:,.2f} days"
        out.append(
            f"| {kind} | {shown} ({total}) | {fmt_s(row['seconds'])} | {row['attempts']} "
            f"| {row['events']} |"
        )
    first = res["first"]
    out += [
        "",
        "## One-off cost: the first Simulator.run in a process",
        "",
        f"A 1-task WorkflowDef dict: first run {fmt_s(first['first'])}, second "
        f"{fmt_s(first['second'])}; networkx loaded by the run: "
        f"{'yes' if first['networkx'] else 'no'} (Simulator._definition imports compiler.compile "
        "before it checks whether the target is a dict). The timings above import "
        "compiler.compile before their clock starts.",
        "",
    ]
    out += ["## Targets", "", "| target | measured | |", "|---|---|---|"]
    row = a["engine"]
    rate = row["attempts"] / row["seconds"]
    out.append(
        f"| (a) >= 1/3 of SimPy's attempts/s, the workload in one run ({labels['engine'][1]}) "
        f"| {rate:,.0f} vs {simpy_rate:,.0f}/s = 1/{simpy_rate / rate:.1f} "
        f"| {verdict(rate * 3 >= simpy_rate)} |"
    )
    row = a["simulator"]
    rate = row["attempts"] / row["seconds"]
    out.append(
        f"| for information, not a target: the same workload as 1,000 separate runs, as 1,000 "
        f"tests would ({labels['simulator'][1]}: a Simulator, mock parsing and the execution "
        f"JSON per workflow) | {rate:,.0f}/s = 1/{simpy_rate / rate:.1f} of SimPy | - |"
    )
    out.append(
        f"| (a) same attempts as SimPy on the same draws | {a['engine']['attempts']:,} vs "
        f"{simpy['attempts']:,}; per-workflow end times identical: "
        f"{'yes' if agree else 'no'} | {verdict(agree)} |"
    )
    for shape, sizes in B_SIZES.items():
        for n in sizes[:-1]:
            sim, big = b[(shape, n, "simulator")], b[(shape, n * 10, "simulator")]
            g = big["seconds"] / sim["seconds"]
            out.append(
                f"| (b) {shape} {n:,} -> {n * 10:,}: 10x tasks at most ~12x time (Simulator.run) "
                f"| {g:.1f}x | {verdict(g <= 12)} |"
            )
    for kind in ("retry", "timeout"):
        short, long_ = c[(kind, "30 s")], c[(kind, "30 days")]
        ratio = long_["seconds"] / short["seconds"]
        same = short["events"] == long_["events"]
        out.append(
            f"| (c) {kind}: 30 days costs the same as 30 s | {fmt_s(long_['seconds'])} vs "
            f"{fmt_s(short['seconds'])} ({ratio:.2f}x), events {long_['events']} vs "
            f"{short['events']} | {verdict(same and ratio < 1.25)} |"
        )
    if "profile" in res:
        out += [
            "",
            "## Profile: Simulator.run of chain 10,000 (cProfile, one process)",
            "",
            "```",
            res["profile"].strip(),
            "```",
        ]
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per row")
    parser.add_argument("--markdown", type=Path, help="also write the report to this file")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile section")
    parser.add_argument("--at", metavar="REV", help="measure the simulator as committed at REV")
    args = parser.parse_args()
    if not PEERS_PYTHON.exists():
        subprocess.run(["bash", str(BENCH / "peers_venv.sh")], cwd=ROOT, check=True)
    state = source_state()
    snapshot = None
    if args.at:
        snapshot, state = make_snapshot(args.at)
    t0 = time.perf_counter()
    try:
        res = measure(args.runs, not args.no_profile)
    finally:
        if snapshot:
            shutil.rmtree(snapshot, ignore_errors=True)
    if not args.at and source_state() != state:
        raise SystemExit("simulator or bench sources changed during the run; run it again")
    text = render(res, args.runs, state)
    print(text, end="")
    print(f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
