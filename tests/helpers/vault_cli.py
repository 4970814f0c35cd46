"""Running ``rp-vault`` in process against the test chain, and reading its one-line refusals."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from brownie import web3  # type: ignore[attr-defined]

from keeper.vault_cli import main

CliResult = tuple[int, str, str]
"""(exit code, stdout, stderr)."""


def cli_runner(
    capsys: pytest.CaptureFixture[str], deployment_path: str, default_account: int | None
) -> Callable[..., CliResult]:
    """``run("deposit", "1000", account=6)``: the CLI on the test chain, signing as dev account ``account``
    (``None``: no key flag), with the test's deployment file unless ``--deployment`` is given."""

    def run(*argv: str, account: int | None = default_account) -> CliResult:
        capsys.readouterr()
        args = [*argv, "--rpc-url", web3.provider.endpoint_uri]
        if "--deployment" not in argv:
            args += ["--deployment", deployment_path]
        if account is not None:
            args += ["--dev-account", str(account)]
        code = main(args)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def refusal(result: CliResult, code: int = 1) -> str:
    """The one line a refusal (exit code 1) or bad input (2) prints; fails on another exit code, on more than one
    line, or on a traceback."""
    exit_code, _, err = result
    assert exit_code == code, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]
