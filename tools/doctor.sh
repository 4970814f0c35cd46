#!/usr/bin/env bash
# Prints the toolchain's versions and, for each missing piece, the command that fixes it. Exit 1 if any is missing.
set -u
cd "$(dirname "$0")/.."
missing=0
row() { printf '  %-9s %s\n' "$1" "$2"; }
miss() { row "$1" "MISSING -> $2"; missing=1; }

echo "toolchain:"
if command -v python3 >/dev/null; then row python "$(python3 --version 2>&1)"; else miss python "apt-get install python3 python3-venv"; fi
if [ -x .venv/bin/python ]; then
  row venv "$(.venv/bin/python --version 2>&1) in .venv"
  b=$(.venv/bin/python -c 'from importlib.metadata import version as v; print(v("eth-brownie"))' 2>/dev/null) \
    && row brownie "$b" || miss brownie "make setup"
  w=$(.venv/bin/python -c 'from importlib.metadata import version as v; print(v("web3"))' 2>/dev/null) \
    && row web3 "$w" || miss web3 "make setup"
  s=$(.venv/bin/python -c 'import solcx; print(", ".join(str(x) for x in solcx.get_installed_solc_versions()) or "none")' 2>/dev/null)
  if [ -n "$s" ] && [ "$s" != none ]; then row solc "$s (npm solc-js behind tools/solc-adapter.js)"; else miss solc "make setup (registers the solc-js adapter)"; fi
  ls .venv/lib/python3*/site-packages/brownie/test/stateful.cpython-*.so >/dev/null 2>&1 \
    && miss stateful "make setup (removes brownie's mypyc-compiled stateful module)"
else
  miss venv "make setup"
fi
if command -v node >/dev/null; then row node "$(node --version)"; else miss node "apt-get install nodejs npm"; fi
if [ -x node_modules/.bin/anvil ]; then row anvil "$(node_modules/.bin/anvil --version | head -1)"; else miss anvil "make setup (npm ci installs @foundry-rs/anvil-linux-amd64)"; fi
if [ -x node_modules/.bin/ganache ]; then row ganache "$(node_modules/.bin/ganache --version 2>/dev/null | head -1)"; else miss ganache "make setup (npm ci installs ganache 7.9.2)"; fi
if [ "$missing" = 0 ]; then echo "all present"; else echo "some pieces are missing: run the commands above"; fi
exit "$missing"
