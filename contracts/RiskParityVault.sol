// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IRiskParityVault} from "../interfaces/IRiskParityVault.sol";
import {ISwapAdapter} from "../interfaces/ISwapAdapter.sol";
import {AssetRegistry} from "./libraries/AssetRegistry.sol";
import {PackedBps} from "./libraries/PackedBps.sol";
import {Valuation} from "./libraries/Valuation.sol";
import {RiskParityVaultAdmin} from "./libraries/RiskParityVaultAdmin.sol";
import {LeverageLogic} from "./libraries/LeverageLogic.sol";

/// @title RiskParityVault
/// @notice ERC-4626 vault over a USD stablecoin holding an oracle-valued basket that a keeper moves toward
///         risk-parity targets through a swap adapter. See IRiskParityVault for the API and units.
/// @dev Shares are priced from oracle NAV only, never from DEX spot. NAV is rounded up when pricing shares a
///      caller receives for assets, down when pricing assets a caller receives for shares, so previews never
///      flatter the caller. Virtual shares (decimals offset 6, as OpenZeppelin recommends) make a first-depositor
///      donation attack cost the attacker far more than it can take from the next depositor.
contract RiskParityVault is ERC4626, RiskParityVaultAdmin {
    using SafeERC20 for IERC20;
    using Math for uint256;

    uint8 private constant DECIMALS_OFFSET = 6;
    uint256 private constant VIRTUAL_SHARES = 10 ** DECIMALS_OFFSET;
    uint256 private constant BPS = 10_000;

    /// @param baseOracle Oracle settings of the base asset; its `token` field is ignored, its `feed` may be zero.
    /// @param sequencerFeed L2 sequencer uptime feed, or address(0) on L1.
    constructor(
        IERC20 base,
        string memory name_,
        string memory symbol_,
        address governance,
        AssetParams memory baseOracle,
        Thresholds memory thresholds_,
        uint256 depositCapAssets,
        address sequencerFeed,
        uint256 sequencerGraceSeconds
    )
        ERC20(name_, symbol_)
        ERC4626(base)
        RiskParityVaultAdmin(
            base, governance, baseOracle, thresholds_, depositCapAssets, sequencerFeed, sequencerGraceSeconds
        )
    {}

    /*//////////////////////////////////////////////////////////////
                            ACCOUNTING LOGIC
    //////////////////////////////////////////////////////////////*/

    /// @notice Oracle NAV in base units, rounded down. Reverts with the oracle's named error on a bad price.
    /// @dev Refuses to answer in the middle of one of this vault's own state-changing calls, when balances are
    ///      between two swaps (read-only reentrancy).
    function totalAssets() public view override returns (uint256) {
        if (_reentrancyGuardEntered()) revert RiskParityVaultReentrantView();
        (uint256 nav,,) = _navAndIdle(Math.Rounding.Floor);
        return nav;
    }

    function previewDeposit(uint256 assets) public view override returns (uint256) {
        (uint256 nav,,) = _navAndIdle(Math.Rounding.Ceil);
        return _toShares(assets, nav, Math.Rounding.Floor);
    }

    function previewMint(uint256 shares) public view override returns (uint256) {
        (uint256 nav,,) = _navAndIdle(Math.Rounding.Ceil);
        return _toAssets(shares, nav, Math.Rounding.Ceil);
    }

    function previewWithdraw(uint256 assets) public view override returns (uint256) {
        (uint256 nav,,) = _navAndIdle(Math.Rounding.Floor);
        return _toShares(assets, nav, Math.Rounding.Ceil);
    }

    function previewRedeem(uint256 shares) public view override returns (uint256) {
        (uint256 nav,,) = _navAndIdle(Math.Rounding.Floor);
        return _toAssets(shares, nav, Math.Rounding.Floor);
    }

    /// @dev Reverts with the oracle's error when a price is bad (ERC-4626 says MUST NOT revert; pricing shares
    ///      on a bad oracle would be worse).
    function maxDeposit(address) public view override returns (uint256) {
        if (_depositsPaused) return 0;
        uint256 cap = _depositCapAssets;
        if (cap == type(uint128).max) return type(uint256).max;
        (uint256 nav,,) = _navAndIdle(Math.Rounding.Ceil);
        return cap > nav ? cap - nav : 0;
    }

    function maxMint(address receiver) public view override returns (uint256) {
        uint256 maxAssets = maxDeposit(receiver);
        if (maxAssets == type(uint256).max || maxAssets == 0) return maxAssets;
        (uint256 nav,,) = _navAndIdle(Math.Rounding.Ceil);
        return _toShares(maxAssets, nav, Math.Rounding.Floor);
    }

    /// @notice Limited by the idle base asset: the standard exits never sell anything. While levered, the idle
    ///         base also repays the exit's share of the debt, so only idle x NAV / (NAV + debt) can go out.
    function maxWithdraw(address owner) public view override returns (uint256) {
        (uint256 nav, uint256 idle, uint256 debt) = _navAndIdle(Math.Rounding.Floor);
        return Math.min(_toAssets(balanceOf(owner), nav, Math.Rounding.Floor), _idleForExits(idle, nav, debt));
    }

    function maxRedeem(address owner) public view override returns (uint256) {
        (uint256 nav, uint256 idle, uint256 debt) = _navAndIdle(Math.Rounding.Floor);
        return Math.min(balanceOf(owner), _toShares(_idleForExits(idle, nav, debt), nav, Math.Rounding.Floor));
    }

    /*//////////////////////////////////////////////////////////////
                        DEPOSIT/WITHDRAWAL LOGIC
    //////////////////////////////////////////////////////////////*/

    // The four ERC-4626 entry points are rewritten so each prices the oracles once (OpenZeppelin's versions
    // call max* and preview*, which would read every feed twice).

    function deposit(uint256 assets, address receiver) public override nonReentrant returns (uint256 shares) {
        uint256 nav = _navForDeposit();
        _checkCap(receiver, assets, nav);
        shares = _toShares(assets, nav, Math.Rounding.Floor);
        if (shares == 0) revert RiskParityVaultZeroShares(assets);
        _deposit(_msgSender(), receiver, assets, shares);
    }

    function mint(uint256 shares, address receiver) public override nonReentrant returns (uint256 assets) {
        if (shares == 0) revert RiskParityVaultZeroAmount();
        uint256 nav = _navForDeposit();
        assets = _toAssets(shares, nav, Math.Rounding.Ceil);
        _checkCap(receiver, assets, nav);
        _deposit(_msgSender(), receiver, assets, shares);
    }

    function withdraw(uint256 assets, address receiver, address owner)
        public
        override
        nonReentrant
        returns (uint256 shares)
    {
        (uint256 nav, uint256 idle, uint256 debt) = _navAndIdle(Math.Rounding.Floor);
        shares = _toShares(assets, nav, Math.Rounding.Ceil);
        _exitFromIdle(owner, receiver, assets, shares, [nav, idle, debt]);
    }

    function redeem(uint256 shares, address receiver, address owner)
        public
        override
        nonReentrant
        returns (uint256 assets)
    {
        (uint256 nav, uint256 idle, uint256 debt) = _navAndIdle(Math.Rounding.Floor);
        assets = _toAssets(shares, nav, Math.Rounding.Floor);
        _exitFromIdle(owner, receiver, assets, shares, [nav, idle, debt]);
    }

    /// @inheritdoc IRiskParityVault
    function redeemInKind(uint256 shares, address receiver, address owner)
        external
        nonReentrant
        returns (uint256[] memory amounts)
    {
        AssetConfig[] memory a = AssetRegistry.load(_registry);
        (uint256[] memory held, uint256[] memory collateral, uint256 debtShare) = _burnForSlices(shares, owner, a);
        amounts = held;
        if (collateral.length == 0) {
            emit RedeemedInKind(_msgSender(), receiver, owner, shares, amounts);
        } else {
            held[0] = LeverageLogic.exitInKind(_registry, held, collateral, debtShare, owner, receiver, shares);
        }
        for (uint256 i; i < a.length; ++i) {
            if (held[i] != 0) IERC20(a[i].token).safeTransfer(receiver, held[i]);
            // The collateral slices went to `receiver` straight from the lending market.
            if (collateral.length != 0) amounts[i] += collateral[i];
        }
    }

    /// @inheritdoc IRiskParityVault
    function redeemWithSwap(uint256 shares, address receiver, address owner, uint256 minAssetsOut, uint256 deadline)
        external
        nonReentrant
        returns (uint256 assets)
    {
        if (block.timestamp > deadline) revert RiskParityVaultDeadlinePassed(deadline, block.timestamp);
        if (address(_swapAdapter) == address(0)) revert RiskParityVaultNoSwapAdapter();
        AssetConfig[] memory a = AssetRegistry.load(_registry);
        (uint256[] memory slices, uint256[] memory collateral, uint256 debtShare) = _burnForSlices(shares, owner, a);
        uint256 hfBefore = _withdrawExitCollateral(slices, collateral);
        assets = _sellSlices(a, slices, deadline);
        if (assets < debtShare) revert RiskParityVaultInsufficientOutput(assets, debtShare);
        assets -= debtShare;
        if (assets < minAssetsOut) revert RiskParityVaultInsufficientOutput(assets, minAssetsOut);
        emit Withdraw(_msgSender(), receiver, owner, assets, shares);
        IERC20(a[0].token).safeTransfer(receiver, assets);
        if (collateral.length != 0) {
            LeverageLogic.settleExit(
                _registry,
                LeverageLogic.ExitSettlement(owner, shares, debtShare, hfBefore, 0, 0, new uint256[](0), address(0))
            );
        }
    }

    /*//////////////////////////////////////////////////////////////
                               REBALANCE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IRiskParityVault
    function rebalance(RebalanceParams calldata params) external nonReentrant onlyRole(KEEPER_ROLE) {
        LendingAction[] calldata none;
        assembly ("memory-safe") {
            none.offset := 0
            none.length := 0
        }
        _rebalance(params, none);
    }

    /// @inheritdoc IRiskParityVault
    function rebalanceWithLending(RebalanceParams calldata params, LendingAction[] calldata actions)
        external
        nonReentrant
        onlyRole(KEEPER_ROLE)
    {
        _rebalance(params, actions);
    }

    /// @inheritdoc IRiskParityVault
    function deleverage(address token, uint256 amount, uint256 deadline)
        external
        nonReentrant
        returns (uint256 repaidBaseUnits, uint256 rewardBaseUnits)
    {
        return LeverageLogic.deleverage(
            LeverageLogic.RipcordContext(_registry, _swapAdapter, _maxSlippageBps, _sequencerFeed, _sequencerGraceSeconds),
            token,
            amount,
            deadline
        );
    }

    /// @dev Values are gross (held plus supplied, debt not subtracted): target weights describe the composition
    ///      of the gross basket, leverage its size against NAV (NAV = gross - debt).
    function _rebalance(RebalanceParams calldata params, LendingAction[] calldata actions) private {
        uint64 current = _checkRebalanceWindow(params.expectedEpoch, params.deadline);
        AssetConfig[] memory a = AssetRegistry.load(_registry);
        uint16[] memory targets = params.targetWeightsBps;
        PackedBps.checkWeights(targets, a.length);

        Valuation.Price[] memory p = Valuation.prices(a, _sequencerFeed, _sequencerGraceSeconds);
        uint256[2] memory navAndDistanceBefore = _navAndDistance(a, p, targets);
        if (navAndDistanceBefore[0] == 0) revert RiskParityVaultEmpty();
        (uint256 turnover, uint256[] memory minOuts) = _checkTrades(params.trades, a, p, navAndDistanceBefore[0]);

        _epoch = current + 1;
        _lastRebalanceAt = uint64(block.timestamp);
        _targetWeightsBps = PackedBps.pack(targets);

        if (actions.length != 0) LeverageLogic.execute(_registry, actions, false, current);
        _executeTrades(params.trades, minOuts, params.deadline);
        if (actions.length != 0) LeverageLogic.execute(_registry, actions, true, current);

        uint256 navAfter = _checkAfterRebalance(a, p, targets, navAndDistanceBefore, actions.length != 0);
        emit Rebalanced(current, navAndDistanceBefore[0], navAfter, turnover, targets);
    }

    /// @return r NAV in base units and the distance of the gross composition to `targets` (1e18).
    function _navAndDistance(AssetConfig[] memory a, Valuation.Price[] memory p, uint16[] memory targets)
        private
        view
        returns (uint256[2] memory r)
    {
        (uint256[] memory v, uint256 nav, uint256 gross) = _values(a, p);
        r[0] = nav;
        if (gross != 0) r[1] = Valuation.distanceWad(v, targets, gross);
    }

    /// @dev Same prices as before: the trades cannot move the oracles, so any NAV change is execution cost.
    function _checkAfterRebalance(
        AssetConfig[] memory a,
        Valuation.Price[] memory p,
        uint16[] memory targets,
        uint256[2] memory before,
        bool withLending
    ) private view returns (uint256 navAfter) {
        uint256[2] memory afterwards = _navAndDistance(a, p, targets);
        navAfter = afterwards[0];
        uint256 minNavAfter = before[0].mulDiv(BPS - _maxNavLossBps, BPS, Math.Rounding.Ceil);
        if (navAfter < minNavAfter) revert RiskParityVaultNavLossExceeded(before[0], navAfter, minNavAfter);
        // A pure leverage change moves the gross composition by its execution cost, bounded like the NAV loss.
        uint256 slackWad = withLending ? uint256(_maxNavLossBps) * 1e14 : 0;
        if (afterwards[1] > before[1] + slackWad) revert RiskParityVaultDistanceGrew(before[1], afterwards[1]);
        if (address(LeverageLogic.adapter()) != address(0)) LeverageLogic.checkRebalance(navAfter);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNALS
    //////////////////////////////////////////////////////////////*/

    function _decimalsOffset() internal pure override returns (uint8) {
        return DECIMALS_OFFSET;
    }

    function _toShares(uint256 assets, uint256 nav, Math.Rounding rounding) private view returns (uint256) {
        return assets.mulDiv(totalSupply() + VIRTUAL_SHARES, nav + 1, rounding);
    }

    function _toAssets(uint256 shares, uint256 nav, Math.Rounding rounding) private view returns (uint256) {
        return shares.mulDiv(nav + 1, totalSupply() + VIRTUAL_SHARES, rounding);
    }

    /// @return nav Held plus supplied, oracle-valued, less the debt (zero if the debt is larger).
    /// @return idle Base asset held by the vault. @return debt Base units owed to the lending market.
    function _navAndIdle(Math.Rounding rounding) private view returns (uint256 nav, uint256 idle, uint256 debt) {
        AssetConfig[] memory a = AssetRegistry.load(_registry);
        Valuation.Price[] memory p = Valuation.prices(a, _sequencerFeed, _sequencerGraceSeconds);
        uint256[] memory balances;
        (balances, debt) = _holdings(a);
        uint256 gross = Valuation.nav(balances, p, rounding);
        return (gross > debt ? gross - debt : 0, balances[0], debt);
    }

    /// @return balances Held plus supplied per registry entry (collateral is never the base asset).
    function _holdings(AssetConfig[] memory a) private view returns (uint256[] memory balances, uint256 debt) {
        balances = Valuation.balancesOf(a, address(this));
        if (address(LeverageLogic.adapter()) != address(0)) {
            (balances, debt) = LeverageLogic.addCollateral(_registry, balances);
        }
    }

    /// @return v Gross value per entry, rounded down. @return nav `gross - debt`, floored at zero.
    function _values(AssetConfig[] memory a, Valuation.Price[] memory p)
        private
        view
        returns (uint256[] memory v, uint256 nav, uint256 gross)
    {
        (uint256[] memory balances, uint256 debt) = _holdings(a);
        (v, gross) = Valuation.values(balances, p);
        nav = gross > debt ? gross - debt : 0;
    }

    /// @dev Idle base that can leave through the standard exits: each base unit out takes debt / NAV of debt
    ///      with it. A few units of margin cover the rounding of shares and debt shares (both against the exit).
    function _idleForExits(uint256 idle, uint256 nav, uint256 debt) private pure returns (uint256) {
        if (debt == 0) return idle;
        return idle > 4 ? (idle - 4).mulDiv(nav, nav + debt) : 0;
    }

    /// @param state NAV, idle base and debt before the exit (an array to keep the stack shallow).
    function _exitFromIdle(address owner, address receiver, uint256 assets, uint256 shares, uint256[3] memory state)
        private
    {
        (uint256 nav, uint256 idle, uint256 debt) = (state[0], state[1], state[2]);
        if (debt == 0) {
            if (assets > idle) revert RiskParityVaultInsufficientIdle(assets, idle);
            _withdraw(_msgSender(), receiver, owner, assets, shares);
            return;
        }
        uint256 debtShare = debt.mulDiv(shares, totalSupply() + VIRTUAL_SHARES, Math.Rounding.Ceil);
        if (assets + debtShare > idle) revert RiskParityVaultInsufficientIdle(assets + debtShare, idle);
        _withdraw(_msgSender(), receiver, owner, assets, shares);
        LeverageLogic.settleExit(
            _registry,
            LeverageLogic.ExitSettlement(owner, shares, debtShare, 0, nav, nav - assets, new uint256[](0), address(0))
        );
    }

    /// @dev Collateral first (Aave checks the health factor on each withdrawal), then the sales, then the repay.
    /// @return hfBefore The health factor before the exit (0 when not levered).
    function _withdrawExitCollateral(uint256[] memory slices, uint256[] memory collateral)
        private
        returns (uint256 hfBefore)
    {
        if (collateral.length == 0) return 0;
        hfBefore = LeverageLogic.withdrawForExit(_registry, collateral);
        for (uint256 i = 1; i < slices.length; ++i) {
            slices[i] += collateral[i];
        }
    }

    /// @return assets The base slice plus what the other slices sold for.
    function _sellSlices(AssetConfig[] memory a, uint256[] memory slices, uint256 deadline)
        private
        returns (uint256 assets)
    {
        ISwapAdapter adapter = _swapAdapter;
        address base = a[0].token;
        assets = slices[0];
        for (uint256 i = 1; i < a.length; ++i) {
            // A slice too small to buy even one base unit stays in the vault rather than blocking the exit.
            if (slices[i] == 0 || adapter.quoteExactIn(a[i].token, base, slices[i]) == 0) continue;
            assets += _swap(adapter, a[i].token, base, slices[i], 0, deadline);
        }
    }

    function _navForDeposit() private view returns (uint256 nav) {
        if (_depositsPaused) revert RiskParityVaultDepositsPaused();
        (nav,,) = _navAndIdle(Math.Rounding.Ceil);
    }

    function _checkCap(address receiver, uint256 assets, uint256 nav) private view {
        uint256 cap = _depositCapAssets;
        if (cap != type(uint128).max && nav + assets > cap) {
            revert ERC4626ExceededMaxDeposit(receiver, assets, cap > nav ? cap - nav : 0);
        }
    }

    /// @dev Slices are taken before the burn against supply plus the virtual shares, rounded down: the virtual
    ///      holder's part and the rounding dust stay with the remaining holders.
    ///      With a lending adapter, also the exit's collateral (rounded down) and debt (rounded up); `collateral`
    ///      is empty without one.
    function _burnForSlices(uint256 shares, address owner, AssetConfig[] memory a)
        private
        returns (uint256[] memory slices, uint256[] memory collateral, uint256 debtShare)
    {
        if (shares == 0) revert RiskParityVaultZeroAmount();
        address caller = _msgSender();
        if (caller != owner) _spendAllowance(owner, caller, shares);
        uint256 supply = totalSupply() + VIRTUAL_SHARES;
        slices = Valuation.balancesOf(a, address(this));
        for (uint256 i; i < slices.length; ++i) {
            slices[i] = slices[i].mulDiv(shares, supply);
        }
        if (address(LeverageLogic.adapter()) != address(0)) {
            (collateral, debtShare) = LeverageLogic.exitShare(_registry, shares, supply);
        }
        _burn(owner, shares);
    }

    /// @return current The epoch this rebalance runs in.
    function _checkRebalanceWindow(uint64 expectedEpoch, uint256 deadline) private view returns (uint64 current) {
        if (_rebalancesPaused) revert RiskParityVaultRebalancesPaused();
        if (block.timestamp > deadline) revert RiskParityVaultDeadlinePassed(deadline, block.timestamp);
        current = _epoch;
        if (expectedEpoch != current) revert RiskParityVaultWrongEpoch(expectedEpoch, current);
        uint256 last = _lastRebalanceAt;
        if (last != 0 && block.timestamp < last + _cooldownSeconds) {
            revert RiskParityVaultCooldownActive(last + _cooldownSeconds, block.timestamp);
        }
    }

    /// @dev Validates every trade, the turnover, and each trade's minimum output before any external call.
    function _checkTrades(
        Trade[] calldata trades,
        AssetConfig[] memory a,
        Valuation.Price[] memory p,
        uint256 navBefore
    ) private view returns (uint256 turnover, uint256[] memory minOuts) {
        minOuts = new uint256[](trades.length);
        uint256 keepBps = BPS - _maxSlippageBps;
        for (uint256 t; t < trades.length; ++t) {
            uint256 valueIn;
            (valueIn, minOuts[t]) = _checkTrade(t, trades[t], a, p, keepBps);
            turnover += valueIn;
        }
        uint256 maxTurnover = navBefore * _maxTurnoverBps / BPS;
        if (turnover > maxTurnover) revert RiskParityVaultTurnoverExceeded(turnover, maxTurnover);
    }

    /// @return valueIn Oracle value of the input in base units, rounded up (turnover is a limit).
    /// @return minOut The stricter of the keeper's minimum and the oracle value less `maxSlippageBps`.
    function _checkTrade(
        uint256 t,
        Trade calldata trade,
        AssetConfig[] memory a,
        Valuation.Price[] memory p,
        uint256 keepBps
    ) private pure returns (uint256 valueIn, uint256 minOut) {
        (bool foundIn, uint256 i) = AssetRegistry.tryIndexOf(a, trade.tokenIn);
        (bool foundOut, uint256 o) = AssetRegistry.tryIndexOf(a, trade.tokenOut);
        if (!foundIn || !foundOut || i == o || trade.amountIn == 0) {
            revert RiskParityVaultInvalidTrade(t, trade.tokenIn, trade.tokenOut, trade.amountIn);
        }
        valueIn = Valuation.value(trade.amountIn, p[i], Math.Rounding.Ceil);
        uint256 oracleFloor =
            Valuation.oracleAmountOut(trade.amountIn, p[i], p[o]).mulDiv(keepBps, BPS, Math.Rounding.Ceil);
        minOut = Math.max(trade.minAmountOut, oracleFloor);
    }

    function _executeTrades(Trade[] calldata trades, uint256[] memory minOuts, uint256 deadline) private {
        if (trades.length == 0) return;
        ISwapAdapter adapter = _swapAdapter;
        if (address(adapter) == address(0)) revert RiskParityVaultNoSwapAdapter();
        for (uint256 t; t < trades.length; ++t) {
            Trade calldata trade = trades[t];
            uint256 received = _swap(adapter, trade.tokenIn, trade.tokenOut, trade.amountIn, minOuts[t], deadline);
            if (received < minOuts[t]) revert RiskParityVaultTradeBelowMinimum(t, received, minOuts[t]);
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
}
