"""Each benchmark runs at a tiny scale, so the benchmark code cannot rot. Numbers are printed,
never asserted: speed targets live in docs/PERFORMANCE.md, not in tests that flake."""

from __future__ import annotations

import pytest

from bench.__main__ import main

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_every_benchmark_runs_at_smoke_scale(
    backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--scale", "smoke", "--backends", backend]) == 0
    report = capsys.readouterr().out
    for heading in (
        "Acknowledgement latency",
        "**Planning**",
        "Delivery at Slack's limits",
        "CPU per nudge",
        "Welcomes of imported pairs",
        "Memory",
        "Program tools",
        "reference loop",
        "Patient-information guard",
    ):
        assert heading in report
    assert "| Rounds | 4 |" in report and "| bare Bolt | 4 |" in report
    assert "| Rounds | 50/s over 4 |" in report and "| bare Bolt | 50/s over 4 |" in report
    assert "duplicates 0 met" in report
