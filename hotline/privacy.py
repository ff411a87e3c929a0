"""Masking of personal data for display and logs (DESIGN.md §7)."""


def mask_phone(phone: str) -> str:
    """138****5678 for mobiles; otherwise every digit but the last four hidden (all of a short one)."""
    if len(phone) <= 4:
        return "*" * len(phone)
    if len(phone) == 11 and phone.startswith("1"):
        return f"{phone[:3]}****{phone[-4:]}"
    return "*" * (len(phone) - 4) + phone[-4:]
