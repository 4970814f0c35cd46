"""The keeper's exception tree: every error a person can act on derives from ``KeeperError``."""

from __future__ import annotations


class KeeperError(Exception):
    """Base of every error the keeper raises on purpose; the message says what is wrong and what to do."""


class ConfigError(KeeperError):
    """A config file or field is missing or invalid."""


class ToolchainError(KeeperError):
    """A tool the project needs (anvil, ganache, solc adapter) is missing or broken."""


class NodeUnreachableError(KeeperError):
    """No JSON-RPC node answered at the given URL."""
