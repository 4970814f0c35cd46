#!/usr/bin/env bash
# One-command, idempotent setup: Python venv, JS toolchain, compiler adapter, brownie fix-up.
# Everything lands inside the repository except brownie's own ~/.brownie folder, which it insists on.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
SOLC_VERSION="0.8.24"
STAMP=".venv/.rp-setup-stamp"

die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

command -v python3 >/dev/null || die "python3 is missing: install Python 3.10+ (Debian: apt-get install python3 python3-venv)"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
  || die "python3 is $(python3 --version 2>&1); 3.10 or newer is needed"
command -v node >/dev/null || die "node is missing: install Node.js 18+ (Debian: apt-get install nodejs npm)"
command -v npm >/dev/null || die "npm is missing: install it (Debian: apt-get install npm)"
node -e 'process.exit(parseInt(process.versions.node) < 18 ? 1 : 0)' \
  || die "node is $(node --version); 18 or newer is needed"

want=$(cat pyproject.toml constraints.txt package-lock.json tools/setup.sh | sha256sum | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x node_modules/.bin/anvil ] \
   && [ -x ".solcx/solc-v$SOLC_VERSION" ]; then
  exit 0
fi
# Each part reinstalls only when its own lock changed (npm ci wipes node_modules, which running chains use).
py_want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
js_want=$(sha256sum package-lock.json | cut -d' ' -f1)

if [ "$(cat .venv/.rp-py-stamp 2>/dev/null)" != "$py_want" ]; then
  echo "setup: Python environment (.venv)"
  [ -x .venv/bin/python ] || python3 -m venv .venv || die "could not create .venv (Debian: apt-get install python3-venv)"
  .venv/bin/python -m pip install --disable-pip-version-check -c constraints.txt -e '.[dev]' >.venv/pip.log 2>&1 || {
    tail -30 .venv/pip.log >&2
    die "pip install failed (log: .venv/pip.log): check that PyPI is reachable, then rerun 'make setup'"
  }
  echo "$py_want" > .venv/.rp-py-stamp
fi

if [ "$(cat node_modules/.rp-js-stamp 2>/dev/null)" != "$js_want" ] || [ ! -x node_modules/.bin/anvil ]; then
  echo "setup: JS toolchain (npm ci: solc, anvil, ganache, OpenZeppelin, Uniswap V2, Aave V3)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null \
    || die "npm ci failed: check that the npm registry is reachable, then rerun 'make setup'"
  echo "$js_want" > node_modules/.rp-js-stamp
fi

# The dashboard's browser test drives Debian's Chromium through its chromedriver (tests/helpers/browser.py). Both
# come from apt where it is usable (root); anywhere else that one test skips, saying so, and setup goes on.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: Chromium and chromedriver (apt-get, for the dashboard's browser test)"
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium \
        chromium-driver; } >.venv/apt.log 2>&1 \
      || echo "setup: apt-get could not install chromium (log: .venv/apt.log): the dashboard's browser test will skip" >&2
  else
    echo "setup: no chromium/chromedriver and apt-get is not usable here: the dashboard's browser test will skip" \
      "(Debian: sudo apt-get install chromium chromium-driver)" >&2
  fi
fi

# brownie 1.22.2 ships brownie/test/stateful compiled with mypyc; its state_machine then fails with a TypeError.
# Removing the compiled module makes Python import the pure stateful.py that ships beside it.
site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
rm -f "$site"/brownie/test/stateful.cpython-*.so

# py-solc-x only drives a native solc binary, and none can be downloaded here: register the adapter over npm's
# solc-js under the name py-solc-x looks for, in a folder inside the repo.
mkdir -p .solcx
ln -sfn ../tools/solc-adapter.js ".solcx/solc-v$SOLC_VERSION"
chmod +x tools/solc-adapter.js

# Anything run with this venv's Python (brownie, pytest, rp-keeper) finds the adapter and the npm binaries
# (anvil, ganache-cli) without the caller exporting anything.
# tools/bin comes first: its anvil wrapper adds the project's flags (see tools/bin/anvil).
# The plain "$ROOT" line puts the repository root at the end of sys.path, so the development-only packages beside
# the keeper (devworld, scripts) import from any folder. pip installs only keeper (the editable install maps that
# one package to $ROOT/keeper; the root on sys.path finds the same folder first).
cat > "$site/_rp_env.pth" <<PTH
$ROOT
import os; os.environ.setdefault("SOLCX_BINARY_PATH", "$ROOT/.solcx"); os.environ["PATH"] = "$ROOT/tools/bin" + os.pathsep + "$ROOT/node_modules/.bin" + os.pathsep + os.environ.get("PATH", "") if "$ROOT/tools/bin" not in os.environ.get("PATH", "") else os.environ["PATH"]
PTH

.venv/bin/python -c 'import solcx; v = solcx.get_installed_solc_versions(); assert v, "no solc registered"' \
  || die "the solc adapter is not visible to py-solc-x"
(cd / && "$ROOT/.venv/bin/python" -c 'import devworld, keeper') \
  || die "devworld or keeper does not import from outside the repository (see $site/_rp_env.pth)"
echo "$want" > "$STAMP"
echo "setup: done"
