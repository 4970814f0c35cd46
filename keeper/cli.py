"""``rp-keeper`` (also ``python -m keeper``): run, once, plan, status, backtest.

Logging is configured here, once; the rest of the package only logs through ``logging.getLogger(__name__)``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keeper.config import KeeperConfig, load_keeper_config
from keeper.errors import ConfigError, KeeperError
from keeper.outcomes import Action

if TYPE_CHECKING:
    from keeper.backtest import BacktestConfig, BacktestResult

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
    from keeper.backtest_report import format_table, write_outputs
    from keeper.prices import load_prices_csv

    # The daemon's own settings: estimator, cash buffer, trigger, cost gate, trade caps and vol target.
    keeper = load_keeper_config(args.config)
    if args.vol_target is not None:
        if not 0.0 < args.vol_target < 2.0:
            raise ConfigError(f"--vol-target {args.vol_target:g}: must be in (0, 2) (0.10 = 10% a year)")
        # min_exposure 0 lets the unlevered vault de-risk into the base asset when the forecast is above target.
        keeper = replace(keeper, leverage=replace(keeper.leverage, target_vol=args.vol_target, min_exposure=0.0))
    if args.window < 2:
        raise ConfigError(f"--window {args.window}: need at least 2 rows of returns for a covariance")
    table = load_prices_csv(args.csv)
    if table.times is not None and args.interval_s is not None:
        log.info("interval_ignored interval_s=%d reason=the CSV has dates", args.interval_s)
    cfg = BacktestConfig(interval=args.interval_s or 86_400, window=args.window, keeper=keeper)
    result = backtest(table, cfg)
    print(format_table(result, args.csv, cfg))
    if table.filled:
        row, col = table.filled[0]
        print(f"{len(table.filled)} empty cell(s) carried the price above forward (first: row {row}, column {col})")
    if args.out:
        paths = write_outputs(Path(args.out), result, args.csv, cfg)
        print(f"wrote {', '.join(p.name for p in paths)} to {args.out}")
    if getattr(args, "log_path", None):
        print(f"log: {args.log_path}")
    return 0


def print_backtest(result: BacktestResult, source: str, cfg: BacktestConfig) -> None:
    """The backtest table (as ``rp-keeper backtest`` prints it)."""
    from keeper.backtest_report import format_table

    print(format_table(result, source, cfg))


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
        "--csv",
        required=True,
        help="prices as pandas or a spreadsheet writes them: a date column (ISO or unix seconds; optional), one "
        "price column per asset, an optional header; empty cells carry the price above forward",
    )
    bt.add_argument(
        "--interval-s",
        type=int,
        default=None,
        help="seconds between two rows when the CSV has no dates (default 86400); dates set their own frequency",
    )
    bt.add_argument("--config", "-c", default="config/keeper.local.yaml", help="keeper YAML whose settings to run")
    bt.add_argument(
        "--vol-target",
        type=float,
        default=None,
        help="override leverage.target_vol (0.10 = 10%% a year) with leverage.min_exposure 0, so the vault can de-risk",
    )
    bt.add_argument("--window", type=int, default=60, help="rows of returns the estimator sees (default 60)")
    bt.add_argument("--out", help="write report.json, series.csv, PNG plots and backtest.log to this directory")
    bt.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log to stderr instead of a file"
    )
    bt.set_defaults(fn=cmd_backtest)
    return p


def _log_to_file(args: argparse.Namespace) -> list[logging.Handler]:
    """The backtest logs a line per decision: those go to a file (``backtest.log`` in ``--out``, else a temporary
    file), warnings (a forward-filled price) to stderr as well."""
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        path = Path(args.out) / "backtest.log"
    else:
        fd, name = tempfile.mkstemp(prefix="rp-keeper-backtest-", suffix=".log")
        os.close(fd)
        path = Path(name)
    args.log_path = path
    to_file = logging.FileHandler(path, mode="w")
    to_file.setLevel(logging.INFO)
    to_file.setFormatter(logging.Formatter(_LOG_FORMAT))
    to_stderr = logging.StreamHandler(sys.stderr)
    to_stderr.setLevel(logging.WARNING)
    to_stderr.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for h in (to_file, to_stderr):
        root.addHandler(h)
    return [to_file, to_stderr]


_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers: list[logging.Handler] = []
    root_level = logging.getLogger().level
    try:
        if args.command == "backtest" and not args.verbose:
            handlers = _log_to_file(args)
        else:
            logging.basicConfig(
                level=logging.DEBUG if args.verbose else logging.INFO, format=_LOG_FORMAT, stream=sys.stderr
            )
        return int(args.fn(args) or 0)
    except KeeperError as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    finally:
        for h in handlers:  # main() may run again in the same process (tests)
            logging.getLogger().removeHandler(h)
            h.close()
        if handlers:
            logging.getLogger().setLevel(root_level)


if __name__ == "__main__":
    sys.exit(main())
