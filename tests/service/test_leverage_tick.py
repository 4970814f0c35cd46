"""The keeper with a levered vault on the world's Aave V3: it levers toward its target, never sends an action that
would end below the vault's minimum health factor, and delevers on a health-factor alarm before the ripcord."""

from __future__ import annotations

from dataclasses import replace

import pytest
from brownie import accounts, web3  # type: ignore[attr-defined]

from devworld.sim.runner import MarketSimulator
from keeper.daemon import Keeper
from keeper.deployments import save_deployment
from keeper.errors import SimulationRevertedError
from keeper.leverage import LendingKind
from keeper.planner import weights_to_bps
from scripts.deploy_vault import deploy_vault, load_vault_config
from scripts.world import deploy_world

DEPOSIT_USDC = 1_000_000


@pytest.fixture(scope="module")
def levered(deployer, gov, alice, tmp_path_factory):
    world = deploy_world(deployer, save=False, with_aave=True)
    cfg = load_vault_config()
    # The breaker off: the alarm tests move feeds alone, which trips it (tests/service/test_guardrail_tick.py).
    cfg = replace(cfg, leverage=replace(cfg.leverage, enabled=True), risk=replace(cfg.risk, max_divergence_bps=0))
    deployed = deploy_vault(world, deployer, cfg, governance=gov)
    vault = deployed.vault
    dep = replace(world.deployment, extra={**world.deployment.extra, "vault": {"address": vault.address}})
    path = save_deployment(dep, tmp_path_factory.mktemp("deployments"))
    world.fund("USDC", alice, DEPOSIT_USDC * 10**6)
    world.base.approve(vault, 2**256 - 1, {"from": alice})
    vault.deposit(DEPOSIT_USDC * 10**6, alice, {"from": alice})
    sim = MarketSimulator(web3, dep, world.cfg, seed=5, reporter=deployer.address, arbitrageur=accounts[9].address)
    sim.run(36)
    return {"world": world, "vault": vault, "deployment_path": str(path), "sim": sim}


@pytest.fixture(autouse=True)
def isolation(fn_isolation, levered):
    """brownie reverts the chain after each test; the simulator's own state (its market model, the rounds it
    believes it published) must go back with it."""
    sim = levered["sim"]
    saved = (
        sim.model.prices.copy(),
        sim.model.regime,
        sim.model.rng.bit_generator.state,
        dict(sim._last),
        sim._last_iv_time,
    )
    yield
    sim.model.prices, sim.model.regime, sim.model.rng.bit_generator.state, sim._last, sim._last_iv_time = saved


@pytest.fixture
def deployment_path(levered) -> str:
    return levered["deployment_path"]


@pytest.fixture
def lev_keeper(keeper_config):
    def make(**sections) -> Keeper:
        return Keeper(keeper_config(**sections))

    return make


def _crash(levered, keep: float) -> None:
    """Every risky asset's market price falls to ``keep`` of itself: the simulator publishes the rounds and the
    arbitrageur moves the pools, as after a real crash (an hour of market passes)."""
    sim, world = levered["sim"], levered["world"]
    cfg = world.cfg
    # Pushing the deep T-bill pool down takes more than the arbitrageur's usual inventory.
    world.fund("TBILL", accounts[9], world.units("TBILL", 1_000_000_000))
    for a in cfg.risky:
        sim.model.prices[cfg.symbols.index(a.symbol)] *= keep
    sim.step()


def _state(keeper: Keeper):
    return keeper.client.vault_state(keeper.vault)


def _lever_up(keeper: Keeper, sim, ticks: int = 6, *, to_target: bool = False) -> list:
    """Ticks one market hour apart (past the vault's cooldown) until the vault has borrowed, or (``to_target``)
    until its leverage is within the keeper's band of the target."""
    results = []
    for _ in range(ticks):
        results.append(keeper.tick())
        if _state(keeper).debt > 0 and (not to_target or results[-1].record.decision == "hold"):
            break
        sim.step()
    return results


def test_tick__levered_vault__supplies_then_borrows_toward_target(levered, lev_keeper):
    keeper = lev_keeper(leverage={"target_vol": 0.5}, policy={"cooldown_s": 0})
    results = _lever_up(keeper, levered["sim"])
    assert all(r.record.decision == "rebalance" for r in results), [r.record.reason for r in results]
    assert LendingKind.SUPPLY in [a.kind for a in results[0].proposal.actions]
    assert LendingKind.BORROW in [a.kind for a in results[-1].proposal.actions]
    s = _state(keeper)
    assert s.debt > 0
    assert s.health_factor_wad >= s.leverage.raw[0]  # the vault's minimum held after every step
    assert sum(a.collateral for a in s.assets[1:]) > 0
    gross = sum((a.balance + a.collateral) * a.answer / 10**a.token_decimals for a in s.assets) / 1e8
    assert gross / (s.nav / 10 ** s.assets[0].token_decimals) > 1.05


def test_send__borrow_below_min_health_factor__refused_in_simulation(levered, lev_keeper):
    keeper = lev_keeper(leverage={"target_vol": 0.5}, policy={"cooldown_s": 0})
    _lever_up(keeper, levered["sim"])
    levered["sim"].step()  # past the vault's cooldown: only the health factor can refuse what follows
    s = _state(keeper)
    vault = keeper.client.contract("IRiskParityVault", keeper.vault)
    base = s.assets[0]
    collateral_usd = sum(a.collateral * a.answer / 10**a.token_decimals / 1e8 for a in s.assets[1:])
    # Borrow up to 60% of the collateral: within Aave's loan-to-value, below the vault's 1.5 minimum health factor.
    borrow = int(collateral_usd * 0.6 * 10**base.token_decimals) - s.debt
    # Targets = the composition the borrow leaves (the borrowed cash stays in the vault), so the distance check
    # passes and only the health factor can refuse.
    values = [(a.balance + a.collateral) * a.answer / 10**a.token_decimals for a in s.assets]
    values[0] += borrow * base.answer / 10**base.token_decimals
    params = (s.epoch, s.timestamp + 600, weights_to_bps([v / sum(values) for v in values]), [])
    data = vault.encode_abi("rebalanceWithLending", args=[params, [(LendingKind.BORROW, base.token, borrow, False)]])
    nonce = web3.eth.get_transaction_count(keeper.client.signer.address)
    with pytest.raises(SimulationRevertedError) as err:
        keeper.client.send(keeper.vault, data)
    assert err.value.error_name in {"RiskParityVaultHealthFactorTooLow", "RiskParityVaultLeverageTooHigh"}, err.value
    assert web3.eth.get_transaction_count(keeper.client.signer.address) == nonce


def test_tick__health_factor_alarm__delevers_before_ripcord(levered, lev_keeper):
    keeper = lev_keeper(leverage={"target_vol": 0.5}, policy={"cooldown_s": 0})
    _lever_up(keeper, levered["sim"], ticks=12, to_target=True)
    before = _state(keeper)
    min_hf, ripcord_hf = before.leverage.raw[0], before.leverage.raw[2]
    assert before.debt > 0 and before.health_factor_wad >= min_hf
    # A 15% fall: between the keeper's alarm and the vault's minimum.
    _crash(levered, 0.85)
    shocked = _state(keeper)
    assert shocked.health_factor_wad < min_hf * 105 // 100, "the shock should put the vault in the alarm zone"
    assert shocked.health_factor_wad > ripcord_hf, "the keeper must get its chance before the ripcord"
    result = keeper.tick()
    assert (result.record.decision, result.record.reason) == ("rebalance", "health_factor_alarm")
    assert LendingKind.REPAY in [a.kind for a in result.proposal.actions]
    after = _state(keeper)
    assert after.debt < shocked.debt
    assert after.health_factor_wad > shocked.health_factor_wad
    assert after.health_factor_wad >= min_hf


def test_keeper__stress_regime_with_default_parameters__vault_never_liquidatable(levered, lev_keeper):
    """Twenty days held in the simulator's stress regime (2.5x vols, correlations pulled toward 1), the keeper
    ticking every market hour with the vault's default leverage parameters: the health factor never reaches the
    ripcord, let alone Aave's liquidation threshold of 1."""
    from devworld.sim.market import STRESS

    keeper = lev_keeper(leverage={"target_vol": 0.5}, policy={"cooldown_s": 0})
    sim = levered["sim"]
    _lever_up(keeper, sim, ticks=12, to_target=True)
    lowest = _state(keeper).health_factor_wad
    ripcord = _state(keeper).leverage.raw[2]
    for _ in range(20 * 24 // 4):
        sim.model.force_regime(STRESS)
        sim.step(4 * 3600)
        keeper.guarded_tick()
        lowest = min(lowest, _state(keeper).health_factor_wad)
    assert keeper.exit_code is None and keeper.consecutive_failures == 0
    assert _state(keeper).debt > 0
    assert lowest > ripcord


def test_tick__sudden_fall_below_minimum__keeper_steps_back_before_the_ripcord(levered, lev_keeper):
    """An 18% fall lands the vault below its minimum health factor but above the ripcord: one turnover-capped
    rebalance cannot climb all the way back, so the keeper repays in steps the vault accepts (less debt, higher
    health factor each time) until the minimum holds again."""
    keeper = lev_keeper(leverage={"target_vol": 0.5}, policy={"cooldown_s": 0})
    _lever_up(keeper, levered["sim"], ticks=12, to_target=True)
    _crash(levered, 0.82)
    shocked = _state(keeper)
    min_hf, ripcord_hf = shocked.leverage.raw[0], shocked.leverage.raw[2]
    assert ripcord_hf < shocked.health_factor_wad < min_hf
    hfs = [shocked.health_factor_wad]
    for _ in range(4):
        result = keeper.tick()
        assert result.record.decision == "rebalance", result.record.reason
        hfs.append(_state(keeper).health_factor_wad)
        if hfs[-1] >= min_hf:
            break
        levered["sim"].step()  # an hour: past the vault's cooldown
    assert all(b > a for a, b in zip(hfs, hfs[1:], strict=False)), hfs
    assert hfs[-1] >= min_hf


def test_tick__minus_30pct_shock_near_health_factor_limit__keeper_only_repays_and_vault_stays_solvent(
    levered, lev_keeper
):
    """Every risky asset falls 30% in an hour on a vault levered to its target: the keeper never borrows into it;
    each rebalance it sends repays debt and lifts the health factor, or it skips; the market never sees the vault
    liquidatable (health factor above 1)."""
    keeper = lev_keeper(leverage={"target_vol": 0.5}, policy={"cooldown_s": 0})
    _lever_up(keeper, levered["sim"], ticks=12, to_target=True)
    before = _state(keeper)
    _crash(levered, 0.70)
    shocked = _state(keeper)
    assert shocked.health_factor_wad < before.health_factor_wad
    assert shocked.health_factor_wad > 10**18  # the vault's caps kept it solvent through the shock
    debts, hfs = [shocked.debt], [shocked.health_factor_wad]
    for _ in range(5):
        result = keeper.tick()
        assert result.record.decision in ("rebalance", "skip", "hold"), result.record.text
        if result.record.decision == "rebalance":
            assert all(a.kind != LendingKind.BORROW for a in result.proposal.actions)
        s = _state(keeper)
        debts.append(s.debt)
        hfs.append(s.health_factor_wad)
        levered["sim"].step()
    assert all(b <= a for a, b in zip(debts, debts[1:], strict=False)), debts
    assert min(hfs) > 10**18 and hfs[-1] >= shocked.health_factor_wad
