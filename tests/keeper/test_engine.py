"""The engine over snapshots built like the chain client builds them: one frame, gates, flat series, one pass."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import keeper.engine as engine
from keeper.amm import Pool
from keeper.config import Estimator, parse_keeper_config
from keeper.engine import propose
from keeper.outcomes import Action, Reason
from keeper.risk.forecast import fit_garch11
from keeper.snapshot import FeedHistory, build_snapshot

HOUR = 3600
NOW = 1_700_000_000
USDC, WETH, WBTC, PAXG = (f"0x{i:040x}" for i in (1, 2, 3, 4))


def _cfg(**chain):
    return parse_keeper_config(
        {
            "chain": {"rpc_urls": ["http://x"], "deployment": "-", "max_head_age_s": 0, **chain},
            "risk": {"interval_s": HOUR, "lookback_s": 200 * HOUR, "min_observations": 24},
            "policy": {"cooldown_s": 0, "eth_price_usd": 3000.0},
        }
    )


def _history(prices: np.ndarray, decimals: int) -> FeedHistory:
    times = tuple(NOW - (len(prices) - 1 - k) * HOUR for k in range(len(prices)))
    return FeedHistory(tuple(range(1, len(prices) + 1)), tuple(round(p * 10**decimals) for p in prices), times)


def _view(answers: list[int], feed_decimals: list[int], balances: list[int], budgets: list[int]) -> tuple:
    tokens = [USDC, WETH, WBTC, PAXG][: len(answers)]
    token_decimals = [6, 18, 8, 18][: len(answers)]
    configs = [
        (t, f"0xfeed{i:036x}", 86_400, d, fd, 1, 2**200)
        for i, (t, d, fd) in enumerate(zip(tokens, token_decimals, feed_decimals, strict=True))
    ]
    return (
        1,  # epoch
        0,  # lastRebalanceAt
        (100, 50, 5000, 3600),
        False,
        False,
        0,
        10**12,  # totalSupply
        True,
        1,  # navBaseUnits (the vault's own; the engine works from the frame)
        configs,
        [0] * len(answers),
        budgets,
        balances,
        answers,
        [NOW] * len(answers),
    )


def _snapshot(prices: dict[int, np.ndarray], *, feed_decimals: list[int] | None = None, head_age_s: float = 0.0, **kw):
    feed_decimals = feed_decimals or [8] * (len(prices) + 1)
    answers = [10 ** feed_decimals[0]] + [round(prices[i][-1] * 10 ** feed_decimals[i]) for i in sorted(prices)]
    usd = 1_000_000 / (len(prices) + 1)
    dec = [6, 18, 8, 18]
    balances = [int(usd * 10**6)] + [int(usd / prices[i][-1] * 10 ** dec[i]) for i in sorted(prices)]
    budgets = [0] + [10_000 // len(prices)] * len(prices)
    histories = [_history(np.ones(len(prices[1])), feed_decimals[0])] + [
        _history(prices[i], feed_decimals[i]) for i in sorted(prices)
    ]
    pools = [None] + [Pool(int(50e6 / prices[i][-1] * 10 ** dec[i]), int(50e6 * 10**6)) for i in sorted(prices)]
    return build_snapshot(
        _view(answers, feed_decimals, balances, budgets),
        block=100,
        timestamp=NOW,
        head_age_s=head_age_s,
        histories=histories,
        pools=pools,
        gas_price_wei=10**9,
        **kw,
    )


def _walk(start: float, vol: float, seed: int, n: int = 150) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return start * np.exp(np.cumsum(rng.normal(0.0, vol / np.sqrt(8760), n)))


PRICES = {1: np.round(_walk(3000.0, 0.7, 1), 2), 2: np.round(_walk(60_000.0, 0.5, 2), 2)}
"""In cents, so 8- and 18-decimal feeds carry the same prices."""


def test_build_snapshot__18_decimal_feed__same_prices_and_nav_as_8_decimals() -> None:
    eight = _snapshot(PRICES)
    eighteen = _snapshot(PRICES, feed_decimals=[8, 18, 8])
    for a, b in zip(eight.assets, eighteen.assets, strict=True):
        assert a.price_base == pytest.approx(b.price_base, rel=1e-12)
        assert a.value == b.value  # the integer frame agrees to the unit
    assert eighteen.nav_base == pytest.approx(1_000_000, rel=1e-6)
    assert eighteen.assets[1].price_base == pytest.approx(PRICES[1][-1], rel=1e-9)


def test_propose__18_decimal_feed__same_decision_as_8_decimals() -> None:
    a = propose(_snapshot(PRICES), _cfg())
    b = propose(_snapshot(PRICES, feed_decimals=[8, 18, 8]), _cfg())
    assert (a.action, a.reason) == (b.action, b.reason)
    assert a.deviation == pytest.approx(b.deviation, rel=1e-9)
    assert [t.as_tuple() for t in a.trades] == [t.as_tuple() for t in b.trades]


def test_propose__flat_price_series__floors_the_variance_and_says_so_instead_of_raising() -> None:
    flat = {**PRICES, 3: np.full(150, 2600.0)}  # a pegged or frozen-but-fresh feed
    p = propose(_snapshot(flat), _cfg())
    assert p.action in (Action.REBALANCE, Action.HOLD)
    assert any(n.startswith("flat_series") and PAXG in n for n in p.notes)
    assert p.covariance is not None and np.all(np.isfinite(p.covariance))


def test_propose__every_series_flat__still_decides() -> None:
    flat = {1: np.full(150, 3000.0), 2: np.full(150, 60_000.0)}
    p = propose(_snapshot(flat), _cfg())
    assert p.action in (Action.REBALANCE, Action.HOLD) and len(p.notes) == 2


def test_propose__head_older_than_max_age__skips_as_stale_head() -> None:
    p = propose(_snapshot(PRICES, head_age_s=600.0), _cfg(max_head_age_s=120))
    assert (p.action, p.reason) == (Action.SKIP, Reason.STALE_HEAD)
    assert "600s old" in p.detail
    assert propose(_snapshot(PRICES, head_age_s=60.0), _cfg(max_head_age_s=120)).reason is not Reason.STALE_HEAD


def test_propose__sequencer_down__skips_before_reading_prices() -> None:
    p = propose(_snapshot(PRICES, sequencer_down=True), _cfg())
    assert (p.action, p.reason) == (Action.SKIP, Reason.SEQUENCER_DOWN)
    assert "sequencer" in p.detail


def test_propose__zero_answer__skips_naming_the_feed() -> None:
    s = _snapshot(PRICES)
    s = replace(s, assets=(s.assets[0], replace(s.assets[1], answer=0), s.assets[2]))
    p = propose(s, _cfg())
    assert (p.action, p.reason) == (Action.SKIP, Reason.STALE_ORACLE)
    assert s.assets[1].feed in p.detail


def test_propose__one_pass__each_stage_runs_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: dict[str, int] = {}

    def counted(name: str, fn):
        def wrapper(*args, **kwargs):
            calls[name] = calls.get(name, 0) + 1
            return fn(*args, **kwargs)

        return wrapper

    for name in ("estimate_covariance", "allocate", "decide", "plan_trades", "_gate"):
        monkeypatch.setattr(engine, name, counted(name, getattr(engine, name)))
    p = propose(_snapshot(PRICES), _cfg())
    assert p.action is Action.REBALANCE, p.text
    assert calls == {"_gate": 1, "estimate_covariance": 1, "allocate": 1, "decide": 1, "plan_trades": 1}


def _vol_cfg(**leverage):
    cfg = _cfg()
    return replace(cfg, leverage=replace(cfg.leverage, **leverage))


def test_propose__default_min_exposure__stays_fully_invested() -> None:
    p = propose(_snapshot(PRICES), _vol_cfg(target_vol=0.05))
    assert p.exposure_target == pytest.approx(1.0 - 0.02)  # all but the cash buffer
    assert float(np.sum(p.target_weights)) == pytest.approx(0.98)


def test_propose__min_exposure_below_one_and_forecast_above_target__de_risks_into_base() -> None:
    p = propose(_snapshot(PRICES), _vol_cfg(target_vol=0.10, min_exposure=0.0))
    assert p.forecast_vol is not None and p.forecast_vol > 0.2
    assert p.exposure_target == pytest.approx(0.10 / p.forecast_vol, rel=1e-9)
    assert float(np.sum(p.target_weights)) == pytest.approx(p.exposure_target)
    # The floor holds when the forecast is far above target.
    floored = propose(_snapshot(PRICES), _vol_cfg(target_vol=0.01, min_exposure=0.3))
    assert floored.exposure_target == pytest.approx(0.3)


def _estimate(recent_vol: float, forecast_vol: float, n: int = 48) -> engine.Estimate:
    rng = np.random.default_rng(9)
    per_step = recent_vol / np.sqrt(8760)
    returns = rng.normal(0.0, 1.0, (n, 1))
    returns = (returns - returns.mean()) / returns.std(ddof=1) * per_step
    return engine.Estimate(np.array([[forecast_vol**2]]), returns, ())


def test_bias_factor__realized_above_forecast__scales_up_to_the_ratio_capped_at_two() -> None:
    cfg = _vol_cfg(bias_correction=True)
    cfg = replace(cfg, risk=replace(cfg.risk, min_observations=48))
    w = np.array([1.0])
    assert engine.bias_factor(w, _estimate(0.30, 0.20), cfg) == pytest.approx(1.5, rel=1e-9)
    assert engine.bias_factor(w, _estimate(0.90, 0.20), cfg) == engine.BIAS_CAP


def test_bias_factor__quiet_spell_or_switched_off__never_scales_down() -> None:
    cfg = _vol_cfg(bias_correction=True)
    cfg = replace(cfg, risk=replace(cfg.risk, min_observations=48))
    w = np.array([1.0])
    assert engine.bias_factor(w, _estimate(0.05, 0.20), cfg) == 1.0
    assert engine.bias_factor(w, _estimate(0.90, 0.20), _vol_cfg(bias_correction=False)) == 1.0


def _garch_cfg(estimator: str):
    cfg = _cfg()
    return replace(cfg, risk=replace(cfg.risk, estimator=Estimator(estimator)))


@pytest.mark.parametrize("estimator", ["garch", "blend"])
def test_propose__garch_or_blend_estimator__decides_and_journals_fallbacks(estimator: str) -> None:
    flat = {**PRICES, 3: np.full(150, 2600.0)}  # nothing to fit: falls back to EWMA for that asset
    p = propose(_snapshot(flat), _garch_cfg(estimator))
    assert p.action in (Action.REBALANCE, Action.HOLD)
    assert any(n.startswith("garch_fallback") and PAXG in n for n in p.notes)
    assert p.covariance is not None and np.all(np.linalg.eigvalsh(p.covariance) > 0)


def test_garch_on_own_grid__publication_gaps__variance_is_the_moved_fit_times_the_share_that_moved() -> None:
    rng = np.random.default_rng(11)
    moved = rng.standard_t(6, 700) * 0.01
    padded = np.zeros(1000)
    padded[np.sort(rng.choice(1000, 700, replace=False))] = moved  # 30% of intervals without a new round
    rets = padded[:, None]
    ewma = np.array([[float(np.mean(padded**2))]])
    cov, notes = engine.garch_on_own_grid(rets, ewma, ["A"])
    assert notes == ()
    expected = fit_garch11(moved).forecast_variance(1) * 0.7
    assert cov[0, 0] == pytest.approx(expected, rel=1e-12)


def test_propose__exposure_far_above_vol_target__sells_into_base_even_when_the_risk_split_holds() -> None:
    cfg = _vol_cfg(target_vol=0.10, min_exposure=0.0)
    cfg = replace(cfg, policy=replace(cfg.policy, trigger_rc_deviation=0.99))  # the risk split never triggers
    p = propose(_snapshot(PRICES), cfg)
    assert (p.action, p.reason) == (Action.REBALANCE, Reason.EXPOSURE_OFF_TARGET)
    assert p.exposure_target is not None and p.exposure_target < 0.5
    assert p.trades and all(t.token_out == USDC for t in p.trades)  # only sales of risky assets into the base
    # Within the band nothing moves.
    near = replace(cfg, leverage=replace(cfg.leverage, band=2.0))
    assert propose(_snapshot(PRICES), near).action is Action.HOLD


def test_exposure_move__reset_zero_or_nothing_held__goes_to_the_target() -> None:
    held, target = np.array([0.3, 0.5]), np.array([0.2, 0.2])
    np.testing.assert_array_equal(engine.exposure_move(held, target, 0.4, 0.1, 0.0), target)
    np.testing.assert_array_equal(engine.exposure_move(np.zeros(2), target, 0.4, 0.1, 0.5), target)


def test_exposure_move__above_or_below_the_band__scales_the_book_to_reset_times_band_from_the_target() -> None:
    held, target = np.array([0.3, 0.5]), np.array([0.2, 0.2])
    down = engine.exposure_move(held, target, 0.4, 0.1, 0.5)
    assert down.sum() == pytest.approx(0.45) and down[0] / down[1] == pytest.approx(0.6)  # composition kept
    up = engine.exposure_move(held * 0.25, target, 0.4, 0.1, 0.5)  # held 0.2, target 0.4
    assert up.sum() == pytest.approx(0.35) and up[0] / up[1] == pytest.approx(0.6)
    inside = engine.exposure_move(held * 0.5, target, 0.4, 0.1, 0.5)  # already within reset x band: unchanged
    np.testing.assert_allclose(inside, held * 0.5)


def test_propose__exposure_off_band_with_band_reset__trades_the_exposure_only_to_within_the_band() -> None:
    """The risk split held (trigger out of reach), the exposure 2/3 against a de-risking target near 1/3."""
    cfg = _vol_cfg(target_vol=0.10, min_exposure=0.0)
    cfg = replace(cfg, policy=replace(cfg.policy, trigger_rc_deviation=0.99))
    full = propose(_snapshot(PRICES), cfg)
    assert full.action is Action.REBALANCE and full.reason is Reason.EXPOSURE_OFF_TARGET, full.text
    assert full.exposure_target is not None and full.exposure_target < 0.5
    # band_reset 0: the whole book to the solved split at the target exposure (today's behaviour).
    assert full.target_bps is not None and sum(full.target_bps[1:]) == pytest.approx(full.exposure_target * 1e4, abs=3)

    halfway = propose(_snapshot(PRICES), replace(cfg, leverage=replace(cfg.leverage, band_reset=0.5)))
    assert halfway.action is Action.REBALANCE and halfway.reason is Reason.EXPOSURE_OFF_TARGET, halfway.text
    assert halfway.target_bps is not None
    risky = np.array(halfway.target_bps[1:], dtype=np.float64)
    assert risky.sum() == pytest.approx((full.exposure_target + 0.5 * cfg.leverage.band) * 1e4, abs=3)
    assert risky[0] / risky[1] == pytest.approx(1.0, rel=2e-3)  # held 50/50 in value: composition kept
    assert len(halfway.trades) == 2 and all(t.token_out == USDC for t in halfway.trades)  # sells only


def test_raw_answers_of__all_at_once_or_feed_by_feed__the_same_doubles_as_raw_answers() -> None:
    same = [(1, 2**53 + 1, 3), (10**18, 7, 2**62)]
    ragged = [(1, 2), (3,)]
    wide = [(2**70, 1), (5, 6)]  # an int256 feed's answer beyond int64
    for feeds in (same, ragged, wide):
        got = engine.raw_answers_of(feeds)
        assert len(got) == len(feeds)
        for g, a in zip(got, feeds, strict=True):
            np.testing.assert_array_equal(g, engine.raw_answers(a))
            assert g.tolist() == [float(x) for x in a]
