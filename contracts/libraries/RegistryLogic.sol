// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IRiskParityVault} from "../../interfaces/IRiskParityVault.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {AssetRegistry} from "./AssetRegistry.sol";
import {PackedBps} from "./PackedBps.sol";
import {LeverageLogic} from "./LeverageLogic.sol";
import {ILendingAdapter} from "../../interfaces/ILendingAdapter.sol";

/// @title RegistryLogic
/// @notice Governance's registry changes (add, re-price, remove an asset), each returning the new registry pointer.
/// @dev An external library (linked into RiskParityVaultAdmin, reached by DELEGATECALL, so events come from the vault and
///      CodeStore's CREATE is the vault's) that keeps the registry-writing code out of the admin's runtime.
library RegistryLogic {
    function addAsset(address registry, IRiskParityVault.AssetParams calldata params) external returns (address) {
        IRiskParityVault.AssetConfig memory c = AssetRegistry.configFrom(params, false);
        address pointer = AssetRegistry.store(AssetRegistry.appended(AssetRegistry.load(registry), c));
        emit IRiskParityVault.AssetAdded(c.token, c.feed, c.heartbeatSeconds, c.minPrice, c.maxPrice);
        return pointer;
    }

    function setAssetOracle(address registry, IRiskParityVault.AssetParams calldata params) external returns (address) {
        IRiskParityVault.AssetConfig[] memory a = AssetRegistry.load(registry);
        uint256 i = AssetRegistry.indexOf(a, params.token);
        a[i] = AssetRegistry.configFrom(params, i == 0);
        address pointer = AssetRegistry.store(a);
        emit IRiskParityVault.AssetOracleUpdated(
            params.token, params.feed, params.heartbeatSeconds, params.minPrice, params.maxPrice
        );
        return pointer;
    }

    /// @return pointer The new registry. @return budgets, targets The packed words without entry `token`.
    function removeAsset(address registry, address token, uint256 budgetsWord, uint256 targetsWord)
        external
        returns (address pointer, uint256 budgets, uint256 targets)
    {
        IRiskParityVault.AssetConfig[] memory a = AssetRegistry.load(registry);
        uint256 i = AssetRegistry.indexOf(a, token);
        if (i == 0) revert IRiskParityVault.RiskParityVaultCannotRemoveBase();
        uint16 budget = PackedBps.at(budgetsWord, i);
        uint16 target = PackedBps.at(targetsWord, i);
        if (budget != 0 || target != 0) revert IRiskParityVault.RiskParityVaultAssetStillTargeted(token, budget, target);
        _checkNoCollateral(token);
        uint256 held = IERC20(token).balanceOf(address(this));
        if (held != 0) revert IRiskParityVault.RiskParityVaultAssetBalanceRemains(token, held);
        pointer = AssetRegistry.store(AssetRegistry.removed(a, i));
        budgets = PackedBps.removeAt(budgetsWord, i);
        targets = PackedBps.removeAt(targetsWord, i);
        emit IRiskParityVault.AssetRemoved(token, 0);
    }

    /// @dev Supplied collateral of a removed token could no longer be withdrawn by a lending action nor counted.
    function _checkNoCollateral(address token) private view {
        ILendingAdapter adapter = LeverageLogic.adapter();
        if (address(adapter) == address(0)) return;
        address[] memory one = new address[](1);
        one[0] = token;
        uint256 supplied = adapter.collateralBalances(one)[0];
        if (supplied != 0) revert IRiskParityVault.RiskParityVaultLendingPositionOpen(address(adapter), supplied);
    }
}
