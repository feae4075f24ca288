"""Which code a benchmark runs: this working tree, or another commit exported next to it (so
"before" and "after" are measured in one run, on one machine, under the same load)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Tree:
    label: str
    path: Path

    @property
    def is_current(self) -> bool:
        return self.path == REPO


CURRENT = Tree("after", REPO)


@contextmanager
def exported(ref: str) -> Iterator[Tree]:
    """`ref` (a branch or commit of this repository) unpacked into a temporary directory."""
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", ref],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    folder = Path(tempfile.mkdtemp(prefix="rounds-baseline-"))
    try:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", commit], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
        named = ref if commit.startswith(ref) or ref.startswith(commit) else f"{ref}, {commit}"
        yield Tree(f"before ({named})", folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def python_env(tree: Tree, extra: dict[str, str] | None = None) -> dict[str, str]:
    """An environment whose `bot` and `jobs` are the tree's (PYTHONPATH comes before the
    editable install of this working tree)."""
    return {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(tree.path), **(extra or {})}


def run_script(tree: Tree, script: str, args: list[str], env: dict[str, str]) -> str:
    """Run one of bench/'s self-contained scripts (by path, so the tree's own bench/ does not
    shadow it) against the tree's code; returns its standard output."""
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / script), *args],
        cwd=tree.path,
        env=python_env(tree, env),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{script} failed against {tree.label}:\n{result.stderr[-3000:]}")
    return result.stdout


def migrate(tree: Tree, url: str) -> None:
    """Create the schema with the tree's own migrations."""
    code = (
        "import sys\n"
        "from bot.store.db import make_engine\n"
        "from bot.store.migrate import upgrade_to_head\n"
        "engine = make_engine(sys.argv[1])\n"
        "upgrade_to_head(engine)\n"
        "engine.dispose()\n"
    )
    subprocess.run(
        [sys.executable, "-c", code, url],
        cwd=tree.path,
        env=python_env(tree),
        check=True,
        capture_output=True,
        timeout=300,
    )
