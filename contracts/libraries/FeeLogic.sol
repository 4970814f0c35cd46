// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IRiskParityVault} from "../../interfaces/IRiskParityVault.sol";

/// @title FeeLogic
/// @notice The vault's holder fees: a streaming management fee and a performance fee over a high-water mark of
///         the share price, both paid as new shares to the fee recipient. The core mints what `accrue` returns
///         before every deposit, mint and exit; rebalances, the ripcord and the fee setters accrue through the
///         vault's `accrueFees` first. Views price shares with `pendingShares` added to the supply, so a preview
///         equals what the call does in the same block.
/// @dev An external library (deployed once, linked into the core and the admin, reached by DELEGATECALL), so the
///      core keeps only the mint. Its state lives in the vault in its own ERC-7201 namespace. Errors and events are
///      the vault's (IRiskParityVault), emitted as the vault.
///      One accrual, over `elapsed` seconds since the last, with S shares and V = 10^6 virtual shares:
///      1. management: x = (S + V) * r / (1 - r), r = managementFeeBps * elapsed / (10,000 * 365 days), rounded
///         down. Every share, the virtual ones included, is diluted by exactly r: the recipient gets r of NAV.
///         Needs no price (an exit that needs no oracle still accrues it).
///      2. performance, at the price after step 1: the gain over the mark, G = NAV + 1 - mark * (S + x + V) /
///         1e18 (mark rounded up), if positive; fee F = G * performanceFeeBps / 10,000; shares y = F * (S + x + V)
///         / (NAV + 1 - F), all rounded down (Morpho Vault V2's conversion: the recipient gets F of NAV).
///      3. the mark becomes max(mark, (NAV + 1) * 1e18 / (S + x + y + V)): it only moves up, and it follows the
///         price while the performance fee is zero, so turning the fee on never charges for gains before it.
///      Nothing accrues while S = 0 (nobody to charge); the mark is still set from the price then.
library FeeLogic {
    using Math for uint256;
    using SafeCast for uint256;

    /// @custom:storage-location erc7201:riskparityvault.storage.Fees
    struct Layout {
        // Slot 0: read by every accrual, written by governance.
        address recipient;
        uint16 managementFeeBps; // per year
        uint16 performanceFeeBps; // of the gain over the high-water mark
        // Slot 1: written by every accrual.
        uint192 highWaterMarkWad; // share price: base units per share unit, x 1e18
        uint64 lastAccrualAt; // unix seconds
    }

    // keccak256(abi.encode(uint256(keccak256("riskparityvault.storage.Fees")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant SLOT = 0x1bbbb886f8a6f5e4b6b9ebe7187ebbf961ed32cf3c5daaaaf4a2659811986700;

    /// @notice Hard bounds on what governance may set: 5% a year, 30% of the gain.
    uint256 internal constant MAX_MANAGEMENT_FEE_BPS = 500;
    uint256 internal constant MAX_PERFORMANCE_FEE_BPS = 3_000;

    uint256 private constant BPS = 10_000;
    uint256 private constant WAD = 1e18;
    uint256 private constant YEAR_SECONDS = 365 days;
    /// @dev The core's virtual shares (10 ** its decimals offset, 6).
    uint256 private constant VIRTUAL_SHARES = 1e6;
    /// @dev One accrual dilutes by at most half (r <= 1/2): only a vault left alone for ten years at the 5% cap
    ///      reaches it, and it keeps 1 - r away from zero.
    uint256 private constant MAX_RATE_BPS_SECONDS = BPS * YEAR_SECONDS / 2;

    /*//////////////////////////////////////////////////////////////
                                ACCRUAL
    //////////////////////////////////////////////////////////////*/

    /// @notice Record an accrual now and return what the core mints.
    /// @param priced Whether `navBaseUnits` is the oracle NAV; when false (an exit whose oracle read failed) only
    ///        the management fee accrues and the mark stays.
    /// @param supply Shares outstanding before the fee shares.
    /// @return recipient Who gets the shares. @return shares Management plus performance fee shares.
    function accrue(bool priced, uint256 navBaseUnits, uint256 supply)
        external
        returns (address recipient, uint256 shares)
    {
        Layout storage f = _layout();
        (uint256 m, uint256 p, uint256 mark) = _due(f, priced, navBaseUnits, supply);
        (f.highWaterMarkWad, f.lastAccrualAt) = (mark.toUint192(), uint64(block.timestamp));
        recipient = f.recipient;
        shares = m + p;
        if (shares != 0) emit IRiskParityVault.FeesAccrued(recipient, m, p, navBaseUnits, mark);
    }

    /// @notice The fee shares an accrual would mint now at `navBaseUnits` over `supply` shares.
    function pendingShares(uint256 navBaseUnits, uint256 supply)
        external
        view
        returns (uint256 managementShares, uint256 performanceShares)
    {
        (managementShares, performanceShares,) = _due(_layout(), true, navBaseUnits, supply);
    }

    function _due(Layout storage f, bool priced, uint256 nav, uint256 supply)
        private
        view
        returns (uint256 m, uint256 p, uint256 mark)
    {
        mark = f.highWaterMarkWad;
        if (supply != 0) {
            uint256 rate = Math.min(f.managementFeeBps * (block.timestamp - f.lastAccrualAt), MAX_RATE_BPS_SECONDS);
            m = (supply + VIRTUAL_SHARES).mulDiv(rate, BPS * YEAR_SECONDS - rate);
        }
        if (!priced) return (m, 0, mark);
        uint256 s = supply + m + VIRTUAL_SHARES;
        // The first mark is set from the price, never charged against: a mark of zero is "no mark yet".
        if (supply != 0 && mark != 0) {
            uint256 markAssets = mark.mulDiv(s, WAD, Math.Rounding.Ceil);
            if (nav + 1 > markAssets) {
                uint256 fee = (nav + 1 - markAssets).mulDiv(f.performanceFeeBps, BPS);
                p = fee.mulDiv(s, nav + 1 - fee);
            }
        }
        mark = Math.max(mark, (nav + 1).mulDiv(WAD, s + p));
    }

    /*//////////////////////////////////////////////////////////////
                               SETTINGS
    //////////////////////////////////////////////////////////////*/

    /// @dev The caller has accrued at the old rates first. A non-zero fee needs a recipient.
    function setFees(uint16 managementFeeBps, uint16 performanceFeeBps) external {
        if (managementFeeBps > MAX_MANAGEMENT_FEE_BPS) {
            revert IRiskParityVault.RiskParityVaultManagementFeeTooHigh(managementFeeBps, MAX_MANAGEMENT_FEE_BPS);
        }
        if (performanceFeeBps > MAX_PERFORMANCE_FEE_BPS) {
            revert IRiskParityVault.RiskParityVaultPerformanceFeeTooHigh(performanceFeeBps, MAX_PERFORMANCE_FEE_BPS);
        }
        Layout storage f = _layout();
        if (f.recipient == address(0) && (managementFeeBps != 0 || performanceFeeBps != 0)) {
            revert IRiskParityVault.RiskParityVaultNoFeeRecipient();
        }
        (f.managementFeeBps, f.performanceFeeBps) = (managementFeeBps, performanceFeeBps);
        emit IRiskParityVault.FeesUpdated(managementFeeBps, performanceFeeBps);
    }

    /// @dev The caller has accrued first, so the old recipient keeps what accrued before the change.
    function setRecipient(address recipient) external {
        Layout storage f = _layout();
        if (recipient == address(0) && (f.managementFeeBps != 0 || f.performanceFeeBps != 0)) {
            revert IRiskParityVault.RiskParityVaultNoFeeRecipient();
        }
        emit IRiskParityVault.FeeRecipientUpdated(f.recipient, recipient);
        f.recipient = recipient;
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    function state() external view returns (IRiskParityVault.FeeState memory) {
        Layout storage f = _layout();
        return IRiskParityVault.FeeState(
            f.recipient, f.managementFeeBps, f.performanceFeeBps, f.highWaterMarkWad, f.lastAccrualAt
        );
    }

    function _layout() private pure returns (Layout storage l) {
        bytes32 slot = SLOT;
        assembly ("memory-safe") {
            l.slot := slot
        }
    }
}
