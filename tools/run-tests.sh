#!/usr/bin/env bash
# The test suite: everything on anvil (the default chain), then the node-dependent integration tests again on
# Ganache 7.9.2.
# Prints one combined closing line at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
# brownie attaches to a chain already on its network's port (`make world`, a demo) instead of launching its own:
# the tests would run on that chain's state and change it. Refuse before anything starts.
.venv/bin/python -m devworld.devnet check-ports anvil ganache-cli --doing "make test" || exit 2
mkdir -p reports
rm -f reports/junit-*.xml
BROWNIE=.venv/bin/brownie
status=0

run() {  # run <name> <network> <paths...>
  local name=$1 net=$2; shift 2
  echo "== tests on $net: $*"
  "$BROWNIE" test "$@" --network "$net" --junitxml "reports/junit-$name.xml" -p no:cacheprovider
  local rc=$?
  # pytest's 5 means "no tests collected": a selection that is empty on purpose is not a failure.
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ]; then status=1; fi
}

run anvil anvil tests
# Ganache runs what can differ between nodes: deploying the world and Aave, forking, impersonation, time travel,
# the simulator's feeds and pools, governance's clock, and one path each through the vault's and the levered
# vault's user flows. The vault's attack, limit, fee and ripcord tests run the same contract code on anvil.
run ganache ganache-cli \
  tests/integration/world tests/integration/aave tests/integration/book tests/integration/governance \
  tests/integration/vault/test_vault_world_deploy.py tests/integration/vault/test_vault_world_flows.py \
  tests/integration/leverage/test_leverage_flows.py

.venv/bin/python - <<'PY'
import glob
import xml.etree.ElementTree as ET

totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
for path in sorted(glob.glob("reports/junit-*.xml")):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    for s in suites:
        for k in totals:
            totals[k] += int(s.get(k, 0))
failed = totals["failures"] + totals["errors"]
passed = totals["tests"] - failed - totals["skipped"]
print(f"tests: {passed} passed, {failed} failed, {totals['skipped']} skipped")
PY
exit $status
