"""How well the patient-information guard separates sentences with patient identifiers from
the everyday ones, on the labelled set in tests/data/phi_sentences.tsv."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from bot.domain.phi_guard import scan

SENTENCES = Path(__file__).resolve().parents[1] / "tests" / "data" / "phi_sentences.tsv"
RECALL_TARGET = 0.95
FALSE_ALARM_TARGET = 0.05


def load_sentences(path: Path = SENTENCES) -> list[tuple[bool, str]]:
    """(has an identifier, sentence) for every labelled line; `#` lines are comments."""
    labelled = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, sentence = line.split("\t", 1)
        if label not in {"phi", "ok"}:
            raise ValueError(f"unknown label {label!r} in {path}")
        labelled.append((label == "phi", sentence))
    return labelled


@dataclass(frozen=True)
class PhiRow:
    with_identifiers: int
    without: int
    caught: int
    false_alarms: int
    microseconds_per_sentence: float

    @property
    def recall(self) -> float:
        return self.caught / self.with_identifiers

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.without


def measure_phi(path: Path = SENTENCES) -> PhiRow:
    labelled = load_sentences(path)
    started = time.perf_counter()
    flagged = [(has_identifier, bool(scan(sentence))) for has_identifier, sentence in labelled]
    elapsed = time.perf_counter() - started
    return PhiRow(
        with_identifiers=sum(1 for has, _ in flagged if has),
        without=sum(1 for has, _ in flagged if not has),
        caught=sum(1 for has, hit in flagged if has and hit),
        false_alarms=sum(1 for has, hit in flagged if not has and hit),
        microseconds_per_sentence=elapsed / len(labelled) * 1e6,
    )
