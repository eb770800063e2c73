"""Simulate every example's happy path: ``python -m examples [OUT_DIR]`` (the main job runs it).

The real ``@task`` functions are the workers; HTTP calls are mocked (the simulator makes no network
calls) and the KYC compliance officer answers through a signal. Each run's execution JSON goes to
``OUT_DIR/<example>/<workflow>.execution.json`` (default ``build/examples``) and its timeline to
the terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from examples.http_secret import github_repo_stats
from examples.image_dynamic_fork import image_multiple_convert_resize_dynamic
from examples.image_fork import image_multiple_convert_resize
from examples.image_resize import image_convert_resize_workflow
from examples.image_subworkflow import image_multiple_convert_resize_subworkflow
from examples.kyc import kyc_onboarding
from examples.lending import loan_origination
from testing.simulator import Simulator

IMAGE = {
    "file_location": "https://cdn.example.com/u/cat.png",
    "output_width": 300,
    "output_height": 200,
}
CUSTOMER = {
    "customer_id": "C-1",
    "full_name": "José Álvarez",  # a politically exposed person: manual review
    "date_of_birth": "1990-04-01",
    "country": "DE",
    "documents": [
        {"document_id": "d1", "kind": "passport"},
        {"document_id": "d2", "kind": "utility_bill"},
    ],
}
APPLICATION = {
    "application_id": "APP-1",
    "customer_id": "C-042",
    "loan_type": "personal",
    "amount": 12000.0,
    "tenure_months": 24,
}


def _kyc(sim: Simulator) -> None:
    review = {"decision": "APPROVE", "reviewer": "officer.jane", "comment": "known PEP, ok"}
    sim.signal("compliance_review", after=timedelta(hours=4), output=review)


def _lending(sim: Simulator) -> None:
    sim.mock("credit_bureau_report").completes(
        {"response": {"statusCode": 200, "body": {"score": 700}}}
    )


def _github(sim: Simulator) -> None:
    body = {
        "full_name": "flowdsl/flowdsl",
        "stargazers_count": 1200,
        "forks_count": 300,
        "open_issues_count": 7,
    }
    sim.mock("github_repository").completes({"response": {"statusCode": 200, "body": body}})


Setup = Callable[[Simulator], None]
SCENARIOS: list[tuple[str, Any, dict[str, Any], Setup | None, dict[str, str]]] = [
    ("image_resize", image_convert_resize_workflow, {**IMAGE, "output_format": "jpg"}, None, {}),
    ("image_fork", image_multiple_convert_resize, IMAGE, None, {}),
    (
        "image_dynamic_fork",
        image_multiple_convert_resize_dynamic,
        {
            "file_location": IMAGE["file_location"],
            "output_formats": ["jpg", "webp"],
            "output_sizes": [{"width": 300, "height": 200}, {"width": 100, "height": 100}],
        },
        None,
        {},
    ),
    ("image_subworkflow", image_multiple_convert_resize_subworkflow, IMAGE, None, {}),
    ("kyc", kyc_onboarding, CUSTOMER, _kyc, {}),
    ("lending", loan_origination, APPLICATION, _lending, {"credit_bureau_api_key": "demo-key"}),
    (
        "http_secret",
        github_repo_stats,
        {"owner": "flowdsl", "repo": "flowdsl"},
        _github,
        {"github_token": "demo-token"},
    ),
]


def main(argv: list[str]) -> int:
    """Run every scenario; exit 1 if one does not complete."""
    out = Path(argv[0] if argv else "build/examples")
    failed = 0
    for example, fn, payload, setup, secrets in SCENARIOS:
        sim = Simulator(secrets=secrets)
        if setup is not None:
            setup(sim)
        run = sim.run(fn, input=payload)
        target = out / example / f"{run.execution['workflowName']}.execution.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(run.to_json(), encoding="utf-8")
        print(f"== {example}: wrote {target}")
        print(run.format_timeline())
        failed += run.status != "COMPLETED"
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
