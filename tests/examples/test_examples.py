"""The examples compile to their committed golden files, and their JSON says what their stories say.

Golden files live in ``tests/golden/<example>/``: one ``<workflow name>.json`` per workflow and
sub-workflow, plus ``taskdefs.json``, the layout ``flowdsl compile`` writes. After an intended
change, rewrite them and review the diff like any other change:

    FLOWDSL_REGENERATE=1 .venv/bin/pytest tests/examples
    git diff tests/golden
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import json
import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from compiler import END, CompiledWorkflow, compile_workflow, dumps
from compiler.expressions import expressions_in
from compiler.targets import load_workflows
from examples.http_secret import record_repo_stats
from examples.image_dynamic_fork import image_manifest, image_resize_plan
from examples.image_resize import image_convert_resize, upload_to_s3
from examples.kyc import collect_kyc_documents, open_account, score_kyc_risk, screen_customer
from examples.lending import calculate_instalment, submit_to_underwriting, underwriting_status

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
EXAMPLES = (
    "image_resize",
    "image_fork",
    "image_dynamic_fork",
    "image_subworkflow",
    "kyc",
    "lending",
    "http_secret",
)
REGENERATE = os.environ.get("FLOWDSL_REGENERATE") == "1"


# -- compiling, as `flowdsl compile` does ------------------------------------------------------


@functools.cache
def compiled(example: str) -> tuple[CompiledWorkflow, ...]:
    """Every workflow the example module defines, compiled (with what each one starts)."""
    with contextlib.chdir(ROOT):
        functions = load_workflows(f"examples/{example}.py")
    return tuple(compile_workflow(fn) for fn in functions)


def rendered(example: str) -> dict[str, str]:
    """File name -> text, exactly the files `flowdsl compile examples/<example>.py` writes."""
    files: dict[str, str] = {}
    task_defs: dict[str, dict[str, Any]] = {}
    for result in compiled(example):
        for item in result.all_workflows():
            files.setdefault(f"{item.name}.json", item.to_json())
        for td in result.all_task_defs():
            task_defs.setdefault(td["name"], td)
    files["taskdefs.json"] = dumps(list(task_defs.values()))
    return files


def workflow(example: str, name: str) -> CompiledWorkflow:
    """The compiled workflow ``name`` of ``example`` (a sub-workflow included)."""
    for result in compiled(example):
        for item in result.all_workflows():
            if item.name == name:
                return item
    raise AssertionError(f"example {example} has no workflow {name!r}")


def task_defs(example: str) -> dict[str, dict[str, Any]]:
    """The example's TaskDefs by name."""
    return {td["name"]: td for result in compiled(example) for td in result.all_task_defs()}


def all_tasks(tasks: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every WorkflowTask in ``tasks``, nested ones included, in document order."""
    for task in tasks:
        yield task
        for branch in task.get("forkTasks", []):
            yield from all_tasks(branch)
        for branch in task.get("decisionCases", {}).values():
            yield from all_tasks(branch)
        yield from all_tasks(task.get("defaultCase", []))
        yield from all_tasks(task.get("loopOver", []))


def by_ref(wf: CompiledWorkflow) -> dict[str, dict[str, Any]]:
    """The workflow's tasks by taskReferenceName."""
    return {task["taskReferenceName"]: task for task in all_tasks(wf.workflow_def["tasks"])}


def case_path(graph: nx.MultiDiGraph, switch: str, case: str) -> list[str]:
    """The refs a SWITCH case runs, in order (following sequence edges from the case edge)."""
    targets = [v for _, v, k in graph.out_edges(switch, keys=True) if k == f"case:{case}"]
    assert len(targets) == 1, f"switch {switch} has no case {case!r}"
    path = [targets[0]]
    while True:
        following = [
            v
            for _, v, d in graph.out_edges(path[-1], data=True)
            if d["kind"] == "sequence" and graph.nodes[v]["parent"] == switch
        ]
        if not following:
            return path
        path.append(following[0])


def unified_diff(expected: str, actual: str, expected_name: str, actual_name: str) -> str:
    """A unified diff of two texts, or a note when they differ only in bytes a diff cannot show."""
    lines = difflib.unified_diff(
        expected.splitlines(keepends=True),
        actual.splitlines(keepends=True),
        expected_name,
        actual_name,
    )
    return "".join(lines) or f"{expected_name} and {actual_name} differ in line endings only\n"


# -- golden files ------------------------------------------------------------------------------


def test_every_example_has_a_golden_test() -> None:
    """A new module in examples/ must be added to EXAMPLES (and so get golden files)."""
    modules = sorted(
        p.stem for p in (ROOT / "examples").glob("*.py") if p.stem not in ("__init__", "__main__")
    )
    assert modules == sorted(EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES)
def test_compiles_to_golden_files(example: str) -> None:
    """The compiled JSON is byte for byte the committed golden files (a diff is shown otherwise)."""
    files = rendered(example)
    directory = GOLDEN / example
    if REGENERATE:
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.json"):
            if stale.name not in files:
                stale.unlink()
        for name, text in files.items():
            (directory / name).write_bytes(text.encode("utf-8"))
        return
    committed = sorted(p.name for p in directory.glob("*.json"))
    assert committed == sorted(files), (
        f"tests/golden/{example}/ holds {committed}, the compiler writes {sorted(files)}; "
        f"if the change is intended, run FLOWDSL_REGENERATE=1 .venv/bin/pytest tests/examples"
    )
    diffs = [
        unified_diff(
            (directory / name).read_bytes().decode("utf-8"),
            text,
            f"tests/golden/{example}/{name} (committed)",
            f"examples/{example}.py -> {name} (compiled now)",
        )
        for name, text in files.items()
        if (directory / name).read_bytes() != text.encode("utf-8")
    ]
    if diffs:
        pytest.fail(
            "compiled JSON differs from the golden files; if the change is intended, run "
            "FLOWDSL_REGENERATE=1 .venv/bin/pytest tests/examples and review the diff\n\n"
            + "\n".join(diffs),
            pytrace=False,
        )


def test_cli_compile_writes_the_golden_bytes(tmp_path: Path) -> None:
    """`flowdsl compile examples/kyc.py -o DIR` (as .ci/examples runs it) writes the golden files."""
    executable = ROOT / ".venv" / "bin" / "flowdsl"
    out = tmp_path / "kyc"
    run = subprocess.run(
        [str(executable), "compile", "examples/kyc.py", "-o", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == "", run.stderr  # no warnings either
    written = {p.name: p.read_bytes() for p in out.iterdir()}
    golden = {p.name: p.read_bytes() for p in (GOLDEN / "kyc").glob("*.json")}  # not the .dot
    assert sorted(written) == sorted(golden)
    diffs = [
        unified_diff(
            golden[name].decode("utf-8"),
            data.decode("utf-8"),
            f"tests/golden/kyc/{name}",
            f"flowdsl compile -> {name}",
        )
        for name, data in written.items()
        if data != golden[name]
    ]
    if diffs:
        pytest.fail(
            "the CLI wrote other bytes than the golden files\n\n" + "\n".join(diffs), pytrace=False
        )


# -- what holds for every example ------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES)
def test_compiles_without_warnings(example: str) -> None:
    for result in compiled(example):
        for item in result.all_workflows():
            assert item.warnings == (), [str(w) for w in item.warnings]


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_worker_has_deliberate_timeouts(example: str) -> None:
    """No TaskDef keeps Conductor's defaults of no task timeout and a one-hour response timeout:
    each says how long its work may take, and Conductor accepts the pair."""
    for name, td in task_defs(example).items():
        assert 0 < td["responseTimeoutSeconds"] <= td["timeoutSeconds"] < 3600, name
        assert td["retryCount"] >= 1, name  # every worker survives at least a crash
        assert td["ownerEmail"].endswith("@example.com"), name


@pytest.mark.parametrize("example", EXAMPLES)
def test_credentials_are_secrets(example: str) -> None:
    """Every credential header of an HTTP task is a ${workflow.secrets.*} reference, never a literal."""
    for result in compiled(example):
        for item in result.all_workflows():
            for task in all_tasks(item.workflow_def["tasks"]):
                if task["type"] != "HTTP":
                    continue
                for header, value in (
                    task["inputParameters"]["http_request"].get("headers", {}).items()
                ):
                    if header.lower() in ("authorization", "x-api-key"):
                        assert re.search(r"\$\{workflow\.secrets\.\w+\}", value), (header, value)


# -- image_resize: resize, then upload ---------------------------------------------------------


def test_image_resize_uploads_the_resized_file() -> None:
    wf = workflow("image_resize", "image_convert_resize")
    graph = wf.graph
    assert graph.has_edge("image_convert_resize", "upload_toS3", key="sequence")
    assert graph.edges["image_convert_resize", "upload_toS3", "data"]["expressions"] == [
        "image_convert_resize.output.file_location",
        "image_convert_resize.output.content_type",
    ]
    assert wf.workflow_def["outputParameters"] == {"file_location": "${upload_toS3.output.s3_url}"}
    # maintain_aspect_ratio is optional for callers: its default is in the inputTemplate
    assert wf.workflow_def["inputTemplate"] == {"maintain_aspect_ratio": True}


def test_image_resize_retries_the_network_more_than_the_cpu() -> None:
    defs = task_defs("image_resize")
    resize, upload = defs["image_convert_resize"], defs["upload_toS3"]
    assert upload["retryLogic"] == "EXPONENTIAL_BACKOFF"
    assert upload["retryCount"] > resize["retryCount"]
    assert resize["timeoutPolicy"] == "RETRY"  # idempotent: a hung resize is simply redone


def test_image_resize_workers_run() -> None:
    resized = image_convert_resize.fn(
        "https://cdn.example.com/in/Beach%20Day.PNG", "webp", 300, 200
    )
    assert resized == {
        "file_location": "/tmp/image-worker/beach-day-300x200-fit.webp",
        "content_type": "image/webp",
    }
    uploaded = upload_to_s3.fn(resized["file_location"], resized["content_type"])
    assert uploaded["key"] == "resized/beach-day-300x200-fit.webp"
    assert uploaded["s3_url"].endswith("/resized/beach-day-300x200-fit.webp")
    with pytest.raises(ValueError, match="unsupported output format"):
        image_convert_resize.fn("a.png", "bmp", 10, 10)


# -- image_fork: jpg and webp in parallel ------------------------------------------------------


def test_image_fork_runs_one_resize_and_upload_per_format() -> None:
    wf = workflow("image_fork", "image_multiple_convert_resize")
    fork, join = wf.workflow_def["tasks"]
    assert (fork["type"], join["type"]) == ("FORK_JOIN", "JOIN")
    branches = [[(t["name"], t["taskReferenceName"]) for t in b] for b in fork["forkTasks"]]
    assert branches == [
        [("image_convert_resize", "image_convert_resize_jpg"), ("upload_toS3", "upload_toS3_jpg")],
        [
            ("image_convert_resize", "image_convert_resize_webp"),
            ("upload_toS3", "upload_toS3_webp"),
        ],
    ]
    assert [b[0]["inputParameters"]["output_format"] for b in fork["forkTasks"]] == ["jpg", "webp"]
    assert join["joinOn"] == ["upload_toS3_jpg", "upload_toS3_webp"]  # waits for both uploads


def test_image_fork_reuses_the_workers_of_image_resize() -> None:
    """The same TaskDefs, retries and timeouts: the tasks are imported, not copied."""
    assert task_defs("image_fork") == task_defs("image_resize")


# -- image_dynamic_fork: formats x sizes, decided at run time ------------------------------------


def test_dynamic_fork_resizes_every_planned_request() -> None:
    wf = workflow("image_dynamic_fork", "image_multiple_convert_resize_dynamic")
    tasks = wf.workflow_def["tasks"]
    assert [t["type"] for t in tasks] == ["SIMPLE", "FORK_JOIN_DYNAMIC", "JOIN", "SIMPLE"]
    plan, fork, join, manifest = tasks
    assert fork["inputParameters"] == {
        "forkTaskName": "image_convert_resize",
        "forkTaskInputs": "${image_resize_plan.output.requests}",
    }
    assert wf.graph.has_edge(plan["taskReferenceName"], fork["taskReferenceName"], key="data")
    assert manifest["inputParameters"]["resized"] == f"${{{join['taskReferenceName']}.output}}"


def test_dynamic_fork_plan_gives_each_forked_task_exactly_its_inputs() -> None:
    from examples.image_resize import image_convert_resize

    plan = image_resize_plan.fn(
        "s3://uploads/cat.png",
        ["jpg", "webp", "JPG"],
        [{"width": 300, "height": 300}, {"width": 1200, "height": 800}],
    )
    assert plan["count"] == 4  # 2 formats x 2 sizes; "JPG" is "jpg" again
    resize_inputs = task_defs("image_dynamic_fork")["image_convert_resize"]["inputKeys"]
    assert all(sorted(request) == sorted(resize_inputs) for request in plan["requests"])
    # Conductor names the forked tasks _<task>_<i>; the JOIN output maps each to its output.
    joined = {
        f"_image_convert_resize_{i}": image_convert_resize.fn(**request)
        for i, request in enumerate(plan["requests"])
    }
    manifest = image_manifest.fn("s3://uploads/cat.png", joined)
    assert manifest["count"] == 4
    assert [f["file_location"].rsplit("/", 1)[1] for f in manifest["files"]] == [
        "cat-1200x800-fit.jpg",
        "cat-1200x800-fit.webp",
        "cat-300x300-fit.jpg",
        "cat-300x300-fit.webp",
    ]


# -- image_subworkflow: each branch is the one-image workflow -----------------------------------


def test_subworkflow_branches_run_the_image_resize_workflow() -> None:
    parent = workflow("image_subworkflow", "image_multiple_convert_resize_subworkflow")
    subs = [t for t in all_tasks(parent.workflow_def["tasks"]) if t["type"] == "SUB_WORKFLOW"]
    child_ref = {"name": "image_convert_resize", "version": 1}
    assert [t["subWorkflowParam"] for t in subs] == [child_ref, child_ref]
    assert [t["inputParameters"]["output_format"] for t in subs] == ["jpg", "webp"]
    assert not [t for t in all_tasks(parent.workflow_def["tasks"]) if t["type"] == "SIMPLE"]
    # The child is compiled along, and it is exactly the workflow of image_resize.
    child = workflow("image_subworkflow", "image_convert_resize")
    assert child.to_json() == workflow("image_resize", "image_convert_resize").to_json()


def test_subworkflow_tasks_do_not_pick_up_a_worker_taskdef() -> None:
    """No SUB_WORKFLOW task is named like a registered TaskDef (Conductor would apply it)."""
    parent = workflow("image_subworkflow", "image_multiple_convert_resize_subworkflow")
    registered = set(task_defs("image_subworkflow"))
    for task in all_tasks(parent.workflow_def["tasks"]):
        if task["type"] == "SUB_WORKFLOW":
            assert task["name"] not in registered, task["taskReferenceName"]


# -- kyc: risk-based onboarding ----------------------------------------------------------------


def test_kyc_high_risk_ends_in_terminate_failed() -> None:
    wf = workflow("kyc", "kyc_onboarding")
    graph = wf.graph
    (reject,) = case_path(graph, "risk_level", "high")
    node = graph.nodes[reject]
    assert node["type"] == "TERMINATE"
    assert node["inputs"]["terminationStatus"] == "FAILED"
    assert "${score_kyc_risk.output.score}" in node["inputs"]["terminationReason"]
    assert graph.has_edge(reject, END, key="sequence")
    assert not graph.has_edge(reject, "open_account")  # a rejected customer gets no account


def test_kyc_medium_risk_goes_to_a_compliance_officer() -> None:
    graph = workflow("kyc", "kyc_onboarding").graph
    review, decision = case_path(graph, "risk_level", "default")
    assert graph.nodes[review]["type"] == "HUMAN"
    assert graph.nodes[decision]["type"] == "SWITCH"
    assert graph.has_edge(review, decision, key="data")  # the officer's decision is switched on
    (rejected,) = case_path(graph, decision, "default")
    assert graph.nodes[rejected]["inputs"]["terminationStatus"] == "FAILED"
    humans = [n for n, t in graph.nodes(data="type") if t == "HUMAN"]
    assert humans == [review]  # low and high risk never wait for a human


def test_kyc_every_approval_records_who_approved() -> None:
    wf = workflow("kyc", "kyc_onboarding")
    tasks = by_ref(wf)
    opened_by = tasks["open_account"]["inputParameters"]["approved_by"]
    assert opened_by == "${workflow.variables.approved_by}"
    approvals = {
        ref: task["inputParameters"]["approved_by"]
        for ref, task in tasks.items()
        if task["type"] == "SET_VARIABLE"
    }
    assert approvals == {
        "approved_automatically": "auto",
        "approved_in_review": "${compliance_review.output.reviewer}",
    }
    graph = wf.graph
    assert case_path(graph, "risk_level", "low") == ["approved_automatically"]
    assert case_path(graph, "review_decision", "APPROVE") == ["approved_in_review"]


def test_kyc_screening_respects_the_vendor_rate_limit() -> None:
    screen = task_defs("kyc")["screen_customer"]
    assert (screen["rateLimitPerFrequency"], screen["rateLimitFrequencyInSeconds"]) == (5, 1)
    assert screen["retryLogic"] == "EXPONENTIAL_BACKOFF"


def test_kyc_workers_run() -> None:
    docs = collect_kyc_documents.fn("c-1", [{"document_id": "d-1", "kind": "passport"}])
    assert docs == {"complete": False, "missing": ["address"], "document_keys": ["kyc/c-1/d-1"]}
    screening = screen_customer.fn("  José  ÁLVAREZ ", "1970-01-01", "es")
    assert screening["pep"] and not screening["sanctions_hit"]
    assert score_kyc_risk.fn("DE", [], False, False, 500.0)["level"] == "low"
    assert score_kyc_risk.fn("DE", [], False, True, 500.0)["level"] == "medium"
    assert score_kyc_risk.fn("IR", [], False, False, 500.0)["level"] == "high"
    first, again = open_account.fn("c-1", "low", "auto"), open_account.fn("c-1", "low", "auto")
    assert first == again  # a retry opens the same account


# -- lending: credit check, polling, decision ----------------------------------------------------


def test_lending_polling_loop_is_capped() -> None:
    wf = workflow("lending", "loan_origination")
    loop = by_ref(wf)["poll_underwriting"]
    assert loop["type"] == "DO_WHILE"
    assert loop["loopCondition"].endswith("&& $.poll_underwriting['iteration'] < 36")
    body = [(t["type"], t["taskReferenceName"]) for t in loop["loopOver"]]
    assert body == [("WAIT", "wait_for_underwriting"), ("SIMPLE", "underwriting_status")]
    assert loop["loopOver"][0]["inputParameters"] == {"duration": "10m"}
    # 36 polls, 10 minutes apart, fit in the workflow timeout.
    assert wf.workflow_def["timeoutSeconds"] > 36 * 10 * 60


def test_lending_loop_condition_reads_only_the_loop_and_its_body() -> None:
    """Every $.ref in the JavaScript condition is the loop or a body task (the compiler does not
    check this: a typo would fail the loop at run time)."""
    loop = by_ref(workflow("lending", "loan_origination"))["poll_underwriting"]
    read = set(re.findall(r"\$\.(\w+)", loop["loopCondition"]))
    assert read == {"poll_underwriting", "underwriting_status"}
    assert read <= {loop["taskReferenceName"]} | {t["taskReferenceName"] for t in loop["loopOver"]}


def test_lending_credit_check_is_an_http_call_with_a_secret_key() -> None:
    wf = workflow("lending", "loan_origination")
    tasks = by_ref(wf)
    request = tasks["credit_bureau_report"]["inputParameters"]["http_request"]
    assert tasks["credit_bureau_report"]["type"] == "HTTP"
    assert (request["method"], request["uri"]) == (
        "POST",
        "https://api.credit-bureau.example/v2/credit-reports",
    )
    assert request["headers"] == {"X-Api-Key": "${workflow.secrets.credit_bureau_api_key}"}
    assert request["readTimeOut"] > 3000  # Conductor's default would cut a slow bureau off
    reads = wf.graph.edges["credit_bureau_report", "submit_to_underwriting", "data"]
    assert reads["expressions"] == ["credit_bureau_report.output.response.body.score"]


def test_lending_decision_outcomes() -> None:
    graph = workflow("lending", "loan_origination").graph
    approved = case_path(graph, "underwriting_decision", "APPROVED")
    assert approved == ["calculate_instalment", "disburse_loan", "loan_disbursed"]
    statuses = {
        case: graph.nodes[case_path(graph, "underwriting_decision", case)[-1]]["inputs"][
            "terminationStatus"
        ]
        for case in ("APPROVED", "REJECTED", "default")
    }
    # Declining a loan is a normal outcome; only an undecided application is a failure.
    assert statuses == {"APPROVED": "COMPLETED", "REJECTED": "COMPLETED", "default": "FAILED"}
    assert graph.nodes["loan_disbursed"]["inputs"]["workflowOutput"]["payment_id"] == (
        "${disburse_loan.output.payment_id}"
    )


def test_lending_workers_run() -> None:
    assert calculate_instalment.fn(10_000.0, 6.5, 36) == {
        "monthly_instalment": 306.49,
        "total_repayment": 11033.64,
    }
    assert calculate_instalment.fn(1_200.0, 0.0, 12)["monthly_instalment"] == 100.0

    def apply(score: int) -> tuple[str, dict[str, Any]]:
        application = (
            f"A-{uuid.uuid4().hex[:8]}"  # the demo case store lives as long as the process
        )
        case = submit_to_underwriting.fn(application, "personal", 10_000.0, 36, 5_000.0, score)
        return application, dict(case)

    _, clear = apply(760)
    assert underwriting_status.fn(clear["underwriting_id"])["decision"] == "APPROVED"
    _, poor = apply(540)
    assert underwriting_status.fn(poor["underwriting_id"])["decision"] == "REJECTED"
    application, borderline = apply(680)
    polls = [underwriting_status.fn(borderline["underwriting_id"]) for _ in range(3)]
    assert [p["status"] for p in polls] == ["PENDING", "PENDING", "DECIDED"]
    assert polls[-1]["approved_amount"] == 10_000.0
    # Submitting again (a retry) finds the same case.
    again = submit_to_underwriting.fn(application, "personal", 10_000.0, 36, 5_000.0, 680)
    assert again == borderline


# -- http_secret: the token is a secret reference ------------------------------------------------


def test_secret_is_only_in_the_authorization_header() -> None:
    wf = workflow("http_secret", "github_repo_stats")
    (call,) = [t for t in all_tasks(wf.workflow_def["tasks"]) if t["type"] == "HTTP"]
    headers = call["inputParameters"]["http_request"]["headers"]
    assert headers["Authorization"] == "Bearer ${workflow.secrets.github_token}"
    texts = rendered("http_secret").values()
    secrets = [
        (expr, where)
        for text in texts
        for expr, where in expressions_in(json.loads(text))
        if expr.startswith("workflow.secrets")
    ]
    assert secrets == [
        (
            "workflow.secrets.github_token",
            ".tasks[0].inputParameters.http_request.headers.Authorization",
        )
    ]
    # No token in plain text: no literal bearer value, no GitHub token, the name only once.
    assert not any(re.search(r"Bearer (?!\$\{workflow\.secrets\.)|gh[pousr]_\w+", t) for t in texts)
    assert sum(text.count("github_token") for text in texts) == 1
    # The workflow's outputs never echo the request (which carries the resolved token).
    assert all(
        "github_repository.input" not in v for v in wf.workflow_def["outputParameters"].values()
    )


def test_http_secret_worker_runs() -> None:
    stats = record_repo_stats.fn(
        {"full_name": "conductor-oss/conductor", "stargazers_count": 2100, "forks_count": 700}
    )
    assert stats == {
        "repository": "conductor-oss/conductor",
        "stars": 2100,
        "forks": 700,
        "open_issues": 0,
        "stars_per_fork": 3.0,
    }
