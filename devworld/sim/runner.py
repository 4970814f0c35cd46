"""Drive the world's market on a live chain: move time, publish feed rounds, arbitrage the pools.

The simulator acts as the market's participants (Chainlink's reporter and an arbitrageur), never as the keeper.
It talks to the node through web3.py with the node's unlocked development accounts (anvil, Ganache).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from web3 import Web3
from web3.contract import Contract

from devworld.sim.arbitrage import amount_out, trade_to_price
from devworld.sim.config import FEED_DECIMALS, WorldConfig
from devworld.sim.market import CALM, MarketModel
from devworld.sim.reporting import should_publish, to_answer
from keeper.artifacts import abi
from keeper.chain import connect
from keeper.deployments import WorldDeployment

log = logging.getLogger(__name__)

MAX_UINT = 2**256 - 1
IV_NOISE = 0.05
"""Relative noise of the implied-vol quotes around the regime's true vol."""


@dataclass(frozen=True)
class ArbFill:
    symbol: str
    sell_asset: bool
    amount_in: int
    amount_out: int


@dataclass(frozen=True)
class StepReport:
    """What one market step did. ``rounds`` maps symbol -> published answer (8 decimals)."""

    timestamp: int
    regime: int
    prices_usd: tuple[float, ...]
    rounds: dict[str, int] = field(default_factory=dict)
    iv_rounds: dict[str, int] = field(default_factory=dict)
    arbs: tuple[ArbFill, ...] = ()


class MarketSimulator:
    """Advance the world one market step at a time.

    Parameters
    ----------
    w3 : a connected Web3 (anvil or Ganache with unlocked development accounts).
    dep, cfg : the world's deployment file and config.
    seed : the price path's seed; the same seed on the same starting chain state gives the same steps.
    reporter : the feeds' owner (the world's deployer).
    arbitrageur : an account that trades the pools back to the feed prices; funded here on first use.
    """

    def __init__(
        self,
        w3: Web3,
        dep: WorldDeployment,
        cfg: WorldConfig,
        *,
        seed: int,
        reporter: str,
        arbitrageur: str,
        arb_inventory_usd: float = 50_000_000.0,
        model: MarketModel | None = None,
    ) -> None:
        # A connection of the simulator's own: chain id cached and no per-request validation round trips.
        self.w3 = connect(w3.provider.endpoint_uri)
        self.w3.middleware_onion.remove("validation")
        self.dep, self.cfg = dep, cfg
        self._fees: dict[str, int] = {}
        self.reporter = Web3.to_checksum_address(reporter)
        self.arbitrageur = Web3.to_checksum_address(arbitrageur)
        self.model = model or MarketModel(cfg, seed)
        """Random draws by default; a :class:`~devworld.sim.market.ReplayModel` replays recorded prices."""
        self.symbols = cfg.symbols
        self.feeds = {s: self._contract("PriceFeed", a.feed) for s, a in dep.assets.items()}
        self.iv_feeds = {s: self._contract("PriceFeed", a.iv_feed) for s, a in dep.assets.items() if a.iv_feed}
        self.tokens = {s: self._contract("WorldToken", a.token) for s, a in dep.assets.items()}
        self.pairs = {s: self._contract("UniswapV2Pair", a.pair) for s, a in dep.assets.items() if a.pair}
        self.router = self._contract("UniswapV2Router02", dep.router)
        self.weth = self._contract("WETH9", dep.weth)
        self._token0_is_asset = {
            s: p.functions.token0().call() == Web3.to_checksum_address(dep.assets[s].token)
            for s, p in self.pairs.items()
        }
        self.resync()
        self._arb_inventory_usd = arb_inventory_usd
        self._arb_ready = False
        self._now = 0

    def _contract(self, name: str, address: str) -> Contract:
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=abi(name))

    def _send(self, fn, sender: str, value: int = 0, gas: int = 400_000) -> dict:
        # Explicit gas and fees: the node would otherwise estimate and price every transaction (4 extra calls).
        tx_hash = fn.transact({"from": sender, "value": value, "gas": gas, **self._fees})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60, poll_latency=0.005)
        if receipt["status"] != 1:
            raise RuntimeError(f"simulator transaction reverted: {tx_hash.hex()}")
        return receipt

    # ---------------------------------------------------------------- set-up

    def fund_arbitrageur(self) -> None:
        """Give the arbitrageur inventory of every asset and approve the router, once."""
        if self._arb_ready:
            return
        for a in self.cfg.assets:
            amount = int(self._arb_inventory_usd / a.price_usd * 10**a.decimals)
            if a.weth9:
                self._send(self.weth.functions.deposit(), self.arbitrageur, value=amount)
            else:
                self._send(self.tokens[a.symbol].functions.mint(self.arbitrageur, amount), self.reporter)
            self._send(self.tokens[a.symbol].functions.approve(self.router.address, MAX_UINT), self.arbitrageur)
        self._arb_ready = True

    def resync(self) -> None:
        """Read from the chain what the simulator acts on: the feeds' latest rounds (what the Chainlink rule
        compares the next answer with) and whether the arbitrageur is still funded and approved."""
        self._last = {s: f.functions.latestRoundData().call() for s, f in self.feeds.items()}
        self._last_iv_time = max((f.functions.latestTimestamp().call() for f in self.iv_feeds.values()), default=0)
        if getattr(self, "_arb_ready", False):
            base = self.tokens[self.cfg.base].functions
            self._arb_ready = base.allowance(self.arbitrageur, self.router.address).call() > 0

    # ---------------------------------------------------------------- stepping

    def advance_time(self, seconds: int) -> int:
        """Move chain time forward and mine a block; returns the new block's timestamp."""
        self.w3.provider.make_request("evm_increaseTime", [int(seconds)])
        self.w3.provider.make_request("evm_mine", [])
        block = self.w3.eth.get_block("latest")
        base_fee = int(block.get("baseFeePerGas", 0))
        self._fees = {"maxFeePerGas": 2 * base_fee + 10**9, "maxPriorityFeePerGas": 10**9}
        return int(block["timestamp"])

    def step(self, dt_s: int | None = None) -> StepReport:
        """One market step: time passes, prices move, feeds publish when Chainlink would, pools get arbitraged."""
        self.fund_arbitrageur()
        dt = int(dt_s or self.cfg.step_s)
        now = self._now = self.advance_time(dt)
        prices = self.model.step(dt)
        rounds: dict[str, int] = {}
        for a, price in zip(self.cfg.assets, prices, strict=True):
            answer = to_answer(float(price))
            _, last_answer, _, last_time, _ = self._last[a.symbol]
            if should_publish(last_answer, last_time, answer, now, a.feed.deviation_bps, a.feed.heartbeat_s):
                self._send(self.feeds[a.symbol].functions.submit(answer), self.reporter, gas=150_000)
                # The step's time, not the round's block time: heartbeats count from the step grid, so a 1 h
                # heartbeat with 1 h steps publishes on every step whatever the blocks' second-level jitter.
                self._last[a.symbol] = (0, answer, now, now, 0)
                rounds[a.symbol] = answer
        iv_rounds = self._publish_implied_vols(now)
        arbs = tuple(fill for s in self.pairs if (fill := self._arbitrage(s)) is not None)
        return StepReport(now, self.model.regime, tuple(float(p) for p in prices), rounds, iv_rounds, arbs)

    def run(self, n_steps: int, on_step: Callable[[int, StepReport], None] | None = None) -> list[StepReport]:
        """``n_steps`` steps. The feeds' last rounds are read from the chain first: a chain reverted under the
        simulator (a test's snapshot isolation) would otherwise leave it judging the heartbeat and deviation
        against rounds that no longer exist, and a feed could go stale without the simulator noticing."""
        self.resync()
        reports = []
        for i in range(n_steps):
            report = self.step()
            reports.append(report)
            if on_step is not None:
                on_step(i, report)
        return reports

    def _publish_implied_vols(self, now: int) -> dict[str, int]:
        if now - self._last_iv_time < self.cfg.implied_vol_update_s:
            return {}
        self._last_iv_time = now
        vols = self.model.params.vols[self.model.regime]
        out: dict[str, int] = {}
        for i, a in enumerate(self.cfg.assets):
            if a.symbol not in self.iv_feeds:
                continue
            quote = float(vols[i]) * float(np.exp(IV_NOISE * self.model.rng.standard_normal())) + a.implied_vol_premium
            answer = to_answer(quote)
            self._send(self.iv_feeds[a.symbol].functions.submit(answer), self.reporter, gas=150_000)
            out[a.symbol] = answer
        return out

    def _arbitrage(self, symbol: str) -> ArbFill | None:
        """Trade the pool's mid price to the feed's latest answer (the price every consumer sees on-chain)."""
        a = self.cfg.asset(symbol)
        base = self.cfg.asset(self.cfg.base)
        r0, r1, _ = self.pairs[symbol].functions.getReserves().call()
        r_asset, r_base = (r0, r1) if self._token0_is_asset[symbol] else (r1, r0)
        feed_usd = self._last[symbol][1] / 10**FEED_DECIMALS
        base_usd = self._last[self.cfg.base][1] / 10**FEED_DECIMALS
        target = feed_usd / base_usd * 10**base.decimals / 10**a.decimals
        trade = trade_to_price(r_asset, r_base, target, self.cfg.fee_bps)
        if trade is None:
            return None
        if trade.sell_asset:
            path, out = [self.tokens[symbol].address, self.tokens[self.cfg.base].address], (r_asset, r_base)
        else:
            path, out = [self.tokens[self.cfg.base].address, self.tokens[symbol].address], (r_base, r_asset)
        expected = amount_out(trade.amount_in, out[0], out[1], self.cfg.fee_bps)
        if expected == 0:
            return None
        self._send(
            self.router.functions.swapExactTokensForTokens(
                trade.amount_in, expected, path, self.arbitrageur, self._now + 600
            ),
            self.arbitrageur,
            gas=250_000,
        )
        return ArbFill(symbol, trade.sell_asset, trade.amount_in, expected)


def regime_name(regime: int) -> str:
    return "calm" if regime == CALM else "stress"
