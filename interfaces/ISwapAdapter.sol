// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title ISwapAdapter
/// @notice One DEX behind one interface. An adapter serves exactly one vault, holds no funds between calls, and
///         never decides prices: the vault sends `amountIn` first, then calls `swapExactIn`, and checks what it
///         received itself (the adapter's return value is informational).
interface ISwapAdapter {
    /// @notice The only address allowed to call `swapExactIn`.
    function vault() external view returns (address);

    /// @notice Sell exactly the `tokenIn` the vault has just transferred to this adapter.
    /// @param tokenIn Token sold; the vault has already transferred `amountIn` of it to the adapter.
    /// @param tokenOut Token bought.
    /// @param amountIn Amount of `tokenIn`, in its own units.
    /// @param minAmountOut Minimum `tokenOut`, in its own units, passed to the DEX (reverts below it).
    /// @param recipient Receiver of `tokenOut`.
    /// @param deadline Unix seconds, passed to the DEX.
    /// @return amountOut `tokenOut` sent to `recipient`, in its own units, as reported by the DEX.
    function swapExactIn(
        address tokenIn,
        address tokenOut,
        uint256 amountIn,
        uint256 minAmountOut,
        address recipient,
        uint256 deadline
    ) external returns (uint256 amountOut);

    /// @notice What `swapExactIn` would return now, before any other trade in the block.
    /// @return amountOut In `tokenOut` units; zero when the pool cannot produce any output.
    function quoteExactIn(address tokenIn, address tokenOut, uint256 amountIn)
        external
        view
        returns (uint256 amountOut);
}
