// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";

/// @title PreviewProbe
/// @notice Test-only: an ERC-4626 preview and the call it previews in one transaction (so in one block, with
///         the same pending holder fees), both reported in `Compared`. It holds the assets and shares it uses.
contract PreviewProbe {
    event Compared(uint256 preview, uint256 result);

    function deposit(IERC4626 vault, uint256 assets) external {
        IERC20(vault.asset()).approve(address(vault), assets);
        emit Compared(vault.previewDeposit(assets), vault.deposit(assets, address(this)));
    }

    function mint(IERC4626 vault, uint256 shares) external {
        IERC20(vault.asset()).approve(address(vault), type(uint256).max);
        emit Compared(vault.previewMint(shares), vault.mint(shares, address(this)));
        IERC20(vault.asset()).approve(address(vault), 0);
    }

    function withdraw(IERC4626 vault, uint256 assets) external {
        emit Compared(vault.previewWithdraw(assets), vault.withdraw(assets, address(this), address(this)));
    }

    function redeem(IERC4626 vault, uint256 shares) external {
        emit Compared(vault.previewRedeem(shares), vault.redeem(shares, address(this), address(this)));
    }

    /// @dev `maxRedeem` then a redeem of exactly that: the max view must count the pending fees too.
    function redeemMax(IERC4626 vault) external {
        uint256 shares = vault.maxRedeem(address(this));
        emit Compared(vault.previewRedeem(shares), vault.redeem(shares, address(this), address(this)));
    }
}
