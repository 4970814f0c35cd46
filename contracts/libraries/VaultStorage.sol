// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IRiskParityVault} from "../../interfaces/IRiskParityVault.sol";
import {ISwapAdapter} from "../../interfaces/ISwapAdapter.sol";

/// @title VaultStorage
/// @notice The vault's own state, in one ERC-7201 namespace shared by the core (RiskParityVault) and the module
///         it delegatecalls (RiskParityVaultModule). Neither contract declares a state variable: OpenZeppelin's
///         upgradeable bases keep ERC-20, ERC-4626, AccessControl and ReentrancyGuard state in their own
///         namespaces, and LeverageLogic keeps the lending state in `riskparityvault.storage.Leverage`, so no two
///         layouts can collide however either contract changes.
library VaultStorage {
    /// @custom:storage-location erc7201:riskparityvault.storage.Vault
    struct Layout {
        // Slot 0: everything a deposit or exit reads besides balances and prices.
        address registry; // CodeStore pointer to the packed AssetConfig[]
        bool depositsPaused;
        bool rebalancesPaused;
        uint32 cooldownSeconds;
        uint16 maxSlippageBps;
        uint16 maxNavLossBps; // per rebalance
        // Slot 1: fixed at deployment, and the holder protections.
        address sequencerFeed; // address(0) on L1
        uint32 sequencerGraceSeconds;
        uint16 entryFeeFloorBps;
        uint32 shareLockSeconds;
        // Slot 2: rebalance bookkeeping and the cap.
        uint64 epoch;
        uint64 lastRebalanceAt; // unix seconds, 0 before the first rebalance
        uint128 depositCapAssets; // base units; type(uint128).max means no cap
        // Slot 3: the rolling loss budget.
        uint16 maxTurnoverBps;
        uint16 lossBudgetBps; // per lossPeriodSeconds
        uint32 lossPeriodSeconds;
        uint64 lossUsedWad; // share of NAV lost, as of lossUpdatedAt (1e18 = all of it)
        uint64 lossUpdatedAt; // unix seconds
        uint32 timelockSeconds; // delay of risk-increasing changes
        // Slots 4-6.
        uint256 riskBudgetsBps; // PackedBps, registry order
        uint256 targetWeightsBps; // PackedBps, registry order
        ISwapAdapter swapAdapter;
        // Per holder: shares still locked after a deposit. Bits 0-191 shares, 192-255 unlock time (unix seconds).
        mapping(address owner => uint256 packed) shareLocks;
        // Risk-increasing changes waiting out the timelock: keccak256(calldata) -> executable from (unix seconds).
        mapping(bytes32 dataHash => uint256 executableAt) pendingChanges;
    }

    // keccak256(abi.encode(uint256(keccak256("riskparityvault.storage.Vault")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant SLOT = 0xf91da0d78a92a015d178c862ad640d2e0f9d14e42bef645c23de3b9fe823d600;

    function layout() internal pure returns (Layout storage l) {
        bytes32 slot = SLOT;
        assembly ("memory-safe") {
            l.slot := slot
        }
    }

    function thresholds(Layout storage l) internal view returns (IRiskParityVault.Thresholds memory) {
        return IRiskParityVault.Thresholds(l.maxSlippageBps, l.maxNavLossBps, l.maxTurnoverBps, l.cooldownSeconds);
    }

    function protection(Layout storage l) internal view returns (IRiskParityVault.ProtectionParams memory) {
        return IRiskParityVault.ProtectionParams(
            l.entryFeeFloorBps, l.shareLockSeconds, l.lossBudgetBps, l.lossPeriodSeconds
        );
    }
}
