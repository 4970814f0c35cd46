"""What `make demo` shows: the demo's progress lines and summary on the terminal; brownie's transaction blocks, the
chain it launches and Python's warnings in the run folder's brownie.log (tools/run_script.py --silent)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import warnings
from pathlib import Path

from scripts import brownie_log

ROOT = Path(__file__).resolve().parents[2]
BROWNIE_BLOCK = ("Transaction sent", " confirmed ", "Gas used", "Gas limit", "deployed at", "Launching 'anvil")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_brownie_log__writes_from_brownie_modules__go_to_the_log_not_the_terminal(tmp_path, capsys):
    path = tmp_path / "run" / "brownie.log"
    # Code run as a brownie module, as its transaction printing is (colours and carriage returns included).
    brownie_code = "print('\\rTransaction sent: \\x1b[0;1;34m0xabc\\x1b[0;m')\nprint('  Vault.deposit confirmed')"
    brownie_log.install()  # here, not in a fixture: capsys puts its own stdout back between setup and the test
    try:
        exec(compile(brownie_code, "brownie/network/account.py", "exec"), {"__name__": "brownie.network.account"})
        print("   day  10  calm  NAV $1,000,000")
        warnings.warn("a library's deprecation", UserWarning, stacklevel=1)
        assert brownie_log.attach(path) == path
        exec(compile("print('  Vault.redeem confirmed')", "brownie/x.py", "exec"), {"__name__": "brownie.network.x"})
    finally:
        assert brownie_log.uninstall() == path

    assert capsys.readouterr().out == "   day  10  calm  NAV $1,000,000\n"
    log = path.read_text()
    assert log.splitlines()[:2] == ["Transaction sent: 0xabc", "  Vault.deposit confirmed"]
    assert "UserWarning: a library's deprecation" in log
    assert log.endswith("  Vault.redeem confirmed\n")


def test_brownie_log__script_names_no_file__default_log_keeps_the_output(tmp_path, capsys):
    default, named = tmp_path / "logs" / "world.brownie.log", tmp_path / "named.log"
    brownie_log.install()
    try:
        exec(compile("print('  World.deploy confirmed')", "brownie/x.py", "exec"), {"__name__": "brownie.network.x"})
        assert brownie_log.attach_default(default) == default
        assert brownie_log.attach_default(named) is None  # a file is already named: no second one
    finally:
        assert brownie_log.uninstall() == default
    assert capsys.readouterr().out == ""
    assert default.read_text() == "  World.deploy confirmed\n" and not named.exists()


def test_brownie_log__not_installed__attach_does_nothing(tmp_path):
    assert brownie_log.attach(tmp_path / "brownie.log") is None
    assert not (tmp_path / "brownie.log").exists()


def test_make_demo__silent__terminal_shows_the_demo_lines_brownie_output_in_the_run_log(tmp_path):
    """A one-day demo, as `make demo` runs it (--silent --own-chain), on a chain of its own on a free port."""
    out_dir = tmp_path / "run"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEMO_", "WORLD_"))}
    env.update(DEMO_DAYS="1", DEMO_OUT=str(out_dir))
    cmd = [sys.executable, "tools/run_script.py", "scripts/demo.py", "--network", "anvil", "--silent", "--own-chain"]

    out = subprocess.run([*cmd, "--port", str(port)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)

    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    terminal = out.stdout.splitlines()
    assert terminal[0].startswith("== World and vault on 'anvil'")
    assert any(line.startswith("   day   1 ") for line in terminal)
    assert any(line.startswith("== Wrote ") for line in terminal)
    assert terminal[-1] == f"   brownie's transactions and warnings: {out_dir / 'brownie.log'}"
    assert not [line for line in terminal if any(b in line for b in BROWNIE_BLOCK)]
    assert "Warning:" not in out.stdout + out.stderr
    log = (out_dir / "brownie.log").read_text()
    assert f"Launching 'anvil --quiet --port {port}" in log
    sent = log.count("Transaction sent: 0x")
    assert sent > 50 and log.count(" confirmed ") == sent and log.count("Gas used: ") == sent
    assert "FutureWarning" in log  # brownie's own deprecation warning, raised when it launches the chain
    assert "\x1b[" not in log and "\r" not in log
