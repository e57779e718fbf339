"""The password rules (NCSC guidance): 12 to 128 characters, passphrases welcome, no composition rules,
and nothing common: the shipped list of the most used passwords and this service's own words."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

MIN_LENGTH = 12
MAX_LENGTH = 128
COMMON_LIST = Path(__file__).with_name("common_passwords.txt")
_LETTERS = re.compile(r"[^a-z]")


@cache
def common_words() -> frozenset[str]:
    """The refused words, lower case (read once)."""
    lines = COMMON_LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


#: This service's own words: a password made only of these (or of one with digits) is refused.
SERVICE_WORDS = frozenset(
    {"nhs", "nhsmail", "medway", "chatham", "gillingham", "rochester", "kent", "ilr", "integrated", "locality",
     "review", "coordinator", "team", "lead", "partner", "meeting", "care", "plan", "patient", "council", "social",
     "services", "hospital", "health", "password", "welcome"}
)  # fmt: skip
_RUNS = "01234567890123456789 9876543210987654321 abcdefghijklmnopqrstuvwxyz qwertyuiopasdfghjklzxcvbnm"


def _made_of_service_words(letters: str) -> bool:
    """Whether the letters split wholly into this service's words ("ilrcoordinator", "medwaynhs")."""
    can_end = [True] + [False] * len(letters)
    for end in range(1, len(letters) + 1):
        can_end[end] = any(can_end[start] and letters[start:end] in SERVICE_WORDS for start in range(end))
    return bool(letters) and can_end[-1]


def _repeats(text: str) -> bool:
    """A shorter string said again and again ("passwordpassword", "abcabcabcabc")."""
    return any(
        len(text) % size == 0 and text[:size] * (len(text) // size) == text for size in range(1, len(text) // 2 + 1)
    )


def password_problem(password: str) -> str | None:
    """Why a new password is refused, in words; None when it may be used."""
    if len(password) < MIN_LENGTH:
        return f"The password must be at least {MIN_LENGTH} characters long."
    if len(password) > MAX_LENGTH:
        return f"The password can be at most {MAX_LENGTH} characters long."
    lowered = password.lower()
    letters = _LETTERS.sub("", lowered)
    common = common_words()
    guessable = (
        lowered in common
        or letters in common
        or _repeats(lowered)
        or _made_of_service_words(letters)
        or any(lowered in run for run in _RUNS.split())
    )
    if guessable:
        return (
            "This password is too easy to guess: it is a common password, a word of this service, or a repeat. "
            "Try three or four unrelated words."
        )
    return None
