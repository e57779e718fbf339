"""NHS standards: the NHS number check and the frailty scales (DESIGN.md §6)."""

from __future__ import annotations

import re
from decimal import Decimal

_SEPARATORS = re.compile(r"[\s-]")


def normalise_nhs_number(value: str | None) -> str | None:
    """Digits only ("999 123 4567" → "9991234567"); blank → None."""
    if value is None:
        return None
    digits = _SEPARATORS.sub("", value)
    return digits or None


_TEN_DIGITS = re.compile(r"[0-9]{10}")
_ASCII_DIGITS = re.compile(r"[0-9]+")


def nhs_number_digits(text: str | None) -> str | None:
    """The digits of a search typed as (part of) an NHS number, spaces and hyphens allowed; else None
    ("999 123" → "999123"; "Smith" and "²" → None)."""
    digits = normalise_nhs_number(text)
    return digits if digits and _ASCII_DIGITS.fullmatch(digits) else None


def nhs_number_is_valid(digits: str) -> bool:
    """10 ASCII digits whose last is the Modulus 11 check digit of the first nine ("²" is not a digit here)."""
    return bool(_TEN_DIGITS.fullmatch(digits)) and with_check_digit(digits[:9]) == digits


def format_nhs_number(digits: str | None) -> str:
    """3-3-4 for display: 999 123 4567."""
    if not digits:
        return ""
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 10 else digits


def with_check_digit(first_nine: str) -> str | None:
    """The full number for nine digits, or None when no check digit exists (remainder 10)."""
    total = sum(int(d) * weight for d, weight in zip(first_nine, range(10, 1, -1), strict=False))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return None if check == 10 else first_nine + str(check)


CFS_LABELS = {
    1: "Very fit",
    2: "Fit",
    3: "Managing well",
    4: "Living with very mild frailty",
    5: "Living with mild frailty",
    6: "Living with moderate frailty",
    7: "Living with severe frailty",
    8: "Living with very severe frailty",
    9: "Terminally ill",
}


def efi_category(efi: Decimal | float | None) -> str | None:
    """Electronic Frailty Index band: fit ≤0.12, mild ≤0.24, moderate ≤0.36, severe above."""
    if efi is None:
        return None
    efi = Decimal(str(efi))
    if efi <= Decimal("0.12"):
        return "fit"
    if efi <= Decimal("0.24"):
        return "mild"
    if efi <= Decimal("0.36"):
        return "moderate"
    return "severe"
