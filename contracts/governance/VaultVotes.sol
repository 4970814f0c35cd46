// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {ERC20Wrapper} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Wrapper.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

/// @title VaultVotes
/// @notice The vault's shares as votes: one wrapped share is one vote, checkpointed by timestamp for the vault's
///         Governor. `depositFor(account, shares)` pulls vault shares and mints as many votes tokens;
///         `withdrawTo(account, shares)` burns them and returns the shares. Votes count once delegated (to
///         oneself or another); the Governor reads them at each proposal's snapshot, so shares wrapped or
///         delegated after it do not count.
/// @dev The vault's share token is not ERC20Votes (the core has no room for checkpoints and would pay for them on
///      every transfer); a wrapper keeps that cost with the holders who vote. OpenZeppelin's ERC20Wrapper,
///      ERC20Votes and ERC20Permit unchanged, with the clock in unix seconds (IERC6372 `mode=timestamp`) so that
///      voting delay and period are set in seconds like every other delay of the project. Shares still under the
///      vault's share lock cannot be wrapped (the vault refuses to move them).
contract VaultVotes is ERC20Wrapper, ERC20Permit, ERC20Votes {
    constructor(IERC20 vaultShares, string memory name_, string memory symbol_)
        ERC20(name_, symbol_)
        ERC20Permit(name_)
        ERC20Wrapper(vaultShares)
    {}

    /// @notice The clock of the checkpoints: the block's timestamp (IERC6372).
    function clock() public view override returns (uint48) {
        return uint48(block.timestamp);
    }

    /// @notice IERC6372: the clock is unix seconds.
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() public pure override returns (string memory) {
        return "mode=timestamp";
    }

    /// @notice The vault's share decimals (one wrapped share is one share).
    function decimals() public view override(ERC20, ERC20Wrapper) returns (uint8) {
        return ERC20Wrapper.decimals();
    }

    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return Nonces.nonces(owner);
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        ERC20Votes._update(from, to, value);
    }
}
