// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {AggregatorV3Interface} from "../../interfaces/AggregatorV3Interface.sol";
import {IRiskParityVault} from "../../interfaces/IRiskParityVault.sol";
import {ILendingAdapter} from "../../interfaces/ILendingAdapter.sol";

/// @title RiskParityVaultLens
/// @notice Everything a keeper or a dashboard reads about a vault, in one call, outside the vault's code (the
///         Morpho Blue habit): `keeperView(vault)`. Stateless; one lens serves every vault.
/// @dev Reads the vault's public getters, its feeds and its lending adapter. A failing oracle shows up as
///      `navOk = false` (and a zero entry fee), a failing feed as a zero answer, never as a revert.
contract RiskParityVaultLens {
    /// @notice Layout version of `keeperView`'s answer; a keeper refuses at start a lens whose version it does not
    ///         decode (bump it whenever `IRiskParityVault.KeeperView` changes).
    uint256 public constant VERSION = 1;

    function keeperView(address vault) external view returns (IRiskParityVault.KeeperView memory v) {
        IRiskParityVault rp = IRiskParityVault(vault);
        v.epoch = rp.epoch();
        v.lastRebalanceAt = rp.lastRebalanceAt();
        v.thresholds = rp.thresholds();
        v.depositsPaused = rp.depositsPaused();
        v.rebalancesPaused = rp.rebalancesPaused();
        v.depositCapAssets = rp.depositCap();
        v.totalSupply = IERC20(vault).totalSupply();
        try IERC4626(vault).totalAssets() returns (uint256 nav) {
            (v.navOk, v.navBaseUnits) = (true, nav);
        } catch {}
        IRiskParityVault.AssetConfig[] memory a = rp.assets();
        uint256 n = a.length;
        v.assets = a;
        v.targetWeightsBps = rp.targetWeightsBps();
        v.riskBudgetsBps = rp.riskBudgetsBps();
        v.balances = new uint256[](n);
        v.answers = new int256[](n);
        v.updatedAt = new uint256[](n);
        address[] memory tokens = new address[](n);
        for (uint256 i; i < n; ++i) {
            tokens[i] = a[i].token;
            v.balances[i] = IERC20(a[i].token).balanceOf(vault);
            if (a[i].feed == address(0)) continue;
            try AggregatorV3Interface(a[i].feed).latestRoundData() returns (
                uint80, int256 answer, uint256, uint256 updatedAt, uint80
            ) {
                (v.answers[i], v.updatedAt[i]) = (answer, updatedAt);
            } catch {}
        }
        v.lendingAdapter = rp.lendingAdapter();
        v.collateral = new uint256[](n);
        v.leverage = rp.leverageParams();
        v.lastDeleverageAt = rp.lastDeleverageAt();
        if (v.lendingAdapter != address(0)) {
            ILendingAdapter lending = ILendingAdapter(v.lendingAdapter);
            v.collateral = lending.collateralBalances(tokens);
            v.debtBaseUnits = lending.debtBaseUnits();
            v.healthFactorWad = lending.healthFactorWad();
        }
        v.protection = rp.protectionParams();
        if (v.navOk) v.entryFeeBps = rp.entryFeeBps();
        v.lossBudgetUsedWad = rp.lossBudgetUsedWad();
    }

    /// @notice The vault's holder fees: settings and high-water mark, the fee shares an accrual would mint now
    ///         (zero when an oracle check fails) and the shares the recipient holds (fees minted so far, unless it
    ///         moved them).
    function feeView(address vault)
        external
        view
        returns (
            IRiskParityVault.FeeState memory state,
            uint256 pendingManagementShares,
            uint256 pendingPerformanceShares,
            uint256 recipientShares
        )
    {
        IRiskParityVault rp = IRiskParityVault(vault);
        state = rp.feeState();
        try rp.pendingFeeShares() returns (uint256 m, uint256 p) {
            (pendingManagementShares, pendingPerformanceShares) = (m, p);
        } catch {}
        if (state.recipient != address(0)) recipientShares = IERC20(vault).balanceOf(state.recipient);
    }
}
