"""The CI recipes' command lines, run here: the GitHub Action and its example workflow, the
GitLab template and its example job. Each runs the suite against a server the job starts (or
a faulty one the test starts), fails when the suite does, and still keeps the report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.reference import ReferenceServer
from tests.support.ci_recipes import REPOSITORY, GitHubRunner, GitLabRunner, Job

pytestmark = pytest.mark.slow

TOKENS = ["recipe-secret-alpha-51e2", "recipe-secret-bravo-0c9d"]
REPORT_FILES = {"report.html", "junit.xml", "summary.json"}


@pytest.fixture
def job(tmp_path: Path) -> Iterator[Job]:
    # The user's repository, with a pytest configuration of its own the suite must not obey.
    (tmp_path / "pyproject.toml").write_text(
        "[tool.pytest.ini_options]\naddopts = '--cov=myapp'\npython_files = ['check_*.py']\n"
    )
    job = Job(workspace=tmp_path)
    yield job
    job.stop()


@pytest.fixture
def faulty() -> Iterator[ReferenceServer]:
    with ReferenceServer(TOKENS, faults=["delete-is-noop"]) as server:
        yield server


def verdict(report_dir: Path) -> str:
    summary = json.loads((report_dir / "summary.json").read_text(encoding="utf-8"))
    return str(summary["verdict"])


def assert_no_token_in(job: Job, report_dir: Path) -> None:
    for text in [job.output, *(p.read_text("utf-8") for p in report_dir.iterdir())]:
        for token in TOKENS:
            assert token not in text


def test_example_workflow_runs_the_action_against_the_server_it_starts(job: Job) -> None:
    GitHubRunner(job).run_workflow(
        REPOSITORY / ".github/workflows/kv-conformance.yml", "conformance"
    )
    assert not job.failed, job.output
    # The action installs into a venv of its own, not the job's Python.
    assert job.skipped_installs == [
        "python -m pip install --quiet .",
        '"$KV_PYTHON" -m venv "$RUNNER_TEMP/kv-conformance-venv"',
        '"$RUNNER_TEMP/kv-conformance-venv/bin/python" -m pip install --quiet '
        '"$GITHUB_ACTION_PATH"',
    ]
    assert job.uploaded == [job.workspace / "reports"]
    assert {p.name for p in job.uploaded[0].iterdir()} == REPORT_FILES
    assert verdict(job.uploaded[0]) == "CONFORMANT"
    # Unique per job of a matrix: the job's id and its index.
    assert job.artifact_names == ["kv-conformance-report-conformance-0"]


def test_action_fails_a_faulty_server_and_still_uploads_the_report(
    job: Job, faulty: ReferenceServer
) -> None:
    GitHubRunner(job).run_action(
        {
            "target-url": faulty.url,
            "token-a": TOKENS[0],
            "token-b": TOKENS[1],
            # Quotes keep an argument with spaces whole.
            "args": '--seed 2 -k "deleted_key or absent_key"',
            "report-dir": "out/kv",
        }
    )
    run = next(step for step in job.steps if step.name == "Run kv-conformance")
    assert run.status == 1, run.output
    assert "FAIL           DEL-01" in run.output
    assert "PASS           ABS-01" in run.output
    assert job.uploaded == [job.workspace / "out/kv"]
    assert {p.name for p in job.uploaded[0].iterdir()} == REPORT_FILES
    assert verdict(job.uploaded[0]) == "NOT CONFORMANT"
    assert_no_token_in(job, job.uploaded[0])


def test_gitlab_example_job_runs_the_template_against_the_server_it_starts(job: Job) -> None:
    GitLabRunner(job).run_job(REPOSITORY / "ci/gitlab/example.gitlab-ci.yml", "kv-conformance")
    assert not job.failed, job.output
    assert job.skipped_installs == [
        "python -m pip install --quiet .",
        'python -m pip install --quiet "$KV_CONFORMANCE_PACKAGE"',
    ]
    assert job.uploaded == [job.workspace / "reports/"]
    assert verdict(job.uploaded[0]) == "CONFORMANT"


def test_gitlab_template_fails_a_faulty_server_and_keeps_the_report(
    job: Job, faulty: ReferenceServer
) -> None:
    definitions = REPOSITORY / "ci/gitlab/kv-conformance.gitlab-ci.yml"
    variables = {
        "KV_TARGET_URL": faulty.url,
        "KV_TOKENS": ",".join(TOKENS),  # as a masked CI/CD variable would arrive
        "KV_ARGS": '--seed 2 -k "deleted_key or absent_key"',
        "KV_CONFORMANCE_PACKAGE": ".",
    }
    GitLabRunner(job).run_job(definitions, ".kv-conformance", variables)
    assert job.steps[0].status == 1, job.output
    assert {p.name for p in job.uploaded[0].iterdir()} == REPORT_FILES
    assert verdict(job.uploaded[0]) == "NOT CONFORMANT"
    assert_no_token_in(job, job.uploaded[0])


def test_action_with_an_empty_target_url_fails_and_says_so(job: Job) -> None:
    # ${{ env.KV_URL }} of a variable never set is empty; `required` is not enforced.
    GitHubRunner(job).run_action({"target-url": "", "token-a": TOKENS[0], "token-b": TOKENS[1]})
    run = next(step for step in job.steps if step.name == "Run kv-conformance")
    assert run.status == 2, run.output
    assert "KV_TARGET_URL is empty" in run.output
    assert verdict(job.uploaded[0]) == "ERROR"


def test_gitlab_template_needs_to_be_told_what_to_install(job: Job) -> None:
    definitions = REPOSITORY / "ci/gitlab/kv-conformance.gitlab-ci.yml"
    variables = {"KV_TARGET_URL": "http://127.0.0.1:9", "KV_TOKENS": ",".join(TOKENS)}
    GitLabRunner(job).run_job(definitions, ".kv-conformance", variables)
    assert job.steps[0].status == 2, job.output
    assert "set KV_CONFORMANCE_PACKAGE to where this project is" in job.output
