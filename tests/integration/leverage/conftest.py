"""Fixtures for the vault levered on the world's Aave V3 market: the world (with Aave) and the vault are deployed
once per module; ``fn_isolation`` undoes each test. Defined once in tests/helpers/lending_fixtures.py
(tests/unit/lending uses the same)."""

from __future__ import annotations

from tests.helpers.lending_fixtures import (  # noqa: F401  (imported fixtures are registered for this folder)
    isolation,
    lending,
    levered_deployment,
    seeded,
    vault,
    world,
)
