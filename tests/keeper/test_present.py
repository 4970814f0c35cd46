"""What operators read: symbols and human units in the keeper's tables, why a NAV is unavailable instead of 0,
role errors by name with the fix, and token symbols decoded however a token returns them."""

from __future__ import annotations

import math

import pytest

from keeper.chain import _symbol_from_words, short_address
from keeper.errors import describe_revert, role_name
from keeper.present import _exponent, human, nav_text, trade_line, vault_lines
from keeper.snapshot import build_snapshot, feed_problem

NOW = 1_700_000_000
USDC, WBTC = "0x" + "11" * 20, "0x" + "22" * 20
# The vault's KEEPER_ROLE(), as a deployed vault returns it.
KEEPER_ROLE = bytes.fromhex("fc8737ab85eb45125971625a9ebdb75cc78e01d5c1fa80c4c6e5203f47bc4fab")


def _snapshot(*, wbtc_updated_at: int = NOW, nav_ok: bool = True, symbols=("USDC", "WBTC")):
    configs = [(USDC, "0xfeed01", 86_400, 6, 8, 1, 2**200), (WBTC, "0xfeed02", 3_600, 8, 8, 1, 2**200)]
    view = (
        3, 0, (100, 50, 5000, 3600), False, False, 0,
        100_000 * 10**12,  # supply: 12-decimal shares
        nav_ok, 150_000 * 10**6, configs, [5000, 5000], [0, 10_000],
        [100_000 * 10**6, 5 * 10**7],  # 100,000 USDC and 0.5 WBTC
        [10**8, 100_000 * 10**8], [NOW, wbtc_updated_at],
    )  # fmt: skip
    return build_snapshot(view, block=7, timestamp=NOW, head_age_s=0, symbols=list(symbols) if symbols else None)


@pytest.mark.parametrize(
    ("raw", "decimals", "text"),
    [
        (0, 6, "0"),
        (100_000 * 10**6, 6, "100,000.00"),
        (280 * 10**6, 6, "280"),
        (300_053, 8, "0.00300053"),
        (11_382_549_813_233_954_411, 18, "11.3825"),
        (1, 18, "0.000000000000000001"),
    ],
)
def test_human__raw_amounts__whole_units_with_separators_and_significant_digits(raw, decimals, text) -> None:
    assert human(raw, decimals) == text


def test_tables__symbols_not_addresses() -> None:
    s = _snapshot()
    lines = vault_lines(s, 12)
    assert lines[0].endswith("supply 100,000.00 shares") and "NAV 150,000.00 USDC" in lines[0]
    rows = {line.split()[0]: line for line in lines[3:]}
    assert set(rows) == {"USDC", "WBTC"} and "0.5 " in rows["WBTC"]
    assert not any(USDC[2:10] in line or WBTC[2:10] in line for line in lines)
    assert trade_line(s, USDC, WBTC, 280 * 10**6, 300_053) == "sell 280 USDC for at least 0.00300053 WBTC"


def test_vault_lines__supply_in_the_vault_own_decimals_not_the_asset_plus_six() -> None:
    # The same raw supply read with an 18-decimal share (a vault without the 6-decimal offset) is 0.1 shares.
    assert vault_lines(_snapshot(), 18)[0].endswith("supply 0.1 shares")


@pytest.mark.parametrize("k", range(-20, 21))
def test_exponent__powers_of_ten_and_their_neighbours(k: int) -> None:
    power = float(10**k) if k >= 0 else 1 / 10**-k  # the double nearest 10**k, as ``human`` divides
    assert _exponent(power) == k
    assert _exponent(math.nextafter(power, 0.0)) == k - 1  # log10 of these rounds onto k
    assert _exponent(power * 9.99) == k


def test_exponent__zero__zero_not_an_endless_loop() -> None:
    assert _exponent(0.0) == 0
    assert human(0, 18) == "0"


def test_tables__token_without_symbol__falls_back_to_its_address() -> None:
    s = _snapshot(symbols=None)
    assert s.assets[1].label == WBTC


def test_nav_text__stale_feed__says_unavailable_naming_the_asset_and_since_when_not_zero() -> None:
    s = _snapshot(wbtc_updated_at=NOW - 5_400, nav_ok=False)
    text = nav_text(s)
    assert text.startswith("NAV unavailable: feed 0xfeed02 for WBTC is stale since 2023-11-14 21:43:20 UTC")
    assert "heartbeat 3,600 s" in text and "0.00" not in text
    assert feed_problem(_snapshot()) is None


def test_nav_text__vault_says_no_nav_without_a_stale_feed__still_explains() -> None:
    assert nav_text(_snapshot(nav_ok=False)).startswith("NAV unavailable: the vault's NAV read failed")


def test_describe_revert__missing_role__names_the_role_and_the_fix() -> None:
    who = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    text = describe_revert("AccessControlUnauthorizedAccount", (who, KEEPER_ROLE))
    assert text == (
        f"AccessControlUnauthorizedAccount: {who} does not hold KEEPER_ROLE: grant KEEPER_ROLE to {who} through "
        f"governance (the vault's timelock calls grantRole(KEEPER_ROLE, {who}))"
    )
    assert role_name(b"\0" * 32) == "DEFAULT_ADMIN_ROLE"
    assert role_name(b"\1" * 32) == "0x" + "01" * 32


def test_describe_revert__other_errors__arguments_readable() -> None:
    assert describe_revert("RiskParityVaultWrongEpoch", (0, 1)) == "RiskParityVaultWrongEpoch(0, 1)"
    assert describe_revert("X", (b"\xab\xcd",)) == "X(0xabcd)"


def _words(data: bytes) -> list[int]:
    return [int.from_bytes(data[i : i + 32], "big") for i in range(0, len(data), 32)]


def test_symbol_from_words__string_bytes32_and_garbage() -> None:
    string = (32).to_bytes(32, "big") + (4).to_bytes(32, "big") + b"WBTC".ljust(32, b"\0")
    assert _symbol_from_words(_words(string)) == "WBTC"
    assert _symbol_from_words(_words(b"MKR".ljust(32, b"\0"))) == "MKR"  # bytes32, as MKR's token returns it
    assert _symbol_from_words([]) is None
    assert _symbol_from_words(_words(b"\xff\xfe".ljust(32, b"\0"))) is None
    assert short_address(USDC) == "0x1111…1111"
