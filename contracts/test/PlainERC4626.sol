// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title PlainERC4626
/// @notice Test/benchmark peer: OpenZeppelin's ERC-4626 exactly as shipped, with the vault's decimals offset.
contract PlainERC4626 is ERC4626 {
    constructor(IERC20 asset_) ERC20("Plain ERC4626", "pVAULT") ERC4626(asset_) {}

    function _decimalsOffset() internal pure override returns (uint8) {
        return 6;
    }
}
