"""``rp-keeper`` (also ``python -m keeper``): run, once, plan, status, dashboard, backtest.

Logging is configured here, once; the rest of the package only logs through ``logging.getLogger(__name__)``.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keeper.config import KeeperConfig, load_keeper_config
from keeper.errors import ConfigError, KeeperError, NodeUnreachableError, SignerError
from keeper.outcomes import Action, Reason

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
    from keeper.daemon import EXIT_FAILURES, Keeper
    from keeper.present import trade_line

    keeper = Keeper(_config(args))
    try:
        keeper.check()
    except (ConfigError, SignerError) as exc:
        keeper.record_failure(exc, Reason.STARTUP_CHECK)
        raise
    try:
        result = keeper.tick()
    except KeeperError as exc:
        # Journaled like a daemon tick (the journal and `status` count it), then one readable line.
        keeper.record_failure(exc)
        print(f"error: tick failed and was journaled: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_FAILURES
    r = result.record
    print(f"{r.decision}: {r.text}" + (f"  tx {r.tx_hash} gas {r.gas_used:,}" if r.tx_hash else ""))
    if result.state is not None:
        for t in r.trades or ():
            print(f"  {trade_line(result.state, *t)}")
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from keeper.daemon import Keeper
    from keeper.present import plan_lines

    keeper = Keeper(_config(args, dry_run=True, journal=":memory:"))
    keeper.check()
    s, p = keeper.decide()
    print("\n".join(plan_lines(s, p, keeper.cfg.policy.trigger_rc_deviation)))
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
    print(f"{'id':>5} {'block':>8} {'epoch':>5} {'decision':<9} {'status':<8} {'gap':>7}  reason")
    for r in reversed(rows):
        dev = f"{r['deviation']:.2%}" if r["deviation"] is not None else "-"
        print(
            f"{r['id']:>5} {r['block'] or '-':>8} {r['epoch'] if r['epoch'] is not None else '-':>5} "
            f"{r['decision']:<9} {r['status']:<8} {dev:>7}  {r['reason'][:100]}"
        )
    if not args.journal_only:
        from keeper.daemon import Keeper
        from keeper.present import vault_lines

        keeper = Keeper(cfg, journal=journal)
        share_decimals = int(keeper.client.call("RiskParityVault", keeper.vault, "decimals"))
        print(f"\nvault {keeper.vault}")
        print("\n".join(vault_lines(keeper.client.vault_state(keeper.vault), share_decimals)))
    return 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    from keeper.dashboard import Dashboard

    server = Dashboard(_config(args, dry_run=True)).serve(args.port)
    signal.signal(signal.SIGTERM, _interrupt)  # stops like Ctrl-C (serve_forever runs on this thread)
    print(f"dashboard on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops it)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


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
    dash = with_config(sub.add_parser("dashboard", help="serve the vault's and the keeper's page on 127.0.0.1"))
    dash.add_argument("--port", type=int, default=8050, help="port on 127.0.0.1 (default 8050; 0 picks a free one)")
    dash.set_defaults(fn=cmd_dashboard)
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
ONE_SHOT = frozenset({"once", "plan", "status"})
"""Commands that print their own answer: they log errors only unless -v (a node that is down is one error line,
not a warning per retry before it). ``run`` and ``dashboard`` are services and log at INFO for their journal."""


def _log_level(args: argparse.Namespace) -> int:
    if args.verbose:
        return logging.DEBUG
    return logging.ERROR if args.command in ONE_SHOT else logging.INFO


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers: list[logging.Handler] = []
    root_level = logging.getLogger().level
    try:
        if args.command == "backtest" and not args.verbose:
            handlers = _log_to_file(args)
        else:
            logging.basicConfig(level=_log_level(args), format=_LOG_FORMAT, stream=sys.stderr)
        return int(args.fn(args) or 0)
    except NodeUnreachableError as exc:
        where = f"chain.rpc_urls in {args.config}" if getattr(args, "config", None) else "chain.rpc_urls"
        hint = f"{where} (or RP_KEEPER_RPC_URLS) names the node, 'make world' starts the local one"
        print(f"error: {' '.join(str(exc).split())}: {hint}", file=sys.stderr)
        return 2
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
