"""Individual virtual accounts: a valid NRB per contractor, and back from an NRB to the payer."""

from hypothesis import given
from hypothesis import strategies as st
from schwifty import IBAN

from app.accounts.models import Unit
from app.accounts.virtual_accounts import payer_of, virtual_account

UNIT = Unit(code="UM", name="Urząd Miasta", virtual_account_prefix="1020590300001234")
PLAIN = Unit(code="ZM", name="Zarząd Mienia", virtual_account_prefix=None)


def test_a_unit_without_a_prefix_has_no_virtual_accounts():
    assert virtual_account(PLAIN, 42) is None


def test_the_virtual_account_is_the_prefix_and_the_padded_contractor_id_with_check_digits():
    nrb = virtual_account(UNIT, 42)
    assert nrb == "71102059030000123400000042"
    assert IBAN("PL" + nrb).bank_code == "10205903"


@given(st.integers(min_value=1, max_value=99_999_999))
def test_every_virtual_account_is_a_valid_iban_that_leads_back_to_its_payer(contractor_id):
    nrb = virtual_account(UNIT, contractor_id)
    IBAN("PL" + nrb)  # raises on a wrong check sum
    assert payer_of(nrb, [PLAIN, UNIT]) == (UNIT, contractor_id)
    assert payer_of("PL" + nrb[:2] + " " + nrb[2:], [UNIT]) == (UNIT, contractor_id)


def test_a_mistyped_or_foreign_account_leads_to_no_payer():
    nrb = virtual_account(UNIT, 42)
    mistyped = nrb[:-1] + ("3" if nrb[-1] != "3" else "4")
    assert payer_of(mistyped, [UNIT]) is None
    assert payer_of("59102059033982597919074833", [UNIT]) is None  # the unit's own account
    assert payer_of("123", [UNIT]) is None
