"""Validate every Conductor JSON file of the shared corpus and write docs/corpus-validation.md.

Each file goes through the code path of ``flowdsl validate FILE.json`` (``compiler.cli``):
``compiler.loader.load_file``, then ``validate_workflow_def`` on every workflow definition at its
JSON path and ``validate_task_defs`` on the file's task definitions at ``$taskDefs``. A file is
rejected (the CLI exits 1) when it cannot be loaded or when any problem is an error.
``tests/compiler/test_corpus_validate.py`` runs the CLI itself on every file and checks that it
agrees with this script, and that the page is up to date.

Every rejected file has a hand-written review in ``REVIEWS``: what is actually wrong in the JSON,
or why the validator is wrong. A rejection without a review shows up as "not reviewed" and fails
the test.

Usage, from the repository root::

    .venv/bin/python tools/corpus_validation.py          # (re)write docs/corpus-validation.md
    .venv/bin/python tools/corpus_validation.py --check  # exit 1 if the page is out of date
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compiler.loader import LoadError, load_file
from compiler.validate import validate_task_defs, validate_workflow_def
from flowdsl.errors import Problem

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "conductor"
DOC = ROOT / "docs" / "corpus-validation.md"
CORPUS_LABEL = "../shared/corpus/conductor"

CONFIRMED = "confirmed"
PARTLY_WRONG = "partly wrong"
WRONG = "wrong"
_VERDICTS = {
    CONFIRMED: "every error is a real problem of the JSON",
    PARTLY_WRONG: "the file has a real problem, but some errors are validator false positives",
    WRONG: "validator false positive: the file should be accepted",
}

# fmt: off
#: Rule codes that reject files, in one line each (docs/validation.md has the full list).
RULES = {
    "not-json": "the file is not valid JSON",
    "not-conductor": "the file is JSON but not a recognised Conductor document",
    "unknown-ref": "an input reads `${x...}` and no task has reference `x`",
    "ref-order": "an input reads a task that cannot have run before the reader",
    "join-on": "a JOIN's `joinOn` misses a branch of the FORK_JOIN before it",
    "schema-version": "`schemaVersion` is not 2",
    "javascript": "a script does not parse as JavaScript",
    "wait-both": "a WAIT has both `duration` and `until`",
    "bad-expression": "a `${...}` that is not a usable JsonPath",
}
# fmt: on

# The hand review of every rejected file (path relative to the corpus): (verdict, what is wrong).
# Checked against conductor-semantics.md sections 1.5 and 6 and flowdsl's stricter rules
# (docs/validation.md).
REVIEWS: dict[str, tuple[str, str]] = {
    "_invalid_json/orkes-io_orkesworkers/data__workflow__image_convert_resize_multipleformat.json": (
        CONFIRMED,
        "The file is one WorkflowDef object followed by a trailing comma (`},` on its last line, "
        "apparently cut out of a JSON array), so it is not valid JSON.",
    ),
    "_invalid_json/orkes-io_orkesworkers/data__workflow__image_effects_pipeline.json": (
        CONFIRMED,
        "The input `outputSizes` of task `image_list_multiple_convert_resize_ref` has no value "
        '(`"outputSizes":` is followed directly by `}`), so the file is not valid JSON.',
    ),
    "codaxy_conductor-sharp/test__ConductorSharp.Engine.Tests__Samples__Workflows__WaitTask.json": (
        CONFIRMED,
        'The WAIT task `wait` sets both `duration: "1s"` and `until: "2022-12-31 11:59"`; '
        "Conductor fails such a task with FAILED_WITH_TERMINAL_ERROR (the file is a sample from "
        "conductor-sharp's engine tests).",
    ),
    "conductor-oss_awesome-conductor-apps/templates.json": (
        CONFIRMED,
        "Entry `$[2]` (`HTTP_EndPoint_Monitoring`) is not deployable as is: its SENDGRID task's "
        "`sendgridConfiguration` is the unfilled template macro `${{macro:SENDGRID_INTEGRATION_NAME}}`, "
        'which the template installer replaces with "SendGrid" (the bundle\'s `placeholders`), but '
        "which is no valid `${...}` expression. (Entry `$[1]`, `agentic_research`, is accepted: the "
        "references it reads from its dynamic fork's task templates exist at run time.)",
    ),
    "conductor-oss_conductor/core__src__test__resources__completed.json": (
        CONFIRMED,
        "This execution record of an old run embeds `performance_test_1` with `schemaVersion: 1` "
        'and v1-style inputs (`"workflow.input.mod"` without `${}`); Conductor accepts only '
        "schemaVersion 2.",
    ),
    "conductor-oss_conductor/core__src__test__resources__test.json": (
        CONFIRMED,
        "In DECISION `modDecision` the sub-workflows `wf2` (case 1), `wf3` (case 5) and `wf4` "
        "(default) read `perf_task_12`, which exists only in case 0, so their inputs are always "
        "null (copied from `wf1`).",
    ),
    "conductor-oss_conductor/e2e__src__test__resources__metadata__do_while_keep_last_n_fix.json": (
        CONFIRMED,
        "In `keep_last_n_example_3` the JOIN `join_ref` has an empty `joinOn`, so it completes at "
        "once without waiting for either branch of FORK_JOIN `fork_ref` (harmless here only "
        "because the JOIN is the last task and the workflow waits for the branches anyway).",
    ),
    "conductor-oss_conductor/e2e__src__test__resources__metadata__re_run_test_workflow.json": (
        CONFIRMED,
        "The SWITCH tasks `fact_length` (in the DO_WHILE) and `fact_length2` (in the inline "
        "sub-workflow) read `${get_data.output.number}`, but neither definition has a task "
        "`get_data`; the output `inner_task` reads `${x_test_worker_1.output}`, but "
        "`x_test_worker_1` is a task name (of `simple_task_1` and `simple_task_5`), not a "
        "reference; all three resolve to null.",
    ),
    "conductor-oss_conductor/e2e__src__test__resources__metadata__sync_workflows.json": (
        CONFIRMED,
        "`load_test_perf_sync_workflow` (`$[2]`) has the kitchensink shape: `fact_length` and the "
        "inline sub-workflow's `fact_length2` read `${get_data.output.number}` although no task "
        "`get_data` exists, and the output `inner_task` reads `x_test_worker_1`, which is a task "
        "name, not a reference.",
    ),
    "conductor-oss_conductor/e2e__src__test__resources__metadata__workflow_rate_limit_in_progress_cleanup.json": (
        CONFIRMED,
        "In `workflow_rate_limit_in_progress_parent` the JOIN `join_ref` has an empty `joinOn`, "
        "so it does not wait for any of the three SUB_WORKFLOW branches of FORK_JOIN `fork_ref`.",
    ),
    "conductor-oss_conductor/e2e__src__test__resources__metadata__workflows.json": (
        CONFIRMED,
        "`sub_workflow_test` (`$[0]`) reads `${get_data.output.number}` in `fact_length` and in "
        "the inline sub-workflow's `fact_length2`, but no task `get_data` exists; both "
        "`PopulationMinMax2a27fdfb-...` versions (`$[1]`, `$[2]`) output "
        "`${get_random_fact.output.response.body.fact}`, but their only task is `x_test_worker_4` "
        "or `x_test_worker_1`, so `data` is always null.",
    ),
    "conductor-oss_conductor/rest__src__main__resources__kitchensink__wf1.json": (
        CONFIRMED,
        "`main_workflow` declares `schemaVersion: 1` and writes its inputs in the obsolete v1 form "
        '(`"workflow.input.mod"` without `${}`); Conductor accepts only schemaVersion 2.',
    ),
    "conductor-oss_conductor/test-harness__src__test__resources__do_while_cleanup_demo.json": (
        CONFIRMED,
        "Its INLINE scripts read `$.do_while_loop_ref['iteration']`, but an INLINE task's `$` is its "
        "own input, which has no `do_while_loop_ref`: the property access throws and the task fails "
        "(FAILED_WITH_TERMINAL_ERROR); the iteration must be passed in through inputParameters "
        "(`${do_while_loop_ref.output.iteration}`).",
    ),
    "conductor-oss_conductor/test-harness__src__test__resources__do_while_timeline_ui_demo.json": (
        CONFIRMED,
        "Its INLINE scripts read `$.do_while_switch_ref` and `$.do_while_fork_ref`, which are loop "
        "references, not inputs of those INLINE tasks (an INLINE script's `$` is its own input), so "
        "the scripts throw when they run; the values must be bound in inputParameters.",
    ),
    "conductor-oss_conductor/ui__e2e__fixtures__doWhile__doWhileSwitch.json": (
        CONFIRMED,
        "SWITCH `switch_task` switches on `${inline_task_1.output.result.result}`, but the loop's "
        "INLINE task is `inline_task`, so the case value is null and no case runs; the recorded "
        "execution indeed has no `Set_NODE_*` task.",
    ),
    "conductor-oss_conductor/ui__e2e__fixtures__dynamicFork.json": (
        CONFIRMED,
        "The e-mail sub-workflows in the cases of DECISION `checkDiscoveryOutcome` read "
        "`${assetDiscovery.output...}`, but the sub-workflow's reference is `assetdiscovery` "
        "(JsonPath keys are case-sensitive), and `${oldCsv.output.result}`, a top-level task that "
        "runs only after the DECISION `assetDiscoveryFlow`; all those values are null.",
    ),
    "conductor-oss_conductor-apps/python__interview_agentic_app__resources__workflow.json": (
        CONFIRMED,
        "The final JOIN `join_ref` has an empty `joinOn`, so it does not wait for either branch of "
        "FORK_JOIN `fork_ref` (storing the transcript, sending the thank-you e-mail).",
    ),
    "conductor-oss_java-sdk/tests__src__test__resources__sdk_test.json": (
        CONFIRMED,
        "The output `inner_task` reads `${x_test_worker_1.output}`, but no task is named or "
        "referenced `x_test_worker_1` (the fork tasks are all `there_is_no_worker`), so it is "
        "always null.",
    ),
    "conductor-oss_python-sdk/examples__workers_e2e_workflow.json": (
        CONFIRMED,
        "`greet_async_ref` passes `my_id2: ${greet_async_ref.taskId}`, its own task id, which "
        "does not exist yet when its input is computed (null on the first attempt); "
        "`${CPEWF_TASK_ID}`, already used for `my_id`, is the way to get it.",
    ),
    "conductor-sdk_conductor-examples/document_approvals__review_approval.json": (
        CONFIRMED,
        "The SWITCH tasks `Review1Check`, `Review2Check` and `Review3Check` switch on "
        "`${user_action.output.approved}`, but there is no task `user_action` (the reviews are "
        "`Review1.a`, `Review1.b`, `Review2`, `Review3`), so they always see null and run no case.",
    ),
    "netflix_conductor/client__src__test__resources__workflows__PopulationMinMax.json": (
        CONFIRMED,
        "The output reads `${get_random_fact.output.response.body.fact}`, but the only task is "
        "the SET_VARIABLE `set_variable_task_jqc56h_ref`, so `data` is always null.",
    ),
    "netflix_conductor/client__src__test__resources__workflows__kitchensink.json": (
        CONFIRMED,
        "`fact_length` (in the DO_WHILE) and `fact_length2` (in the inline sub-workflow) read "
        "`${get_data.output.number}`, but no task `get_data` exists, so `number` is always null.",
    ),
    "orkes-io_workflow-cicd/src__main__resources__workflows__PopulationMinMax.json": (
        CONFIRMED,
        "The output reads `${get_random_fact.output.response.body.fact}`, but the only task is "
        "the SET_VARIABLE `set_variable_task_jqc56h_ref`, so `data` is always null.",
    ),
    "orkes-io_workflow-cicd/src__main__resources__workflows__kitchensink.json": (
        CONFIRMED,
        "`fact_length` (in the DO_WHILE) and `fact_length2` (in the inline sub-workflow) read "
        "`${get_data.output.number}`, but no task `get_data` exists, so `number` is always null.",
    ),
}


# --- collecting -----------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkflowResult:
    """One workflow definition of a file and the problems the validator found in it."""

    json_path: str
    name: str
    problems: tuple[Problem, ...]
    inline_subworkflows: int

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


@dataclass(frozen=True)
class FileResult:
    """The verdict on one corpus file, as ``flowdsl validate`` reaches it."""

    rel: str
    kind: str | None
    load_error: LoadError | None
    workflows: tuple[WorkflowResult, ...]
    task_defs: int
    task_def_problems: tuple[Problem, ...]

    @property
    def problems(self) -> tuple[Problem, ...]:
        found = [p for w in self.workflows for p in w.problems]
        return (*found, *self.task_def_problems)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity != "error")

    @property
    def not_json(self) -> bool:
        return self.load_error is not None and self.load_error.line is not None

    @property
    def accepted(self) -> bool:
        """True when ``flowdsl validate`` exits 0 on this file."""
        return self.load_error is None and not self.errors

    @property
    def error_codes(self) -> list[str]:
        """One rule code per error; a file that cannot be loaded counts as one error."""
        if self.load_error is not None:
            return ["not-json" if self.not_json else "not-conductor"]
        return [p.code for p in self.errors]


def corpus_files(corpus: Path = CORPUS) -> list[Path]:
    """Every ``*.json`` file under ``corpus``, sorted (directory by directory)."""
    return sorted(corpus.rglob("*.json"))


def _inline_subworkflows(value: Any) -> int:
    """How many inline sub-workflow definitions ``value`` (a workflow definition) contains."""
    count = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, Mapping):
            sub = item.get("subWorkflowParam")
            inline = sub.get("workflowDefinition") if isinstance(sub, Mapping) else None
            if isinstance(inline, Mapping):
                count += 1
            stack.extend(v for k, v in item.items() if k != "inputParameters")
    return count


def validate_file(path: Path, corpus: Path = CORPUS) -> FileResult:
    """Load and validate one file exactly as ``flowdsl validate FILE.json`` does."""
    rel = path.relative_to(corpus).as_posix()
    try:
        loaded = load_file(path)
    except LoadError as err:
        return FileResult(rel, None, err, (), 0, ())
    workflows = tuple(
        WorkflowResult(
            found.json_path,
            str(found.definition.get("name")),
            tuple(validate_workflow_def(found.definition, path=found.json_path)),
            _inline_subworkflows(found.definition.get("tasks")),
        )
        for found in loaded.workflows
    )
    td_problems: tuple[Problem, ...] = ()
    if loaded.task_defs:
        td_problems = tuple(validate_task_defs(list(loaded.task_defs), path="$taskDefs"))
    return FileResult(rel, loaded.kind, None, workflows, len(loaded.task_defs), td_problems)


def collect(corpus: Path = CORPUS) -> list[FileResult]:
    """The verdict on every corpus file, in path order."""
    return [validate_file(path, corpus) for path in corpus_files(corpus)]


# --- rendering ------------------------------------------------------------------------------


def _md(text: str) -> str:
    """``text`` (a validator message) safe to put in Markdown prose or a table cell."""
    for char in ("\\", "`", "*", "<", ">", "|"):
        text = text.replace(char, "\\" + char)
    return text.replace("__", "\\_\\_")


def _n(count: int) -> str:
    return f"{count:,}"


def _plural(count: int, word: str) -> str:
    return f"{_n(count)} {word}" + ("" if count == 1 else "s")


def _summary(results: Sequence[FileResult]) -> Iterator[str]:
    workflows = [w for r in results for w in r.workflows]
    rejected_wf = [w for w in workflows if w.errors]
    rejected = [r for r in results if not r.accepted]
    verdicts = Counter(REVIEWS.get(r.rel, ("not reviewed", ""))[0] for r in rejected)
    td_with_errors = {
        p.json_path.split("]")[0]
        for r in results
        for p in r.task_def_problems
        if p.severity == "error" and p.json_path
    }
    rows = [
        ("files", len(results)),
        ("files accepted (exit 0)", sum(r.accepted for r in results)),
        ("files rejected (exit 1)", sum(r.load_error is None and not r.accepted for r in results)),
        ("files that are not JSON (exit 1)", sum(r.not_json for r in results)),
        (
            "files that are JSON but not Conductor definitions (exit 1)",
            sum(r.load_error is not None and not r.not_json for r in results),
        ),
        ("workflow definitions", len(workflows)),
        ("workflow definitions accepted", len(workflows) - len(rejected_wf)),
        ("workflow definitions rejected", len(rejected_wf)),
        (
            "inline sub-workflow definitions (validated with their parent)",
            sum(w.inline_subworkflows for w in workflows),
        ),
        ("task definitions", sum(r.task_defs for r in results)),
        ("task definitions with errors", len(td_with_errors)),
        ("errors", sum(len(r.errors) for r in results)),
        ("warnings", sum(len(r.warnings) for r in results)),
    ]
    yield "| | count |"
    yield "|---|---:|"
    for label, count in rows:
        yield f"| {label} | {_n(count)} |"
    yield ""
    yield (
        f"Hand review of the {_plural(len(rejected), 'rejected file')} (including the ones that are "
        "not JSON): "
        + "; ".join(
            f"**{verdict}** {_n(verdicts[verdict])}"
            for verdict in (CONFIRMED, PARTLY_WRONG, WRONG, "not reviewed")
            if verdicts[verdict] or verdict != "not reviewed"
        )
        + "."
    )
    yield ""
    for verdict, meaning in _VERDICTS.items():
        yield f"- **{verdict}**: {meaning}."
    yield ""
    kinds = Counter(r.kind or "(not loaded)" for r in results)
    rejected_kinds = Counter(r.kind or "(not loaded)" for r in rejected)
    yield "| file kind | files | rejected |"
    yield "|---|---:|---:|"
    for kind in sorted(kinds):
        yield f"| {kind} | {_n(kinds[kind])} | {_n(rejected_kinds[kind])} |"


def _by_rule(results: Sequence[FileResult]) -> Iterator[str]:
    errors: Counter[str] = Counter()
    workflows: Counter[str] = Counter()
    files: Counter[str] = Counter()
    for result in results:
        errors.update(result.error_codes)
        files.update(set(result.error_codes))
        for wf in result.workflows:
            workflows.update({p.code for p in wf.errors})
    yield "| code | errors | workflow definitions | files | rule |"
    yield "|---|---:|---:|---:|---|"
    for code in sorted(errors, key=lambda c: (-files[c], -errors[c], c)):
        yield (
            f"| `{code}` | {_n(errors[code])} | {_n(workflows[code])} | {_n(files[code])} "
            f"| {RULES.get(code, 'see docs/validation.md')} |"
        )


def _problem_lines(problems: Iterable[Problem], indent: str = "") -> Iterator[str]:
    for problem in problems:
        yield f"{indent}- `{problem.json_path or '$'}`: {_md(problem.message)}"
        if problem.hint:
            yield f"{indent}  - fix: {_md(problem.hint)}"


def _rejected_file(result: FileResult) -> Iterator[str]:
    yield f"### `{result.rel}`"
    yield ""
    verdict, review = REVIEWS.get(result.rel, ("not reviewed", "(no review yet)"))
    if result.load_error is not None:
        err = result.load_error
        where = f"line {err.line}, column {err.column}" if err.line is not None else err.json_path
        yield f"- Not loadable: {where}: {_md(err.message)}"
        yield f"- Review ({verdict}): {review}"
        return
    rejected = [w for w in result.workflows if w.errors]
    names = ", ".join(
        f"`{w.name}` (`{w.json_path}`, {_plural(len(w.errors), 'error')})" for w in rejected
    )
    yield f"- Kind: {result.kind}; rejected workflow definitions: {names or 'none'}"
    accepted = [w for w in result.workflows if not w.errors]
    if accepted and rejected:
        yield "- Accepted in the same file: " + ", ".join(f"`{w.name}`" for w in accepted)
    yield f"- Review ({verdict}): {review}"
    yield "- Errors:"
    yield from _problem_lines(result.errors, "  ")


def _warnings(results: Sequence[FileResult]) -> Iterator[str]:
    by_code: dict[str, list[tuple[str, Problem]]] = {}
    for result in results:
        for problem in result.warnings:
            by_code.setdefault(problem.code, []).append((result.rel, problem))
    if not by_code:
        yield "None."
        return
    order = sorted(by_code, key=lambda c: (-len(by_code[c]), c))
    yield "| code | warnings | files |"
    yield "|---|---:|---:|"
    for code in order:
        files = {rel for rel, _ in by_code[code]}
        yield f"| `{code}` | {_n(len(by_code[code]))} | {_n(len(files))} |"
    for code in order:
        yield ""
        yield f"### `{code}`"
        yield ""
        for rel, problem in by_code[code]:
            yield f"- `{rel}` `{problem.json_path or '$'}`: {_md(problem.message)}"


def render(results: Sequence[FileResult]) -> str:
    """The whole of docs/corpus-validation.md."""
    rejected = [r for r in results if not r.accepted]
    lines = [
        "# Corpus validation",
        "",
        "<!-- Generated by tools/corpus_validation.py; do not edit by hand. -->",
        "",
        f"Every `*.json` file under `{CORPUS_LABEL}/` (relative to the repository root; its "
        "`MANIFEST.md` says where each file comes from) goes through the code path of "
        "`flowdsl validate FILE.json`: the file is loaded with `compiler.loader`, every workflow "
        "definition in it is validated at its JSON path and its task definitions at `$taskDefs`. "
        "A file is rejected (exit code 1) when it cannot be loaded or when any problem is an "
        "error; warnings do not reject. `tests/compiler/test_corpus_validate.py` runs the CLI on "
        "every file and checks that it never crashes, that its exit code agrees with this page, "
        "and that this page is up to date.",
        "",
        "Regenerate this page with `.venv/bin/python tools/corpus_validation.py`; add `--check` to "
        "exit 1 when it is out of date instead. The rules are described in "
        "[validation.md](validation.md).",
        "",
        "Each rejected file was reviewed by hand against the JSON and Conductor's semantics "
        "(registration rules, expression resolution) plus flowdsl's stricter rules; its *Review* "
        "line says in one sentence what is actually wrong in the JSON, or why the validator is "
        "wrong.",
        "",
        "## Summary",
        "",
        *_summary(results),
        "",
        "## Rejections by rule",
        "",
        "*errors*: problems with that code; *workflow definitions* and *files*: how many have at "
        "least one of them.",
        "",
        *_by_rule(results),
        "",
        "## Rejected files",
        "",
    ]
    for result in rejected:
        lines.extend(_rejected_file(result))
        lines.append("")
    lines += ["## Warnings", "", "Warnings do not reject a file.", "", *_warnings(results)]
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is out of date")
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(
            f"corpus not found: {CORPUS_LABEL} (relative to the repository root)", file=sys.stderr
        )
        return 2
    text = render(collect())
    current = DOC.read_text(encoding="utf-8") if DOC.is_file() else None
    if args.check:
        if current != text:
            print(
                f"{DOC.relative_to(ROOT)} is out of date; run tools/corpus_validation.py",
                file=sys.stderr,
            )
            return 1
        print(f"{DOC.relative_to(ROOT)} is up to date")
        return 0
    if current != text:
        DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
