// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

/// @title DelegateCall
/// @notice The one forwarding rule of the vault's fallbacks (core -> module -> admin): run the call's calldata in
///         `target`'s code in this contract's storage and return or revert with exactly what it did.
library DelegateCall {
    /// @dev Never returns to the caller: ends the current call with the target's return or revert data.
    function forward(address target) internal {
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), target, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }
}
