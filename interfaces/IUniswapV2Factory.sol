// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @notice The subset of Uniswap V2's factory that the project calls (deployed from @uniswap/v2-core).
interface IUniswapV2Factory {
    function getPair(address tokenA, address tokenB) external view returns (address pair);

    function createPair(address tokenA, address tokenB) external returns (address pair);
}
