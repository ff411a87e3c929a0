"""Phone numbers: one normal form for storage and lookup, and masking for display."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from hotline.privacy import mask_name, mask_phone

__all__ = ["PHONE_PATTERN", "is_mobile", "mask_name", "mask_phone", "normalize_phone"]

_SEPARATORS = re.compile(r"[\s\-()]")
# Mobile (1[3-9] + 9 digits), landline with area code (0 + 9-11 digits), or a local
# 7-8 digit landline number as Beijing callers give it.
_VALID = re.compile(r"^(1[3-9]\d{9}|0\d{9,11}|\d{7,8})$")
_MOBILE = re.compile(r"1[3-9]\d{9}")
# What the API schema documents: the numbers above, blank, or with +86/0086 (separators are also read).
PHONE_PATTERN = r"^((\+86|0086)?(1[3-9]\d{9}|0\d{9,11}|\d{7,8}))?$"


def normalize_phone(raw: str) -> str:
    """Digits only, without +86/0086; raises ValidationError when it is not a phone number."""
    digits = _SEPARATORS.sub("", raw or "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    if not _VALID.match(digits):
        raise ValidationError(_("Enter a mobile number (11 digits) or a landline number."), code="invalid_phone")
    return digits


def is_mobile(phone: str) -> bool:
    """Whether a normalised number reaches a mobile phone (SMS); landlines are phoned."""
    return bool(_MOBILE.fullmatch(phone))
