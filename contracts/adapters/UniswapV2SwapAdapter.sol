// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ISwapAdapter} from "../../interfaces/ISwapAdapter.sol";
import {IUniswapV2Router02} from "../../interfaces/IUniswapV2Router02.sol";

/// @title UniswapV2SwapAdapter
/// @notice Swaps for one RiskParityVault through the Uniswap V2 router, on the direct pair of the two tokens.
/// @dev Stateless between calls: the vault transfers the input first, the adapter approves the router for exactly
///      that amount, and the router pulls all of it, so no allowance and no balance outlive the call.
contract UniswapV2SwapAdapter is ISwapAdapter {
    using SafeERC20 for IERC20;

    error UniswapV2SwapAdapterOnlyVault(address caller, address vault);
    error UniswapV2SwapAdapterZeroAddress();

    /// @inheritdoc ISwapAdapter
    address public immutable vault;
    IUniswapV2Router02 public immutable router;

    constructor(address vault_, IUniswapV2Router02 router_) {
        if (vault_ == address(0) || address(router_) == address(0)) revert UniswapV2SwapAdapterZeroAddress();
        vault = vault_;
        router = router_;
    }

    /// @inheritdoc ISwapAdapter
    function swapExactIn(
        address tokenIn,
        address tokenOut,
        uint256 amountIn,
        uint256 minAmountOut,
        address recipient,
        uint256 deadline
    ) external returns (uint256 amountOut) {
        if (msg.sender != vault) revert UniswapV2SwapAdapterOnlyVault(msg.sender, vault);
        IERC20(tokenIn).forceApprove(address(router), amountIn);
        uint256[] memory amounts =
            router.swapExactTokensForTokens(amountIn, minAmountOut, _path(tokenIn, tokenOut), recipient, deadline);
        amountOut = amounts[1];
    }

    /// @inheritdoc ISwapAdapter
    function quoteExactIn(address tokenIn, address tokenOut, uint256 amountIn)
        external
        view
        returns (uint256 amountOut)
    {
        // The router reverts on a zero input or an empty pool; both mean "nothing can be bought".
        try router.getAmountsOut(amountIn, _path(tokenIn, tokenOut)) returns (uint256[] memory amounts) {
            amountOut = amounts[1];
        } catch {
            amountOut = 0;
        }
    }

    function _path(address tokenIn, address tokenOut) private pure returns (address[] memory path) {
        path = new address[](2);
        path[0] = tokenIn;
        path[1] = tokenOut;
    }
}
