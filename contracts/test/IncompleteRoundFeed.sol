// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

/// @title IncompleteRoundFeed
/// @notice Test-only fault injection: a feed whose latest round has an answer but no timestamp (a round that
///         never completed). The world's PriceFeed always timestamps its rounds, so it cannot produce this.
contract IncompleteRoundFeed {
    uint8 public constant decimals = 8;

    function latestRoundData() external pure returns (uint80, int256, uint256, uint256, uint80) {
        return (7, 1e8, 0, 0, 7);
    }
}
