"""Every example, simulated: its happy path, its retry path and its timeout path.

Each test runs the example's @workflow function on the simulator's fake clock (the real @task
functions are the workers unless a test mocks them; HTTP and HUMAN tasks are mocked or signalled)
and asserts the exact simulated duration. The numbers come from the TaskDefs in
``tests/golden/<example>/taskdefs.json``; the comments derive them (conductor-semantics.md §4.1
for retry delays, §5 for timeouts). A system task without a TaskDef (HTTP, SUB_WORKFLOW, HUMAN)
gets Conductor's ad-hoc one: retryDelaySeconds 60, FIXED, responseTimeoutSeconds 0 (§2.2).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from examples import lending
from examples.http_secret import github_repo_stats
from examples.image_dynamic_fork import image_multiple_convert_resize_dynamic
from examples.image_fork import image_multiple_convert_resize
from examples.image_resize import image_convert_resize_workflow
from examples.image_subworkflow import image_multiple_convert_resize_subworkflow
from examples.kyc import kyc_onboarding
from examples.lending import loan_origination
from testing.simulator import Run, Simulator

S3 = "https://image-processing-orkes.s3.us-east-1.amazonaws.com/resized/"
WORK_DIR = "/tmp/image-worker/"
IMAGE = {
    "file_location": "https://cdn.example.com/u/Cat Photo.PNG",
    "output_width": 300,
    "output_height": 200,
}


@pytest.fixture(autouse=True)
def _fresh_underwriting(monkeypatch: pytest.MonkeyPatch) -> None:
    """lending's demo underwriting workers keep cases in a module dict: one per test."""
    monkeypatch.setattr(lending, "_CASES", {})


def children(run: Run) -> list[Run]:
    """The run's child workflows (sub-workflows), as runs of their own."""
    return [Run(child, (), run.start_ms) for child in run.children]


# -- image_resize: image_convert_resize (FIXED 10 s x2, timeout 300 s, response 120 s, RETRY)
#    then upload_toS3 (EXPONENTIAL 5 s x5, timeout 180 s, response 60 s, RETRY); workflow 1800 s


def test_resize_happy_path(flowdsl_sim: Simulator) -> None:
    """The real workers resize and upload in no simulated time."""
    run = flowdsl_sim.run(image_convert_resize_workflow, input={**IMAGE, "output_format": "jpg"})
    assert run.status == "COMPLETED"
    # maintain_aspect_ratio comes from the workflow's inputTemplate (true): "-fit"
    assert run.output == {"file_location": S3 + "cat-photo-300x200-fit.jpg"}
    assert run.task("upload_toS3").input["content_type"] == "image/jpeg"
    assert run.duration == timedelta(0)


def test_upload_retries_then_succeeds(flowdsl_sim: Simulator) -> None:
    """S3 throttles twice; the exponential backoff waits 5 s then 10 s."""
    flowdsl_sim.mock("upload_toS3").fails(times=2).then_completes({"s3_url": "s3://b/x.jpg"})
    run = flowdsl_sim.run(image_convert_resize_workflow, input={**IMAGE, "output_format": "jpg"})
    assert run.status == "COMPLETED"
    assert run.output == {"file_location": "s3://b/x.jpg"}
    assert run.task("upload_toS3").attempts == 3
    assert run.duration == timedelta(seconds=15)  # EXPONENTIAL d=5: 5*2^0 + 5*2^1 = 5 + 10


def test_resize_of_unsupported_format_uses_up_its_retries(flowdsl_sim: Simulator) -> None:
    """The real worker rejects bmp on every attempt: 2 retries, 10 s apart, then FAILED."""
    run = flowdsl_sim.run(image_convert_resize_workflow, input={**IMAGE, "output_format": "bmp"})
    assert run.status == "FAILED"
    resize = run.task("image_convert_resize")
    assert resize.attempts == 3  # retryCount 2
    assert str(resize.reason).startswith("ValueError: unsupported")
    assert run.duration == timedelta(seconds=20)  # FIXED: 10 + 10


def test_silent_upload_worker_times_out(flowdsl_sim: Simulator) -> None:
    """A worker that never answers hits the 60 s response timeout on all 6 attempts."""
    flowdsl_sim.mock("upload_toS3").times_out()
    run = flowdsl_sim.run(image_convert_resize_workflow, input={**IMAGE, "output_format": "jpg"})
    assert run.status == "TIMED_OUT"  # §4.2: a TIMED_OUT task out of retries
    upload = run.task("upload_toS3")
    assert upload.attempts == 6  # retryCount 5
    assert str(upload.reason).startswith("responseTimeout: 60 exceeded")
    # 6 response timeouts of 60 s + backoff 5 + 10 + 20 + 40 + 80 = 360 + 155
    assert run.duration == timedelta(seconds=515)


def test_resize_stuck_in_progress_hits_the_task_timeout(flowdsl_sim: Simulator) -> None:
    """A worker that keeps saying IN_PROGRESS is cut by timeoutSeconds 300, RETRY twice."""
    flowdsl_sim.mock("image_convert_resize").in_progress(callback_after=timedelta(seconds=60))
    run = flowdsl_sim.run(image_convert_resize_workflow, input={**IMAGE, "output_format": "jpg"})
    assert run.status == "TIMED_OUT"
    assert run.task("image_convert_resize").attempts == 3
    assert run.task("image_convert_resize").reason == (
        "Task timed out after 300 seconds. Timeout configured as 300 seconds. "
        "Timeout policy configured to RETRY"
    )
    # §5.2: a retry's timeout counts from startTime + startDelay (= the 10 s retry delay):
    # attempt 1 at 0 + 300 = 300; attempt 2 polled at 310: 310 + 10 + 300 = 620;
    # attempt 3 polled at 630: 630 + 10 + 300 = 940
    assert run.duration == timedelta(seconds=940)


# -- image_fork: two branches of the image_resize workers, same TaskDefs; workflow 1800 s


def test_fork_happy_path(flowdsl_sim: Simulator) -> None:
    """Both branches run, the JOIN gathers both uploads."""
    run = flowdsl_sim.run(image_multiple_convert_resize, input=IMAGE)
    assert run.status == "COMPLETED"
    assert run.output == {
        "file_location_jpg": S3 + "cat-photo-300x200-fit.jpg",
        "file_location_webp": S3 + "cat-photo-300x200-fit.webp",
    }
    assert set(run.task("image_multiple_join").output) == {"upload_toS3_jpg", "upload_toS3_webp"}
    assert run.duration == timedelta(0)


def test_fork_webp_upload_retries_while_jpg_is_done(flowdsl_sim: Simulator) -> None:
    """The webp upload fails 3 times; the JOIN waits for its 4th attempt."""
    flowdsl_sim.mock("upload_toS3_webp").fails(times=3).then_completes({"s3_url": "s3://b/w.webp"})
    run = flowdsl_sim.run(image_multiple_convert_resize, input=IMAGE)
    assert run.status == "COMPLETED"
    assert run.output["file_location_webp"] == "s3://b/w.webp"
    assert run.task("upload_toS3_jpg").attempts == 1
    assert run.task("upload_toS3_webp").attempts == 4
    assert run.duration == timedelta(seconds=35)  # EXPONENTIAL d=5: 5 + 10 + 20


def test_fork_fails_when_one_upload_runs_out_of_retries(flowdsl_sim: Simulator) -> None:
    """Six failed webp uploads fail the workflow; the JOIN is CANCELED (§9)."""
    flowdsl_sim.mock("upload_toS3_webp").fails(times=6)
    run = flowdsl_sim.run(image_multiple_convert_resize, input=IMAGE)
    assert run.status == "FAILED"
    assert run.task("upload_toS3_webp").attempts == 6  # retryCount 5
    assert run.task("upload_toS3_jpg").status == "COMPLETED"
    assert run.task("image_multiple_join").status == "CANCELED"
    assert run.output["file_location_jpg"] == S3 + "cat-photo-300x200-fit.jpg"
    assert run.duration == timedelta(seconds=155)  # 5 + 10 + 20 + 40 + 80


def test_fork_silent_resize_worker_times_out(flowdsl_sim: Simulator) -> None:
    """The jpg resize worker goes silent: 3 response timeouts of 120 s end the workflow."""
    flowdsl_sim.mock("image_convert_resize_jpg").times_out()
    run = flowdsl_sim.run(image_multiple_convert_resize, input=IMAGE)
    assert run.status == "TIMED_OUT"
    assert run.task("image_convert_resize_jpg").attempts == 3  # retryCount 2
    assert run.task("upload_toS3_webp").status == "COMPLETED"
    assert run.task("image_multiple_join").status == "CANCELED"
    assert run.duration == timedelta(seconds=380)  # 120 + 10 + 120 + 10 + 120


# -- image_subworkflow: a fork of two SUB_WORKFLOWs (no TaskDef: 0 retries) running the
#    image_resize workflow (workflow timeout 1800 s); the parent's timeout is 3600 s


def test_subworkflow_happy_path(flowdsl_sim: Simulator) -> None:
    """Each branch runs the one-image workflow; its output comes back through the SUB_WORKFLOW."""
    run = flowdsl_sim.run(image_multiple_convert_resize_subworkflow, input=IMAGE)
    assert run.status == "COMPLETED"
    assert run.output == {
        "file_location_jpg": S3 + "cat-photo-300x200-fit.jpg",
        "file_location_webp": S3 + "cat-photo-300x200-fit.webp",
    }
    jpg, webp = children(run)
    assert (jpg.status, webp.status) == ("COMPLETED", "COMPLETED")
    assert jpg.execution["input"]["maintain_aspect_ratio"] is True  # the child's inputTemplate
    assert (
        run.task("image_convert_resize_jpg").output["subWorkflowId"] == jpg.execution["workflowId"]
    )
    assert run.duration == timedelta(0)


def test_subworkflow_fails_when_child_uploads_run_out_of_retries(flowdsl_sim: Simulator) -> None:
    """Retries happen inside each child; the SUB_WORKFLOW tasks themselves never retry."""
    flowdsl_sim.mock("upload_toS3").fails(times=6)
    run = flowdsl_sim.run(image_multiple_convert_resize_subworkflow, input=IMAGE)
    assert run.status == "FAILED"
    for child in children(run):
        assert child.status == "FAILED"
        assert child.task("upload_toS3").attempts == 6  # retryCount 5
        assert child.duration == timedelta(seconds=155)  # 5 + 10 + 20 + 40 + 80
    assert run.task("image_convert_resize_jpg").attempts == 1  # ad-hoc TaskDef: retryCount 0
    reason = str(run.task("image_convert_resize_jpg").reason)
    assert reason.startswith("Sub workflow image_convert_resize.1/")
    assert run.duration == timedelta(seconds=155)


def test_subworkflow_child_timeout_times_out_the_parent(flowdsl_sim: Simulator) -> None:
    """No upload worker polls: each child times out at 1800 s, before the parent's 3600 s."""
    flowdsl_sim.mock("upload_toS3").never_polled()
    run = flowdsl_sim.run(image_multiple_convert_resize_subworkflow, input=IMAGE)
    assert [child.status for child in children(run)] == ["TIMED_OUT", "TIMED_OUT"]
    assert run.task("image_convert_resize_jpg").status == "TIMED_OUT"  # §8.7: mirrors the child
    assert run.status == "TIMED_OUT"
    assert run.duration == timedelta(seconds=1800)


# -- image_dynamic_fork: image_resize_plan and image_manifest (FIXED 1 s x1, timeout 30 s,
#    response 30 s, TIME_OUT_WF), forked image_convert_resize as above; workflow 3600 s

VARIANTS = {
    "file_location": IMAGE["file_location"],
    "output_formats": ["jpg", "webp"],
    # the plan drops the duplicate size: forks 0..3 are jpg 300x200, jpg 100x100, webp 300x200,
    # webp 100x100
    "output_sizes": [{"width": 300, "height": 200}, {"width": 100, "height": 100}] * 2,
}
FORKED = [f"_image_convert_resize_{i}" for i in range(4)]
MANIFEST = [  # sorted by file name
    {
        "task": FORKED[i],
        "file_location": f"{WORK_DIR}cat-photo-{size}-fit.{ext}",
        "content_type": mime,
    }
    for i, size, ext, mime in (
        (1, "100x100", "jpg", "image/jpeg"),
        (3, "100x100", "webp", "image/webp"),
        (0, "300x200", "jpg", "image/jpeg"),
        (2, "300x200", "webp", "image/webp"),
    )
]


def test_dynamic_fork_happy_path(flowdsl_sim: Simulator) -> None:
    """2 formats x 2 sizes fork 4 resizes; the manifest lists their files."""
    run = flowdsl_sim.run(image_multiple_convert_resize_dynamic, input=VARIANTS)
    assert run.status == "COMPLETED"
    assert run.output == {"files": MANIFEST, "count": 4}
    assert run.task("image_resize_fork").input["forkedTasks"] == FORKED
    assert sorted(run.task("image_resize_fork_join").output) == FORKED
    assert run.duration == timedelta(0)


def test_dynamic_fork_one_resize_retries(flowdsl_sim: Simulator) -> None:
    """One forked resize fails twice; the JOIN waits for its third attempt."""
    output = {"file_location": WORK_DIR + "cat-photo-100x100-fit.jpg", "content_type": "image/jpeg"}
    flowdsl_sim.mock("_image_convert_resize_1").fails(times=2).then_completes(output)
    run = flowdsl_sim.run(image_multiple_convert_resize_dynamic, input=VARIANTS)
    assert run.status == "COMPLETED"
    assert run.output == {"files": MANIFEST, "count": 4}
    assert run.task("_image_convert_resize_1").attempts == 3
    assert run.task("_image_convert_resize_0").attempts == 1
    assert run.duration == timedelta(seconds=20)  # FIXED d=10: 10 + 10


def test_dynamic_fork_bad_plan_request_fails_after_one_retry(flowdsl_sim: Simulator) -> None:
    """No output format: the real plan worker raises on both attempts, 1 s apart."""
    run = flowdsl_sim.run(
        image_multiple_convert_resize_dynamic, input={**VARIANTS, "output_formats": []}
    )
    assert run.status == "FAILED"
    assert run.task("image_resize_plan").attempts == 2  # retryCount 1
    assert "give at least one output format" in str(run.reason)
    assert run.duration == timedelta(seconds=1)  # FIXED d=1


def test_dynamic_fork_silent_manifest_worker_times_out_the_workflow(flowdsl_sim: Simulator) -> None:
    """TIME_OUT_WF: the task timeout (checked before the response timeout) skips the retry."""
    flowdsl_sim.mock("image_manifest").times_out()
    run = flowdsl_sim.run(image_multiple_convert_resize_dynamic, input=VARIANTS)
    assert run.status == "TIMED_OUT"
    assert run.task("image_manifest").attempts == 1  # §5.6: retryCount 1 is not used
    assert "Timeout policy configured to TIME_OUT_WF" in str(run.reason)
    assert run.duration == timedelta(seconds=30)  # timeoutSeconds 30 from the poll at 0


# -- kyc: collect_kyc_documents (FIXED 10 s x3, response 30 s), screen_customer (EXPONENTIAL
#    15 s x4), score_kyc_risk, open_account (LINEAR 60 s x5, factor 1), all TIME_OUT_WF;
#    compliance_review is a HUMAN task; workflow 7 days

DOCUMENTS = [
    {"document_id": "d1", "kind": "passport"},
    {"document_id": "d2", "kind": "utility_bill"},
]
CUSTOMER = {
    "customer_id": "C-1",
    "full_name": "Anna Schmidt",
    "date_of_birth": "1990-04-01",
    "country": "DE",
    "documents": DOCUMENTS,
}
PEP = {**CUSTOMER, "full_name": "José Álvarez"}  # a PEP: score 40, medium
SANCTIONED = {**CUSTOMER, "full_name": "Ivan Sanctionov"}  # score 100, high
ACCOUNT = "ACC0151031127"  # open_account: int(sha256("C-1")[:12], 16) % 10**10
APPROVED = {"customer_id": "C-1", "account_number": ACCOUNT}


def test_kyc_low_risk_is_approved_automatically(flowdsl_sim: Simulator) -> None:
    """Score 0: the SWITCH sets approved_by=auto and the account opens at once."""
    run = flowdsl_sim.run(kyc_onboarding, input=CUSTOMER)
    assert run.status == "COMPLETED"
    assert run.output == {**APPROVED, "risk_score": 0, "approved_by": "auto"}
    assert run.execution["variables"] == {"approved_by": "auto"}
    assert run.task("risk_level").output["selectedCase"] == "low"
    assert run.duration == timedelta(0)


def test_kyc_medium_risk_goes_to_a_compliance_officer(flowdsl_sim: Simulator) -> None:
    """A PEP waits for the HUMAN review; the officer approves after 4 hours."""
    review = {"decision": "APPROVE", "reviewer": "officer.jane", "comment": "known PEP, ok"}
    flowdsl_sim.signal("compliance_review", after=timedelta(hours=4), output=review)
    run = flowdsl_sim.run(kyc_onboarding, input=PEP)
    assert run.status == "COMPLETED"
    assert run.output == {**APPROVED, "risk_score": 40, "approved_by": "officer.jane"}
    assert run.task("compliance_review").input["reasons"] == ["politically exposed person"]
    assert run.task("open_account").input["approved_by"] == "officer.jane"
    assert run.duration == timedelta(hours=4)  # the signal's time; the rest takes none


def test_kyc_officer_rejection_terminates_failed(flowdsl_sim: Simulator) -> None:
    """The officer rejects: TERMINATE FAILED with the officer's comment, no account."""
    review = {"decision": "REJECT", "reviewer": "officer.jane", "comment": "forged bill"}
    flowdsl_sim.signal("compliance_review", after=timedelta(hours=4), output=review)
    run = flowdsl_sim.run(kyc_onboarding, input=PEP)
    assert run.status == "FAILED"
    assert run.reason == "rejected in compliance review: forged bill"
    assert run.output == {"customer_id": "C-1", "decision": "REJECTED", "risk_score": 40}
    assert "open_account" not in {t["referenceTaskName"] for t in run.tasks}
    assert run.duration == timedelta(hours=4)


def test_kyc_high_risk_is_rejected_at_once(flowdsl_sim: Simulator) -> None:
    """A sanctions hit scores 100: TERMINATE FAILED, the reasons in Java list form (§6.2)."""
    run = flowdsl_sim.run(kyc_onboarding, input=SANCTIONED)
    assert run.status == "FAILED"
    assert run.reason == "high KYC risk (score 100): [sanctions list match]"
    assert run.output == {"customer_id": "C-1", "decision": "REJECTED", "risk_score": 100}
    assert run.task("reject_high_risk").status == "COMPLETED"
    assert run.duration == timedelta(0)


def test_kyc_screening_vendor_busy_three_times(flowdsl_sim: Simulator) -> None:
    """The screening vendor answers 429 three times; backoff 15, 30, 60 s."""
    clear = {"sanctions_hit": False, "pep": False, "screened_as": "anna schmidt (1990-04-01, DE)"}
    flowdsl_sim.mock("screen_customer").fails(times=3, reason="429").then_completes(clear)
    run = flowdsl_sim.run(kyc_onboarding, input=CUSTOMER)
    assert run.status == "COMPLETED"
    assert run.task("screen_customer").attempts == 4
    assert run.output["approved_by"] == "auto"
    assert run.duration == timedelta(seconds=105)  # EXPONENTIAL d=15: 15 + 30 + 60


def test_kyc_core_banking_down_for_maintenance(flowdsl_sim: Simulator) -> None:
    """open_account fails 5 times; the linear backoff spaces the retries 1, 2, 3, 4, 5 min."""
    flowdsl_sim.mock("open_account").fails(times=5).then_completes(
        {"account_number": ACCOUNT, "customer_id": "C-1", "approved_by": "auto"}
    )
    run = flowdsl_sim.run(kyc_onboarding, input=CUSTOMER)
    assert run.status == "COMPLETED"
    assert run.task("open_account").attempts == 6  # retryCount 5: the last one succeeds
    assert run.output == {**APPROVED, "risk_score": 0, "approved_by": "auto"}
    # LINEAR d=60, f=1: 60*1*(n+1) for n = 0..4 -> 60 + 120 + 180 + 240 + 300
    assert run.duration == timedelta(minutes=15)


def test_kyc_silent_document_store_times_out(flowdsl_sim: Simulator) -> None:
    """Response timeouts (30 s) retry whatever the policy (§5.3), 4 times, 10 s apart."""
    flowdsl_sim.mock("collect_kyc_documents").times_out()
    run = flowdsl_sim.run(kyc_onboarding, input=CUSTOMER)
    assert run.status == "TIMED_OUT"
    assert run.task("collect_kyc_documents").attempts == 4  # retryCount 3
    assert run.duration == timedelta(seconds=150)  # 4 x 30 + 3 x 10


# -- lending: fetch_customer_details (FIXED 5 s x3), credit_bureau_report (HTTP, retryCount 3,
#    ad-hoc def: FIXED 60 s), submit_to_underwriting (EXPONENTIAL 10 s x4), a DO_WHILE of WAIT
#    10m + underwriting_status, then calculate_instalment and disburse_loan (FIXED 60 s x2,
#    timeout 300 s, response 120 s, TIME_OUT_WF); workflow 8 hours
#
# Customer C-042: monthly income 4000 + 42*10 = 4420; 12000 over 24 months is 500 a month, a
# burden of 0.11, so a bureau score >= 720 is approved at 6.5 % and < 580 is rejected.

APPLICATION = {
    "application_id": "APP-1",
    "customer_id": "C-042",
    "loan_type": "personal",
    "amount": 12000.0,
    "tenure_months": 24,
}
PENDING = {"status": "PENDING", "decision": "", "approved_amount": 0.0, "annual_rate_percent": 0.0}
DECIDED = {
    "status": "DECIDED",
    "decision": "APPROVED",
    "approved_amount": 10000.0,
    "annual_rate_percent": 7.5,
}


def bureau(sim: Simulator, score: int) -> None:
    """Mock the credit bureau's HTTP answer (the simulator makes no network calls)."""
    sim.mock("credit_bureau_report").completes(
        {"response": {"statusCode": 200, "body": {"score": score}}}
    )


def waits(run: Run) -> list[timedelta]:
    """How long each WAIT of the polling loop waited."""
    return [
        timedelta(milliseconds=t["endTime"] - t["startTime"])
        for t in run.tasks
        if t["taskType"] == "WAIT"
    ]


def test_loan_approved_at_the_first_poll() -> None:
    """A good score is approved by the rules: one 10-minute wait, then disbursement."""
    sim = Simulator(secrets={"credit_bureau_api_key": "bureau-key-123"})
    bureau(sim, 750)
    run = sim.run(loan_origination, input=APPLICATION)
    assert run.status == "COMPLETED"
    assert run.reason == "loan disbursed"  # §8.9: set even for COMPLETED
    assert run.output == {
        "application_id": "APP-1",
        "decision": "APPROVED",
        "amount": 12000.0,
        "monthly_instalment": 534.56,  # annuity of 12000 at 6.5 %/12 over 24 months
        "payment_id": "PAY-APP-1",
    }
    headers = run.task("credit_bureau_report").input["http_request"]["headers"]
    assert headers == {"X-Api-Key": "${workflow.secrets.credit_bureau_api_key}"}
    assert "bureau-key-123" not in run.to_json()
    assert run.duration == timedelta(minutes=10)  # one WAIT "10m"


def test_loan_polling_loop_waits_until_underwriting_decides(flowdsl_sim: Simulator) -> None:
    """PENDING, PENDING, then APPROVED: three iterations of a 10-minute WAIT."""
    bureau(flowdsl_sim, 650)
    flowdsl_sim.mock("underwriting_status").completes(PENDING).completes(PENDING).completes(DECIDED)
    run = flowdsl_sim.run(loan_origination, input=APPLICATION)
    assert run.status == "COMPLETED"
    loop = run.task("poll_underwriting").output
    assert loop["iteration"] == 3
    assert [loop[str(i)]["underwriting_status"]["status"] for i in (1, 2, 3)] == [
        "PENDING",
        "PENDING",
        "DECIDED",
    ]
    assert waits(run) == [timedelta(minutes=10)] * 3
    assert run.output["monthly_instalment"] == 450.0  # 10000 at 7.5 %/12 over 24 months
    assert run.duration == timedelta(minutes=30)  # 3 x 10 min


def test_loan_rejected_is_a_completed_workflow(flowdsl_sim: Simulator) -> None:
    """A score under 580 is declined: TERMINATE COMPLETED, nothing disbursed."""
    bureau(flowdsl_sim, 500)
    run = flowdsl_sim.run(loan_origination, input=APPLICATION)
    assert run.status == "COMPLETED"
    assert run.output == {"application_id": "APP-1", "decision": "REJECTED"}
    assert run.reason == "declined by underwriting"
    assert "disburse_loan" not in {t["referenceTaskName"] for t in run.tasks}
    assert run.duration == timedelta(minutes=10)


def test_loan_undecided_after_36_polls_fails(flowdsl_sim: Simulator) -> None:
    """Underwriting never decides: the loop stops at 36 iterations, TERMINATE FAILED."""
    bureau(flowdsl_sim, 650)
    flowdsl_sim.mock("underwriting_status").completes(PENDING)
    run = flowdsl_sim.run(loan_origination, input=APPLICATION)
    assert run.status == "FAILED"
    assert run.reason == "no underwriting decision after 36 polls (status PENDING)"
    assert run.task("poll_underwriting").output["iteration"] == 36
    assert waits(run) == [timedelta(minutes=10)] * 36
    assert run.duration == timedelta(hours=6)  # 36 x 10 min, under the 8 h workflow timeout


def test_loan_credit_bureau_retries(flowdsl_sim: Simulator) -> None:
    """The bureau answers 503 twice; the HTTP task retries a minute apart."""
    flowdsl_sim.mock("credit_bureau_report").fails(times=2, reason="503").then_completes(
        {"response": {"statusCode": 200, "body": {"score": 750}}}
    )
    run = flowdsl_sim.run(loan_origination, input=APPLICATION)
    assert run.status == "COMPLETED"
    assert run.task("credit_bureau_report").attempts == 3
    assert run.duration == timedelta(minutes=12)  # 60 + 60 (ad-hoc FIXED) + the 10 min WAIT


def test_loan_underwriting_submission_runs_out_of_retries(flowdsl_sim: Simulator) -> None:
    """Underwriting is down for the whole backoff: FAILED after 5 attempts."""
    bureau(flowdsl_sim, 750)
    flowdsl_sim.mock("submit_to_underwriting").fails(times=5)
    run = flowdsl_sim.run(loan_origination, input=APPLICATION)
    assert run.status == "FAILED"
    assert run.task("submit_to_underwriting").attempts == 5  # retryCount 4
    assert run.duration == timedelta(seconds=150)  # EXPONENTIAL d=10: 10 + 20 + 40 + 80


def test_loan_credit_bureau_read_timeouts_fail_the_workflow(flowdsl_sim: Simulator) -> None:
    """Every call hits the 15 s readTimeOut (an HTTP FAILED, §8.16): 4 attempts, then FAILED."""
    reason = "Failed to invoke HTTP task due to: Read timed out"
    flowdsl_sim.mock("credit_bureau_report").fails(
        times=4, after=timedelta(seconds=15), reason=reason
    )
    run = flowdsl_sim.run(loan_origination, input=APPLICATION)
    assert run.status == "FAILED"
    assert run.task("credit_bureau_report").attempts == 4  # retryCount 3
    assert run.duration == timedelta(seconds=240)  # 4 x 15 s + 3 x 60 s


def test_loan_stuck_disbursement_times_out_the_workflow(flowdsl_sim: Simulator) -> None:
    """A payment still IN_PROGRESS after 300 s: TIME_OUT_WF ends the workflow, no retry."""
    bureau(flowdsl_sim, 750)
    flowdsl_sim.mock("disburse_loan").in_progress(callback_after=timedelta(seconds=60))
    run = flowdsl_sim.run(loan_origination, input=APPLICATION)
    assert run.status == "TIMED_OUT"
    assert run.task("disburse_loan").attempts == 1  # §5.6: retryCount 2 is not used
    assert run.task("disburse_loan").status == "TIMED_OUT"
    assert run.duration == timedelta(minutes=15)  # the 10 min WAIT + timeoutSeconds 300


def test_loan_silent_payments_api_times_the_workflow_out_without_a_retry(
    flowdsl_sim: Simulator,
) -> None:
    """A silent worker: at 300 s the task timeout (TIME_OUT_WF) is checked before the equal
    response timeout (§5), so the payment is never re-sent and the workflow times out."""
    bureau(flowdsl_sim, 750)
    flowdsl_sim.mock("disburse_loan").times_out()
    run = flowdsl_sim.run(loan_origination, input=APPLICATION)
    assert run.status == "TIMED_OUT"
    assert run.task("disburse_loan").attempts == 1  # TIME_OUT_WF uses no retry
    assert run.duration == timedelta(minutes=15)  # 10 min WAIT + 300 s task timeout


# -- http_secret: github_repository (HTTP, retryCount 2, ad-hoc def: FIXED 60 s), then
#    record_repo_stats (FIXED 1 s x1, timeout 30 s, response 30 s, TIME_OUT_WF); workflow 300 s

TOKEN = "ghp_s3cr3tT0k3n"
REPO = {"owner": "flowdsl", "repo": "flowdsl"}
BODY = {
    "full_name": "flowdsl/flowdsl",
    "stargazers_count": 1200,
    "forks_count": 300,
    "open_issues_count": 7,
}
GITHUB = {"response": {"statusCode": 200, "body": BODY}}


def secret_sim() -> Simulator:
    """A simulator that knows the github_token secret."""
    return Simulator(secrets={"github_token": TOKEN})


def assert_no_secret(run: Run) -> None:
    """The token appears nowhere in the recorded executions."""
    assert TOKEN not in run.to_json()
    assert TOKEN not in json.dumps(run.children)


def test_github_stats_happy_path_keeps_the_token_secret() -> None:
    """The HTTP mock answers, the real worker computes the stats; the token is never recorded."""
    sim = secret_sim()
    sim.mock("github_repository").completes(GITHUB)
    run = sim.run(github_repo_stats, input=REPO)
    assert run.status == "COMPLETED"
    assert run.output == {"stars": 1200, "forks": 300}
    request: dict[str, Any] = run.task("github_repository").input["http_request"]
    assert request["uri"] == "https://api.github.com/repos/flowdsl/flowdsl"
    assert request["headers"]["Authorization"] == "Bearer ${workflow.secrets.github_token}"
    assert run.task("record_repo_stats").input == {"repository": BODY}
    assert run.task("record_repo_stats").output["stars_per_fork"] == 4.0
    assert_no_secret(run)
    assert run.duration == timedelta(0)


def test_github_rate_limited_twice_then_answers() -> None:
    """GitHub answers 403 (rate limit) after 5 s twice; retries are a minute apart."""
    sim = secret_sim()
    sim.mock("github_repository").fails(
        times=2, after=timedelta(seconds=5), reason="403"
    ).then_completes(GITHUB)
    run = sim.run(github_repo_stats, input=REPO)
    assert run.status == "COMPLETED"
    assert run.task("github_repository").attempts == 3  # WorkflowTask retryCount 2
    assert_no_secret(run)
    assert run.duration == timedelta(seconds=130)  # 5 + 60 + 5 + 60 + 0


def test_github_read_timeouts_fail_the_workflow() -> None:
    """Every call hits the 5 s readTimeOut: 3 attempts, then FAILED."""
    sim = secret_sim()
    reason = "Failed to invoke HTTP task due to: Read timed out"
    sim.mock("github_repository").fails(times=3, after=timedelta(seconds=5), reason=reason)
    run = sim.run(github_repo_stats, input=REPO)
    assert run.status == "FAILED"
    assert run.task("github_repository").attempts == 3
    assert reason in str(run.reason)
    assert_no_secret(run)
    assert run.duration == timedelta(seconds=135)  # 3 x 5 s + 2 x 60 s


def test_github_stats_worker_silent_times_out_the_workflow() -> None:
    """record_repo_stats never answers: its 30 s task timeout (TIME_OUT_WF) ends the run."""
    sim = secret_sim()
    sim.mock("github_repository").completes(GITHUB)
    sim.mock("record_repo_stats").times_out()
    run = sim.run(github_repo_stats, input=REPO)
    assert run.status == "TIMED_OUT"
    assert run.task("record_repo_stats").attempts == 1  # §5.6: retryCount 1 is not used
    assert run.output == {"stars": None, "forks": None}
    assert_no_secret(run)
    assert run.duration == timedelta(seconds=30)
