"""The deployment file ``deployments/<network>.json``: where every address of a deployed world lives.

Written by ``scripts/deploy_world.py`` (and extended by later deploy scripts), read by everything else.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keeper.errors import ConfigError

DEPLOYMENTS_DIR = Path(os.environ.get("RP_DEPLOYMENTS_DIR") or Path(__file__).resolve().parent.parent / "deployments")


@dataclass(frozen=True)
class AssetDeployment:
    symbol: str
    token: str
    decimals: int
    feed: str
    iv_feed: str | None
    pair: str | None
    route: tuple[tuple[str, str], ...] = ()
    """Swap route toward the base through a hub, each leg (pair, the token on the asset's side); empty: ``pair``."""


@dataclass(frozen=True)
class WorldDeployment:
    network: str
    chain_id: int
    block: int
    deployer: str
    config: str
    base: str
    assets: dict[str, AssetDeployment]
    factory: str
    router: str
    weth: str
    fee_bps: int
    extra: dict[str, Any]
    """Sections added by later deploy scripts (e.g. ``vault``), kept as written."""

    @property
    def symbols(self) -> list[str]:
        return list(self.assets)

    def to_json(self) -> dict[str, Any]:
        return {
            "network": self.network,
            "chain_id": self.chain_id,
            "block": self.block,
            "deployer": self.deployer,
            "config": self.config,
            "base": self.base,
            "assets": {
                s: {
                    "token": a.token,
                    "decimals": a.decimals,
                    "feed": a.feed,
                    "iv_feed": a.iv_feed,
                    "pair": a.pair,
                    **({"route": [list(leg) for leg in a.route]} if a.route else {}),
                }
                for s, a in self.assets.items()
            },
            "uniswap": {
                "factory": self.factory,
                "router": self.router,
                "weth": self.weth,
                "fee_bps": self.fee_bps,
            },
            **self.extra,
        }


def deployment_path(network: str, directory: Path | None = None) -> Path:
    return (directory or DEPLOYMENTS_DIR) / f"{network}.json"


def save_deployment(dep: WorldDeployment, directory: Path | None = None) -> Path:
    path = deployment_path(dep.network, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dep.to_json(), indent=2) + "\n")
    return path


def load_deployment(network_or_path: str | Path, directory: Path | None = None) -> WorldDeployment:
    """Read a deployment by network name (``deployments/<network>.json``) or by file path."""
    candidate = Path(network_or_path)
    path = candidate if candidate.suffix == ".json" else deployment_path(str(network_or_path), directory)
    if not path.is_file():
        raise ConfigError(
            f"no deployment file {path}: deploy the world first "
            f"('.venv/bin/python tools/run_script.py scripts/deploy_world.py --network <network>' or 'make world')"
        )
    try:
        raw = json.loads(path.read_text())
        assets = {
            s: AssetDeployment(
                symbol=s,
                token=a["token"],
                decimals=int(a["decimals"]),
                feed=a["feed"],
                iv_feed=a.get("iv_feed"),
                pair=a.get("pair"),
                route=tuple((str(p), str(t)) for p, t in a.get("route") or ()),
            )
            for s, a in raw["assets"].items()
        }
        known = {"network", "chain_id", "block", "deployer", "config", "base", "assets", "uniswap"}
        return WorldDeployment(
            network=raw["network"],
            chain_id=int(raw["chain_id"]),
            block=int(raw["block"]),
            deployer=raw["deployer"],
            config=raw["config"],
            base=raw["base"],
            assets=assets,
            factory=raw["uniswap"]["factory"],
            router=raw["uniswap"]["router"],
            weth=raw["uniswap"]["weth"],
            fee_bps=int(raw["uniswap"]["fee_bps"]),
            extra={k: v for k, v in raw.items() if k not in known},
        )
    except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path} is not a valid deployment file ({exc!r}): redeploy the world") from exc
