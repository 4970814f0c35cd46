"""Off-chain keeper of the risk parity vault: risk engine, policy, planner, chain access, daemon and simulator.

The keeper never imports brownie; ``keeper.chain`` is its only module that talks to a node.
"""

from __future__ import annotations

__version__ = "0.1.0"
