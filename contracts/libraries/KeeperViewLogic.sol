// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {AggregatorV3Interface} from "../../interfaces/AggregatorV3Interface.sol";
import {IRiskParityVault} from "../../interfaces/IRiskParityVault.sol";
import {AssetRegistry} from "./AssetRegistry.sol";
import {LeverageLogic} from "./LeverageLogic.sol";
import {PackedBps} from "./PackedBps.sol";

/// @title KeeperViewLogic
/// @notice Builds the vault's one-call keeper view.
/// @dev An external library (linked, reached by DELEGATECALL, so `address(this)` is the vault) returning the
///      ABI-encoded `KeeperView`, which the vault returns verbatim: the building code stays out of the vault's
///      runtime for the EIP-170 limit.
library KeeperViewLogic {
    /// @notice The vault's own scalar state that the view reports.
    struct State {
        uint64 epoch;
        uint64 lastRebalanceAt;
        IRiskParityVault.Thresholds thresholds;
        bool depositsPaused;
        bool rebalancesPaused;
        uint256 depositCapAssets;
        uint256 riskBudgetsWord;
        uint256 targetWeightsWord;
    }

    /// @return encoded `abi.encode(KeeperView)`.
    function build(address registry, State memory s) external view returns (bytes memory encoded) {
        IRiskParityVault.KeeperView memory v;
        IRiskParityVault.AssetConfig[] memory a = AssetRegistry.load(registry);
        uint256 n = a.length;
        v.epoch = s.epoch;
        v.lastRebalanceAt = s.lastRebalanceAt;
        v.thresholds = s.thresholds;
        v.depositsPaused = s.depositsPaused;
        v.rebalancesPaused = s.rebalancesPaused;
        v.depositCapAssets = s.depositCapAssets;
        v.totalSupply = IERC20(address(this)).totalSupply();
        // An external self-call so a bad oracle shows up as navOk = false instead of a revert.
        try IERC4626Nav(address(this)).totalAssets() returns (uint256 nav) {
            (v.navOk, v.navBaseUnits) = (true, nav);
        } catch {}
        v.assets = a;
        v.targetWeightsBps = PackedBps.unpack(s.targetWeightsWord, n);
        v.riskBudgetsBps = PackedBps.unpack(s.riskBudgetsWord, n);
        v.balances = new uint256[](n);
        v.answers = new int256[](n);
        v.updatedAt = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            v.balances[i] = IERC20(a[i].token).balanceOf(address(this));
            if (a[i].feed == address(0)) continue;
            try AggregatorV3Interface(a[i].feed).latestRoundData() returns (
                uint80, int256 answer, uint256, uint256 updatedAt, uint80
            ) {
                (v.answers[i], v.updatedAt[i]) = (answer, updatedAt);
            } catch {}
        }
        (v.lendingAdapter, v.collateral, v.debtBaseUnits, v.healthFactorWad, v.leverage, v.lastDeleverageAt) =
            LeverageLogic.keeperFields(registry);
        return abi.encode(v);
    }
}

/// @dev The one ERC-4626 view the keeper view calls on its own contract.
interface IERC4626Nav {
    function totalAssets() external view returns (uint256);
}
