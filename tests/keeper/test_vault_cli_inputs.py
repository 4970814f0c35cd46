"""``rp-vault`` without a chain: every vault error a depositor can meet becomes a sentence that says what to do;
amounts, deadlines and keys are checked before anything runs; bad input is one line and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from keeper.errors import UsageError
from keeper.vault_advice import AdviceContext, Op, explain, fmt_time, fmt_units
from keeper.vault_cli import main, parse_amount, parse_deadline

NOW = 1_800_000_000
WBTC, WBTC_FEED = "0x" + "11" * 20, "0x" + "22" * 20
OWNER = "0x" + "33" * 20


def ctx(op: Op = Op.REDEEM) -> AdviceContext:
    return AdviceContext(
        op=op,
        base_symbol="USDC",
        base_decimals=6,
        share_symbol="rpUSDC",
        share_decimals=12,
        now=NOW,
        symbols={WBTC.lower(): "WBTC", WBTC_FEED.lower(): "WBTC"},
    )


@pytest.mark.parametrize(
    ("name", "args", "op", "expected"),
    [
        ("RiskParityVaultZeroShares", (1,), Op.DEPOSIT, "buys 0 shares at the vault's NAV: deposit more"),
        ("RiskParityVaultDepositsPaused", (), Op.DEPOSIT, "deposits are paused"),
        ("ERC4626ExceededMaxDeposit", (OWNER, 10**12, 5 * 10**8), Op.DEPOSIT, "at most 500.00 USDC more"),
        ("ERC4626ExceededMaxDeposit", (OWNER, 10**12, 0), Op.DEPOSIT, "deposit cap reached"),
        ("RiskParityVaultSharesLocked", (OWNER, 5 * 10**12, NOW + 3600), Op.REDEEM, "locked until"),
        ("RiskParityVaultInsufficientIdle", (10**12, 10**9), Op.WITHDRAW, "exceeds idle cash"),
        ("ERC20InsufficientBalance", (OWNER, 10**6, 2 * 10**6), Op.DEPOSIT, "rp-vault faucet"),
        ("ERC20InsufficientBalance", (OWNER, 10**12, 2 * 10**12), Op.REDEEM, "exceeds your shares"),
        ("RiskParityVaultInsufficientOutput", (99 * 10**6, 100 * 10**6), Op.REDEEM_SWAP, "slippage"),
        ("RiskParityVaultDeadlinePassed", (NOW - 10, NOW), Op.REDEEM_SWAP, "give a later --deadline"),
        ("RiskParityVaultNoSwapAdapter", (), Op.REDEEM_SWAP, "--in-kind"),
        ("RiskParityVaultUnsellableSlice", (WBTC, 1), Op.REDEEM_SWAP, "--skip WBTC"),
        ("RiskParityVaultInvalidSkip", (WBTC,), Op.REDEEM_IN_KIND, "--skip WBTC: not a registered"),
        ("OracleReaderStalePrice", (WBTC_FEED, NOW - 6000, 4500, NOW), Op.DEPOSIT, "feed for WBTC is stale since"),
        ("OracleReaderNonPositivePrice", (WBTC_FEED, 0), Op.REDEEM, "feed for WBTC answers 0"),
        ("OracleReaderPriceOutOfBounds", (WBTC_FEED, 5, 10, 20), Op.REDEEM, "outside the vault's bounds"),
        ("OracleReaderSequencerGracePeriod", (WBTC_FEED, NOW - 10, 3600), Op.REDEEM, "grace period until"),
        ("RiskParityVaultHealthFactorTooLow", (14 * 10**17, 15 * 10**17), Op.REDEEM, "health factor at 1.40"),
        ("RiskParityVaultLeverageTooHigh", (21_000, 20_000), Op.REDEEM, "leverage to 2.10x"),
    ],
)
def test_explain__named_error__says_what_happened_and_what_to_do(name, args, op, expected):
    sentence = explain(name, args, ctx(op))
    assert expected in sentence
    assert ":" in sentence and name not in sentence  # a sentence, not the raw error


def test_explain__stale_feed__names_symbol_time_and_the_exits_that_still_work():
    sentence = explain("OracleReaderStalePrice", (WBTC_FEED, NOW - 6000, 4500, NOW), ctx(Op.REDEEM))
    assert "WBTC" in sentence and WBTC_FEED not in sentence
    assert fmt_time(NOW - 1500, NOW) in sentence and "25 min ago" in sentence
    assert "100 min old" in sentence and "accepts 4,500 s" in sentence
    assert "--in-kind" in sentence


def test_explain__deposit_on_stale_feed__does_not_suggest_exits_for_the_deposit():
    sentence = explain("OracleReaderStalePrice", (WBTC_FEED, NOW - 6000, 4500, NOW), ctx(Op.DEPOSIT))
    assert "wait for the feed to publish (a deposit prices every asset" in sentence


def test_explain__unknown_error__keeps_the_name_and_says_nothing_was_sent():
    sentence = explain("SomethingElse", (1, 2), ctx())
    assert "SomethingElse(1, 2)" in sentence and "nothing was sent" in sentence


def test_fmt_units__human_numbers():
    assert fmt_units(1_234_567_890, 6) == "1,234.56789"
    assert fmt_units(1_000_000_000, 6) == "1,000.00"
    assert fmt_units(123_456_789_012_345, 12, 6) == "123.456789"
    assert fmt_units(0, 6) == "0.00"


def test_fmt_time__relative_to_the_chain_clock():
    assert fmt_time(NOW + 3600, NOW).endswith("(in 60 min)")
    assert fmt_time(NOW - 30, NOW).endswith("(30 s ago)")
    assert fmt_time(NOW, NOW).endswith("UTC")


@pytest.mark.parametrize(
    ("text", "raw"),
    [("1000", 10**9), ("1,000.5", 1_000_500_000), ("1_000 USDC", 10**9), (" 0.000001 ", 1), ("1e3", 10**9)],
)
def test_parse_amount__human_units(text, raw):
    assert parse_amount(text, 6, "USDC", what="amount") == raw


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", "must be more than 0"),
        ("-1", "must be more than 0"),
        ("abc", "is not a number"),
        ("nan", "is not a number"),
        ("1.0000001", "more than 6 decimals"),
    ],
)
def test_parse_amount__bad_input__names_the_value_and_the_fix(text, expected):
    with pytest.raises(UsageError, match=expected):
        parse_amount(text, 6, "USDC", what="amount")


def test_parse_deadline__seconds_from_now_or_unix_time():
    assert parse_deadline(None, NOW) == NOW + 600
    assert parse_deadline("120", NOW) == NOW + 120
    assert parse_deadline("1900000000", NOW) == 1_900_000_000
    with pytest.raises(UsageError, match="seconds from now"):
        parse_deadline("tomorrow", NOW)


def _deployment(tmp_path: Path, chain_id: int = 1337) -> str:
    path = tmp_path / "anvil.json"
    path.write_text(
        json.dumps(
            {
                "network": "anvil",
                "chain_id": chain_id,
                "block": 1,
                "deployer": OWNER,
                "config": "config/world.yaml",
                "base": "USDC",
                "assets": {"USDC": {"token": WBTC, "decimals": 6, "feed": WBTC_FEED}},
                "uniswap": {"factory": OWNER, "router": OWNER, "weth": OWNER, "fee_bps": 30},
                "vault": {"address": OWNER},
            }
        )
    )
    return str(path)


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0], err
    return err[0]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], "the following arguments are required: command"),
        (["dance"], "invalid choice: 'dance'"),
        (["deposit"], "the following arguments are required: amount"),
        (["redeem", "1", "--slippage-bps", "x"], "is not a whole number of basis points"),
        (["position", "--address", "0xnope"], "is not an address"),
        (["position", "--dev-account", "-1"], "outside the local world's accounts"),
    ],
)
def test_main__bad_arguments__one_line_exit_2(argv, expected, capsys):
    assert main(argv) == 2
    line = _one_line(capsys)
    assert line.startswith("error: ") and expected in line


def test_main__missing_deployment_file__says_deploy_first(tmp_path, capsys):
    assert main(["position", "--deployment", str(tmp_path / "nope.json"), "--address", OWNER]) == 2
    assert "deploy the world first" in _one_line(capsys)


def test_main__node_unreachable__one_line_exit_2(tmp_path, capsys):
    argv = ["position", "--deployment", _deployment(tmp_path), "--rpc-url", "http://127.0.0.1:9", "--address", OWNER]
    assert main(argv) == 2
    line = _one_line(capsys)
    assert "http://127.0.0.1:9" in line and "check the node" in line


def test_dev_account__off_the_local_chain__refused():
    import argparse

    from keeper.vault_cli import _signer

    args = argparse.Namespace(dev_account=5, keystore=None, key_env="RP_VAULT_PRIVATE_KEY", password_env="X")
    with pytest.raises(UsageError, match="only on the local world"):
        _signer(args, 1)
    assert _signer(args, 1337) is not None
