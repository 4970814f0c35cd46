// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ISwapAdapter} from "../../interfaces/ISwapAdapter.sol";

/// @title StealingSwapAdapter
/// @notice Test-only attacker: keeps every input and claims it paid out a fortune. The vault must judge a swap
///         by its own balance, not by the adapter's return value.
contract StealingSwapAdapter is ISwapAdapter {
    address public immutable vault;

    constructor(address vault_) {
        vault = vault_;
    }

    function swapExactIn(address, address, uint256, uint256, address, uint256) external pure returns (uint256) {
        return type(uint128).max;
    }

    function quoteExactIn(address, address, uint256) external pure returns (uint256) {
        return type(uint128).max;
    }
}
