// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IRiskParityVault} from "../../interfaces/IRiskParityVault.sol";
import {VaultStorage} from "../libraries/VaultStorage.sol";

/// @title ModuleBase
/// @notice What the vault's two delegated contracts (RiskParityVaultModule and RiskParityVaultAdmin) share: the
///         direct-call guard, role checks against the core's AccessControl, and the rolling loss budget's refill.
/// @dev Neither contract declares a state variable: they run by DELEGATECALL in the vault's storage (VaultStorage,
///      LeverageLogic and OpenZeppelin's ERC-7201 namespaces).
abstract contract ModuleBase {
    bytes32 internal constant DEFAULT_ADMIN_ROLE = 0x00;
    bytes32 internal constant MANAGER_ROLE = keccak256("MANAGER_ROLE");
    bytes32 internal constant KEEPER_ROLE = keccak256("KEEPER_ROLE");
    bytes32 internal constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    uint256 internal constant BPS = 10_000;

    /// @dev This contract's own address: a call that is not a DELEGATECALL runs with `address(this) == _self`.
    address private immutable _self = address(this);

    modifier onlyDelegated() {
        _checkDelegated();
        _;
    }

    /// @dev Roles live in the core's AccessControl; a self-call reads them (the vault's account is warm).
    modifier onlyRole(bytes32 role) {
        _checkRole(role);
        _;
    }

    /// @dev The holder fees due now are minted first, through the core's `accrueFees` (a self-call, so it must
    ///      come before this call's own `nonReentrant`).
    modifier accruesFees() {
        IRiskParityVault(address(this)).accrueFees();
        _;
    }

    function _checkDelegated() internal view {
        if (address(this) == _self) revert IRiskParityVault.RiskParityVaultModuleOnlyDelegated();
    }

    function hasRole(bytes32 role, address account) internal view returns (bool) {
        return IAccessControl(address(this)).hasRole(role, account);
    }

    function _checkRole(bytes32 role) internal view {
        if (!hasRole(role, msg.sender)) revert IAccessControl.AccessControlUnauthorizedAccount(msg.sender, role);
    }

    /// @return The loss budget used, as a share of NAV (1e18), after the refill since the last use.
    function _lossUsedNow(VaultStorage.Layout storage l) internal view returns (uint256) {
        uint256 used = l.lossUsedWad;
        if (used == 0) return 0;
        uint256 refill = uint256(l.lossBudgetBps) * 1e14 * (block.timestamp - l.lossUpdatedAt) / l.lossPeriodSeconds;
        return used > refill ? used - refill : 0;
    }
}
