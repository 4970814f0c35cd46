// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/ReentrancyGuardUpgradeable.sol";
import {IRiskParityVault} from "../../interfaces/IRiskParityVault.sol";
import {ISwapAdapter} from "../../interfaces/ISwapAdapter.sol";
import {ILendingAdapter} from "../../interfaces/ILendingAdapter.sol";
import {AssetRegistry} from "../libraries/AssetRegistry.sol";
import {PackedBps} from "../libraries/PackedBps.sol";
import {Valuation} from "../libraries/Valuation.sol";
import {VaultStorage} from "../libraries/VaultStorage.sol";
import {NavLogic} from "../libraries/NavLogic.sol";
import {DelegateCall} from "../libraries/DelegateCall.sol";
import {LeverageLogic} from "../libraries/LeverageLogic.sol";
import {RiskLogic} from "../risk/RiskLogic.sol";
import {FeeLogic} from "../libraries/FeeLogic.sol";
import {IRiskParityVaultModule} from "./IRiskParityVaultModule.sol";
import {ModuleBase} from "./ModuleBase.sol";

/// @title RiskParityVaultModule
/// @notice The vault's keeper and lending paths (rebalances, the ripcord, the swap exit's sales and its flash-loan
///         repay) and the entry-fee view. Runs only by DELEGATECALL from a RiskParityVault, in its storage; what it
///         does not implement (administration, getters) it delegates on to RiskParityVaultAdmin.
/// @dev Deployed once and shared by any number of vaults (it holds no state and no funds of its own); every
///      entry refuses a direct call. Order in every function: checks -> state -> emit -> external calls, except
///      events whose amounts are measured after the calls (noted where it happens).
contract RiskParityVaultModule is ModuleBase, ReentrancyGuardUpgradeable {
    using SafeERC20 for IERC20;
    using Math for uint256;

    uint256 private constant WAD = 1e18;

    /// @notice Where administration and the getters live (RiskParityVaultAdmin); this module's fallback
    ///         delegates to it.
    address public immutable admin;

    constructor(address admin_) {
        if (admin_ == address(0)) revert IRiskParityVault.RiskParityVaultZeroAddress();
        admin = admin_;
    }

    /// @notice Anything not implemented here (administration, getters, `initialize`) runs in the admin contract,
    ///         still in the vault's storage.
    fallback() external {
        _checkDelegated();
        DelegateCall.forward(admin);
    }

    /*//////////////////////////////////////////////////////////////
                            INTERNAL ENTRIES
    //////////////////////////////////////////////////////////////*/

    /// @notice IRiskParityVaultModule.swapExit (the vault's fallback refuses it from outside).
    /// @dev Runs inside the core's `redeemWithSwap` (under its reentrancy guard), after the burn.
    function swapExit(IRiskParityVaultModule.SwapExit calldata e) external onlyDelegated returns (uint256 assets) {
        VaultStorage.Layout storage l = VaultStorage.layout();
        RiskLogic.checkPriceBreaker(l.registry);
        IRiskParityVault.AssetConfig[] memory a = AssetRegistry.load(l.registry);
        uint256[] memory slices = e.slices;
        address base = a[0].token;
        if (e.collateral.length == 0) {
            assets = _sellSlices(l.swapAdapter, a, slices, e.deadline);
        } else {
            ILendingAdapter adapter = LeverageLogic.adapter();
            uint256 hfBefore = adapter.healthFactorWad();
            emit IRiskParityVault.ExitDebtRepaid(e.owner, e.shares, e.debtShare);
            if (e.debtShare == 0) {
                _withdrawCollateral(adapter, a, e.collateral, slices);
                assets = _sellSlices(l.swapAdapter, a, slices, e.deadline);
            } else {
                // The debt share is repaid first with a flash loan, so the collateral can then be withdrawn
                // whatever the position's headroom; `onFlashRepay` sells and settles the loan.
                uint256 before = IERC20(base).balanceOf(address(this));
                adapter.flashRepay(e.debtShare, abi.encode(e.collateral, slices, e.deadline));
                uint256 afterwards = IERC20(base).balanceOf(address(this));
                assets = slices[0] + afterwards - before;
            }
            LeverageLogic.checkExitHealth(hfBefore);
        }
        if (assets < e.minAssetsOut) revert IRiskParityVault.RiskParityVaultInsufficientOutput(assets, e.minAssetsOut);
        emit IERC4626.Withdraw(msg.sender, e.receiver, e.owner, assets, e.shares);
        IERC20(base).safeTransfer(e.receiver, assets);
    }

    /// @notice The lending adapter's call inside `flashRepay`: withdraw the exit's collateral, sell it with the
    ///         exit's held slices, and pay the adapter what the flash loan costs.
    function onFlashRepay(uint256 owedBaseUnits, bytes calldata data) external onlyDelegated {
        ILendingAdapter adapter = LeverageLogic.adapter();
        if (msg.sender != address(adapter) || !_reentrancyGuardEntered()) {
            revert IRiskParityVault.RiskParityVaultUnauthorizedCallback(msg.sender);
        }
        (uint256[] memory collateral, uint256[] memory slices, uint256 deadline) =
            abi.decode(data, (uint256[], uint256[], uint256));
        VaultStorage.Layout storage l = VaultStorage.layout();
        IRiskParityVault.AssetConfig[] memory a = AssetRegistry.load(l.registry);
        slices[0] = 0; // the base slice stays in the vault until the exit pays out
        _withdrawCollateral(adapter, a, collateral, slices);
        uint256 proceeds = _sellSlices(l.swapAdapter, a, slices, deadline);
        if (proceeds < owedBaseUnits) revert IRiskParityVault.RiskParityVaultInsufficientOutput(proceeds, owedBaseUnits);
        IERC20(a[0].token).safeTransfer(address(adapter), owedBaseUnits);
    }

    /*//////////////////////////////////////////////////////////////
                               REBALANCE
    //////////////////////////////////////////////////////////////*/

    function rebalance(IRiskParityVault.RebalanceParams calldata params)
        external
        onlyDelegated
        windowOpen(params)
        accruesFees
        nonReentrant
        onlyRole(KEEPER_ROLE)
    {
        IRiskParityVault.LendingAction[] calldata none;
        assembly ("memory-safe") {
            none.offset := 0
            none.length := 0
        }
        _rebalance(params, none);
    }

    function rebalanceWithLending(
        IRiskParityVault.RebalanceParams calldata params,
        IRiskParityVault.LendingAction[] calldata actions
    ) external onlyDelegated windowOpen(params) accruesFees nonReentrant onlyRole(KEEPER_ROLE) {
        _rebalance(params, actions);
    }

    /// @notice See IRiskParityVault.poke: anyone, at most once per interval.
    function poke() external onlyDelegated nonReentrant returns (bool poked) {
        VaultStorage.Layout storage l = VaultStorage.layout();
        return RiskLogic.poke(l.registry, l.sequencerFeed, l.sequencerGraceSeconds);
    }

    /// @dev The loss (slippage plus reward) draws on the rolling loss budget like a rebalance's.
    function deleverage(address token, uint256 amount, uint256 deadline)
        external
        onlyDelegated
        accruesFees
        nonReentrant
        returns (uint256 repaidBaseUnits, uint256 rewardBaseUnits)
    {
        VaultStorage.Layout storage l = VaultStorage.layout();
        uint256 navBefore = NavLogic.snapshot(Math.Rounding.Floor).nav;
        uint256 lossBaseUnits;
        (repaidBaseUnits, rewardBaseUnits, lossBaseUnits) = LeverageLogic.deleverage(
            LeverageLogic.RipcordContext(
                l.registry, l.swapAdapter, l.maxSlippageBps, l.sequencerFeed, l.sequencerGraceSeconds
            ),
            token,
            amount,
            deadline
        );
        if (lossBaseUnits != 0) _useLossBudget(l, lossBaseUnits.mulDiv(WAD, navBefore, Math.Rounding.Ceil));
    }

    /// @dev A rebalance refused anyway (paused, past its deadline, a stale epoch, in the cooldown) is refused before
    ///      the fee accrual reads the NAV, so the keeper that loses a race pays little gas. `_rebalance` checks again.
    modifier windowOpen(IRiskParityVault.RebalanceParams calldata params) {
        _checkRebalanceWindow(VaultStorage.layout(), params.expectedEpoch, params.deadline);
        _;
    }

    /// @dev Values are gross (held plus supplied, debt not subtracted): target weights describe the composition
    ///      of the gross basket, leverage its size against NAV (NAV = gross - debt).
    function _rebalance(
        IRiskParityVault.RebalanceParams calldata params,
        IRiskParityVault.LendingAction[] calldata actions
    ) private {
        VaultStorage.Layout storage l = VaultStorage.layout();
        uint64 current = _checkRebalanceWindow(l, params.expectedEpoch, params.deadline);
        Context memory c;
        c.a = AssetRegistry.load(l.registry);
        c.targets = params.targetWeightsBps;
        PackedBps.checkWeights(c.targets, c.a.length);

        c.p = Valuation.prices(c.a, l.sequencerFeed, l.sequencerGraceSeconds);
        uint256[] memory valuesBefore;
        (c.before, valuesBefore) = _navAndDistance(l, c.a, c.p, c.targets);
        if (c.before[0] == 0) revert IRiskParityVault.RiskParityVaultEmpty();
        c.gapBeforeWad = RiskLogic.beforeRebalance(
            l.registry, l.sequencerFeed, l.sequencerGraceSeconds, valuesBefore, c.targets, l.riskBudgetsBps
        );
        uint256[] memory minOuts;
        (c.turnover, minOuts) = _checkTrades(l, params.trades, c.a, c.p, c.before[0]);

        l.epoch = current + 1;
        l.lastRebalanceAt = uint64(block.timestamp);
        l.targetWeightsBps = PackedBps.pack(c.targets);

        if (actions.length != 0) LeverageLogic.execute(l.registry, actions, false, current);
        _executeTrades(l.swapAdapter, params.trades, minOuts, params.deadline);
        if (actions.length != 0) LeverageLogic.execute(l.registry, actions, true, current);

        uint256 navAfter = _checkAfterRebalance(l, c, actions.length != 0);
        // Emitted after the trades: NAV after is measured.
        emit IRiskParityVault.Rebalanced(current, c.before[0], navAfter, c.turnover, c.targets);
    }

    /// @dev One rebalance's prices and state before its trades.
    struct Context {
        IRiskParityVault.AssetConfig[] a;
        Valuation.Price[] p;
        uint16[] targets;
        uint256[2] before; // NAV and distance to the targets
        uint256 turnover;
        uint256 gapBeforeWad; // RiskLogic's guardrail: max |RC_i - budget_i| before the trades
    }

    /// @return r NAV in base units and the distance of the gross composition to `targets` (1e18).
    /// @return v Gross value per registry entry (held plus supplied), base units.
    function _navAndDistance(
        VaultStorage.Layout storage l,
        IRiskParityVault.AssetConfig[] memory a,
        Valuation.Price[] memory p,
        uint16[] memory targets
    ) private view returns (uint256[2] memory r, uint256[] memory v) {
        uint256[] memory balances = Valuation.balancesOf(a, address(this));
        uint256 debt;
        if (address(LeverageLogic.adapter()) != address(0)) {
            (balances, debt) = LeverageLogic.addCollateral(l.registry, balances);
        }
        uint256 gross;
        (v, gross) = Valuation.values(balances, p);
        r[0] = gross > debt ? gross - debt : 0;
        if (gross != 0) r[1] = Valuation.distanceWad(v, targets, gross);
    }

    /// @dev Same prices as before: the trades cannot move the oracles, so any NAV change is execution cost. The
    ///      loss counts against the per-rebalance bound and the rolling loss budget.
    function _checkAfterRebalance(VaultStorage.Layout storage l, Context memory c, bool withLending)
        private
        returns (uint256 navAfter)
    {
        uint256[2] memory before = c.before;
        (uint256[2] memory afterwards, uint256[] memory valuesAfter) = _navAndDistance(l, c.a, c.p, c.targets);
        navAfter = afterwards[0];
        uint256 maxLossBps = l.maxNavLossBps;
        uint256 minNavAfter = before[0].mulDiv(BPS - maxLossBps, BPS, Math.Rounding.Ceil);
        if (navAfter < minNavAfter) {
            revert IRiskParityVault.RiskParityVaultNavLossExceeded(before[0], navAfter, minNavAfter);
        }
        // A pure leverage change moves the gross composition by its execution cost, bounded like the NAV loss.
        uint256 slackWad = withLending ? maxLossBps * 1e14 : 0;
        if (afterwards[1] > before[1] + slackWad) {
            revert IRiskParityVault.RiskParityVaultDistanceGrew(before[1], afterwards[1]);
        }
        if (address(LeverageLogic.adapter()) != address(0)) LeverageLogic.checkRebalance(navAfter);
        RiskLogic.afterRebalance(l.registry, c.gapBeforeWad, valuesAfter, l.riskBudgetsBps);
        if (navAfter < before[0]) {
            _useLossBudget(l, (before[0] - navAfter).mulDiv(WAD, before[0], Math.Rounding.Ceil));
        }
    }

    /// @dev The budget refills linearly: `lossBudgetBps` of NAV per `lossPeriodSeconds`.
    function _useLossBudget(VaultStorage.Layout storage l, uint256 lossWad) private {
        uint256 used = _lossUsedNow(l) + lossWad;
        uint256 budget = uint256(l.lossBudgetBps) * 1e14;
        if (used > budget) revert IRiskParityVault.RiskParityVaultLossBudgetExceeded(used, budget);
        l.lossUsedWad = uint64(used);
        l.lossUpdatedAt = uint64(block.timestamp);
        emit IRiskParityVault.LossBudgetUsed(lossWad, used);
    }

    /// @return current The epoch this rebalance runs in.
    function _checkRebalanceWindow(VaultStorage.Layout storage l, uint64 expectedEpoch, uint256 deadline)
        private
        view
        returns (uint64 current)
    {
        if (l.rebalancesPaused) revert IRiskParityVault.RiskParityVaultRebalancesPaused();
        if (block.timestamp > deadline) revert IRiskParityVault.RiskParityVaultDeadlinePassed(deadline, block.timestamp);
        current = l.epoch;
        if (expectedEpoch != current) revert IRiskParityVault.RiskParityVaultWrongEpoch(expectedEpoch, current);
        uint256 last = l.lastRebalanceAt;
        if (last != 0 && block.timestamp < last + l.cooldownSeconds) {
            revert IRiskParityVault.RiskParityVaultCooldownActive(last + l.cooldownSeconds, block.timestamp);
        }
    }

    /// @dev Validates every trade, the turnover, and each trade's minimum output before any external call.
    function _checkTrades(
        VaultStorage.Layout storage l,
        IRiskParityVault.Trade[] calldata trades,
        IRiskParityVault.AssetConfig[] memory a,
        Valuation.Price[] memory p,
        uint256 navBefore
    ) private view returns (uint256 turnover, uint256[] memory minOuts) {
        minOuts = new uint256[](trades.length);
        uint256 keepBps = BPS - l.maxSlippageBps;
        for (uint256 t; t < trades.length; ++t) {
            uint256 valueIn;
            (valueIn, minOuts[t]) = _checkTrade(t, trades[t], a, p, keepBps);
            turnover += valueIn;
        }
        uint256 maxTurnover = navBefore * l.maxTurnoverBps / BPS;
        if (turnover > maxTurnover) revert IRiskParityVault.RiskParityVaultTurnoverExceeded(turnover, maxTurnover);
    }

    /// @return valueIn Oracle value of the input in base units, rounded up (turnover is a limit).
    /// @return minOut The stricter of the keeper's minimum and the oracle value less `maxSlippageBps`.
    function _checkTrade(
        uint256 t,
        IRiskParityVault.Trade calldata trade,
        IRiskParityVault.AssetConfig[] memory a,
        Valuation.Price[] memory p,
        uint256 keepBps
    ) private pure returns (uint256 valueIn, uint256 minOut) {
        (bool foundIn, uint256 i) = AssetRegistry.tryIndexOf(a, trade.tokenIn);
        (bool foundOut, uint256 o) = AssetRegistry.tryIndexOf(a, trade.tokenOut);
        if (!foundIn || !foundOut || i == o || trade.amountIn == 0) {
            revert IRiskParityVault.RiskParityVaultInvalidTrade(t, trade.tokenIn, trade.tokenOut, trade.amountIn);
        }
        valueIn = Valuation.value(trade.amountIn, p[i], Math.Rounding.Ceil);
        uint256 oracleFloor =
            Valuation.oracleAmountOut(trade.amountIn, p[i], p[o]).mulDiv(keepBps, BPS, Math.Rounding.Ceil);
        minOut = Math.max(trade.minAmountOut, oracleFloor);
    }

    function _executeTrades(
        ISwapAdapter adapter,
        IRiskParityVault.Trade[] calldata trades,
        uint256[] memory minOuts,
        uint256 deadline
    ) private {
        if (trades.length == 0) return;
        if (address(adapter) == address(0)) revert IRiskParityVault.RiskParityVaultNoSwapAdapter();
        for (uint256 t; t < trades.length; ++t) {
            IRiskParityVault.Trade calldata trade = trades[t];
            uint256 received = _swap(adapter, trade.tokenIn, trade.tokenOut, trade.amountIn, minOuts[t], deadline);
            if (received < minOuts[t]) revert IRiskParityVault.RiskParityVaultTradeBelowMinimum(t, received, minOuts[t]);
        }
    }

    /*//////////////////////////////////////////////////////////////
                               SWAP EXIT
    //////////////////////////////////////////////////////////////*/

    /// @dev Adds each non-zero `collateral[i]` to `slices[i]` after withdrawing it to the vault.
    function _withdrawCollateral(
        ILendingAdapter adapter,
        IRiskParityVault.AssetConfig[] memory a,
        uint256[] memory collateral,
        uint256[] memory slices
    ) private {
        for (uint256 i = 1; i < a.length; ++i) {
            if (collateral[i] == 0) continue;
            adapter.withdraw(a[i].token, collateral[i], address(this));
            slices[i] += collateral[i];
        }
    }

    /// @return assets The base slice plus what the other slices sold for. A slice the DEX would pay nothing
    ///         for reverts the exit: keeping it would hand the exit's value to the other holders unasked.
    function _sellSlices(
        ISwapAdapter adapter,
        IRiskParityVault.AssetConfig[] memory a,
        uint256[] memory slices,
        uint256 deadline
    ) private returns (uint256 assets) {
        address base = a[0].token;
        assets = slices[0];
        for (uint256 i = 1; i < a.length; ++i) {
            if (slices[i] == 0) continue;
            if (adapter.quoteExactIn(a[i].token, base, slices[i]) == 0) {
                revert IRiskParityVault.RiskParityVaultUnsellableSlice(a[i].token, slices[i]);
            }
            assets += _swap(adapter, a[i].token, base, slices[i], 0, deadline);
        }
    }

    /// @return received Measured by this vault's own balance, not taken from the adapter's word.
    function _swap(
        ISwapAdapter adapter,
        address tokenIn,
        address tokenOut,
        uint256 amountIn,
        uint256 minAmountOut,
        uint256 deadline
    ) private returns (uint256 received) {
        uint256 before = IERC20(tokenOut).balanceOf(address(this));
        IERC20(tokenIn).safeTransfer(address(adapter), amountIn);
        adapter.swapExactIn(tokenIn, tokenOut, amountIn, minAmountOut, address(this), deadline);
        received = IERC20(tokenOut).balanceOf(address(this)) - before;
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice What a deposit pays now, in bps (see IRiskParityVault.entryFeeBps); none while nobody holds shares.
    function entryFeeBps() external view returns (uint256) {
        if (_reentrancyGuardEntered()) revert IRiskParityVault.RiskParityVaultReentrantView();
        if (IERC20(address(this)).totalSupply() == 0) return 0;
        return NavLogic.snapshot(Math.Rounding.Ceil).feeBps;
    }

    /// @notice See IRiskParityVault.pendingFeeShares.
    function pendingFeeShares() external view returns (uint256 managementShares, uint256 performanceShares) {
        if (_reentrancyGuardEntered()) revert IRiskParityVault.RiskParityVaultReentrantView();
        return FeeLogic.pendingShares(NavLogic.snapshot(Math.Rounding.Floor).nav, IERC20(address(this)).totalSupply());
    }
}
