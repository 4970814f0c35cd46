"""Run a project script's `main()` on a brownie network, as `brownie run` does, from any folder (dots included).

    .venv/bin/python tools/run_script.py scripts/demo.py --network anvil --silent

brownie 1.22's `run` imports a script under a module name built from its absolute path (`home.me.my.repo.scripts.
demo`), which fails with `ModuleNotFoundError` as soon as a folder on that path has a dot in its name. This loads
the project and the network the way `brownie run` does, then imports the script as `scripts.<name>` from the
repository root. `make demo` and the fork tests go through it.

With `--silent` brownie's output (transaction blocks, the chain it launches, warnings) goes to the log file the
script names with `scripts.brownie_log.attach` (the demo: out/demo/<UTC>/brownie.log), not to the terminal.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("script", help="a file under scripts/, e.g. scripts/demo.py")
    parser.add_argument("--network", default="anvil", help="a brownie network id (default anvil)")
    parser.add_argument(
        "--silent",
        action="store_true",
        help="keep brownie's transaction blocks and warnings off the terminal (in the log file the script names)",
    )
    parser.add_argument(
        "--own-chain",
        action="store_true",
        help="refuse to attach to a chain already listening on the network's port (start a fresh one)",
    )
    parser.add_argument(
        "--port",
        type=int,
        help="launch (or attach to) the chain on this port instead of the network's port in brownie-config.yaml",
    )
    args = parser.parse_args(argv)
    script = (ROOT / args.script).resolve() if not Path(args.script).is_absolute() else Path(args.script)
    if script.parent != ROOT / "scripts" or script.suffix != ".py" or not script.is_file():
        parser.error(f"{args.script}: give a .py file in {ROOT / 'scripts'}")

    sys.path.insert(0, str(ROOT))
    from brownie import network, project  # type: ignore[attr-defined]
    from brownie._config import CONFIG

    from scripts import brownie_log

    active = project.load(ROOT)
    active.load_config()
    active._add_to_main_namespace()  # what `brownie run` does, so `from brownie import <Contract>` works
    if args.network not in CONFIG.networks:
        parser.error(f"--network {args.network}: not a brownie network (brownie networks list names them)")
    if args.port is not None:
        CONFIG.networks[args.network]["cmd_settings"]["port"] = args.port
    if args.own_chain:
        from devworld.devnet import chain_on_port

        refusal = chain_on_port(args.network, doing="this run", port=args.port)
        if refusal:
            other = ", or run on the other chain (make demo NETWORK=ganache-cli)" if args.network == "anvil" else ""
            print(f"error: {refusal}{other}", file=sys.stderr)
            return 2
    if args.silent:
        # Not brownie's own switch (CONFIG.argv["silent"]): it reaches plain transfers only (see scripts.brownie_log)
        # and would leave them out of the log.
        brownie_log.install()
    try:
        network.connect(args.network)
        importlib.import_module(f"scripts.{script.stem}").main()
    finally:
        if network.is_connected():
            network.disconnect()
        brownie_log.attach_default(ROOT / "out" / "logs" / f"{script.stem}.brownie.log")
        log_file = brownie_log.uninstall()
        if log_file is not None:
            print(f"   brownie's transactions and warnings: {log_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
