"""What a school's IT team does on a fresh machine: install Rounds from the pinned lock file with
deploy/install.sh (the Dockerfile's own install step), then start it from another directory,
configured by a .env file there. No container runtime runs here, so this is the container's
CI check too."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from sandbox.fake_slack import FakeSlack
from tests.processes import REPO, RoundsProcess, clean_environment, free_port
from tests.slack_requests import SIGNING_SECRET, SlackSender, get

pytestmark = pytest.mark.slow


def _requirement_name(line: str) -> str:
    return re.split(r"[<>=!~;\[ ]", line.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _locked(lock: str) -> set[str]:
    names = re.findall(r"^([A-Za-z0-9_.-]+)==", (REPO / lock).read_text(), flags=re.MULTILINE)
    return {name.lower().replace("_", "-") for name in names}


def test_the_lock_files_pin_every_dependency_with_hashes() -> None:
    """After adding a dependency to pyproject.toml, run `make lock`."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    runtime = {_requirement_name(line) for line in project["dependencies"]}
    dev = {_requirement_name(line) for line in project["optional-dependencies"]["dev"]}
    assert runtime <= _locked("requirements.lock"), runtime - _locked("requirements.lock")
    assert runtime | dev <= _locked("requirements-dev.lock")
    assert "setuptools" in _locked("requirements.lock")  # the build backend, pinned too
    for lock in ("requirements.lock", "requirements-dev.lock"):
        text = (REPO / lock).read_text()
        assert "--index-url" not in text and "--find-links" not in text  # no machine's mirror
        for block in re.split(r"\n(?=[A-Za-z0-9])", text.split("\n\n", 1)[1]):
            if "==" in block:
                assert "--hash=sha256:" in block, block.splitlines()[0]


def test_compose_runs_web_worker_and_postgresql_with_a_volume() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"web", "worker", "db"}
    assert services["worker"]["command"] == ["rounds-worker"]
    assert "command" not in services["web"]  # the image's default: gunicorn
    assert any(volume.startswith("db:") for volume in services["db"]["volumes"])
    assert "db" in compose["volumes"]
    for name in ("web", "worker"):
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgresql://")
        assert services[name]["depends_on"]["db"]["condition"] == "service_healthy"


def test_the_dockerfile_and_ci_share_one_install_script() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "sh deploy/install.sh /opt/rounds" in dockerfile
    assert re.search(r"^USER rounds$", dockerfile, flags=re.MULTILINE)
    assert "FROM python:3.11-slim" in dockerfile
    # Everything the script reads is in the image's build context.
    ignored = (REPO / ".dockerignore").read_text()
    for needed in ("pyproject.toml", "README.md", "requirements.lock", "deploy/install.sh"):
        assert f"!{needed}" in ignored


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Rounds installed by deploy/install.sh from a copy of the sources (as the image's build
    context would hold them), into a fresh virtual environment."""
    root = tmp_path_factory.mktemp("install")
    source = root / "source"
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in files:
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    venv = root / "venv"
    result = subprocess.run(
        ["sh", str(source / "deploy" / "install.sh"), str(venv)],
        env=clean_environment(sources=False, PYTHON=sys.executable),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    shutil.rmtree(source)  # nothing may rely on the sources from here on
    return venv


@pytest.mark.timeout(1200)
def test_the_installed_wheel_starts_from_any_directory(
    installed: Path, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    site = tmp_path / "school"
    site.mkdir()
    port = free_port()
    (site / ".env").write_text(
        f"SLACK_BOT_TOKEN=xoxb-test-token\nSLACK_SIGNING_SECRET={SIGNING_SECRET}\n"
        f"SLACK_API_URL={fake_slack.api_url}\nPORT={port}\n"
    )
    env = clean_environment(sources=False)
    located = subprocess.run(
        [str(installed / "bin" / "python"), "-c", "import bot; print(bot.__file__)"],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(installed) in located.stdout  # the installed package, not the sources

    bot = RoundsProcess([str(installed / "bin" / "rounds")], env=env, cwd=site)
    try:
        bot.wait_for_log(r"listening on http://0\.0\.0\.0:\d+/slack/events", timeout=120)
        base = f"http://127.0.0.1:{port}"
        assert get(f"{base}/healthz").status == 200
        assert "rounds_pairs" in get(f"{base}/metrics").text
        reply, _ = SlackSender(base, fake_slack).command("/mentor", "help", user="U0IT")
        assert reply.status == 200
        assert bot.terminate() == 0
    finally:
        bot.kill()
    # The schema came from the migrations inside the package, into ./rounds.db (the default).
    assert (site / "rounds.db").exists()


@pytest.mark.timeout(1200)
def test_the_installed_worker_starts_and_stops(
    installed: Path, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    port = free_port()
    env = clean_environment(
        sources=False,
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_API_URL=fake_slack.api_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'rounds.db'}",
        PORT=str(port),
    )
    worker = RoundsProcess([str(installed / "bin" / "rounds-worker")], env=env, cwd=tmp_path)
    try:
        worker.wait_for_log(r"worker running", timeout=120)
        assert get(f"http://127.0.0.1:{port}/healthz").status == 200
        assert worker.terminate() == 0
    finally:
        worker.kill()
