// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IUniswapV2Pair} from "../../interfaces/IUniswapV2Pair.sol";

/// @title TwapReader
/// @notice Uniswap V2 cumulative prices, carried forward to the current block the way Uniswap's own oracle
///         library does, so two readings at different times give a time-weighted average price.
/// @dev Internal functions only. Prices are UQ112x112 (value x 2^112), in raw units of the two tokens.
library TwapReader {
    /// @notice The pair's cumulative price of `token` in the other token (raw units), as of this block.
    /// @param tokenIsToken0 Whether `token` is the pair's token0 (price0 = reserve1 / reserve0 is then its price).
    /// @return cumulative UQ112x112 seconds; wraps on overflow like the pair's own counters (differences are
    ///         taken unchecked).
    function cumulative(address pair, bool tokenIsToken0) internal view returns (uint256 cumulative) {
        IUniswapV2Pair p = IUniswapV2Pair(pair);
        cumulative = tokenIsToken0 ? p.price0CumulativeLast() : p.price1CumulativeLast();
        (uint112 reserve0, uint112 reserve1, uint32 updatedAt) = p.getReserves();
        uint32 nowSeconds = uint32(block.timestamp);
        if (updatedAt != nowSeconds && reserve0 != 0 && reserve1 != 0) {
            // Unchecked like the pair itself: the 32-bit clock and the counter are both meant to wrap.
            unchecked {
                uint256 price = tokenIsToken0
                    ? (uint256(reserve1) << 112) / reserve0
                    : (uint256(reserve0) << 112) / reserve1;
                cumulative += price * (nowSeconds - updatedAt);
            }
        }
    }

    /// @notice Average UQ112x112 price between two readings `elapsedSeconds` apart (> 0).
    function average(uint256 cumulativeThen, uint256 cumulativeNow, uint256 elapsedSeconds)
        internal
        pure
        returns (uint256)
    {
        unchecked {
            return (cumulativeNow - cumulativeThen) / elapsedSeconds;
        }
    }
}
