"""Off-chain keeper of the risk parity vault: risk engine, policy, planner, chain access and daemon.

The keeper never imports brownie; ``keeper.chain`` is its only module that talks to a node. The market simulator
and the local chains are development code beside this package, not part of it.
"""

from __future__ import annotations

import os

# Multi-threaded OpenBLAS on small matrices costs more in thread start-up than it saves, and on 2-core machines
# it produced 100x outliers in the solver's Cholesky factorizations. Must be set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
