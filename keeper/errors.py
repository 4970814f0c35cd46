"""The keeper's exception tree: every error a person can act on derives from ``KeeperError``."""

from __future__ import annotations

from eth_utils.crypto import keccak


class KeeperError(Exception):
    """Base of every error the keeper raises on purpose; the message says what is wrong and what to do."""


class ConfigError(KeeperError):
    """A config file or field is missing or invalid."""


class DataError(KeeperError):
    """An input data file (a price CSV for the backtest) cannot be read as it is; the message names the file, the
    row and the column, and says what to change."""


class ToolchainError(KeeperError):
    """A tool the project needs (anvil, ganache, solc adapter) is missing or broken."""


class NodeUnreachableError(KeeperError):
    """No JSON-RPC node answered at the given URL."""


# ---------------------------------------------------------------------------------------------------------------
# Risk engine (keeper.risk): raised on inputs a caller can fix, or on a solve that did not reach its tolerance.
# Input errors also derive from ValueError so generic numeric callers can catch them the usual way.
# ---------------------------------------------------------------------------------------------------------------


class ShapeMismatchError(KeeperError, ValueError):
    """Arrays given together do not have matching shapes (e.g. an (N, N) covariance with a budget of length M)."""


class InvalidBudgetError(KeeperError, ValueError):
    """A risk budget has an entry that is zero, negative or not finite."""


class ZeroVarianceAssetError(KeeperError, ValueError):
    """An asset has zero (or negative, or non-finite) variance, so its risk contribution cannot be set."""


class NotPositiveDefiniteError(KeeperError, ValueError):
    """A covariance matrix is not positive (semi-)definite; repair it with ``keeper.risk.repair_covariance``."""


class InsufficientDataError(KeeperError, ValueError):
    """Too few observations for an estimator (e.g. fewer than two returns for a covariance)."""


class SolverNotConvergedError(KeeperError):
    """The risk-budgeting solver stopped before the risk contributions matched the budget to the tolerance.

    Attributes
    ----------
    iterations : int
        Newton iterations performed.
    error : float
        Final max absolute gap between relative risk contributions and the budget.
    tol : float
        Tolerance that was asked for.
    """

    def __init__(self, message: str, *, iterations: int, error: float, tol: float) -> None:
        super().__init__(message)
        self.iterations = iterations
        self.error = error
        self.tol = tol


# ---------------------------------------------------------------------------------------------------------------
# Chain, transactions and the service
# ---------------------------------------------------------------------------------------------------------------


class StaleOracleError(KeeperError):
    """A feed's latest answer is older than its heartbeat, not positive, or outside its bounds: no trading on it."""


class SignerError(KeeperError):
    """The keeper's key could not be loaded (missing env var, bad keystore or password)."""


class SimulationRevertedError(KeeperError):
    """``eth_call`` of the transaction reverted; ``error_name`` is the contract's named error when decodable."""

    def __init__(self, message: str, error_name: str | None = None, args: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.error_name = error_name
        self.error_args = args


class GasPriceTooHighError(KeeperError):
    """The fee the transaction would pay is above the configured cap; nothing was sent."""


class TransactionStuckError(KeeperError):
    """A sent transaction was not mined after the allowed number of fee-bumped replacements."""


class TransactionRevertedError(KeeperError):
    """A transaction was mined but reverted; ``error_name`` is the decoded reason when the replay reproduced it."""

    def __init__(
        self,
        message: str,
        *,
        tx_hash: str | None = None,
        block: int | None = None,
        error_name: str | None = None,
        args: tuple[object, ...] = (),
    ) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash
        self.block = block
        self.error_name = error_name
        self.error_args = args


class NonceGapError(KeeperError):
    """The keeper's account has pending transactions this run did not send (another process using the key, or a
    transaction from before a restart): the keeper refuses to send another one behind them."""


class ReorgError(KeeperError):
    """A mined transaction left the canonical chain while the keeper waited for its confirmations."""

    def __init__(self, message: str, *, tx_hash: str | None = None, block: int | None = None) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash
        self.block = block


class ConfirmationTimeoutError(KeeperError):
    """A transaction was mined but the chain did not grow the configured confirmations on top of it in time."""


class InvariantBreachError(KeeperError):
    """Something that must never happen did (e.g. NAV fell more than the vault allows): the service stops at once."""


class VaultErrorName:
    """Names of the vault's custom errors the keeper acts on (as :class:`keeper.chain.ErrorDecoder` decodes them)."""

    WRONG_EPOCH = "RiskParityVaultWrongEpoch"
    """Another keeper rebalanced since the snapshot: skip this tick."""
    HEALTH_FACTOR_TOO_LOW = "RiskParityVaultHealthFactorTooLow"
    UNAUTHORIZED = "AccessControlUnauthorizedAccount"
    """The signer lacks the role the call needs."""


ROLE_NAMES = {
    "00" * 32: "DEFAULT_ADMIN_ROLE",
    **{
        keccak(text=name).hex().removeprefix("0x"): name
        for name in ("MANAGER_ROLE", "KEEPER_ROLE", "GUARDIAN_ROLE", "PROPOSER_ROLE", "EXECUTOR_ROLE", "CANCELLER_ROLE")
    },
}
"""The vault's and its timelock's roles by their bytes32 id (hex, no 0x)."""


def role_name(role: object) -> str:
    """A role id (bytes or hex) as its name (``KEEPER_ROLE``), or its hex when it is not one of the vault's."""
    text = role.hex() if isinstance(role, bytes | bytearray) else str(role)
    text = text.lower().removeprefix("0x")
    return ROLE_NAMES.get(text, "0x" + text)


def describe_revert(name: str | None, args: tuple[object, ...]) -> str:
    """A decoded revert as a sentence: the error's name, its arguments readable (bytes as hex, roles by name), and
    for the errors an operator can fix, what to do."""
    if name is None:
        return "reverted without a known error (no reason data)"
    if name == VaultErrorName.UNAUTHORIZED and len(args) == 2:
        account, role = args[0], role_name(args[1])
        return (
            f"{name}: {account} does not hold {role}: grant {role} to {account} through governance "
            f"(the vault's timelock calls grantRole({role}, {account}))"
        )
    shown = ", ".join("0x" + a.hex() if isinstance(a, bytes | bytearray) else str(a) for a in args)
    return f"{name}({shown})"


# ---------------------------------------------------------------------------------------------------------------
# The depositor's command line (rp-vault)
# ---------------------------------------------------------------------------------------------------------------


class UsageError(KeeperError):
    """A command-line input is invalid (an amount, a symbol, a flag that does not fit the chain); nothing ran."""


class RefusedError(KeeperError):
    """The vault (or a token) would revert the transaction: the simulation said so and nothing was sent. The
    message is the decoded error as a sentence saying what to do; ``error_name`` is the contract's error."""

    def __init__(self, message: str, error_name: str | None = None) -> None:
        super().__init__(message)
        self.error_name = error_name
