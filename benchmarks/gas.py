"""Gas of the vault's entry points next to their peers, measured side by side in one run on a fresh world.

    .venv/bin/python benchmarks/gas.py             # from the repo root; starts anvil on port 8545
    .venv/bin/python benchmarks/gas.py <network>   # any brownie network, e.g. ganache-cli

Writes benchmarks/results/gas.json (a flat object: name -> gas used by the transaction, 21,000 included) and
prints the table that goes into benchmarks/README.md. Peers: OpenZeppelin's ERC4626 as shipped
(contracts/test/PlainERC4626.sol) over the same base token, and a plain Uniswap V2 router swap sent by an EOA.

Every measured deposit is a user's first deposit into a vault that already holds funds; the router swap and the
rebalances trade tokens that both sides already hold, so neither side pays for a storage slot going from zero
to non-zero that the other does not. `vault_deposit_0_assets` is the same deposit while the vault holds only the
base (it still reads all six feeds); `*_first_buy` and `vault_redeem_in_kind` include first-time balances.

Leverage rows: a second vault with leverage on (an AaveV3LendingAdapter on the world's Aave V3 market) runs
lending-only rebalances (`rebalanceWithLending` with one action and no trades) next to the same call sent to the
Aave pool directly by an EOA that holds a position of its own; both sides are past their first supply and first
borrow. The ripcord is triggered by the manager raising the ripcord health factor above the position's (the same
code path as a price drop; a risk-increasing change, so it is submitted and waits out the risk timelock) and set
against the EOA's withdraw + router swap + repay, three transactions. The levered swap exit (a flash loan repays
the exit's debt share, then the collateral is withdrawn and sold) is set against the EOA's flash-loan-free
sequence for the same position: repay, withdraw, router swap (it needs the base asset up front).

Risk model rows (issue 12): `vault_poke` adds one return to the on-chain covariance of the five assets and records
the five pools' TWAP checkpoints (an hour after the last poke). `rebalance_5_trades_guardrail` is
`rebalance_5_trades` again with the guardrail active (governance lowers `minObservations` to the returns in): the
difference is the guardrail's risk-contribution checks. Every rebalance row is an hour after the last poke, so each
also pokes (the config's interval) and runs the breaker's TWAP check.

Governance rows: `vault_submit_change` queues a risk-increasing threshold change, `vault_accept_change` makes it
after the timelock, `vault_tighten_thresholds` is a risk-reducing change that applies at once.
"""

from __future__ import annotations

import json
from pathlib import Path

from brownie import accounts, chain  # type: ignore[attr-defined]

RESULTS = Path(__file__).resolve().parent / "results" / "gas.json"
BPS = 10_000


def _deadline() -> int:
    return chain.time() + 600


def _refresh(world) -> None:
    for feed in world.feeds.values():
        feed.submit(feed.latestRoundData()[1], {"from": world.deployer})


def keeper_view(vault):
    """``lens.keeperView(vault)`` (imported late: ``scripts`` is importable once the project is loaded)."""
    from scripts.deploy_vault import keeper_view as view

    return view(vault)


def _weights(vault) -> list[int]:
    """Current oracle weights in bps (base absorbs the rounding)."""
    view = keeper_view(vault)
    nav = view["navBaseUnits"]
    values = [view["balances"][0]]
    for i, a in enumerate(view["assets"][1:], start=1):
        values.append(view["balances"][i] * view["answers"][i] * 10**6 // 10 ** (a[3] + a[4]))
    w = [v * BPS // nav for v in values]
    w[0] += BPS - sum(w)
    return w


def _rebalance_buys(world, vault, keeper, symbols: list[str], usd_each: int) -> int:
    """One rebalance buying ``usd_each`` of each symbol with base; targets moved the same way. Gas used."""
    chain.sleep(vault.thresholds()[3] + 1)
    _refresh(world)
    w = _weights(vault)
    tokens = [a[0] for a in vault.assets()]
    nav_usd = vault.totalAssets() / 10**6
    trades = []
    for s in symbols:
        i = tokens.index(world.tokens[s].address)
        shift = round(usd_each / nav_usd * BPS)
        w[i] += shift
        w[0] -= shift
        trades.append((world.base, world.tokens[s], usd_each * 10**6 // 2, 0))  # half-way to the target
    tx = vault.rebalance((vault.epoch(), _deadline(), w, trades), {"from": keeper})
    return tx.gas_used


def _lend(
    vault, keeper, world, actions: list[tuple], trades: list[tuple] | None = None, targets: list[int] | None = None
) -> int:
    """One ``rebalanceWithLending`` after the cooldown, targets = current weights unless given. Gas used."""
    chain.sleep(vault.thresholds()[3] + 1)
    _refresh(world)
    params = (vault.epoch(), _deadline(), targets or _weights_net(vault), trades or [])
    return vault.rebalanceWithLending(params, actions, {"from": keeper}).gas_used


def _weights_net(vault, spend: list[int] | None = None) -> list[int]:
    """Oracle weights of the gross basket (held plus supplied) in bps, base absorbing the rounding; with `spend`
    (base units per entry), the weights after that much base buys each entry at the oracle price."""
    view = keeper_view(vault)
    values = [view["balances"][0]]
    for i, a in enumerate(view["assets"][1:], start=1):
        amount = view["balances"][i] + view["collateral"][i]
        values.append(amount * view["answers"][i] * 10**6 // 10 ** (a[3] + a[4]))
    for i, x in enumerate(spend or []):
        values[i] += x
        values[0] -= x
    total = sum(values)
    w = [v * BPS // total for v in values]
    w[0] += BPS - sum(w)
    return w


def _leverage_rows(world, cfg, deployer, gov, manager, keeper, guardian, carol, trader) -> dict[str, int]:
    from dataclasses import replace

    from scripts.deploy_vault import LeverageConfig, deploy_vault

    supply, borrow, repay = 0, 2, 3
    pool, usdc, weth = world.aave.pool, world.base, world.tokens["WETH"]
    lev_cfg = replace(cfg, max_turnover_bps=10_000, leverage=LeverageConfig(enabled=True))
    vault = deploy_vault(
        world, deployer, lev_cfg, governance=gov, roles={"manager": manager, "keeper": keeper, "guardian": guardian}
    ).vault
    usdc.approve(vault, 100_000 * 10**6, {"from": carol})
    vault.deposit(100_000 * 10**6, carol, {"from": carol})
    _rebalance_buys(world, vault, keeper, cfg.assets, 15_000)
    tokens = [a[0] for a in vault.assets()]
    held = [world.tokens[s].balanceOf(vault) for s in cfg.assets]
    weth_i = cfg.assets.index("WETH")
    # First supplies and a first borrow (not measured), leaving some WETH to supply again.
    first = [(supply, tokens[i + 1], held[i] // (2 if i == weth_i else 1), False) for i in range(len(held))]
    _lend(vault, keeper, world, first + [(borrow, tokens[0], 500 * 10**6, False)])
    gas: dict[str, int] = {}
    gas["vault_lending_supply"] = _lend(vault, keeper, world, [(supply, weth.address, held[weth_i] // 4, False)])
    gas["vault_lending_borrow"] = _lend(vault, keeper, world, [(borrow, tokens[0], 500 * 10**6, False)])
    gas["vault_lending_repay"] = _lend(vault, keeper, world, [(repay, tokens[0], 300 * 10**6, True)])

    # The same calls by an EOA with a position of its own.
    amount = 5 * 10**18
    world.fund("WETH", trader, 3 * amount)
    weth.approve(pool, 3 * amount, {"from": trader})
    usdc.approve(pool, 10**12, {"from": trader})
    pool.supply(weth, amount, trader, 0, {"from": trader})
    pool.borrow(usdc, 500 * 10**6, 2, 0, trader, {"from": trader})
    chain.sleep(60)
    chain.mine()
    gas["aave_direct_supply"] = pool.supply(weth, amount, trader, 0, {"from": trader}).gas_used
    gas["aave_direct_borrow"] = pool.borrow(usdc, 500 * 10**6, 2, 0, trader, {"from": trader}).gas_used
    gas["aave_direct_repay"] = pool.repay(usdc, 300 * 10**6, 2, trader, {"from": trader}).gas_used

    # Ripcord: lever up for real (borrow, buy, supply), then the manager puts the ripcord above the position.
    # Bought in the current proportions (the base's share stays idle), so the composition does not move.
    borrow_usd, w = 8_000, _weights_net(vault)
    buys = [(tokens[0], tokens[i], borrow_usd * 10**6 * w[i] // BPS, 0) for i in range(1, len(tokens))]
    _lend(vault, keeper, world, [(borrow, tokens[0], borrow_usd * 10**6, False)], buys)
    # Then the idle base goes into the basket too, so the ripcord cannot repay from cash alone and must sell.
    idle = usdc.balanceOf(vault) * 999 // 1000
    spend = [0] + [idle * w[i] // (BPS - w[0]) for i in range(1, len(tokens))]
    buys = [(tokens[0], tokens[i], spend[i], 0) for i in range(1, len(tokens))]
    _lend(vault, keeper, world, [], buys, targets=_weights_net(vault, spend))

    # The ripcord at 4.9 (its hard bounds' top): the idle base repays first, then the sale (checked below).
    ripcord = (int(4.95e18), int(5e18), int(4.9e18), 20_000, 50, 600, 100_000 * 10**6)
    vault.submit(vault.setLeverageParams.encode_input(ripcord), {"from": manager})
    chain.sleep(vault.timelockSeconds() + 1)
    _refresh(world)
    vault.setLeverageParams(ripcord, {"from": manager})
    assert keeper_view(vault)["healthFactorWad"] < 4.9e18, "position not levered enough for the ripcord row"
    tx = vault.deleverage(weth, 10**17, _deadline(), {"from": carol})
    assert tx.events["Deleveraged"]["soldAmount"] == 10**17, "the idle base alone restored the position"
    gas["vault_ripcord"] = tx.gas_used
    # The EOA does the same by hand: withdraw collateral, sell it on the router, repay with the proceeds.
    withdraw = pool.withdraw(weth, 10**17, trader, {"from": trader}).gas_used
    weth.approve(world.router, 10**17, {"from": trader})
    before = usdc.balanceOf(trader)
    swap = world.router.swapExactTokensForTokens(
        10**17, 0, [weth, usdc], trader, _deadline(), {"from": trader}
    ).gas_used
    repaid = pool.repay(usdc, usdc.balanceOf(trader) - before, 2, trader, {"from": trader}).gas_used
    gas["aave_direct_withdraw_swap_repay"] = withdraw + swap + repaid

    # A levered swap exit in one transaction (flash-loan repay first), against the EOA unwinding by hand.
    chain.sleep(3601)  # past Carol's share lock
    _refresh(world)
    shares = vault.balanceOf(carol) // 10
    gas["vault_redeem_with_swap_levered"] = vault.redeemWithSwap(
        shares, carol, carol, 0, _deadline(), {"from": carol}
    ).gas_used
    repay_by_hand = pool.repay(usdc, 100 * 10**6, 2, trader, {"from": trader}).gas_used
    withdraw_by_hand = pool.withdraw(weth, 10**17, trader, {"from": trader}).gas_used
    weth.approve(world.router, 10**17, {"from": trader})
    swap_by_hand = world.router.swapExactTokensForTokens(
        10**17, 0, [weth, usdc], trader, _deadline(), {"from": trader}
    ).gas_used
    gas["aave_direct_repay_withdraw_swap"] = repay_by_hand + withdraw_by_hand + swap_by_hand

    return gas


def main() -> None:
    # Imported here: the project's contract containers exist only once the project is loaded.
    from brownie import GasProbe, PlainERC4626  # type: ignore[attr-defined]

    from scripts.deploy_vault import deploy_vault, load_vault_config
    from scripts.world import deploy_world

    deployer, gov, manager, keeper, guardian, alice, bob, carol, trader = (
        accounts[i] for i in (0, 1, 2, 3, 4, 5, 6, 7, 8)
    )
    world = deploy_world(deployer, save=False, with_aave=True)
    cfg = load_vault_config()
    vault = deploy_vault(
        world, deployer, cfg, governance=gov, roles={"manager": manager, "keeper": keeper, "guardian": guardian}
    ).vault
    plain = PlainERC4626.deploy(world.base, {"from": deployer})
    usdc = world.base
    amount = 10_000 * 10**6
    for who in (alice, bob, carol, trader):
        world.fund("USDC", who, 10**6 * 10**6)
    gas: dict[str, int] = {}

    # Deposits: Alice first (fills the vaults), then Bob measured.
    for v in (plain, vault):
        for who in (alice, bob):
            usdc.approve(v, amount * 50, {"from": who})
        v.deposit(amount * 50, alice, {"from": alice})
    gas["oz_erc4626_deposit"] = plain.deposit(amount, bob, {"from": bob}).gas_used
    gas["vault_deposit_0_assets"] = vault.deposit(amount, bob, {"from": bob}).gas_used

    # Put the vault into all five assets (small enough that price impact stays inside the slippage bound).
    symbols = cfg.assets
    gas["rebalance_5_trades_first_buy"] = _rebalance_buys(world, vault, keeper, symbols, 40_000)
    # An arbitrageur sells the same amounts back, so the pools sit at the oracle prices again.
    for s in symbols:
        token, held = world.tokens[s], world.tokens[s].balanceOf(vault)
        world.fund(s, trader, held)
        token.approve(world.router, held, {"from": trader})
        world.router.swapExactTokensForTokens(held, 0, [token, usdc], trader, _deadline(), {"from": trader})

    # Carol: a first deposit, like Bob's into the plain vault.
    usdc.approve(vault, amount, {"from": carol})
    gas["vault_deposit_5_assets"] = vault.deposit(amount, carol, {"from": carol}).gas_used

    # A plain router swap by an EOA holding both tokens (the vault holds both in its rebalances too).
    weth = world.tokens["WETH"]
    world.fund("WETH", trader, 10**18)
    usdc.approve(world.router, 1_000 * 10**6, {"from": trader})
    # The first swap in a new block of a pair updates its price accumulators, as the rebalances' swaps do.
    chain.sleep(60)
    chain.mine()
    gas["router_swap"] = world.router.swapExactTokensForTokens(
        1_000 * 10**6, 0, [usdc, weth], trader, _deadline(), {"from": trader}
    ).gas_used

    gas["rebalance_1_trade"] = _rebalance_buys(world, vault, keeper, symbols[:1], 2_000)
    gas["rebalance_3_trades"] = _rebalance_buys(world, vault, keeper, symbols[:3], 2_000)
    gas["rebalance_5_trades"] = _rebalance_buys(world, vault, keeper, symbols[:5], 2_000)

    gas.update(_risk_rows(world, cfg, vault, gov, keeper, symbols))

    shares = vault.balanceOf(bob) // 10
    gas["vault_redeem"] = vault.redeem(shares, bob, bob, {"from": bob}).gas_used
    gas["vault_redeem_with_swap"] = vault.redeemWithSwap(shares, bob, bob, 0, _deadline(), {"from": bob}).gas_used
    gas["vault_redeem_in_kind"] = vault.redeemInKind(shares, bob, bob, {"from": bob}).gas_used
    gas["vault_redeem_in_kind_again"] = vault.redeemInKind(shares, bob, bob, {"from": bob}).gas_used

    # Governance: a risk-increasing change queued and accepted after the timelock; a risk-reducing one at once.
    looser = (cfg.max_slippage_bps + 10, cfg.max_nav_loss_bps, cfg.max_turnover_bps, cfg.cooldown_s)
    gas["vault_submit_change"] = vault.submit(vault.setThresholds.encode_input(looser), {"from": manager}).gas_used
    chain.sleep(vault.timelockSeconds() + 1)
    _refresh(world)
    gas["vault_accept_change"] = vault.setThresholds(looser, {"from": manager}).gas_used
    gas["vault_tighten_thresholds"] = vault.setThresholds(cfg.thresholds, {"from": manager}).gas_used

    # A fee accrual on its own (config/vault.yaml's 1% a year and 10% over the mark): a day of management fee
    # minted to the recipient at the oracle NAV. Every deposit, exit and rebalance above runs one first.
    chain.sleep(86_400)
    _refresh(world)
    gas["vault_accrue_fees"] = vault.accrueFees({"from": trader}).gas_used

    gas.update(_leverage_rows(world, cfg, deployer, gov, manager, keeper, guardian, carol, trader))

    # Where the NAV's gas goes (one cold call, the same reads a deposit makes).
    probe = GasProbe.deploy({"from": deployer})
    probe.store(vault.assets(), {"from": deployer})
    load, prices, balances, total = probe.probe(vault)
    gas["nav_step_registry_load"] = load
    gas["nav_step_oracle_prices_6_feeds"] = prices
    gas["nav_step_balances_6_tokens"] = balances
    gas["nav_step_sum"] = total

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(gas, indent=2) + "\n")
    print(_table(gas))
    print(f"\nwritten to {RESULTS}")


def _risk_rows(world, cfg, vault, gov, keeper, symbols: list[str]) -> dict[str, int]:
    chain.sleep(3_600)
    _refresh(world)
    rows = {"vault_poke": vault.poke({"from": accounts[9]}).gas_used}
    params = list(cfg.risk.params())
    params[-1] = max(1, int(vault.riskState()[1]))
    vault.setRiskParams(params, {"from": gov})
    rows["rebalance_5_trades_guardrail"] = _rebalance_buys(world, vault, keeper, symbols[:5], 2_000)
    return rows


def _table(gas: dict[str, int]) -> str:
    deposit_ratio = gas["vault_deposit_5_assets"] / gas["oz_erc4626_deposit"]
    rows = [
        "| measurement | gas | peer / target |",
        "|---|---:|---|",
        f"| `oz_erc4626_deposit` | {gas['oz_erc4626_deposit']:,} | peer |",
        f"| `router_swap` | {gas['router_swap']:,} | peer |",
        f"| `vault_deposit_0_assets` | {gas['vault_deposit_0_assets']:,} | base only |",
        f"| `vault_deposit_5_assets` | {gas['vault_deposit_5_assets']:,} "
        f"| {deposit_ratio:.2f}x peer (target <= 1.50x) |",
    ]
    for n, key in ((1, "rebalance_1_trade"), (3, "rebalance_3_trades"), (5, "rebalance_5_trades")):
        budget = n * gas["router_swap"] + 60_000
        overhead = gas[key] - n * gas["router_swap"]
        rows.append(
            f"| `{key}` | {gas[key]:,} | target <= {n} x router_swap + 60k = {budget:,}; "
            f"overhead over the swaps {overhead:,} |"
        )
    rows.append(f"| `rebalance_5_trades_first_buy` | {gas['rebalance_5_trades_first_buy']:,} | vault holds none yet |")
    rows.append(f"| `vault_poke` | {gas['vault_poke']:,} | covariance of 5 assets + 5 TWAP checkpoints |")
    guard = gas["rebalance_5_trades_guardrail"] - gas["rebalance_5_trades"]
    rows.append(
        f"| `rebalance_5_trades_guardrail` | {gas['rebalance_5_trades_guardrail']:,} "
        f"| guardrail overhead over `rebalance_5_trades` {guard:,} |"
    )
    for key in (
        "vault_redeem",
        "vault_redeem_with_swap",
        "vault_redeem_in_kind",
        "vault_redeem_in_kind_again",
        "vault_submit_change",
        "vault_accept_change",
        "vault_tighten_thresholds",
        "vault_accrue_fees",
    ):
        rows.append(f"| `{key}` | {gas[key]:,} | |")
    pairs = (
        ("vault_lending_supply", "aave_direct_supply"),
        ("vault_lending_borrow", "aave_direct_borrow"),
        ("vault_lending_repay", "aave_direct_repay"),
        ("vault_ripcord", "aave_direct_withdraw_swap_repay"),
        ("vault_redeem_with_swap_levered", "aave_direct_repay_withdraw_swap"),
    )
    for vault_key, peer_key in pairs:
        rows.append(f"| `{peer_key}` | {gas[peer_key]:,} | peer |")
        rows.append(
            f"| `{vault_key}` | {gas[vault_key]:,} | overhead over the direct call(s) "
            f"{gas[vault_key] - gas[peer_key]:,} |"
        )
    for key in (
        "nav_step_registry_load",
        "nav_step_oracle_prices_6_feeds",
        "nav_step_balances_6_tokens",
        "nav_step_sum",
    ):
        rows.append(f"| `{key}` | {gas[key]:,} | inside one NAV read |")
    return "\n".join(rows)


if __name__ == "__main__":
    # `brownie run` only runs files under scripts/; this starts the project and the chain the same way.
    import sys

    from brownie import network, project

    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))  # for `scripts.*`
    active = project.load(root)
    active.load_config()
    active._add_to_main_namespace()  # what `brownie run` does, so `from brownie import <Contract>` works
    network.connect(sys.argv[1] if len(sys.argv) > 1 else "anvil")
    try:
        main()
    finally:
        network.disconnect()
