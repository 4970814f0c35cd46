"""Unit-test fixtures for the lending side: the world with its Aave V3 market (the adapter needs real reserves) and
a levered vault on it, once per module; ``fn_isolation`` undoes each test. Defined once in
tests/helpers/lending_fixtures.py (tests/integration/leverage uses the same)."""

from __future__ import annotations

from tests.helpers.lending_fixtures import (  # noqa: F401  (imported fixtures are registered for this folder)
    isolation,
    lending,
    levered_deployment,
    seeded,
    vault,
    world,
)
