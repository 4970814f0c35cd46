// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title VaultTimelock
/// @notice OpenZeppelin's TimelockController unchanged, compiled into the project so the deploy script can put
///         the vault's governance role behind it.
contract VaultTimelock is TimelockController {
    constructor(uint256 minDelaySeconds, address[] memory proposers, address[] memory executors, address admin)
        TimelockController(minDelaySeconds, proposers, executors, admin)
    {}
}
