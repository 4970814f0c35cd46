// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ISwapAdapter} from "../../interfaces/ISwapAdapter.sol";
import {IUniswapV2Router02} from "../../interfaces/IUniswapV2Router02.sol";

/// @title UniswapV2SwapAdapter
/// @notice Swaps for one RiskParityVault through the Uniswap V2 router: on the direct pair of the two tokens, or
///         through a hub token for a thin asset whose liquidity is against the hub (PAXG via WETH on mainnet).
/// @dev Stateless between calls: the vault transfers the input first, the adapter approves the router for exactly
///      that amount, and the router pulls all of it, so no allowance and no balance outlive the call. The routes
///      are fixed at construction (a new route is a new adapter, set by governance). The vault's minimum output
///      (its oracle floor from the two ends' feeds) is the router's `amountOutMin` for the whole path, so the
///      floor holds for the route, not for each hop.
contract UniswapV2SwapAdapter is ISwapAdapter {
    using SafeERC20 for IERC20;

    /// @notice `token` trades through `via`: every path to or from `token` passes through `via` first.
    struct Hop {
        address token;
        address via;
    }

    error UniswapV2SwapAdapterOnlyVault(address caller, address vault);
    error UniswapV2SwapAdapterZeroAddress();
    error UniswapV2SwapAdapterBadHop(address token, address via);

    /// @inheritdoc ISwapAdapter
    address public immutable vault;
    IUniswapV2Router02 public immutable router;
    /// @notice token -> the hub it trades through (zero: direct pairs). Written only by the constructor.
    mapping(address token => address via) public viaOf;

    constructor(address vault_, IUniswapV2Router02 router_, Hop[] memory hops) {
        if (vault_ == address(0) || address(router_) == address(0)) revert UniswapV2SwapAdapterZeroAddress();
        vault = vault_;
        router = router_;
        for (uint256 i; i < hops.length; ++i) {
            Hop memory h = hops[i];
            // A hub that itself routes would make paths of any length; one level keeps every path at most 4 tokens.
            if (h.token == address(0) || h.via == address(0) || h.via == h.token) {
                revert UniswapV2SwapAdapterBadHop(h.token, h.via);
            }
            viaOf[h.token] = h.via;
        }
        for (uint256 i; i < hops.length; ++i) {
            if (viaOf[hops[i].via] != address(0)) revert UniswapV2SwapAdapterBadHop(hops[i].token, hops[i].via);
        }
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
            router.swapExactTokensForTokens(amountIn, minAmountOut, routeOf(tokenIn, tokenOut), recipient, deadline);
        amountOut = amounts[amounts.length - 1];
    }

    /// @inheritdoc ISwapAdapter
    function quoteExactIn(address tokenIn, address tokenOut, uint256 amountIn)
        external
        view
        returns (uint256 amountOut)
    {
        // The router reverts on a zero input or an empty pool; both mean "nothing can be bought".
        try router.getAmountsOut(amountIn, routeOf(tokenIn, tokenOut)) returns (uint256[] memory amounts) {
            amountOut = amounts[amounts.length - 1];
        } catch {
            amountOut = 0;
        }
    }

    /// @notice The router path from `tokenIn` to `tokenOut`: tokenIn, its hub, tokenOut's hub, tokenOut, leaving
    ///         out a hub that is absent or is the other end (PAXG -> WETH -> USDC; USDC -> WETH -> PAXG).
    function routeOf(address tokenIn, address tokenOut) public view returns (address[] memory path) {
        address viaIn = viaOf[tokenIn];
        address viaOut = viaOf[tokenOut];
        if (viaIn == tokenOut) viaIn = address(0);
        if (viaOut == tokenIn || viaOut == viaIn) viaOut = address(0);
        path = new address[](2 + (viaIn == address(0) ? 0 : 1) + (viaOut == address(0) ? 0 : 1));
        uint256 n;
        path[n++] = tokenIn;
        if (viaIn != address(0)) path[n++] = viaIn;
        if (viaOut != address(0)) path[n++] = viaOut;
        path[n] = tokenOut;
    }
}
