"""Runs to report on: every example's happy path, a KYC run with retries, and a 200-task workflow."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from examples.__main__ import SCENARIOS
from testing.simulator import Run, Simulator

EXAMPLES = [scenario[0] for scenario in SCENARIOS]


def example_run(example: str) -> Run:
    """The example's happy path, as ``python -m examples`` runs it."""
    for name, fn, payload, setup, secrets in SCENARIOS:
        if name == example:
            sim = Simulator(secrets=secrets)
            if setup is not None:
                setup(sim)
            return sim.run(fn, input=payload)
    raise KeyError(example)


def kyc_with_retries() -> Run:
    """KYC for a PEP: the screening vendor is busy three times, then an officer approves."""
    for name, fn, payload, setup, secrets in SCENARIOS:
        if name == "kyc":
            sim = Simulator(secrets=secrets)
            assert setup is not None
            setup(sim)
            sim.mock("screen_customer").fails(
                times=3, after=timedelta(seconds=20), reason="429 Too Many Requests"
            ).then_completes({"sanctions_hit": False, "pep": True, "adverse_media": False})
            return sim.run(fn, input=payload)
    raise KeyError("kyc")


def image_fork_with_retries() -> Run:
    """Both branches of image_fork: the jpg resize times out once, the webp upload fails twice."""
    from examples.image_fork import image_multiple_convert_resize

    image = {
        "file_location": "https://cdn.example.com/u/cat.png",
        "output_width": 300,
        "output_height": 200,
    }
    sim = Simulator()
    sim.mock("image_convert_resize_jpg").times_out().then_completes(
        {"file_location": "/tmp/image-worker/cat-300x200-fit.jpg", "content_type": "image/jpeg"},
        after=timedelta(seconds=40),
    )
    sim.mock("upload_toS3_webp").fails(
        times=2, after=timedelta(seconds=8), reason="503 Slow Down"
    ).then_completes({"s3_url": "s3://images/cat-300x200.webp"}, after=timedelta(seconds=6))
    return sim.run(image_multiple_convert_resize, input=image)


def big_workflow(tasks: int = 200, branches: int = 4) -> dict[str, Any]:
    """A FORK_JOIN of ``branches`` branches with ``tasks`` SIMPLE tasks in all."""
    per = tasks // branches
    fork = [
        [
            {"name": f"step_{b}_{i}", "taskReferenceName": f"step_{b}_{i:03d}", "type": "SIMPLE"}
            for i in range(per)
        ]
        for b in range(branches)
    ]
    join_on = [branch[-1]["taskReferenceName"] for branch in fork]
    return {
        "name": "big_batch",
        "version": 1,
        "tasks": [
            {
                "name": "fan_out",
                "taskReferenceName": "fan_out",
                "type": "FORK_JOIN",
                "forkTasks": fork,
            },
            {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": join_on},
        ],
    }


def big_run(tasks: int = 200) -> Run:
    """The big workflow, with slow workers, retries and one timeout along the way."""
    definition = big_workflow(tasks)
    task_defs = [
        {
            "name": f"step_{b}_{i}",
            "retryCount": 2,
            "retryDelaySeconds": 30,
            "timeoutSeconds": 600,
            "responseTimeoutSeconds": 300,
            "timeoutPolicy": "RETRY",
        }
        for b in range(4)
        for i in range(tasks // 4)
    ]
    sim = Simulator(task_defs=task_defs)
    for b in range(4):
        for i in range(tasks // 4):
            ref = f"step_{b}_{i:03d}"
            mock = sim.mock(ref)
            if i % 17 == 5:
                mock.fails(times=1, after=timedelta(seconds=40)).then_completes(
                    {}, after=timedelta(seconds=20)
                )
            elif i % 23 == 11:
                mock.times_out().then_completes({}, after=timedelta(seconds=10))
            else:
                mock.completes({"i": i}, after=timedelta(seconds=5 + (i * 7 + b * 3) % 40))
    return sim.run(definition)
