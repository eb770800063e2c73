"""Digital lending: from a loan application to the money on the customer's account.

Altaf Alam Ansari's lending post: customers expect a loan decision in
minutes, not weeks, so banks automate the lending process end to end while
keeping the bank's own rules in charge. The workflow here:

1. ``fetch_customer_details`` reads the applicant from the CRM;
2. an HTTP task asks the credit bureau for a credit report; its API key is a
   Conductor secret, never a literal in the definition;
3. ``submit_to_underwriting`` hands the application, with the bureau score,
   to the underwriting system, which decides asynchronously (rules first,
   an underwriter for the borderline cases);
4. a DO_WHILE polls ``underwriting_status`` every 10 minutes while the
   application is PENDING, at most 36 times (six hours);
5. a SWITCH on the decision: APPROVED computes the monthly instalment and
   disburses the loan; REJECTED ends the workflow with TERMINATE (COMPLETED:
   declining a loan is a normal outcome, not a failure); anything else
   (underwriting still undecided after six hours) ends it FAILED so that
   operations look at it.

Retries and timeouts:

* The credit bureau can take seconds to compile a report: the HTTP task gets
  a 15 s read timeout (Conductor's default is 3 s) and three retries, a
  minute apart (the delay Conductor uses for a task with no TaskDef of its own;
  flowdsl cannot declare one for a system task yet, so no backoff or rate limit).
* ``fetch_customer_details`` and ``underwriting_status`` are idempotent reads
  of internal systems: a few quick fixed-delay retries, short timeouts.
* ``submit_to_underwriting`` is idempotent on the application id, so retrying
  cannot file the application twice; exponential backoff rides out an
  underwriting deploy.
* ``calculate_instalment`` is pure arithmetic: one retry for a worker crash.
* ``disburse_loan`` moves money. The payments API deduplicates on the
  application id, but a timeout there needs a human to check, not a blind
  retry: two retries, and a task timeout fails the workflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, TypedDict

from flowdsl import (
    Handle,
    RetryLogic,
    TimeoutPolicy,
    do_while,
    http,
    secret,
    switch,
    task,
    terminate,
    wait,
    workflow,
)

OWNER = "lending-platform@example.com"
CREDIT_BUREAU_URL = "https://api.credit-bureau.example/v2/credit-reports"
POLL_EVERY = timedelta(minutes=10)
MAX_POLLS = 36  # six hours of polling every ten minutes


class CustomerDetails(TypedDict):
    """Output of ``fetch_customer_details``."""

    customer_id: str
    national_id: str
    full_name: str
    monthly_income: float


class Submission(TypedDict):
    """Output of ``submit_to_underwriting``."""

    underwriting_id: str


class UnderwritingStatus(TypedDict):
    """Output of ``underwriting_status``."""

    status: Literal["PENDING", "DECIDED"]
    decision: Literal["APPROVED", "REJECTED", ""]
    approved_amount: float
    annual_rate_percent: float


class Instalment(TypedDict):
    """Output of ``calculate_instalment``."""

    monthly_instalment: float
    total_repayment: float


class Disbursement(TypedDict):
    """Output of ``disburse_loan``."""

    payment_id: str
    amount: float


@task(
    name="fetch_customer_details",
    description="Read the applicant's details from the CRM",
    owner_email=OWNER,
    retry_count=3,
    retry_logic=RetryLogic.FIXED,
    retry_delay_seconds=5,
    timeout_seconds=60,
    response_timeout_seconds=30,
)
def fetch_customer_details(customer_id: str) -> CustomerDetails:
    """The real worker queries the CRM; the demo derives a stable record from the id."""
    digits = "".join(c for c in customer_id if c.isdigit()) or "0"
    return {
        "customer_id": customer_id,
        "national_id": f"NID-{digits.zfill(8)}",
        "full_name": f"Customer {customer_id}",
        "monthly_income": 4_000.0 + int(digits[-3:]) * 10,
    }


@dataclass
class _Case:
    """An underwriting case, as the underwriting system keeps it."""

    amount: float
    decision: Literal["APPROVED", "REJECTED", ""] = ""
    annual_rate_percent: float = 0.0
    polls_until_review: int = 0  # borderline cases: the underwriter decides after this many polls


# Stand-in for the underwriting system's case store; the real workers call its API.
_CASES: dict[str, _Case] = {}


@task(
    name="submit_to_underwriting",
    description="File the application with underwriting (idempotent on application_id)",
    owner_email=OWNER,
    retry_count=4,
    retry_logic=RetryLogic.EXPONENTIAL_BACKOFF,
    retry_delay_seconds=10,
    timeout_seconds=120,
    response_timeout_seconds=60,
)
def submit_to_underwriting(
    application_id: str,
    loan_type: str,
    amount: float,
    tenure_months: int,
    monthly_income: float,
    credit_score: int,
) -> Submission:
    """File the case: the rules decide clear cases at once and leave the rest to an underwriter.

    The case is keyed on the application id, so a retried submission finds the same case.
    """
    if amount <= 0 or tenure_months <= 0:
        msg = f"invalid application {application_id}: {amount} over {tenure_months} months"
        raise ValueError(msg)
    case_id = f"UW-{loan_type.upper()}-{application_id}"
    if case_id not in _CASES:
        burden = amount / tenure_months / monthly_income if monthly_income > 0 else 1.0
        if credit_score < 580 or burden > 0.5:
            _CASES[case_id] = _Case(amount, "REJECTED")
        elif credit_score >= 720 and burden <= 0.35:
            _CASES[case_id] = _Case(amount, "APPROVED", 6.5)
        else:
            _CASES[case_id] = _Case(amount, polls_until_review=3)
    return {"underwriting_id": case_id}


@task(
    name="underwriting_status",
    description="Read the status of an underwriting case",
    owner_email=OWNER,
    retry_count=3,
    retry_logic=RetryLogic.FIXED,
    retry_delay_seconds=10,
    timeout_seconds=30,
    response_timeout_seconds=30,
)
def underwriting_status(underwriting_id: str) -> UnderwritingStatus:
    """The case as it stands. In the demo the underwriter approves a borderline case at a
    higher rate once it has been polled three times."""
    case = _CASES[underwriting_id]
    if not case.decision:
        case.polls_until_review -= 1
        if case.polls_until_review <= 0:
            case.decision, case.annual_rate_percent = "APPROVED", 8.9
    return {
        "status": "DECIDED" if case.decision else "PENDING",
        "decision": case.decision,
        "approved_amount": case.amount if case.decision == "APPROVED" else 0.0,
        "annual_rate_percent": case.annual_rate_percent,
    }


@task(
    name="calculate_instalment",
    description="Monthly instalment of an annuity loan",
    owner_email=OWNER,
    retry_count=1,
    retry_logic=RetryLogic.FIXED,
    retry_delay_seconds=1,
    timeout_seconds=30,
    response_timeout_seconds=30,
)
def calculate_instalment(
    amount: float, annual_rate_percent: float, tenure_months: int
) -> Instalment:
    """Annuity formula: P * r / (1 - (1 + r) ** -n), with r the monthly rate."""
    rate = annual_rate_percent / 100 / 12
    if rate == 0:
        monthly = amount / tenure_months
    else:
        monthly = amount * rate / (1 - (1 + rate) ** -tenure_months)
    return {
        "monthly_instalment": round(monthly, 2),
        "total_repayment": round(monthly * tenure_months, 2),
    }


@task(
    name="disburse_loan",
    description="Pay the approved amount to the customer (payments API, deduplicated on application_id)",
    owner_email=OWNER,
    retry_count=2,
    retry_logic=RetryLogic.FIXED,
    retry_delay_seconds=60,
    timeout_seconds=300,
    # Equal to the task timeout: a response timeout always retries (whatever the policy), so a
    # shorter one would re-send the payment; at 300 s the task timeout (TIME_OUT_WF) comes first.
    response_timeout_seconds=300,
    timeout_policy=TimeoutPolicy.TIME_OUT_WF,
)
def disburse_loan(application_id: str, customer_id: str, amount: float) -> Disbursement:
    """The payment id is the application id, so the payments API ignores a repeated request."""
    if amount <= 0:
        msg = f"nothing to disburse for {application_id}: amount {amount}"
        raise ValueError(msg)
    return {"payment_id": f"PAY-{application_id}", "amount": round(amount, 2)}


@workflow(
    name="loan_origination",
    description="Credit check, underwriting and disbursement of a loan application",
    owner_email=OWNER,
    timeout_seconds=timedelta(hours=8),
)
def loan_origination(
    application_id: str,
    customer_id: str,
    loan_type: str,
    amount: float,
    tenure_months: int,
) -> None:
    """One loan application, from credit check to disbursement; each outcome ends in a TERMINATE."""
    customer = fetch_customer_details(customer_id)
    credit = http(
        CREDIT_BUREAU_URL,
        "POST",
        headers={"X-Api-Key": secret("credit_bureau_api_key")},
        body={
            "national_id": customer.output["national_id"],
            "purpose": loan_type,
            "amount": amount,
        },
        accept="application/json",
        content_type="application/json",
        connection_timeout=2_000,  # milliseconds
        read_timeout=15_000,
        ref="credit_bureau_report",
        retry_count=3,
    )
    submission = submit_to_underwriting(
        application_id,
        loan_type,
        amount,
        tenure_months,
        customer.output["monthly_income"],
        credit.output["response"]["body"]["score"],
    )

    def poll_underwriting() -> Handle[UnderwritingStatus]:
        wait(POLL_EVERY, ref="wait_for_underwriting")
        return underwriting_status.options(ref="underwriting_status")(
            submission.output["underwriting_id"]
        )

    polling = do_while(
        poll_underwriting,
        "$.underwriting_status['status'] == 'PENDING'",
        max_iterations=MAX_POLLS,
        ref="poll_underwriting",
    )
    status: Handle[UnderwritingStatus] = polling.body  # after the loop: the latest poll

    def approved() -> None:
        terms = calculate_instalment(
            status.output["approved_amount"], status.output["annual_rate_percent"], tenure_months
        )
        payment = disburse_loan(application_id, customer_id, status.output["approved_amount"])
        terminate(
            "COMPLETED",
            "loan disbursed",
            output={
                "application_id": application_id,
                "decision": "APPROVED",
                "amount": payment.output["amount"],
                "monthly_instalment": terms.output["monthly_instalment"],
                "payment_id": payment.output["payment_id"],
            },
            ref="loan_disbursed",
        )

    switch(
        status.output["decision"],
        {
            "APPROVED": approved,
            "REJECTED": lambda: terminate(
                "COMPLETED",
                "declined by underwriting",
                output={"application_id": application_id, "decision": "REJECTED"},
                ref="loan_declined",
            ),
        },
        default=lambda: terminate(
            "FAILED",
            f"no underwriting decision after {MAX_POLLS} polls (status {status.output['status']})",
            ref="underwriting_undecided",
        ),
        ref="underwriting_decision",
    )
