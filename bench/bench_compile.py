"""Compile benchmark: conductor-python 2.0.0 vs flowdsl on the same workflow shapes.

From the repo root:
    .venv/bin/python bench/bench_compile.py                   # 5 runs, prints Markdown
    .venv/bin/python bench/bench_compile.py --runs 5 --markdown bench/results/compile.md
    .venv/bin/python bench/bench_compile.py --cases chain:100,fork:1000 --runs 3

Every (peer, shape, N) run is a fresh subprocess (bench/compile_shapes_<peer>.py);
tables show medians. conductor-python runs in bench/.venv-peers (made by
bench/peers_venv.sh if missing); flowdsl runs in this interpreter.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PEERS_PYTHON = BENCH / ".venv-peers" / "bin" / "python"
DEFAULT_CASES = "chain:100,chain:1000,chain:10000,fork:10000"
SKIP_MESSAGE = "flowdsl: not available yet"
PEERS = ("conductor-python", "flowdsl")
CONDUCTOR_MODULE = "conductor.client.workflow.conductor_workflow"
FLOWDSL_PROBE = "from flowdsl import fork, task, workflow"  # the bare dir imports as a namespace

Row = dict[str, Any]


def peer_command(peer: str, shape: str, n: int) -> list[str]:
    if peer == "flowdsl":
        return [sys.executable, str(BENCH / "compile_shapes_flowdsl.py"), shape, str(n)]
    return [str(PEERS_PYTHON), str(BENCH / "compile_shapes_conductor.py"), shape, str(n)]


def run_once(peer: str, shape: str, n: int) -> Row | str:
    """One fresh process: its JSON row, or a short reason why there is none."""
    proc = subprocess.run(
        peer_command(peer, shape, n), cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode == 0 and lines and lines[-1] == SKIP_MESSAGE:
        return "not available yet"
    if proc.returncode != 0 or not lines:
        err = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return f"error (rc={proc.returncode}): {err[:120]}"
    row: Row = json.loads(lines[-1])
    return row


def summarize(samples: list[Row]) -> Row:
    out: Row = {
        "runs": len(samples),
        "bytes": samples[-1]["bytes"],
        "tasks": samples[-1].get("tasks"),
    }
    for key in ("seconds", "construct", "serialize", "gc_after"):
        if all(key in s for s in samples):
            out[key] = statistics.median(s[key] for s in samples)
    return out


def wall_median(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def importtime_top(python: str, code: str) -> float:
    """Seconds summed over the top-level imports that `python -X importtime -c code` reports."""
    cmd = [python, "-X", "importtime", "-c", code]
    proc = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True)
    total = 0
    for line in proc.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit() and not parts[2][1:].startswith(" "):
            total += int(parts[1])
    return total / 1e6


def import_cost(python: str, module: str, probe: str, runs: int) -> Row | str:
    """Import time of `module` beyond a bare interpreter, once `probe` shows it is usable."""
    check = f"{probe}; import sys; print('networkx' in sys.modules)"
    proc = subprocess.run([python, "-c", check], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        return "not available yet"
    bare = wall_median([python, "-c", "pass"], runs)
    wall = wall_median([python, "-c", f"import {module}"], runs)
    importtime = importtime_top(python, f"import {module}") - importtime_top(python, "pass")
    return {
        "wall": wall,
        "bare": bare,
        "minus_bare": wall - bare,
        "importtime": importtime,
        "networkx": proc.stdout.strip() == "True",
    }


def rel_python() -> str:
    """This interpreter's path relative to the repo root (never absolute in reports)."""
    exe = Path(sys.executable)
    return str(exe.relative_to(ROOT)) if exe.is_relative_to(ROOT) else exe.name


def fmt_s(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:.3g} ms" if ms < 1000 else f"{seconds:.3g} s"


def parse_cases(text: str) -> list[tuple[str, int]]:
    cases = []
    for item in text.split(","):
        shape, _, n = item.partition(":")
        if shape not in ("chain", "fork") or not n.isdigit():
            raise SystemExit(f"bad case {item!r}: want chain:N or fork:N")
        cases.append((shape, int(n)))
    return cases


def source_state() -> str:
    """The flowdsl sources measured: commit, uncommitted files under flowdsl/ and compiler/,
    and a digest of their contents (so two reports can be told apart even when dirty)."""
    digest = hashlib.sha256()
    for path in sorted([*ROOT.glob("flowdsl/*.py"), *ROOT.glob("compiler/*.py")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    git = ["git", "-C", str(ROOT)]
    commit = subprocess.run(
        [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    status = subprocess.run(
        [*git, "status", "--porcelain", "--", "flowdsl", "compiler"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()
    dirty = [line[3:] for line in status if line[3:].endswith(".py")]
    state = f"commit {commit or '?'}"
    if dirty:
        state += f" + uncommitted changes to {', '.join(dirty)}"
    return f"{state}; flowdsl+compiler sources sha256 {digest.hexdigest()[:12]}"


def ensure_peers_venv() -> None:
    if not PEERS_PYTHON.exists():
        subprocess.run(["bash", str(BENCH / "peers_venv.sh")], cwd=ROOT, check=True)


def render(
    results: dict[tuple[str, str, int], Row | str],
    imports: dict[str, Row | str],
    cases: list[tuple[str, int]],
    runs: int,
    state: str,
) -> str:
    out = [
        "# Compile benchmark: conductor-python 2.0.0 vs flowdsl",
        "",
        f"Python {platform.python_version()}, {platform.machine()}, {platform.system()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end; "
        f"median of {runs} fresh processes per row. "
        "build = conductor: DSL objects; flowdsl: compile_workflow (trace, emit, validate, "
        "graph). serialize = conductor: json.dumps(wf.to_workflow_def().toJSON()) (compact); "
        "flowdsl: to_json() (2-space indent). gc after = flowdsl only: the generation-0 "
        "collection its paused GC leaves pending, timed right after (conductor-python runs its "
        "collections inside build and serialize). median = build + serialize (+ gc after) "
        "of one run, median over runs. us/task = median / N. "
        "tasks = WorkflowTasks in the output (FORK_JOIN, JOIN and the trailing task included).",
        "",
        "Command: `" + " ".join([rel_python(), "bench/bench_compile.py", *sys.argv[1:]]) + "`",
        "",
        f"Sources: {state}.",
        "",
        "| peer | shape | N | median | build | serialize | gc after | us/task | out KB | tasks |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for shape, n in cases:
        for peer in PEERS:
            r = results[(peer, shape, n)]
            if isinstance(r, str):
                out.append(f"| {peer} | {shape} | {n:,} | {r} | | | | | | |")
                continue
            out.append(
                f"| {peer} | {shape} | {n:,} | {fmt_s(r['seconds'])} | {fmt_s(r['construct'])} "
                f"| {fmt_s(r['serialize'])} | {fmt_s(r['gc_after']) if 'gc_after' in r else '-'} "
                f"| {r['seconds'] / n * 1e6:.1f} | {r['bytes'] / 1e3:,.0f} "
                f"| {'?' if r['tasks'] is None else format(r['tasks'], ',')} |"
            )
    out += ["", "| shape | N | conductor / flowdsl |", "|---|---|---|"]
    for shape, n in cases:
        c, f = results[("conductor-python", shape, n)], results[("flowdsl", shape, n)]
        ratio = (
            "n/a"
            if isinstance(c, str) or isinstance(f, str)
            else f"{c['seconds'] / f['seconds']:.2f}x"
        )
        out.append(f"| {shape} | {n:,} | {ratio} |")
    out += [
        "",
        "Growth per 10x N (median total time ratio):",
        "",
        "| peer | shape | N -> 10N | ratio |",
        "|---|---|---|---|",
    ]
    for peer in PEERS:
        for shape, n in cases:
            a, b = results[(peer, shape, n)], results.get((peer, shape, n * 10))
            if b is not None and not isinstance(a, str) and not isinstance(b, str):
                ratio = b["seconds"] / a["seconds"]
                out.append(f"| {peer} | {shape} | {n:,} -> {n * 10:,} | {ratio:.1f}x |")
    out += [
        "",
        "Import cost (wall medians; minus = wall - `python -c pass`):",
        "",
        "| module | wall | minus bare | -X importtime cumulative | loads networkx |",
        "|---|---|---|---|---|",
    ]
    for module, r in imports.items():
        if isinstance(r, str):
            out.append(f"| {module} | {r} | | | |")
        else:
            out.append(
                f"| {module} | {fmt_s(r['wall'])} | {fmt_s(r['minus_bare'])} "
                f"| {fmt_s(r['importtime'])} | {'yes' if r['networkx'] else 'no'} |"
            )
    out += ["", *targets(results, imports, cases)]
    return "\n".join(out) + "\n"


def targets(
    results: dict[tuple[str, str, int], Row | str],
    imports: dict[str, Row | str],
    cases: list[tuple[str, int]],
) -> list[str]:
    """The issue's targets, each with the measured value and met / MISSED."""
    out = ["Targets:", "", "| target | measured | |", "|---|---|---|"]

    def verdict(ok: bool) -> str:
        return "met" if ok else "**MISSED**"

    for shape, n in cases:
        c, f = results[("conductor-python", shape, n)], results[("flowdsl", shape, n)]
        if not isinstance(c, str) and not isinstance(f, str):
            ratio = c["seconds"] / f["seconds"]
            out.append(
                f"| flowdsl >= 2x faster than conductor-python, {shape} {n:,} | {ratio:.2f}x "
                f"| {verdict(ratio >= 2)} |"
            )
    for shape, n in cases:
        a, b = results[("flowdsl", shape, n)], results.get(("flowdsl", shape, n * 10))
        if b is not None and not isinstance(a, str) and not isinstance(b, str):
            growth = b["seconds"] / a["seconds"]
            out.append(
                f"| flowdsl 10x tasks <= 12x time, {shape} {n:,} -> {n * 10:,} | {growth:.1f}x "
                f"| {verdict(growth <= 12)} |"
            )
    r = imports.get("flowdsl")
    if isinstance(r, dict):
        worst = max(r["minus_bare"], r["importtime"])
        out.append(
            f"| `import flowdsl` < 50 ms above a bare interpreter | {fmt_s(r['minus_bare'])} wall, "
            f"{fmt_s(r['importtime'])} -X importtime | {verdict(worst < 0.05)} |"
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per row")
    parser.add_argument("--import-runs", type=int, default=9, help="runs per import timing")
    parser.add_argument("--cases", default=DEFAULT_CASES, help="comma list of shape:N")
    parser.add_argument("--markdown", type=Path, help="also write the tables to this file")
    args = parser.parse_args()
    cases = parse_cases(args.cases)
    ensure_peers_venv()
    state = source_state()

    samples: dict[tuple[str, str, int], list[Row]] = {}
    results: dict[tuple[str, str, int], Row | str] = {}
    for shape, n in cases:
        for _ in range(args.runs):  # interleave peers so drift hits both alike
            for peer in PEERS:
                key = (peer, shape, n)
                if isinstance(results.get(key), str):
                    continue
                got = run_once(peer, shape, n)
                if isinstance(got, str):
                    results[key] = got
                else:
                    samples.setdefault(key, []).append(got)
        for peer in PEERS:
            key = (peer, shape, n)
            if not isinstance(results.get(key), str):
                results[key] = summarize(samples[key])
        print(f"done {shape} {n}", file=sys.stderr)

    imports = {
        "flowdsl": import_cost(sys.executable, "flowdsl", FLOWDSL_PROBE, args.import_runs),
        # What compile_workflow needs on top (networkx, orjson ...): for information.
        "compiler.compile": import_cost(
            sys.executable,
            "compiler.compile",
            "from compiler import compile_workflow",
            args.import_runs,
        ),
        CONDUCTOR_MODULE: import_cost(
            str(PEERS_PYTHON), CONDUCTOR_MODULE, f"import {CONDUCTOR_MODULE}", args.import_runs
        ),
    }
    if source_state() != state:
        raise SystemExit("flowdsl/compiler sources changed during the run; run it again")
    text = render(results, imports, cases, args.runs, state)
    print(text, end="")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
