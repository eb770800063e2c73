"""The examples' own tests take every branch of every example workflow (pytest --flowdsl-cov)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_WORKFLOWS = {
    "github_repo_stats",
    "image_convert_resize",
    "image_multiple_convert_resize",
    "image_multiple_convert_resize_dynamic",
    "image_multiple_convert_resize_subworkflow",
    "kyc_onboarding",
    "loan_origination",
}


def test_example_tests_cover_every_branch(tmp_path: Path) -> None:
    """`pytest tests/examples --flowdsl-cov-fail-under=100` passes, listing every example."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/examples",
            "-p",
            "no:cacheprovider",
            "--flowdsl-cov",
            f"--flowdsl-cov-data={tmp_path / 'cov'}",
            "--flowdsl-cov-fail-under=100",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    table = done.stdout.split("flowdsl workflow coverage", 1)[1].splitlines()
    listed = {line.split()[0] for line in table if " v1 " in line}
    assert listed == EXAMPLE_WORKFLOWS
    total = next(line for line in table if line.startswith("TOTAL")).split()
    # TOTAL  runs  tasks-hit/tasks  pct  branches-hit/branches  pct
    assert total[3] == "100%" and total[5] == "100%", total
    assert "required workflow branch coverage of 100% reached: 100.00%" in done.stdout
