"""Know Your Customer: onboarding a bank customer with a risk-based approach.

Johannes Koch's KYC post: regulators make banks identify every new customer
and weigh the risk of money laundering before opening an account, and a
workflow engine makes that process explicit and auditable. The workflow here:

1. ``collect_kyc_documents`` checks that the customer uploaded what the
   bank requires (an identity document and a proof of address);
2. ``screen_customer`` matches the customer against sanctions and PEP
   (politically exposed person) lists;
3. ``score_kyc_risk`` turns what was found into a score and a risk level;
4. a SWITCH on the level: ``low`` is approved automatically; ``high`` ends
   the workflow with TERMINATE (FAILED) and the reason; anything else goes to
   a compliance officer through a HUMAN task, whose decision approves the
   customer or rejects them the same way;
5. an approved customer gets an account from ``open_account``, which records
   who approved it (``auto`` or the officer): the audit trail regulators ask for.

Retries and timeouts, per worker:

* ``collect_kyc_documents`` looks the uploads up in the bank's own document
  store: quick, idempotent, rarely down. Three retries ten seconds apart.
* ``screen_customer`` calls a screening vendor that allows 5 requests a second
  and answers 429 or 503 when busy: the TaskDef rate limit keeps Conductor
  under the contract, and four retries back off exponentially from 15 s.
* ``score_kyc_risk`` is pure rules, done in milliseconds; a failure is a bug, so one
  retry (for a worker crash) and a 30 s timeout.
* ``open_account`` writes to core banking, which is slow, has maintenance
  windows, and is idempotent on the customer id: five retries a minute,
  two minutes, three minutes ... apart rather than a fast burst.

The workflow times out after seven days, the bank's onboarding SLA. Conductor
checks that timeout only when something happens in the workflow, and nothing
does while the HUMAN task waits, so the review tool itself chases overdue
reviews.
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import timedelta
from typing import Any, Literal, TypedDict

from flowdsl import (
    RetryLogic,
    human,
    set_variable,
    switch,
    task,
    terminate,
    variable,
    workflow,
)

OWNER = "kyc-platform@example.com"

# Documents the bank requires, by kind; any one document of each kind will do.
REQUIRED_DOCUMENTS = {
    "identity": ("passport", "national_id", "residence_permit"),
    "address": ("utility_bill", "bank_statement", "tax_notice"),
}
# A sample of the FATF lists ("black" and "grey"); the real list is configuration.
HIGH_RISK_COUNTRIES = frozenset({"IR", "KP", "MM"})
INCREASED_MONITORING_COUNTRIES = frozenset({"HT", "SY", "YE", "ZA"})

RiskLevel = Literal["low", "medium", "high"]


class UploadedDocument(TypedDict):
    """One document the customer uploaded during onboarding."""

    document_id: str
    kind: str  # passport, utility_bill, ...


class DocumentCheck(TypedDict):
    """Output of ``collect_kyc_documents``."""

    complete: bool
    missing: list[str]  # kinds of document still missing: "identity", "address"
    document_keys: list[str]  # where the documents are, in the document store


class Screening(TypedDict):
    """Output of ``screen_customer``."""

    sanctions_hit: bool
    pep: bool
    screened_as: str  # what was screened, for the audit trail


class RiskAssessment(TypedDict):
    """Output of ``score_kyc_risk``."""

    score: int
    level: RiskLevel
    reasons: list[str]


class Account(TypedDict):
    """Output of ``open_account``."""

    account_number: str
    customer_id: str
    approved_by: str


@task(
    name="collect_kyc_documents",
    description="Check that the customer uploaded every document KYC requires",
    owner_email=OWNER,
    retry_count=3,
    retry_logic=RetryLogic.FIXED,
    retry_delay_seconds=10,
    timeout_seconds=60,
    response_timeout_seconds=30,
)
def collect_kyc_documents(customer_id: str, documents: list[UploadedDocument]) -> DocumentCheck:
    """Which required kinds of document are present among the customer's ``documents``."""
    kinds = {doc["kind"] for doc in documents}
    missing = [need for need, accepted in REQUIRED_DOCUMENTS.items() if not kinds & set(accepted)]
    return {
        "complete": not missing,
        "missing": missing,
        "document_keys": sorted(f"kyc/{customer_id}/{doc['document_id']}" for doc in documents),
    }


def _normalise(name: str) -> str:
    """'  José  ÁLVAREZ ' -> 'jose alvarez': how screening lists are matched."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


# What the screening vendor returns for the demo names; the real worker asks the vendor's API.
SANCTIONED_NAMES = frozenset({"ivan sanctionov"})
PEP_NAMES = frozenset({"maria politica", "jose alvarez"})


@task(
    name="screen_customer",
    description="Screen a customer against sanctions and PEP lists (screening vendor API)",
    owner_email=OWNER,
    retry_count=4,
    retry_logic=RetryLogic.EXPONENTIAL_BACKOFF,
    retry_delay_seconds=15,
    timeout_seconds=300,
    response_timeout_seconds=60,
    rate_limit_per_frequency=5,
    rate_limit_frequency_in_seconds=1,
)
def screen_customer(full_name: str, date_of_birth: str, country: str) -> Screening:
    """Match the customer's normalised name against the sanctions and PEP lists.

    The vendor narrows name matches by date of birth and country; the demo lists hold names only.
    """
    name = _normalise(full_name)
    return {
        "sanctions_hit": name in SANCTIONED_NAMES,
        "pep": name in PEP_NAMES,
        "screened_as": f"{name} ({date_of_birth}, {country.upper()})",
    }


@task(
    name="score_kyc_risk",
    description="Risk-based approach: score a customer from documents, screening and country",
    owner_email=OWNER,
    retry_count=1,
    retry_logic=RetryLogic.FIXED,
    retry_delay_seconds=1,
    timeout_seconds=30,
    response_timeout_seconds=30,
)
def score_kyc_risk(
    country: str,
    missing_documents: list[str],
    sanctions_hit: bool,
    pep: bool,
    expected_monthly_volume: float,
) -> RiskAssessment:
    """Add up the risk factors; 70 and above is high, 30 and above medium."""
    score = 0
    reasons: list[str] = []
    if sanctions_hit:
        score += 100
        reasons.append("sanctions list match")
    if country.upper() in HIGH_RISK_COUNTRIES:
        score += 80
        reasons.append(f"high-risk jurisdiction {country.upper()}")
    elif country.upper() in INCREASED_MONITORING_COUNTRIES:
        score += 30
        reasons.append(f"jurisdiction under increased monitoring {country.upper()}")
    if pep:
        score += 40
        reasons.append("politically exposed person")
    if missing_documents:
        score += 30
        reasons.append("missing documents: " + ", ".join(missing_documents))
    if expected_monthly_volume > 10_000:
        score += 15
        reasons.append("expected monthly volume above 10,000")
    level: RiskLevel = "high" if score >= 70 else "medium" if score >= 30 else "low"
    return {"score": score, "level": level, "reasons": reasons}


@task(
    name="open_account",
    description="Open the customer's account in core banking (idempotent on customer_id)",
    owner_email=OWNER,
    retry_count=5,
    retry_logic=RetryLogic.LINEAR_BACKOFF,
    retry_delay_seconds=60,
    timeout_seconds=600,
    response_timeout_seconds=120,
)
def open_account(customer_id: str, risk_level: str, approved_by: str) -> Account:
    """The account number is derived from the customer id, so a retry opens the same account."""
    digest = hashlib.sha256(customer_id.encode()).hexdigest()
    number = str(int(digest[:12], 16) % 10**10).zfill(10)
    return {
        "account_number": f"ACC{number}",
        "customer_id": customer_id,
        "approved_by": approved_by,
    }


@workflow(
    name="kyc_onboarding",
    description="Know Your Customer: documents, screening, risk score, approval or rejection",
    owner_email=OWNER,
    timeout_seconds=timedelta(days=7),
)
def kyc_onboarding(
    customer_id: str,
    full_name: str,
    date_of_birth: str,
    country: str,
    documents: list[UploadedDocument],
    expected_monthly_volume: float = 0.0,
) -> dict[str, Any]:
    """Onboard a customer if, and only if, their risk is acceptable."""
    docs = collect_kyc_documents(customer_id, documents)
    screening = screen_customer(full_name, date_of_birth, country)
    risk = score_kyc_risk(
        country,
        docs.output["missing"],
        screening.output["sanctions_hit"],
        screening.output["pep"],
        expected_monthly_volume,
    )
    rejected = {
        "customer_id": customer_id,
        "decision": "REJECTED",
        "risk_score": risk.output["score"],
    }

    def manual_review() -> None:
        # The officer completes the task from the review tool with {decision, reviewer, comment}.
        review = human(
            ref="compliance_review",
            assignee_group="kyc-compliance",
            customer_id=customer_id,
            full_name=full_name,
            risk_score=risk.output["score"],
            reasons=risk.output["reasons"],
        )
        switch(
            review.output["decision"],
            {
                "APPROVE": lambda: set_variable(
                    ref="approved_in_review", approved_by=review.output["reviewer"]
                )
            },
            default=lambda: terminate(
                "FAILED",
                f"rejected in compliance review: {review.output['comment']}",
                output=rejected,
                ref="reject_after_review",
            ),
            ref="review_decision",
        )

    switch(
        risk.output["level"],
        {
            "low": lambda: set_variable(ref="approved_automatically", approved_by="auto"),
            "high": lambda: terminate(
                "FAILED",
                f"high KYC risk (score {risk.output['score']}): {risk.output['reasons']}",
                output=rejected,
                ref="reject_high_risk",
            ),
        },
        default=manual_review,
        ref="risk_level",
    )
    account = open_account(customer_id, risk.output["level"], variable("approved_by"))
    # No literal "decision" here: outputParameters are also resolved when the workflow fails or
    # times out, and such a run must not report APPROVED. An account number means approved.
    return {
        "customer_id": customer_id,
        "risk_score": risk.output["score"],
        "account_number": account.output["account_number"],
        "approved_by": account.output["approved_by"],
    }
