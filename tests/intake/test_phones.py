import pytest

from intake.phones import is_mobile, normalize_phone


@pytest.mark.parametrize(
    ("raw", "mobile"),
    [("138 0013 8000", True), ("+86 199-0000-1111", True), ("010-6512 3456", False), ("65123456", False)],
)
def test_only_mobile_numbers_count_as_reachable_by_sms(raw, mobile):
    assert is_mobile(normalize_phone(raw)) is mobile
