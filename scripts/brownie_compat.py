"""A fix for a race between brownie 1.22.2 and anvil, applied on import (by scripts.world, which every brownie
entry point and the tests import).

brownie decides a transaction was "dropped without known replacement" when the sender's nonce has moved past it
but its receipt is not there yet. anvil mines a block before its receipts can be queried, so under load a
transaction that was mined is declared dropped (seen as random failures of tests that send heavy transactions).
Before brownie's own wait runs, this waits (up to 10 s) for the receipt whenever the nonce says it was mined.
"""

from __future__ import annotations

import time

from brownie.network.transaction import TransactionReceipt
from brownie.network.web3 import web3
from hexbytes import HexBytes
from web3.exceptions import TransactionNotFound

_GRACE_S = 10.0
_original = TransactionReceipt._await_confirmation


def _receipt_settled(tx: TransactionReceipt) -> None:
    if tx.nonce is None:
        return
    deadline = time.monotonic() + _GRACE_S
    while time.monotonic() < deadline:
        try:
            if web3.eth.get_transaction_receipt(HexBytes(tx.txid)) is not None:
                return
        except TransactionNotFound:
            pass
        if web3.eth.get_transaction_count(str(tx.sender)) <= tx.nonce:
            return  # still pending: brownie's own wait handles it
        time.sleep(0.02)


def _await_confirmation(self: TransactionReceipt, *args, **kwargs):  # type: ignore[no-untyped-def]
    _receipt_settled(self)
    return _original(self, *args, **kwargs)


if not getattr(TransactionReceipt, "_rp_receipt_race_fixed", False):
    TransactionReceipt._await_confirmation = _await_confirmation  # type: ignore[method-assign]
    TransactionReceipt._rp_receipt_race_fixed = True  # type: ignore[attr-defined]
