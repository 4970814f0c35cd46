// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IRiskParityVault} from "../../interfaces/IRiskParityVault.sol";
import {ILendingAdapter} from "../../interfaces/ILendingAdapter.sol";
import {ISwapAdapter} from "../../interfaces/ISwapAdapter.sol";
import {AssetRegistry} from "./AssetRegistry.sol";
import {Valuation} from "./Valuation.sol";

/// @title LeverageLogic
/// @notice The vault's lending side: adapter and leverage settings, lending actions, health and leverage checks,
///         exits' debt shares and the public ripcord.
/// @dev An external library (deployed once, linked into the vault, its module and its admin, reached by DELEGATECALL) so
///      neither reaches the EIP-170 size limit. Its state lives in the vault in its own ERC-7201 namespace, apart
///      from VaultStorage's. Errors and events are the vault's (IRiskParityVault), emitted as the vault.
library LeverageLogic {
    using SafeERC20 for IERC20;
    using Math for uint256;

    /// @custom:storage-location erc7201:riskparityvault.storage.Leverage
    struct Layout {
        ILendingAdapter adapter;
        uint64 lastDeleverageAt; // unix seconds, 0 before the first deleverage
        IRiskParityVault.LeverageParams params;
        // The position as the current rebalance found it, taken before its first lending action; only read in
        // the same block (rebalances are at least a cooldown apart). Packed in one slot.
        uint64 snapshotAt; // unix seconds
        uint96 debtBeforeBaseUnits;
        uint96 healthFactorBeforeWad; // capped at type(uint96).max (no debt)
    }

    // keccak256(abi.encode(uint256(keccak256("riskparityvault.storage.Leverage")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant SLOT = 0x038d3ff14e8d5be113f44e29fac9c9629d9d4746fd723ca96b6bd9d9cb220c00;

    uint256 private constant BPS = 10_000;

    // Hard bounds on what the manager may set.
    uint256 internal constant MIN_RIPCORD_HEALTH_FACTOR_WAD = 1.05e18;
    uint256 internal constant MAX_TARGET_HEALTH_FACTOR_WAD = 5e18;
    uint256 internal constant MIN_MAX_LEVERAGE_BPS = 10_000; // 1x: leverage off
    uint256 internal constant MAX_MAX_LEVERAGE_BPS = 30_000; // 3x
    uint256 internal constant MAX_RIPCORD_REWARD_BPS = 100; // 1% of the proceeds
    uint256 internal constant MIN_RIPCORD_COOLDOWN_SECONDS = 60;
    uint256 internal constant MAX_RIPCORD_COOLDOWN_SECONDS = 1 days;

    /*//////////////////////////////////////////////////////////////
                              SETTINGS
    //////////////////////////////////////////////////////////////*/

    /// @param registry The vault's AssetRegistry pointer.
    function setLendingAdapter(address registry, address newAdapter) external {
        Layout storage l = _layout();
        address base = AssetRegistry.load(registry)[0].token;
        ILendingAdapter old = l.adapter;
        if (address(old) != address(0)) {
            uint256 debt = old.debtBaseUnits();
            if (debt != 0 || _anyCollateral(old, registry)) {
                revert IRiskParityVault.RiskParityVaultLendingPositionOpen(address(old), debt);
            }
        }
        if (newAdapter != address(0)) {
            address adapterVault = ILendingAdapter(newAdapter).vault();
            if (adapterVault != address(this) || ILendingAdapter(newAdapter).borrowAsset() != base) {
                revert IRiskParityVault.RiskParityVaultAdapterVaultMismatch(newAdapter, adapterVault);
            }
        }
        l.adapter = ILendingAdapter(newAdapter);
        emit IRiskParityVault.LendingAdapterUpdated(address(old), newAdapter);
        if (newAdapter != address(0) && l.params.minHealthFactorWad == 0) {
            _setParams(
                IRiskParityVault.LeverageParams({
                    minHealthFactorWad: 1.5e18,
                    targetHealthFactorWad: 1.8e18,
                    ripcordHealthFactorWad: 1.25e18,
                    maxLeverageBps: 20_000,
                    ripcordRewardBps: 50,
                    ripcordCooldownSeconds: 10 minutes,
                    ripcordMaxTradeBaseUnits: uint128(100_000 * 10 ** IERC20Metadata(base).decimals())
                })
            );
        }
    }

    function setParams(IRiskParityVault.LeverageParams calldata p) external {
        _setParams(p);
    }

    /*//////////////////////////////////////////////////////////////
                            VALUATION
    //////////////////////////////////////////////////////////////*/

    /// @notice `balances` (registry order) plus what the adapter has supplied of each token, and the debt.
    function addCollateral(address registry, uint256[] memory balances)
        external
        view
        returns (uint256[] memory, uint256 debtBaseUnits)
    {
        ILendingAdapter adapter = _layout().adapter;
        uint256[] memory c = adapter.collateralBalances(_tokens(registry));
        for (uint256 i; i < c.length; ++i) {
            balances[i] += c[i];
        }
        return (balances, adapter.debtBaseUnits());
    }

    /// @notice (NAV + debt) / NAV in bps, rounded up; max when NAV is zero with debt.
    function leverageBps(uint256 navBaseUnits, uint256 debtBaseUnits) public pure returns (uint256) {
        if (debtBaseUnits == 0) return BPS;
        if (navBaseUnits == 0) return type(uint256).max;
        return (navBaseUnits + debtBaseUnits).mulDiv(BPS, navBaseUnits, Math.Rounding.Ceil);
    }

    /// @notice Reverts unless health factor >= `minHfWad` and leverage <= `maxLevBps` (nothing to check with no
    ///         debt). `navBaseUnits` is the NAV after the action, at the action's prices.
    function checkHealth(uint256 navBaseUnits, uint256 minHfWad, uint256 maxLevBps) public view {
        ILendingAdapter adapter = _layout().adapter;
        uint256 debt = adapter.debtBaseUnits();
        if (debt == 0) return;
        uint256 hf = adapter.healthFactorWad();
        if (hf < minHfWad) revert IRiskParityVault.RiskParityVaultHealthFactorTooLow(hf, minHfWad);
        uint256 lev = leverageBps(navBaseUnits, debt);
        if (lev > maxLevBps) revert IRiskParityVault.RiskParityVaultLeverageTooHigh(lev, maxLevBps);
    }

    /// @notice After a rebalance: health factor >= min and leverage <= max; or, for a rebalance with lending
    ///         actions, a step back toward them: less debt and a higher health factor than it started with. That
    ///         is the way back after a fall below the minimum that stopped short of the ripcord, one
    ///         turnover-capped rebalance at a time.
    /// @dev Reads the debt and the health factor once each (Aave's health factor walks every reserve).
    function checkRebalance(uint256 navAfterBaseUnits) external view {
        Layout storage l = _layout();
        ILendingAdapter adapter = l.adapter;
        uint256 debt = adapter.debtBaseUnits();
        if (debt == 0) return;
        uint256 hf = adapter.healthFactorWad();
        // The snapshot exists only for rebalances that repay (see `execute`): a step back needs a repay.
        if (l.snapshotAt == block.timestamp && debt < l.debtBeforeBaseUnits && hf > l.healthFactorBeforeWad) return;
        IRiskParityVault.LeverageParams storage p = l.params;
        if (hf < p.minHealthFactorWad) revert IRiskParityVault.RiskParityVaultHealthFactorTooLow(hf, p.minHealthFactorWad);
        uint256 lev = leverageBps(navAfterBaseUnits, debt);
        if (lev > p.maxLeverageBps) revert IRiskParityVault.RiskParityVaultLeverageTooHigh(lev, p.maxLeverageBps);
    }

    /*//////////////////////////////////////////////////////////////
                          LENDING ACTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Run the actions of one phase (`afterSwaps` false: before the trades, true: after them) in array
    ///         order; the first phase validates every action before any external call.
    function execute(
        address registry,
        IRiskParityVault.LendingAction[] calldata actions,
        bool afterSwaps,
        uint64 epoch
    ) external {
        ILendingAdapter adapter = _layout().adapter;
        if (address(adapter) == address(0)) revert IRiskParityVault.RiskParityVaultNoLendingAdapter();
        IRiskParityVault.AssetConfig[] memory a = AssetRegistry.load(registry);
        // The position before the first action, for `checkRebalance`'s step-back rule; only a rebalance that
        // repays can step back, so only such a one pays for the snapshot.
        if (!afterSwaps && _validate(actions, a)) {
            Layout storage l = _layout();
            l.snapshotAt = uint64(block.timestamp);
            l.debtBeforeBaseUnits = uint96(Math.min(adapter.debtBaseUnits(), type(uint96).max));
            l.healthFactorBeforeWad = uint96(Math.min(adapter.healthFactorWad(), type(uint96).max));
        }
        address base = a[0].token;
        for (uint256 k; k < actions.length; ++k) {
            IRiskParityVault.LendingAction calldata act = actions[k];
            IRiskParityVault.LendingKind kind = act.kind;
            if (act.afterSwaps != afterSwaps) continue;
            uint256 amount = act.amount;
            if (kind == IRiskParityVault.LendingKind.Repay) amount = Math.min(amount, adapter.debtBaseUnits());
            emit IRiskParityVault.LendingActionExecuted(epoch, kind, act.token, amount);
            if (kind == IRiskParityVault.LendingKind.Supply) {
                IERC20(act.token).safeTransfer(address(adapter), amount);
                adapter.supply(act.token, amount);
            } else if (kind == IRiskParityVault.LendingKind.Withdraw) {
                adapter.withdraw(act.token, amount, address(this));
            } else if (kind == IRiskParityVault.LendingKind.Borrow) {
                adapter.borrow(amount, address(this));
            } else if (amount != 0) {
                IERC20(base).safeTransfer(address(adapter), amount);
                adapter.repay(amount);
            }
        }
    }

    /*//////////////////////////////////////////////////////////////
                                EXITS
    //////////////////////////////////////////////////////////////*/

    /// @notice An exit of `shares` out of `supply` (virtual shares included): its collateral per registry entry,
    ///         rounded down, and its debt, rounded up, so rounding always favours the holders who stay.
    function exitShare(address registry, uint256 shares, uint256 supply)
        external
        view
        returns (uint256[] memory collateral, uint256 debtBaseUnits)
    {
        ILendingAdapter adapter = _layout().adapter;
        collateral = adapter.collateralBalances(_tokens(registry));
        for (uint256 i; i < collateral.length; ++i) {
            collateral[i] = collateral[i].mulDiv(shares, supply);
        }
        debtBaseUnits = adapter.debtBaseUnits().mulDiv(shares, supply, Math.Rounding.Ceil);
    }

    /// @notice An exit's lending side, after its shares are burnt.
    /// @param debtShare Debt repaid from the vault's base balance. @param hfBeforeWad Health factor before the
    ///        exit touched the position (0: read it now). @param navBefore, navAfter NAV around the exit for the
    ///        leverage check (navBefore 0: oracle-free exit, no leverage check).
    /// @param collateral Per registry entry, withdrawn to `collateralTo` after the repay (empty: none).
    struct ExitSettlement {
        address owner;
        uint256 shares;
        uint256 debtShare;
        uint256 hfBeforeWad;
        uint256 navBefore;
        uint256 navAfter;
        uint256[] collateral;
        address collateralTo;
    }

    /// @notice Repay the exit's debt share, hand over its collateral, then check the position: health factor no
    ///         lower than `min(before, minHealthFactor)` and, for oracle-priced exits, leverage no higher than
    ///         `max(before, maxLeverage)`. An exit from a vault already past a limit may not push it further.
    function settleExit(address registry, ExitSettlement memory e) public {
        Layout storage l = _layout();
        ILendingAdapter adapter = l.adapter;
        address[] memory tokens = _tokens(registry);
        uint256 debtBefore = adapter.debtBaseUnits();
        uint256 hfBefore = e.hfBeforeWad == 0 ? adapter.healthFactorWad() : e.hfBeforeWad;
        emit IRiskParityVault.ExitDebtRepaid(e.owner, e.shares, e.debtShare);
        if (e.debtShare != 0) {
            IERC20(tokens[0]).safeTransfer(address(adapter), e.debtShare);
            adapter.repay(e.debtShare);
        }
        for (uint256 i; i < e.collateral.length; ++i) {
            if (e.collateral[i] != 0) adapter.withdraw(tokens[i], e.collateral[i], e.collateralTo);
        }
        IRiskParityVault.LeverageParams memory p = l.params;
        uint256 maxLev = e.navBefore == 0
            ? type(uint256).max
            : Math.max(leverageBps(e.navBefore, debtBefore), p.maxLeverageBps);
        checkHealth(e.navAfter, Math.min(hfBefore, p.minHealthFactorWad), maxLev);
    }

    /// @notice After a swap exit that repaid its debt share with a flash loan: the health factor may not be lower
    ///         than min(before, minHealthFactor).
    function checkExitHealth(uint256 hfBeforeWad) external view {
        checkHealth(0, Math.min(hfBeforeWad, _layout().params.minHealthFactorWad), type(uint256).max);
    }

    /// @notice The lending side of an in-kind exit: the base slice `held[0]` repays the debt share first and
    ///         the caller pays any shortfall (pulled from `msg.sender`); the collateral slices go to `receiver`.
    ///         Emits the vault's `RedeemedInKind` with what `receiver` gets per registry entry.
    /// @return baseOut What is left of the base slice for `receiver`.
    function exitInKind(
        address registry,
        uint256[] memory held,
        uint256[] memory collateral,
        uint256 debtShare,
        address owner,
        address receiver,
        uint256 shares
    ) external returns (uint256 baseOut) {
        uint256 topUp = debtShare > held[0] ? debtShare - held[0] : 0;
        baseOut = held[0] + topUp - debtShare;
        uint256[] memory amounts = new uint256[](held.length);
        for (uint256 i; i < held.length; ++i) {
            amounts[i] = (i == 0 ? baseOut : held[i]) + collateral[i];
        }
        emit IRiskParityVault.RedeemedInKind(msg.sender, receiver, owner, shares, amounts);
        if (topUp != 0) IERC20(_tokens(registry)[0]).safeTransferFrom(msg.sender, address(this), topUp);
        settleExit(registry, ExitSettlement(owner, shares, debtShare, 0, 0, 0, collateral, receiver));
    }

    /*//////////////////////////////////////////////////////////////
                               RIPCORD
    //////////////////////////////////////////////////////////////*/

    struct RipcordContext {
        address registry;
        ISwapAdapter swapAdapter;
        uint256 maxSlippageBps;
        address sequencerFeed;
        uint256 sequencerGraceSeconds;
    }

    /// @notice The ripcord. Repays from the idle base first (it costs nothing); only if the health factor is then
    ///         still below the ripcord does it sell `amount` of `token` at the oracle floor, paying the caller the
    ///         reward out of the proceeds.
    /// @return repaid Debt repaid, idle and proceeds together.
    /// @return reward Paid to the caller.
    /// @return lossBaseUnits Oracle value sold less what it repaid (slippage plus reward).
    function deleverage(RipcordContext memory ctx, address token, uint256 amount, uint256 deadline)
        external
        returns (uint256 repaid, uint256 reward, uint256 lossBaseUnits)
    {
        ILendingAdapter adapter = _layout().adapter;
        IRiskParityVault.LeverageParams memory p = _layout().params;
        uint256 hfBefore = _checkRipcordTrigger(_layout(), p, deadline);
        IRiskParityVault.AssetConfig[] memory a = AssetRegistry.load(ctx.registry);

        _layout().lastDeleverageAt = uint64(block.timestamp);

        repaid = _repay(adapter, a[0].token, IERC20(a[0].token).balanceOf(address(this)));
        if (amount != 0 && adapter.debtBaseUnits() != 0 && adapter.healthFactorWad() < p.ripcordHealthFactorWad) {
            uint256 repaidFromSale;
            (repaidFromSale, reward, lossBaseUnits) = _ripcordSale(ctx, a, token, amount, p, deadline);
            repaid += repaidFromSale;
        } else {
            amount = 0; // nothing sold
        }
        uint256 hfAfter = adapter.healthFactorWad();
        if (hfAfter <= hfBefore) revert IRiskParityVault.RiskParityVaultHealthFactorNotImproved(hfBefore, hfAfter);
        // Emitted last: every amount in it is measured, not predicted.
        emit IRiskParityVault.Deleveraged(msg.sender, token, amount, repaid, reward, hfBefore, hfAfter);
    }

    /// @dev Withdraw and sell `amount` of `token` at the oracle floor, pay the reward, repay with the rest.
    function _ripcordSale(
        RipcordContext memory ctx,
        IRiskParityVault.AssetConfig[] memory a,
        address token,
        uint256 amount,
        IRiskParityVault.LeverageParams memory p,
        uint256 deadline
    ) private returns (uint256 repaid, uint256 reward, uint256 lossBaseUnits) {
        ILendingAdapter lending = _layout().adapter;
        address base = a[0].token;
        (uint256 minOut, uint256 valueSold) = _ripcordFloor(ctx, a, token, amount, p.ripcordMaxTradeBaseUnits);
        lending.withdraw(token, amount, address(this));
        uint256 received = _sell(ctx.swapAdapter, token, base, amount, minOut, deadline);
        reward = received * p.ripcordRewardBps / BPS;
        repaid = _repay(lending, base, received - reward);
        IERC20(base).safeTransfer(msg.sender, reward);
        lossBaseUnits = valueSold > received - reward ? valueSold - (received - reward) : 0;
    }

    /// @return repaid Up to `available` base units of debt, repaid from the vault's base balance.
    function _repay(ILendingAdapter adapter, address base, uint256 available) private returns (uint256 repaid) {
        repaid = Math.min(available, adapter.debtBaseUnits());
        if (repaid == 0) return 0;
        IERC20(base).safeTransfer(address(adapter), repaid);
        adapter.repay(repaid);
    }

    /// @return hfBefore The health factor now, below the ripcord.
    function _checkRipcordTrigger(Layout storage l, IRiskParityVault.LeverageParams memory p, uint256 deadline)
        private
        view
        returns (uint256 hfBefore)
    {
        if (address(l.adapter) == address(0)) revert IRiskParityVault.RiskParityVaultNoLendingAdapter();
        hfBefore = l.adapter.healthFactorWad();
        if (hfBefore >= p.ripcordHealthFactorWad) {
            revert IRiskParityVault.RiskParityVaultHealthFactorNotBelowRipcord(hfBefore, p.ripcordHealthFactorWad);
        }
        uint256 next = uint256(l.lastDeleverageAt) + p.ripcordCooldownSeconds;
        if (l.lastDeleverageAt != 0 && block.timestamp < next) {
            revert IRiskParityVault.RiskParityVaultRipcordCooldownActive(next, block.timestamp);
        }
        if (block.timestamp > deadline) revert IRiskParityVault.RiskParityVaultDeadlinePassed(deadline, block.timestamp);
    }

    /// @return minOut Oracle value of `amount` in base units less `maxSlippageBps`.
    /// @return value Oracle value of `amount` in base units, rounded up.
    function _ripcordFloor(
        RipcordContext memory ctx,
        IRiskParityVault.AssetConfig[] memory a,
        address token,
        uint256 amount,
        uint256 maxTradeBaseUnits
    ) private view returns (uint256 minOut, uint256 value) {
        if (address(ctx.swapAdapter) == address(0)) revert IRiskParityVault.RiskParityVaultNoSwapAdapter();
        (bool found, uint256 i) = AssetRegistry.tryIndexOf(a, token);
        if (!found || i == 0 || amount == 0) {
            revert IRiskParityVault.RiskParityVaultInvalidLendingAction(
                0, uint8(IRiskParityVault.LendingKind.Withdraw), token, amount
            );
        }
        Valuation.Price[] memory prices = Valuation.prices(a, ctx.sequencerFeed, ctx.sequencerGraceSeconds);
        value = Valuation.value(amount, prices[i], Math.Rounding.Ceil);
        if (value > maxTradeBaseUnits) revert IRiskParityVault.RiskParityVaultRipcordTradeTooLarge(value, maxTradeBaseUnits);
        minOut = Valuation.oracleAmountOut(amount, prices[i], prices[0]).mulDiv(
            BPS - ctx.maxSlippageBps, BPS, Math.Rounding.Ceil
        );
    }

    /// @return received Measured by the vault's own balance, as the vault's swaps are.
    function _sell(ISwapAdapter swapAdapter, address token, address base, uint256 amount, uint256 minOut, uint256 deadline)
        private
        returns (uint256 received)
    {
        uint256 before = IERC20(base).balanceOf(address(this));
        IERC20(token).safeTransfer(address(swapAdapter), amount);
        swapAdapter.swapExactIn(token, base, amount, minOut, address(this), deadline);
        received = IERC20(base).balanceOf(address(this)) - before;
        if (received < minOut) revert IRiskParityVault.RiskParityVaultTradeBelowMinimum(0, received, minOut);
    }

    /*//////////////////////////////////////////////////////////////
                                VIEWS
    //////////////////////////////////////////////////////////////*/

    function adapter() internal view returns (ILendingAdapter) {
        return _layout().adapter;
    }

    function params() external view returns (IRiskParityVault.LeverageParams memory) {
        return _layout().params;
    }

    function lastDeleverageAt() external view returns (uint64) {
        return _layout().lastDeleverageAt;
    }

    /*//////////////////////////////////////////////////////////////
                              INTERNALS
    //////////////////////////////////////////////////////////////*/

    function _layout() private pure returns (Layout storage l) {
        bytes32 slot = SLOT;
        assembly ("memory-safe") {
            l.slot := slot
        }
    }

    function _tokens(address registry) private view returns (address[] memory tokens) {
        IRiskParityVault.AssetConfig[] memory a = AssetRegistry.load(registry);
        tokens = new address[](a.length);
        for (uint256 i; i < a.length; ++i) {
            tokens[i] = a[i].token;
        }
    }

    function _anyCollateral(ILendingAdapter old, address registry) private view returns (bool) {
        uint256[] memory c = old.collateralBalances(_tokens(registry));
        for (uint256 i; i < c.length; ++i) {
            if (c[i] != 0) return true;
        }
        return false;
    }

    /// @return repays Whether any action is a Repay.
    function _validate(IRiskParityVault.LendingAction[] calldata actions, IRiskParityVault.AssetConfig[] memory a)
        private
        pure
        returns (bool repays)
    {
        for (uint256 k; k < actions.length; ++k) {
            IRiskParityVault.LendingAction calldata act = actions[k];
            (bool found, uint256 i) = AssetRegistry.tryIndexOf(a, act.token);
            bool borrowSide =
                act.kind == IRiskParityVault.LendingKind.Borrow || act.kind == IRiskParityVault.LendingKind.Repay;
            // Collateral is a registered non-base asset; the debt is always in the base asset.
            if (!found || act.amount == 0 || (borrowSide ? i != 0 : i == 0)) {
                revert IRiskParityVault.RiskParityVaultInvalidLendingAction(k, uint8(act.kind), act.token, act.amount);
            }
            if (act.kind == IRiskParityVault.LendingKind.Repay) repays = true;
        }
    }

    /// @notice Reverts naming the first field out of its bound or order.
    function checkParams(IRiskParityVault.LeverageParams memory p) public pure {
        // Ordering 1e18 < ripcord < min < target, each bound by the one before it.
        uint256 maxHf = MAX_TARGET_HEALTH_FACTOR_WAD;
        _checkBound("ripcordHealthFactorWad", p.ripcordHealthFactorWad, MIN_RIPCORD_HEALTH_FACTOR_WAD, maxHf);
        _checkBound("minHealthFactorWad", p.minHealthFactorWad, uint256(p.ripcordHealthFactorWad) + 1, maxHf);
        _checkBound("targetHealthFactorWad", p.targetHealthFactorWad, uint256(p.minHealthFactorWad) + 1, maxHf);
        _checkBound("maxLeverageBps", p.maxLeverageBps, MIN_MAX_LEVERAGE_BPS, MAX_MAX_LEVERAGE_BPS);
        _checkBound("ripcordRewardBps", p.ripcordRewardBps, 0, MAX_RIPCORD_REWARD_BPS);
        _checkBound(
            "ripcordCooldownSeconds", p.ripcordCooldownSeconds, MIN_RIPCORD_COOLDOWN_SECONDS, MAX_RIPCORD_COOLDOWN_SECONDS
        );
        _checkBound("ripcordMaxTradeBaseUnits", p.ripcordMaxTradeBaseUnits, 1, type(uint128).max);
    }

    function _setParams(IRiskParityVault.LeverageParams memory p) private {
        checkParams(p);
        _layout().params = p;
        emit IRiskParityVault.LeverageParamsUpdated(p);
    }

    function _checkBound(string memory field, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) {
            revert IRiskParityVault.RiskParityVaultLeverageParamsOutOfBounds(field, value, min, max);
        }
    }
}
