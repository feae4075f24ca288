"""The patient-information guard: finds patient identifiers in text someone typed, before
Rounds posts or stores it.

Students write about clinical work, and a check-in space is no place for a medical record
number. The guard looks for medical record numbers, dates of birth, phone numbers (with
Google's libphonenumber, the `phonenumbers` package), names next to "patient"/"pt", room
and bed numbers, and ages over 89. A finding is a question, not a verdict: the person
sees "This may contain patient information" and decides. The guard never logs the text
or what it found in it.

Measured on tests/data/phi_sentences.tsv (`python -m bench --only phi`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher

MRN = "a medical record number"
DOB = "a date of birth"
PHONE = "a phone number"
NAME = "a patient's name"
ROOM = "a room or bed number"
AGE = "an age over 89"

# Regions whose national formats are tried for numbers written without a country code.
PHONE_REGIONS = ("US", "GB", "IN")


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int


_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_NUMERIC_DATE = r"\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})"
_ISO_DATE = r"(?:19|20)\d{2}-\d{2}-\d{2}"
_WORDY_DATE = (
    rf"(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+(?:19|20)\d{{2}})"
)
_ANY_DATE = rf"(?:{_ISO_DATE}|{_NUMERIC_DATE}|{_WORDY_DATE}|(?:19|20)\d{{2}})"

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # Numbers named by a keyword first: they are what the keyword says.
    (
        MRN,
        re.compile(
            r"\b(?:MRN|MR\s?#|MR\s?no\.?|med(?:ical)?\s+rec(?:ord)?s?(?:\s+(?:number|no\.?|#))?"
            r"|chart\s*(?:number|no\.?|#)|hospital\s+(?:number|no\.?|#|id)"
            r"|patient\s+(?:id|number|no\.?|#)|pt\s+(?:id|#)|account\s*(?:number|no\.?|#)"
            r"|acct\.?\s*(?:number|no\.?|#)?|CSN|FIN|encounter\s+(?:number|no\.?|#|id)"
            r"|case\s+(?:number|no\.?|#))"
            r"(?:\s+(?:is|was))?\s*[:#=-]?\s*[A-Z]{0,3}\d[\d-]{3,}\d",
            re.IGNORECASE,
        ),
    ),
    (
        DOB,
        re.compile(
            r"\b(?:DOB|D\.O\.B\.?|date\s+of\s+birth|birth\s?date|born(?:\s+(?:on|in))?)"
            rf"(?:\s+(?:is|was|of))?\s*[:=-]?\s*\(?{_ANY_DATE}",
            re.IGNORECASE,
        ),
    ),
    # A long bare number is a record number far more often than anything else a student
    # writes (scores, counts and years are shorter; phone numbers are found separately).
    (MRN, re.compile(r"(?<![\w.,/:$-])#?\d{7,10}(?![\w.,/:%-]|,\d)")),
    # A full date in an adult's birth years is most likely a date of birth.
    (
        DOB,
        re.compile(
            r"(?<![\d/.-])(?:\d{1,2}[/.-]\d{1,2}[/.-](?:19\d{2}|200\d)"
            rf"|(?:19\d{{2}}|200\d)-\d{{2}}-\d{{2}}|{_WORDY_DATE.replace('(?:19|20)', '19')})"
            r"(?![\d/.-])",
            re.IGNORECASE,
        ),
    ),
    (
        AGE,
        re.compile(
            r"\b(?:9\d|1[01]\d)\s*(?:-|\s)?\s*(?:years?[- ]old|y/?o\b|yrs?[- ]old)",
            re.IGNORECASE,
        ),
    ),
    (
        ROOM,
        re.compile(
            r"\b(?:room|rm\.?|bed|bay|bedspace|bed\s+space|cubicle|cube)s?\s*(?:#|no\.?|number)?"
            r"\s*(?P<number>\d{1,4}[A-Za-z]?|[A-Za-z]\d{1,4})\b(?!\s*(?:people|students|seats|%))",
            re.IGNORECASE,
        ),
    ),
)

_KEYWORDED = 2  # the first two patterns above

# "patient Chen", "pt J.M.", "my patient, Maria Lopez", "Patient named Robert",
# "pt: Mrs. Kowalski" — the keyword in any case, the name capitalized.
_NAME_AFTER_KEYWORD = re.compile(
    r"\b(?i:patient|pt)\.?(?:'s)?(?:\s*[:,(—–-]\s*|\s+)"
    r"(?:(?i:named|called|name\s+is|name\s+was)\s+)?"
    r"(?:(?P<honorific>Mr|Mrs|Ms|Miss|Mx)\.?\s+)?"
    r"(?P<name>[A-Z]\.\s?[A-Z]\.?|[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+)?)"
)
# "Mrs. Ortiz, my patient", "Mr. Patel in room 9": an honorific name in a clinical sentence.
_HONORIFIC_NAME = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx)\.?\s+(?P<name>[A-Z][a-z'’-]+)")
_CLINICAL = re.compile(
    r"\b(?:patients?|pts?|room|rm|bed|admitted|admission|discharged?|diagnos\w*|surgery"
    r"|post-?op|pre-?op|icu|ed|er|wards?|service|rounds|chart|labs?|meds?|biopsy|code"
    r"|hospice|consult|family|clinic)\b",
    re.IGNORECASE,
)
# Capitalized words that follow "patient" without being anyone's name.
_NOT_NAME_WORDS = """
    I I'm I've I'd I'll A An The This That These Those He She They We It His Her Their Who
    What When Where Which Was Is Are And But Or So If In On At With For From To By Of As
    Today Yesterday Tomorrow Tonight Monday Tuesday Wednesday Thursday Friday Saturday Sunday
    January February March April May June July August September October November December
    Care Safety Portal Experience Education Centered Population Panel Presentation
    Presentations Interview Interviews Encounter Encounters Satisfaction Advocacy Navigator
    Zero Step History Notes Note Rounds Rounding Census List Load Volume Clinic Handoff
    Handoffs Sign Signout Discharge Admission Admissions Family Families Consent Doctor
    Day Days Week Weeks Month Covid Case Cases Room Bed Transport Transfer Flow Outcomes
    Outcome Assistant Advocate Relations Services Service Access Rights Privacy Engagement
    Reported Centred Scenario Actor Actors Simulation Simulator Standardized Mannequin
    Journey Story Stories Voices Voice Guide Handbook Board Council Committee Week's
"""
_NOT_NAMES = frozenset(_NOT_NAME_WORDS.split())
_ABBREVIATION_WORDS = (
    "BP HR RR ICU ED ER OR CT MRI EKG ECG CBC BMP CMP IV PO PT OT SOB CP HTN DM CHF COPD UTI "
    "AMS NPO DNR DNI PCP ROS HPI CC GI GU ENT OB NICU PICU MICU SICU CCU ID"
)
_ABBREVIATIONS = frozenset(_ABBREVIATION_WORDS.split())


_LOOKS_LIKE_A_DATE = re.compile(rf"{_ISO_DATE}|{_NUMERIC_DATE}")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])(?<!\bMr\.)(?<!\bMrs\.)(?<!\bMs\.)(?<!\bDr\.)\s+")


def _phone_findings(text: str) -> Iterable[Finding]:
    seen: set[tuple[int, int]] = set()
    for region in PHONE_REGIONS:
        for match in PhoneNumberMatcher(text, region, leniency=Leniency.POSSIBLE):
            span = (match.start, match.end)
            digits = sum(char.isdigit() for char in match.raw_string)
            if span in seen or digits < 7 or _LOOKS_LIKE_A_DATE.fullmatch(match.raw_string):
                continue
            if not phonenumbers.is_possible_number(match.number):
                continue
            seen.add(span)
            yield Finding(PHONE, match.start, match.end)


def _name_findings(text: str) -> Iterable[Finding]:
    for match in _NAME_AFTER_KEYWORD.finditer(text):
        name = match["name"]
        first = name.split()[0]
        dotted = "." in name and len(name.replace(".", "").replace(" ", "")) <= 3
        if not dotted and first in _NOT_NAMES and not match["honorific"]:
            continue
        if not dotted and first.upper() in _ABBREVIATIONS and not match["honorific"]:
            continue
        yield Finding(NAME, match.start("name"), match.end("name"))
    for sentence in _SENTENCE_BREAK.split(text):
        if not _CLINICAL.search(sentence):
            continue
        offset = text.find(sentence)
        for match in _HONORIFIC_NAME.finditer(sentence):
            yield Finding(NAME, offset + match.start(), offset + match.end())


_CLASSROOM = re.compile(
    r"\b(?:lecture|class(?:room)?|small\s+group|seminar|conference|study|meeting|zoom"
    r"|breakout|sim(?:ulation)?|library|education|building|anatomy|lab|exam\s+hall|workshop"
    r"|call|locker|office)\b",
    re.IGNORECASE,
)


def _room_is_a_classroom(text: str, start: int) -> bool:
    """ "Room 204 of the education building" is where students meet, not a patient."""
    sentence_start = max(text.rfind(mark, 0, start) for mark in (".", "!", "?", "\n")) + 1
    sentence_end = min(
        (i for i in (text.find(mark, start) for mark in (".", "!", "?", "\n")) if i != -1),
        default=len(text),
    )
    sentence = text[sentence_start:sentence_end]
    return bool(_CLASSROOM.search(sentence)) and not re.search(
        r"\b(?:patients?|pts?)\b", sentence, re.IGNORECASE
    )


def _overlaps(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(start < other_end and other_start < end for other_start, other_end in spans)


def scan(text: str) -> list[Finding]:
    """Every patient identifier the guard sees in `text`, in order of position. A number
    after "MRN" or "DOB" is that, whatever its shape; other bare numbers are phone numbers
    when libphonenumber says they can be, record numbers when long."""
    findings: list[Finding] = []
    for kind, pattern in _PATTERNS[:_KEYWORDED]:
        findings.extend(Finding(kind, *match.span()) for match in pattern.finditer(text))
    claimed = [(finding.start, finding.end) for finding in findings]
    phones = [f for f in _phone_findings(text) if not _overlaps(f.start, f.end, claimed)]
    findings.extend(phones)
    claimed += [(finding.start, finding.end) for finding in phones]
    for kind, pattern in _PATTERNS[_KEYWORDED:]:
        for match in pattern.finditer(text):
            start, end = match.span()
            if kind in (MRN, DOB) and _overlaps(start, end, claimed):
                continue  # already found as what its keyword or shape says
            if kind == ROOM and _room_is_a_classroom(text, start):
                continue
            findings.append(Finding(kind, start, end))
    findings.extend(_name_findings(text))
    return sorted(findings, key=lambda finding: (finding.start, finding.end))


def scan_all(texts: Iterable[str]) -> list[Finding]:
    return [finding for text in texts for finding in scan(text)]


def kinds(findings: Sequence[Finding]) -> list[str]:
    """What was found, each kind once, in order of first appearance."""
    return list(dict.fromkeys(finding.kind for finding in findings))


def describe(findings: Sequence[Finding]) -> str:
    """`a phone number and a room or bed number`."""
    found = kinds(findings)
    if len(found) <= 1:
        return found[0] if found else "nothing"
    return ", ".join(found[:-1]) + " and " + found[-1]
