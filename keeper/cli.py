"""``rp-keeper`` (also ``python -m keeper``): run, once, plan, status, backtest.

Logging is configured here, once; the rest of the package only logs through ``logging.getLogger(__name__)``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING, Any

from keeper.config import KeeperConfig, load_keeper_config
from keeper.errors import KeeperError
from keeper.outcomes import Action

if TYPE_CHECKING:
    from keeper.backtest import BacktestResult

log = logging.getLogger("keeper")


def _config(args: argparse.Namespace, **overrides: Any) -> KeeperConfig:
    extra = {"dry_run": True} if getattr(args, "dry_run", False) else {}
    if getattr(args, "journal", None):
        extra["journal"] = args.journal
    return load_keeper_config(args.config, {**extra, **overrides})


def cmd_run(args: argparse.Namespace) -> int:
    from keeper.daemon import Keeper

    keeper = Keeper(_config(args))
    return keeper.run(max_ticks=args.max_ticks)


def cmd_once(args: argparse.Namespace) -> int:
    from keeper.daemon import Keeper

    keeper = Keeper(_config(args))
    keeper.check()
    result = keeper.tick()
    r = result.record
    print(f"{r.decision}: {r.text}" + (f" tx={r.tx_hash} gas={r.gas_used}" if r.tx_hash else ""))
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from keeper.daemon import Keeper

    keeper = Keeper(_config(args, dry_run=True, journal=":memory:"))
    keeper.check()
    s, p = keeper.decide()
    print(f"block {s.block}  epoch {s.epoch}  NAV {s.nav / s.base_unit:,.2f}  decision {p.action} ({p.text})")
    if p.deviation is not None:
        print(
            f"risk-contribution deviation {p.deviation:.4f} -> {p.deviation_after:.4f} "
            f"(trigger {keeper.cfg.policy.trigger_rc_deviation})"
        )
    if p.weights is not None and p.target_weights is not None and p.risk_contributions is not None:
        print(f"{'asset':<44} {'weight':>8} {'target':>8} {'RC':>7} {'budget':>7}")
        for j, i in enumerate(p.risky):
            print(
                f"{s.assets[i].token:<44} {p.weights[j]:>8.2%} {p.target_weights[j]:>8.2%} "
                f"{p.risk_contributions[j]:>7.2%} {p.budget[j] if p.budget is not None else 0.0:>7.2%}"
            )
    for t in p.trades:
        print(f"trade {t.token_in} -> {t.token_out} amount_in={t.amount_in} min_out={t.min_amount_out}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from keeper.journal import Journal

    cfg = _config(args, dry_run=True)
    journal = Journal(cfg.journal)
    rows = journal.last(args.last)
    print(
        f"journal {cfg.journal}: {journal.count()} ticks, {journal.count(Action.REBALANCE)} rebalances, "
        f"{journal.count(Action.ERROR)} errors, gas {journal.gas_total():,}"
    )
    print(f"{'id':>5} {'block':>8} {'epoch':>5} {'decision':<9} {'status':<8} {'deviation':>9}  reason")
    for r in reversed(rows):
        dev = f"{r['deviation']:.4f}" if r["deviation"] is not None else "-"
        print(
            f"{r['id']:>5} {r['block'] or '-':>8} {r['epoch'] if r['epoch'] is not None else '-':>5} "
            f"{r['decision']:<9} {r['status']:<8} {dev:>9}  {r['reason'][:80]}"
        )
    if not args.journal_only:
        from keeper.daemon import Keeper

        keeper = Keeper(cfg, journal=journal)
        s = keeper.client.vault_state(keeper.vault)
        print(
            f"\nvault {keeper.vault} block {s.block}: epoch {s.epoch}, NAV "
            f"{s.nav / 10**s.base.token_decimals:,.2f}, supply {s.total_supply}, paused deposits="
            f"{s.deposits_paused} rebalances={s.rebalances_paused}"
        )
        for a in s.assets:
            print(
                f"  {a.token}  balance {a.balance:>30}  price {a.answer / 10**a.feed_decimals:>14,.4f}  "
                f"target {a.target_bps:>5} bps  budget {a.budget_bps:>5} bps"
            )
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    from keeper.backtest import BacktestConfig, backtest

    # The daemon's own settings: estimator, cash buffer, trigger, cost gate and trade caps (keeper.backtest).
    result = backtest(args.csv, BacktestConfig(interval=args.interval_s, keeper=load_keeper_config(args.config)))
    print_backtest(result, args.csv, args.interval_s)
    return 0


def print_backtest(result: BacktestResult, source: str, interval_s: int) -> None:
    """The backtest table, one line per strategy."""
    print(f"backtest over {source}, interval {interval_s}s")
    print(
        f"{'strategy':<14} {'final NAV':>14} {'vol':>7} {'max DD':>7} {'turnover':>9} {'costs':>11} "
        f"{'rebal':>5} {'mean RC err':>11}"
    )
    for name, r in result.strategies.items():
        print(
            f"{name:<14} {r.nav[-1]:>14,.0f} {r.realized_vol:>7.2%} {r.max_drawdown:>7.2%} {r.turnover:>9.2f} "
            f"{r.costs:>11,.0f} {r.rebalances:>5} {float(r.rc_error.mean()) if r.rc_error.size else 0:>11.4f}"
        )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rp-keeper", description="Keeper of the risk parity vault")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True)

    def with_config(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument("--config", "-c", default="config/keeper.local.yaml", help="keeper YAML file")
        sp.add_argument("--journal", help="override the journal path")
        return sp

    run = with_config(sub.add_parser("run", help="run the daemon until SIGTERM/SIGINT"))
    run.add_argument("--dry-run", action="store_true", help="decide and simulate, never send")
    run.add_argument("--max-ticks", type=int, default=None, help="stop after this many ticks")
    run.set_defaults(fn=cmd_run)
    once = with_config(sub.add_parser("once", help="one tick, then exit"))
    once.add_argument("--dry-run", action="store_true")
    once.set_defaults(fn=cmd_once)
    with_config(sub.add_parser("plan", help="what the keeper would do now (no transaction)")).set_defaults(fn=cmd_plan)
    status = with_config(sub.add_parser("status", help="journal and vault state as a table"))
    status.add_argument("--last", type=int, default=20)
    status.add_argument("--journal-only", action="store_true", help="do not contact the node")
    status.set_defaults(fn=cmd_status)
    bt = sub.add_parser("backtest", help="risk parity vs equal weight vs inverse vol over a CSV price series")
    bt.add_argument(
        "--csv", required=True, help="CSV with a header row: one price column per asset (a time column is ignored)"
    )
    bt.add_argument("--interval-s", type=int, default=86400, help="seconds between two rows of the CSV")
    bt.add_argument("--config", "-c", default="config/keeper.local.yaml", help="keeper YAML whose settings to run")
    bt.set_defaults(fn=cmd_backtest)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args.fn(args) or 0)
    except KeeperError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
