"""Test helpers shared across tests/ folders: ``vault`` (revert matching, feed refreshes, the small odd-token
world, a trade planner), ``leverage`` (the world with Aave V3, a levered vault, lending-action plans) and
``lending_fixtures`` (the fixtures of the levered vault, used by tests/unit/lending and tests/integration/leverage).
"""
