"""Market simulator for the local world: correlated prices with regimes, Chainlink-style reporting, arbitrage.

Pure parts (``config``, ``market``, ``reporting``, ``arbitrage``) are numpy and integers; ``runner`` is the only
part that talks to a node, as the market's participants (the feeds' reporter and an arbitrageur), never as the
keeper.
"""
