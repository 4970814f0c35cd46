"""brownie's own output to a log file, the script's own lines to the terminal (``tools/run_script.py --silent``).

brownie 1.22 prints a block for every transaction (sent, gas, confirmed, deployed at), the chain it launches and
stops, and its deprecation warnings. Its ``--silent`` switch does not reach contract calls and deployments:
``ContractTx.transact`` and ``ContractConstructor.__call__`` take ``silent: bool = False`` and hand that False on to
``Account.transfer``/``deploy``, whose fallback to ``CONFIG.argv["silent"]`` only applies to None. So the blocks
are told apart by who writes them: a write made with a brownie module on the call stack goes to the log, any other
write to the terminal (brownie's own switch stays off, so plain transfers are logged too). Python warnings
(brownie's, web3's) go to the log as well.

Until the script names its file (:func:`attach`, once it knows its run folder) brownie's output is held in memory;
a script that names none gets ``out/logs/<script>.brownie.log`` from ``tools/run_script.py`` (:func:`attach_default`).
"""

from __future__ import annotations

import io
import re
import sys
import warnings
from pathlib import Path
from types import FrameType
from typing import TextIO

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class _Sink:
    """brownie's text without colours; its carriage returns (spinners, "\\rTransaction sent") become line ends."""

    def __init__(self) -> None:
        self.held: list[str] = []
        self.file: TextIO | None = None
        self.path: Path | None = None
        self._line_start = True

    def write(self, text: str) -> None:
        text = _ANSI.sub("", text)
        out = []
        for part in re.split(r"(\r|\n)", text):
            if part == "\r":
                if not self._line_start:
                    out.append("\n")
                    self._line_start = True
            elif part:
                out.append(part)
                self._line_start = part == "\n"
        if out:
            (self.file.write if self.file else self.held.append)("".join(out))

    def attach(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file = path.open("w", encoding="utf-8")
        self.path = path
        self.file.write("".join(self.held))
        self.file.flush()
        self.held.clear()

    def flush(self) -> None:
        if self.file:
            self.file.flush()

    def close(self) -> None:
        if self.file:
            self.file.close()
            self.file = None


def _from_brownie(frame: FrameType | None) -> bool:
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module == "brownie" or module.startswith("brownie."):
            return True
        frame = frame.f_back
    return False


class _Router(io.TextIOBase):
    """sys.stdout: brownie's writes (from the main thread or its confirmation threads) to the sink."""

    def __init__(self, terminal: TextIO, sink: _Sink) -> None:
        self.terminal = terminal
        self.sink = sink

    def write(self, text: str) -> int:
        if _from_brownie(sys._getframe(1)):
            self.sink.write(text)
        else:
            self.terminal.write(text)
        return len(text)

    def flush(self) -> None:
        self.terminal.flush()
        self.sink.flush()

    def isatty(self) -> bool:
        return self.terminal.isatty()

    def fileno(self) -> int:
        return self.terminal.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.terminal.encoding


_sink: _Sink | None = None
_saved: tuple[TextIO, object] | None = None


def install() -> None:
    """Route brownie's output and every Python warning away from the terminal (held until :func:`attach`)."""
    global _sink, _saved
    if _sink is not None:
        return
    _sink = _Sink()
    _saved = (sys.stdout, warnings.showwarning)
    sys.stdout = _Router(sys.stdout, _sink)
    sink = _sink

    def show(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
        sink.write(warnings.formatwarning(message, category, filename, lineno, line))

    warnings.showwarning = show


def attach(path: str | Path) -> Path | None:
    """Write brownie's output so far, and from now on, to ``path``. Does nothing unless :func:`install` ran (the
    script was started without ``--silent``: brownie prints to the terminal as usual)."""
    if _sink is None:
        return None
    _sink.attach(Path(path))
    return _sink.path


def attach_default(path: str | Path) -> Path | None:
    """:func:`attach` unless the script already named its file: brownie's output is never dropped."""
    if _sink is None or _sink.path is not None:
        return None
    return attach(path)


def uninstall() -> Path | None:
    """Put the terminal and warnings back; returns the log file, if the script named one."""
    global _sink, _saved
    if _sink is None or _saved is None:
        return None
    sys.stdout, warnings.showwarning = _saved  # type: ignore[assignment]
    path = _sink.path
    _sink.close()
    _sink, _saved = None, None
    return path
