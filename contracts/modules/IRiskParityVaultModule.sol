// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IRiskParityVault} from "../../interfaces/IRiskParityVault.sol";

/// @title IRiskParityVaultModule
/// @notice The module's entries that only the vault's own code may reach (its fallback refuses them): the
///         one-time initialisation from the constructor and the swap exit's second half after the burn.
interface IRiskParityVaultModule {
    /// @notice A swap exit after its shares are burnt: what it takes, per registry entry.
    /// @param slices Held tokens, rounded down. @param collateral Supplied tokens (empty without leverage).
    /// @param debtShare Base units of debt the exit repays, rounded up.
    struct SwapExit {
        address receiver;
        address owner;
        uint256 shares;
        uint256 minAssetsOut;
        uint256 deadline;
        uint256[] slices;
        uint256[] collateral;
        uint256 debtShare;
    }

    function initialize(IRiskParityVault.InitParams calldata p) external;

    /// @return assets Base units sent to the receiver.
    function swapExit(SwapExit calldata e) external returns (uint256 assets);
}
