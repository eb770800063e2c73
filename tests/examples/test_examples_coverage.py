"""Example runs under the ``flowdsl_sim`` fixture, so ``pytest --flowdsl-cov`` counts them.

``--flowdsl-cov`` counts the runs of the simulators a test receives as fixtures; the
http_secret tests in test_simulate_examples.py build their own Simulator (for its secret), so
these put the same stories through the fixture. tests/testing/test_examples_coverage_run.py
checks that the example tests reach 100 percent of the examples' branches.
"""

from __future__ import annotations

from datetime import timedelta

from examples.http_secret import github_repo_stats
from testing.simulator import Simulator

TOKEN = "ghp_coverageT0k3n"
REPO = {"owner": "flowdsl", "repo": "flowdsl"}
BODY = {"full_name": "flowdsl/flowdsl", "stargazers_count": 10, "forks_count": 4}


def test_github_stats_under_the_fixture(flowdsl_sim: Simulator) -> None:
    """The GitHub call answers; the stats are recorded; the token stays secret."""
    flowdsl_sim.secrets["github_token"] = TOKEN
    flowdsl_sim.mock("github_repository").completes({"response": {"statusCode": 200, "body": BODY}})
    run = flowdsl_sim.run(github_repo_stats, input=REPO)
    assert run.status == "COMPLETED"
    assert run.output == {"stars": 10, "forks": 4}
    assert run.task("record_repo_stats").output["stars_per_fork"] == 2.5
    assert TOKEN not in run.to_json()


def test_github_down_under_the_fixture(flowdsl_sim: Simulator) -> None:
    """GitHub answers 502 three times: the HTTP task runs out of retries and the workflow fails."""
    flowdsl_sim.secrets["github_token"] = TOKEN
    flowdsl_sim.mock("github_repository").fails(times=3, after=timedelta(seconds=1), reason="502")
    run = flowdsl_sim.run(github_repo_stats, input=REPO)
    assert run.status == "FAILED"
    assert run.task("github_repository").attempts == 3
    assert run.duration == timedelta(seconds=123)  # 3 x 1 s + 2 x 60 s (ad-hoc retry delay)
