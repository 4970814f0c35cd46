// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ReentrantToken
/// @notice Test-only attacker: an ERC-20 with a transfer hook (as ERC-777 tokens have) that calls back into a
///         target with arbitrary calldata once armed, and records whether the call-back succeeded.
contract ReentrantToken is ERC20 {
    address public target;
    bytes public payload;
    bool public lastCallSucceeded;
    bytes public lastRevertData;

    constructor() ERC20("Reentrant", "REENT") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(address target_, bytes calldata payload_) external {
        target = target_;
        payload = payload_;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        address t = target;
        if (t != address(0)) {
            target = address(0); // one shot
            (lastCallSucceeded, lastRevertData) = t.call(payload);
        }
    }
}
