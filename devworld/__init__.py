"""The local development world, beside the keeper but not part of it: ``devnet`` (start anvil or Ganache, deploy
the world with brownie), ``sim`` (the market simulator: prices, feed reporting, arbitrage) and ``backtest`` (the
keeper's backtest over a simulated price path).

Nothing here ships with ``pip install`` of the keeper (``pyproject.toml`` packages ``keeper*`` only) and the keeper
never imports this package. It imports from the repository root: ``make setup`` puts the root on the venv's
``sys.path`` (``_rp_env.pth``), so ``python -m devworld.devnet`` works from any folder.
"""
