"""The keeper's backtest over prices simulated from a world config (``rp-keeper backtest`` takes a CSV instead).

python -m devworld.backtest [--world config/world.yaml] [--days 365] [--interval-s 86400] [--seed 7]
"""

from __future__ import annotations

import argparse
import sys

from devworld.sim.config import load_world_config
from devworld.sim.market import simulate_path
from keeper.backtest import BacktestConfig, backtest
from keeper.cli import print_backtest
from keeper.config import load_keeper_config
from keeper.errors import ConfigError, KeeperError
from keeper.prices import PriceTable


def _check_args(days: int, interval_s: int) -> None:
    """ConfigError naming the argument, its value, the bound and the fix; before anything runs."""
    if interval_s <= 0:
        raise ConfigError(f"--interval-s {interval_s}: must be a positive number of seconds (86400 = daily)")
    if days <= 0:
        raise ConfigError(f"--days {days}: must be a positive number of days")
    steps = days * 86_400 // interval_s
    need = BacktestConfig.window + 2
    if steps + 1 < need:
        raise ConfigError(
            f"--days {days} at --interval-s {interval_s} gives {steps + 1} prices; the backtest needs at least "
            f"{need} (its {BacktestConfig.window}-row estimation window, then one decision): use "
            f"--days {-(-(need - 1) * interval_s // 86_400)} or more"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devworld.backtest", description=__doc__.split("\n")[0])
    parser.add_argument("--world", default="config/world.yaml", help="simulate prices from this world config")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--interval-s", type=int, default=86400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--config", "-c", default="config/keeper.local.yaml", help="keeper YAML whose settings to run")
    args = parser.parse_args(argv)
    try:
        _check_args(args.days, args.interval_s)
        world = load_world_config(args.world)
        path = simulate_path(world, args.days * 86400 // args.interval_s, args.interval_s, args.seed)
        cols = [world.symbols.index(a.symbol) for a in world.risky]
        keeper = load_keeper_config(args.config)
        cfg = BacktestConfig(interval=args.interval_s, keeper=keeper)
        prices = path.prices[:, cols]
        table = PriceTable([a.symbol for a in world.risky], prices, None, tuple(str(t) for t in range(len(prices))))
        result = backtest(table, cfg)
    except KeeperError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print_backtest(result, f"{args.world} (seed {args.seed}, {args.days} days)", cfg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
