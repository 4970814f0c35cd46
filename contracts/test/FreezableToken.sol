// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title FreezableToken
/// @notice Test-only: an ERC-20 whose transfers out of a frozen holder revert (a blocklisted or paused token, as
///         USDC and USDT can do), to show that one such token cannot block a vault's in-kind exit.
contract FreezableToken is ERC20 {
    error FreezableTokenFrozen(address holder);

    mapping(address => bool) public frozen;

    constructor() ERC20("Freezable", "FRZ") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setFrozen(address holder, bool isFrozen) external {
        frozen[holder] = isFrozen;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (frozen[from]) revert FreezableTokenFrozen(from);
        super._update(from, to, value);
    }
}
