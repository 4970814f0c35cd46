// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @notice The subset of a Uniswap V2 pair that the project reads.
interface IUniswapV2Pair {
    function token0() external view returns (address);

    function token1() external view returns (address);

    /// @return reserve0 Reserve of token0 in its own units.
    /// @return reserve1 Reserve of token1 in its own units.
    /// @return blockTimestampLast Time of the last reserve update.
    function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);

    /// @notice Sum over time of token1/token0 (UQ112x112 per second) up to `blockTimestampLast`; wraps on overflow.
    function price0CumulativeLast() external view returns (uint256);

    /// @notice Sum over time of token0/token1 (UQ112x112 per second) up to `blockTimestampLast`; wraps on overflow.
    function price1CumulativeLast() external view returns (uint256);
}
