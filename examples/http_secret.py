"""An HTTP call authenticated with a Conductor secret, not a token pasted into the workflow.

Doug Sillars' secrets announcement: workflow definitions end up in git, in
the UI and in execution logs, so an API token written into one is a leaked
token. Orkes Conductor stores secrets on the server instead, and a task
reads one as ``${workflow.secrets.NAME}``, resolved only when the task runs.

Here the developer-relations team tracks the project's popularity: an HTTP
task reads the repository from the GitHub REST API with the token from the
``github_token`` secret (authenticated calls get 5,000 requests an hour
instead of 60), and ``record_repo_stats`` turns the response into the
numbers the team's dashboard shows. ``flowdsl.secret("github_token")`` is
the whole trick: the compiled definition holds the reference, never the value.

GitHub answers quickly or not at all, so the HTTP task gets short connection
and read timeouts (milliseconds) and two retries; ``record_repo_stats`` is pure
arithmetic: one retry, 30 seconds.
"""

from __future__ import annotations

from typing import Any, TypedDict

from flowdsl import RetryLogic, http, secret, task, workflow

OWNER = "devrel@example.com"


class RepoStats(TypedDict):
    """Output of ``record_repo_stats``."""

    repository: str
    stars: int
    forks: int
    open_issues: int
    stars_per_fork: float


@task(
    name="record_repo_stats",
    description="Turn a GitHub repository document into dashboard numbers",
    owner_email=OWNER,
    retry_count=1,
    retry_logic=RetryLogic.FIXED,
    retry_delay_seconds=1,
    timeout_seconds=30,
    response_timeout_seconds=30,
)
def record_repo_stats(repository: dict[str, Any]) -> RepoStats:
    """Pick the counters out of a ``GET /repos/{owner}/{repo}`` response body."""
    stars = int(repository.get("stargazers_count", 0))
    forks = int(repository.get("forks_count", 0))
    return {
        "repository": str(repository.get("full_name", "")),
        "stars": stars,
        "forks": forks,
        "open_issues": int(repository.get("open_issues_count", 0)),
        "stars_per_fork": round(stars / forks, 2) if forks else float(stars),
    }


@workflow(
    name="github_repo_stats",
    description="Read a repository's stars and forks from the GitHub API with a secret token",
    owner_email=OWNER,
    timeout_seconds=300,
)
def github_repo_stats(owner: str, repo: str) -> dict[str, Any]:
    """Ask GitHub about ``owner/repo`` with the ``github_token`` secret."""
    response = http(
        f"https://api.github.com/repos/{owner}/{repo}",
        headers={
            "Authorization": f"Bearer {secret('github_token')}",
            "X-GitHub-Api-Version": "2022-11-28",
        },
        accept="application/vnd.github+json",
        connection_timeout=2_000,  # milliseconds
        read_timeout=5_000,
        ref="github_repository",
        retry_count=2,
    )
    stats = record_repo_stats(response.output["response"]["body"])
    return {"stars": stats.output["stars"], "forks": stats.output["forks"]}
