"""A short demo against real state: the vault that ``scripts/deploy_book.py`` put on a fork, three users funded by
impersonating a holder named in the address book, one keeper tick, then every exit.

    .venv/bin/python tools/run_script.py scripts/fork_demo.py --network anvil-fork   # after deploy_book.py
    make fork-demo FORK_URL=<rpc>                                                     # fork + deploy + this

The holder is impersonated (anvil: ``anvil_impersonateAccount``; Ganache: ``evm_addAccount`` and
``personal_unlockAccount``, its way of unlocking an account it has no key for) and given ether for gas. Alice,
bob and carol deposit; the keeper runs one tick (``Keeper.tick``, with the keeper config deploy_book.py wrote);
after the share lock, alice leaves through ``redeemWithSwap``, carol through ``redeem`` (then ``redeemWithSwap``
for what idle cash did not cover) and bob through ``redeemInKind``. Writes ``report.json`` under ``FORK_DEMO_OUT``
(default ``out/fork-demo``).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from brownie import Contract, accounts, network, web3  # type: ignore[attr-defined]
from eth_account import Account

from keeper.artifacts import ROOT, abi
from keeper.config import load_keeper_config
from keeper.daemon import Keeper
from keeper.deployments import deployment_path, load_deployment
from keeper.errors import ConfigError
from scripts.address_book import load_book
from scripts.deploy_vault import vault_at

MNEMONIC = "test test test test test test test test test test test junk"
USERS = {"alice": (5, 100_000), "bob": (6, 50_000), "carol": (7, 25_000)}
"""name -> (account index, deposit in whole base units)."""
GAS_ETHER = 10 * 10**18


def _key(index: int) -> str:
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}").key.to_0x_hex()


def _rpc(method: str, params: list[Any]) -> Any:
    resp = web3.provider.make_request(method, params)
    if "error" in resp:
        raise ConfigError(f"{method} failed on '{network.show_active()}': {resp['error']}")
    return resp.get("result")


def impersonate(address: str) -> None:
    """Let the node sign for ``address`` (no key) and give it ether for gas."""
    if "anvil" in web3.client_version.lower():
        _rpc("anvil_impersonateAccount", [address])
        _rpc("anvil_setBalance", [address, hex(GAS_ETHER)])
    else:  # Ganache 7: add the address to its personal namespace, unlock it
        _rpc("evm_addAccount", [address, ""])
        _rpc("personal_unlockAccount", [address, "", 0])
        _rpc("evm_setAccountBalance", [address, hex(GAS_ETHER)])


def fund_from_holder(token: Any, holder: str, to: str, amount: int) -> None:
    data = token.transfer.encode_input(to, amount)
    tx = web3.eth.send_transaction({"from": holder, "to": token.address, "data": data, "gasPrice": web3.eth.gas_price})
    if web3.eth.wait_for_transaction_receipt(tx)["status"] != 1:
        raise ConfigError(f"the holder {holder} could not transfer {amount} raw units of {token.address}")


class _Notes(logging.Handler):
    """Keeps the keeper engine's log lines for the report."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _increase_time(seconds: int) -> None:
    _rpc("evm_increaseTime", [seconds])
    _rpc("evm_mine", [])


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    notes = _Notes()
    engine_log = logging.getLogger("keeper.engine")  # the tick's decision and the planner's notes
    engine_log.setLevel(logging.INFO)
    engine_log.addHandler(notes)
    net = network.show_active()
    out = Path(os.environ.get("FORK_DEMO_OUT", ROOT / "out" / "fork-demo"))
    out.mkdir(parents=True, exist_ok=True)
    dep = load_deployment(net)
    if "book" not in dep.extra or "vault" not in dep.extra:
        raise ConfigError(f"{deployment_path(net)} has no vault deployed from a book: run scripts/deploy_book.py")
    book = load_book(dep.extra["book"])
    holder = book.holders.get(book.base)
    if holder is None:
        raise ConfigError(f"{book.path}: holders.{book.base} is needed to fund the demo's users on a fork")
    vault = vault_at(dep.extra["vault"]["address"])
    base = Contract.from_abi(book.base, book.base_asset.token, abi("WorldToken"))
    unit = 10**book.base_asset.decimals
    print(f"== Fork demo on '{net}': vault {vault.address}, users funded by {holder} (impersonated)")

    impersonate(holder)
    users: dict[str, dict[str, Any]] = {}
    for name, (index, whole) in USERS.items():
        account = accounts[index]
        amount = whole * unit
        fund_from_holder(base, holder, account.address, amount)
        base.approve(vault, amount, {"from": account})
        vault.deposit(amount, account, {"from": account})
        users[name] = {"account": account, "deposited": amount, "withdrawn": 0, "paths": [], "in_kind": {}}
        print(f"   {name} deposited {whole:,} {book.base}")

    os.environ.setdefault("KEEPER_PRIVATE_KEY", _key(3))
    keeper_cfg = load_keeper_config(deployment_path(net).with_name(f"{net}.keeper.yaml"))
    keeper = Keeper(keeper_cfg)
    keeper.check()
    result = keeper.tick()
    proposal = result.proposal
    tick = {
        "action": str(proposal.action) if proposal else None,
        "reason": proposal.text if proposal else None,
        "trades": len(proposal.trades) if proposal else 0,
        "target_bps": list(proposal.target_bps or []) if proposal else [],
        "notes": notes.lines,
        "history": {
            a.token: {
                "rounds": len(a.history.round_ids),
                "first": a.history.updated_at[:1],
                "now": result.state.timestamp,
            }
            for a in (result.state.assets if result.state else ())
        },
        "tx": result.outcome.tx_hash if result.outcome else None,
        "gas_used": result.outcome.gas_used if result.outcome else 0,
    }
    held = {s: Contract.from_abi(s, a.token, abi("WorldToken")).balanceOf(vault) for s, a in book.assets.items()}
    print(f"   keeper tick: {tick['action']} ({tick['reason']}), {tick['trades']} trades; vault holds {held}")
    for line in notes.lines:
        print(f"     {line}")

    _increase_time(int(vault.protectionParams()[1]) + 1)
    deadline = int(web3.eth.get_block("latest")["timestamp"]) + 3600

    def swap_exit(name: str) -> None:
        account = users[name]["account"]
        shares = vault.balanceOf(account)
        before = base.balanceOf(account)
        vault.redeemWithSwap(shares, account, account, 0, deadline, {"from": account})
        users[name]["withdrawn"] += base.balanceOf(account) - before
        users[name]["paths"].append("redeemWithSwap")

    swap_exit("alice")
    carol = users["carol"]["account"]
    plain = vault.maxRedeem(carol)
    if plain:
        before = base.balanceOf(carol)
        vault.redeem(plain, carol, carol, {"from": carol})
        users["carol"]["withdrawn"] += base.balanceOf(carol) - before
        users["carol"]["paths"].append("redeem")
    if vault.balanceOf(carol):
        swap_exit("carol")
    bob = users["bob"]["account"]
    tokens = {s: Contract.from_abi(s, a.token, abi("WorldToken")) for s, a in book.assets.items()}
    before_kind = {s: t.balanceOf(bob) for s, t in tokens.items()}
    vault.redeemInKind(vault.balanceOf(bob), bob, bob, {"from": bob})
    users["bob"]["in_kind"] = {s: t.balanceOf(bob) - before_kind[s] for s, t in tokens.items()}
    users["bob"]["withdrawn"] = users["bob"]["in_kind"][book.base]
    users["bob"]["paths"].append("redeemInKind")

    report = {
        "network": net,
        "chain_id": web3.eth.chain_id,
        "book": book.path,
        "vault": vault.address,
        "holder": holder,
        "tick": tick,
        "held_after_tick": held,
        "routes": {a.symbol: list(a.route) for a in book.risky if a.route},
        "total_supply_after": vault.totalSupply(),
        # The holder fees' shares (config/vault.yaml's `fees:`) stay with their recipient after the users leave.
        "fee_recipient_shares_after": vault.balanceOf(vault.feeState()[0]),
        "users": {
            n: {k: v for k, v in u.items() if k != "account"} | {"address": u["account"].address}
            for n, u in users.items()
        },
    }
    (out / "report.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    for name, u in users.items():
        print(
            f"   {name}: in {u['deposited'] / unit:,.2f} out {u['withdrawn'] / unit:,.2f} {book.base} via {u['paths']}"
        )
    print(f"== Wrote {out / 'report.json'}")
