// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title WorldToken
/// @notice An ERC-20 of the local world (USDC-like, WBTC-like, ...) with the real asset's decimals. Only the world's
///         deployer mints, which stands in for the bridges and issuers that create supply on mainnet.
contract WorldToken is ERC20, Ownable {
    uint8 private immutable _decimals;

    constructor(string memory name_, string memory symbol_, uint8 decimals_, address owner_)
        ERC20(name_, symbol_)
        Ownable(owner_)
    {
        _decimals = decimals_;
    }

    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @param amount In the token's own units.
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
