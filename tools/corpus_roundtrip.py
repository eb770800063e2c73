"""Round-trip every workflow definition of the shared corpus and write docs/corpus-roundtrip.md.

For each corpus file that holds workflow definitions: ``flowdsl import`` generates one Python
module for the file (``compiler.codegen.generate_module``), the module is executed in-process,
each generated ``@workflow`` is compiled with ``compiler.compile_workflow``, and the result is
compared with the file's definition after both go through ``normalise_workflow_def``.
``tests/compiler/test_codegen_corpus.py`` checks that the page is up to date and that at most
2 percent of the definitions fail.

Usage, from the repository root::

    .venv/bin/python tools/corpus_roundtrip.py          # (re)write docs/corpus-roundtrip.md
    .venv/bin/python tools/corpus_roundtrip.py --check  # exit 1 if the page is out of date
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from compiler.codegen.generate import generate_module
from compiler.codegen.roundtrip import RoundTrip, round_trip
from compiler.codegen.structure import CodegenError
from compiler.loader import LoadError, load_file

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "conductor"
DOC = ROOT / "docs" / "corpus-roundtrip.md"
CORPUS_LABEL = "../shared/corpus/conductor"
RAW = re.compile(r"^\s*# (\S+) '.*' as written in the JSON: (.*)\.$")


@dataclass(frozen=True)
class FileRoundTrip:
    """The round trips of one corpus file (empty when it holds no workflow definition)."""

    path: str
    trips: tuple[RoundTrip, ...]
    raw: tuple[tuple[str, str], ...]  # (task type, reason) of each raw_task statement
    crash: str = ""


def corpus_files(corpus: Path = CORPUS) -> list[Path]:
    return sorted(p for p in corpus.rglob("*.json") if p.is_file())


def run_file(path: Path, corpus: Path = CORPUS) -> FileRoundTrip:
    rel = path.relative_to(corpus).as_posix()
    try:
        loaded = load_file(path)
    except LoadError:
        return FileRoundTrip(rel, (), ())
    if not loaded.workflows:
        return FileRoundTrip(rel, (), ())
    workflows = [w.definition for w in loaded.workflows]
    try:
        generated = generate_module(workflows, list(loaded.task_defs), path.name)
        trips = round_trip(workflows, list(loaded.task_defs), f"<{path.name}>", generated)
    except CodegenError as err:
        return FileRoundTrip(rel, (), (), f"CodegenError: {err}")
    raw = tuple(
        (m.group(1), m.group(2))
        for m in map(RAW.match, generated.source.splitlines())
        if m is not None
    )
    return FileRoundTrip(rel, tuple(trips), raw)


def collect(corpus: Path = CORPUS) -> list[FileRoundTrip]:
    return [run_file(p, corpus) for p in corpus_files(corpus)]


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _first_error(error: str) -> str:
    lines = [line for line in error.splitlines() if ": error: " in line]
    if not lines:
        return error.splitlines()[0] if error else ""
    return lines[0].split(": error: ", 1)[1]


def _summary(results: Sequence[FileRoundTrip]) -> Iterator[str]:
    trips = [t for r in results for t in r.trips]
    total = len(trips) + sum(1 for r in results if r.crash)
    compiled = sum(1 for t in trips if t.ok and not t.rejected)
    rejected_same = sum(1 for t in trips if t.ok and t.rejected)
    failed = total - compiled - rejected_same
    yield "| | count |"
    yield "|---|---:|"
    yield f"| files with workflow definitions | {sum(1 for r in results if r.trips or r.crash):,} |"
    yield f"| workflow definitions | {total:,} |"
    yield f"| round trip through `compile_workflow`: same definition | {compiled:,} |"
    yield (
        f"| rejected by `compile_workflow` as the JSON is by `flowdsl validate`; same definition "
        f"when emitted unchecked | {rejected_same:,} |"
    )
    yield f"| different definition, or no Python generated | {failed:,} |"
    yield ""
    share = 100 * (failed + rejected_same) / total if total else 0.0
    yield (
        f"Definitions that do not come back through `compile_workflow`: "
        f"{failed + rejected_same:,} of {total:,} ({share:.1f}%), every one of them a definition "
        f"that `flowdsl validate` already rejects (see [corpus-validation.md]"
        f"(corpus-validation.md)). Definitions whose generated code describes a different "
        f"definition: {failed:,}."
    )


def _raw_table(results: Sequence[FileRoundTrip]) -> Iterator[str]:
    counts = Counter(item for r in results for item in r.raw)
    yield "| task type | `raw_task` statements | why |"
    yield "|---|---:|---|"
    for (kind, why), count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        yield f"| `{kind}` | {count} | {_md(why)} |"


def _failures(results: Sequence[FileRoundTrip]) -> Iterator[str]:
    any_rows = False
    yield "| file | workflow | result | reason |"
    yield "|---|---|---|---|"
    for r in results:
        if r.crash:
            any_rows = True
            yield f"| `{r.path}` | - | no Python generated | {_md(r.crash)} |"
        for t in r.trips:
            if t.ok and not t.rejected:
                continue
            any_rows = True
            if t.ok:
                result, reason = "rejected, same definition", _first_error(t.error)
            elif t.diff:
                result, reason = "different definition", t.diff
            else:
                result, reason = "error", _first_error(t.error)
            yield f"| `{r.path}` | `{_md(t.name)}` v{t.version} | {result} | {_md(reason)} |"
    if not any_rows:
        yield "| - | - | - | - |"


NORMAL_FORM = """\
## The normal form

Both sides go through `compiler.codegen.normalise_workflow_def` before they are compared with
`==` (so key order never matters). It:

- upgrades legacy spellings (`compiler.codegen.upgrade_legacy`, also applied before generating
  code): a task without `type` is `SIMPLE`; `schemaVersion: 1` inputs written as bare paths
  (`"workflow.input.x"`, `"task_ref.output.y"`) become `${...}` and `schemaVersion` becomes 2;
  `DECISION` becomes `SWITCH` (`caseValueParam` -> `value-param`, `caseExpression` ->
  `javascript`) unless a case is empty while a default case exists (Conductor runs a DECISION's
  default for an empty case, a SWITCH's empty case runs nothing); `LAMBDA` becomes `INLINE` with
  the script Conductor builds from it, `function scriptFun(){<scriptExpression>} scriptFun();`;
  `workflowTaskType` equal to `type` is dropped;
- drops the fields the server keeps about a stored copy: `createTime`, `updateTime`,
  `createdBy`, `updatedBy`, `ownerApp`, `accessPolicy` (also inside inline `taskDefinition`s,
  which also lose their null fields and the fields that hold their default, as
  conductor-semantics.md §1.4 lists them: to Conductor, neither differs from a missing field);
- fills in Conductor's defaults for missing workflow fields: `inputParameters: []`,
  `outputParameters: {}`, `schemaVersion: 2`, `restartable: true`,
  `workflowStatusListenerEnabled: false`, `timeoutSeconds: 0`, `timeoutPolicy: ALERT_ONLY`;
- drops empty or null optional workflow fields (`description`, `ownerEmail`, `variables`,
  `inputTemplate`, `metadata`, `maskedFields`, `onStateChange`, `failureWorkflow`,
  `inputSchema`, `outputSchema`, `rateLimitConfig`) and a repeated name in `inputParameters`;
- drops task fields that hold their default: `inputParameters: {}`, `startDelay: 0`,
  `optional`, `asyncComplete`, `permissive` and `rateLimited` false, `callbackFromWorker: true`,
  empty `onStateChange`, `decisionCases`, `defaultCase`, `forkTasks`, `loopOver`,
  `defaultExclusiveJoinTask`, null `taskDefinition` and `description`, and empty `joinOn`
  (except on a JOIN, where a missing `joinOn` becomes `[]`); null fields of `subWorkflowParam`;
- recurses into fork branches, switch cases, loop bodies and inline sub-workflow definitions.

Everything else must be equal: names, reference names, types, every input value (so every
`${...}` expression), conditions, scripts, TaskDef settings written inline, and the order of
tasks.
"""


def render(results: Sequence[FileRoundTrip]) -> str:
    lines = [
        "# Corpus round trip",
        "",
        "<!-- Generated by tools/corpus_roundtrip.py; do not edit by hand. -->",
        "",
        f"Every workflow definition in `{CORPUS_LABEL}/` (relative to the repository root) goes "
        "JSON -> Python -> compile -> JSON: `flowdsl import` writes one module per file, the "
        "module runs in-process, each `@workflow` it defines is compiled with "
        "`compiler.compile_workflow`, and the resulting WorkflowDef is compared with the file's "
        "after both are brought to the normal form described below. "
        "`tests/compiler/test_codegen_corpus.py` runs this on the whole corpus (a few seconds), "
        "checks that this page is up to date and that at most 2 percent of the definitions do not "
        "come back. Regenerate it with `.venv/bin/python tools/corpus_roundtrip.py` (`--check` "
        "exits 1 when it is out of date).",
        "",
        "A definition that `flowdsl validate` rejects is rejected by `compile_workflow` too, with "
        "the same rule, now at a line of the generated Python; for those the JSON the generated "
        "code describes (emitted by `compiler.conductor.ConductorEmitter` without validation) is "
        "compared instead.",
        "",
        "## Summary",
        "",
        *_summary(results),
        "",
        NORMAL_FORM,
        "## Definitions that do not compile back",
        "",
        *_failures(results),
        "",
        "## Tasks written with `raw_task`",
        "",
        "A task the authoring API cannot reproduce exactly is generated as `raw_task(...)`, the "
        "DSL's escape hatch, with a comment giving the reason below. Tasks inside a `raw_task` "
        "(the branches of a raw FORK_JOIN, say) are plain JSON inside it and are not counted.",
        "",
        *_raw_table(results),
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is out of date")
    args = parser.parse_args(argv)
    text = render(collect())
    if args.check:
        if DOC.read_text(encoding="utf-8") != text:
            print(f"{DOC} is out of date; run tools/corpus_roundtrip.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
