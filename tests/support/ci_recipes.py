"""Run the CI recipes' own command lines here, as GitHub Actions and GitLab CI would.

Enough of each runner for the recipes in this repository: bash with -eo pipefail, job and step
variables, $GITHUB_ENV and $GITHUB_OUTPUT, `${{ inputs.* }}`, `${{ env.* }}`,
`${{ steps.*.outputs.* }}`, `${{ github.job }}` and `${{ strategy.job-index }}` expressions,
`if: always()`, and GitLab's `extends`. The action's `uses: OWNER/kv-conformance@REF` (or
`./`) runs this repository's action.yml. What cannot run here is recorded instead: actions
from elsewhere (checkout; setup-python, whose `python-path` output is this Python;
upload-artifact: its `name` and `path` are kept so a test can look at them) and the lines that
make a venv or install packages: this environment has them already, and $RUNNER_TEMP's
kv-conformance-venv stands for it.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPOSITORY = Path(__file__).resolve().parents[2]
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")
INSTALL = re.compile(r"(^| )-m (pip install|venv) ")
THIS_ACTION = re.compile(r"^(\./|OWNER/kv-conformance@REF)$")
STEP_TIMEOUT = 300


@dataclass
class Step:
    name: str
    status: int | None  # None: not run (recorded, skipped, or after a failure)
    output: str = ""


@dataclass
class Job:
    workspace: Path
    steps: list[Step] = field(default_factory=list)
    uploaded: list[Path] = field(default_factory=list)
    artifact_names: list[str] = field(default_factory=list)
    skipped_installs: list[str] = field(default_factory=list)
    _sessions: list[int] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(step.status not in (None, 0) for step in self.steps)

    @property
    def output(self) -> str:
        return "\n".join(step.output for step in self.steps)

    def environment(self, variables: dict[str, str]) -> dict[str, str]:
        env = dict(os.environ)
        # The suite's own environment must not leak into the recipe's.
        for name in [name for name in env if name.startswith("KV_")]:
            del env[name]
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
        env.update(variables)
        return env

    def shell(self, name: str, script: str, env: dict[str, str]) -> Step:
        lines = []
        for line in script.splitlines():
            if INSTALL.search(line.strip()):
                self.skipped_installs.append(line.strip())
                continue
            lines.append(line)
        # Own session, so servers the script leaves running in the background can be stopped.
        process = subprocess.Popen(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", "\n".join(lines)],
            cwd=self.workspace,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        self._sessions.append(process.pid)
        output, _ = process.communicate(timeout=STEP_TIMEOUT)
        step = Step(name, process.returncode, output)
        self.steps.append(step)
        return step

    def stop(self) -> None:
        for session in self._sessions:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(session, signal.SIGTERM)


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


class GitHubRunner:
    """One job of a workflow; `uses: ./` runs this repository's composite action.yml."""

    def __init__(self, job: Job, job_name: str = "conformance", job_index: int = 0) -> None:
        self.job = job
        self.env_file = job.workspace / "github-env"
        self.env_file.write_text("", encoding="utf-8")
        self.output_file = job.workspace / "github-output"
        self.github = {"job": job_name}
        self.strategy = {"job-index": str(job_index)}
        # The venv the action makes and installs into: this environment, which has it all.
        self.runner_temp = job.workspace / "runner-temp"
        self.runner_temp.mkdir(exist_ok=True)
        (self.runner_temp / "kv-conformance-venv").mkdir(exist_ok=True)
        (self.runner_temp / "kv-conformance-venv" / "bin").symlink_to(Path(sys.executable).parent)

    def run_workflow(self, path: Path, job_name: str) -> None:
        definition = load(path)["jobs"][job_name]
        variables = {k: str(v) for k, v in definition.get("env", {}).items()}
        self._run_steps(definition["steps"], variables, inputs={}, action_path=None)

    def run_action(self, inputs: dict[str, str], variables: dict[str, str] | None = None) -> None:
        action = load(REPOSITORY / "action.yml")
        values = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
        unknown = set(inputs) - set(values)
        assert not unknown, f"the action has no inputs {unknown}"
        missing = [n for n, s in action["inputs"].items() if s.get("required") and n not in inputs]
        assert not missing, f"required inputs not given: {missing}"
        values.update(inputs)
        self._run_steps(action["runs"]["steps"], variables or {}, values, REPOSITORY)

    def _run_steps(
        self,
        steps: list[dict[str, Any]],
        variables: dict[str, str],
        inputs: dict[str, str],
        action_path: Path | None,
    ) -> None:
        outputs: dict[str, str] = {}  # steps.<id>.outputs.<name> of this list of steps
        for step in steps:
            name = step.get("name") or step.get("uses") or "run"
            if self.job.failed and "always()" not in str(step.get("if", "")):
                self.job.steps.append(Step(name, None))
                continue
            env = {**variables, **self._github_env()}
            if action_path is not None:
                env["GITHUB_ACTION_PATH"] = str(action_path)
            env["GITHUB_ENV"] = str(self.env_file)
            env["GITHUB_OUTPUT"] = str(self.output_file)
            env["RUNNER_TEMP"] = str(self.runner_temp)
            context = {
                "inputs": inputs,
                "env": env,
                "steps": outputs,
                "github": self.github,
                "strategy": self.strategy,
            }
            env.update({k: self._evaluate(str(v), context) for k, v in step.get("env", {}).items()})
            if "run" in step:
                self.output_file.write_text("", encoding="utf-8")
                self.job.shell(name, step["run"], self.job.environment(env))
                for line in self.output_file.read_text(encoding="utf-8").splitlines():
                    key, _, value = line.partition("=")
                    outputs[f"{step.get('id')}.outputs.{key}"] = value
            elif step["uses"].startswith("actions/setup-python@"):
                outputs[f"{step.get('id')}.outputs.python-path"] = sys.executable
                self.job.steps.append(Step(name, None))
            elif THIS_ACTION.match(step["uses"]):
                with_ = {k: self._evaluate(str(v), context) for k, v in step["with"].items()}
                self.run_action(with_, variables)
            elif step["uses"].startswith("actions/upload-artifact@"):
                path = self._evaluate(str(step["with"]["path"]), context)
                self.job.uploaded.append(self.job.workspace / path)
                self.job.artifact_names.append(self._evaluate(str(step["with"]["name"]), context))
                self.job.steps.append(Step(name, None))
            else:
                self.job.steps.append(Step(name, None))

    def _github_env(self) -> dict[str, str]:
        lines = self.env_file.read_text(encoding="utf-8").splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line)

    @staticmethod
    def _evaluate(text: str, context: dict[str, dict[str, str]]) -> str:
        def value(match: re.Match[str]) -> str:
            scope, _, name = match.group(1).partition(".")
            assert scope in context, f"expression not supported here: {match.group(0)}"
            return context[scope].get(name, "")

        return EXPRESSION.sub(value, text)


class GitLabRunner:
    """One job of a pipeline file, with its `include: local` files and `extends`."""

    def __init__(self, job: Job) -> None:
        self.job = job

    def run_job(self, path: Path, job_name: str, variables: dict[str, str] | None = None) -> None:
        definitions = self._definitions(path)
        job = self._resolve(definitions, job_name)
        env = {k: str(v) for k, v in job.get("variables", {}).items()}
        env.update(variables or {})
        # GitLab runs before_script and script in one shell.
        script = "\n".join([*job.get("before_script", []), *job["script"]])
        self.job.shell(job_name, script, self.job.environment(env))
        artifacts = job.get("artifacts", {})
        if artifacts.get("when") == "always" or not self.job.failed:
            for entry in artifacts.get("paths", []):
                expanded = re.sub(r"\$(\w+)", lambda m: env.get(m.group(1), ""), entry)
                self.job.uploaded.append(self.job.workspace / expanded)

    def _definitions(self, path: Path) -> dict[str, Any]:
        data = load(path)
        definitions: dict[str, Any] = {}
        for include in data.pop("include", []):
            definitions.update(load(REPOSITORY / include["local"]))
        definitions.update(data)
        return definitions

    def _resolve(self, definitions: dict[str, Any], name: str) -> dict[str, Any]:
        job = dict(definitions[name])
        parent = job.pop("extends", None)
        if parent is None:
            return job
        merged = self._resolve(definitions, parent)
        variables = {**merged.get("variables", {}), **job.get("variables", {})}
        merged.update(job)
        merged["variables"] = variables
        return merged
