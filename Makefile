# The two commands a new user needs: `make demo` (the main job) and `make test`. Both set up on first use.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
BROWNIE := $(VENV)/bin/brownie
STAMP := $(VENV)/.rp-setup-stamp
NETWORK ?= anvil

.PHONY: setup doctor test test-deep test-fast demo world market fork-world fork-vault fork-demo lint clean

$(STAMP): pyproject.toml constraints.txt package-lock.json tools/setup.sh tools/solc-adapter.js
	@bash tools/setup.sh

setup:
	@bash tools/setup.sh

doctor:
	@bash tools/doctor.sh

# Unit, keeper and integration tests on anvil, then the integration tests again on Ganache.
test: $(STAMP)
	@bash tools/run-tests.sh

# The stateful vault model at depth (500 examples x 50 steps; `make test` runs 50 x 20). Takes a while.
test-deep: $(STAMP)
	@RP_STATEFUL_EXAMPLES=500 RP_STATEFUL_STEPS=50 $(BROWNIE) test tests/stateful --network $(NETWORK)

# tools/run_script.py is `brownie run` that also works under a folder with a dot in its name.
demo: $(STAMP)
	@$(PY) tools/run_script.py scripts/demo.py --network $(NETWORK) --silent --own-chain

# Deploy the world on a local chain started by the project and leave it running (Ctrl-C stops it).
world: $(STAMP)
	@$(PY) -m devworld.devnet serve --chain $(if $(filter ganache-cli,$(NETWORK)),ganache,anvil) --deploy-world

# Keep a running world's market alive (in a second terminal after `make world`): prices move, feeds publish by the
# Chainlink rule, pools get arbitraged. SPEED is simulated seconds per second (60: an hourly step a minute; 0: flat out).
SPEED ?= 60
market: $(STAMP)
	@$(PY) -m devworld.market --rpc http://127.0.0.1:$(if $(filter ganache-cli,$(NETWORK)),8546,8545) --deployment deployments/$(NETWORK).json --speed $(SPEED)

# Deploy the world onto a fork of FORK_URL (any JSON-RPC endpoint).
fork-world: $(STAMP)
	@test -n "$(FORK_URL)" || { echo "FORK_URL is not set: make fork-world FORK_URL=http://host:port"; exit 2; }
	@$(PY) -m devworld.devnet serve --chain $(if $(filter ganache-cli,$(NETWORK)),ganache,anvil) --fork-url "$(FORK_URL)" --deploy-world

# Deploy the vault (adapters, governance) onto a fork of FORK_URL from an address book, and keep the fork running.
BOOK ?= config/mainnet.yaml
fork-vault: $(STAMP)
	@test -n "$(FORK_URL)" || { echo "FORK_URL is not set: make fork-vault FORK_URL=http://host:port BOOK=$(BOOK)"; exit 2; }
	@$(PY) -m devworld.devnet serve --chain $(if $(filter ganache-cli,$(NETWORK)),ganache,anvil) --fork-url "$(FORK_URL)" --book "$(BOOK)"

# The same, then a short demo on it (users funded by impersonating the book's holder, deposit, one keeper tick,
# every exit); the fork stops afterwards.
fork-demo: $(STAMP)
	@test -n "$(FORK_URL)" || { echo "FORK_URL is not set: make fork-demo FORK_URL=http://host:port BOOK=$(BOOK)"; exit 2; }
	@$(PY) -m devworld.devnet serve --chain $(if $(filter ganache-cli,$(NETWORK)),ganache,anvil) --fork-url "$(FORK_URL)" --book "$(BOOK)" --fork-demo

# The gate CI runs before the tests: lint, formatting, and types (mypy strict on keeper/, see pyproject.toml).
lint: $(STAMP)
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy

clean:
	rm -rf build reports out .hypothesis .pytest_cache
