// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {AggregatorV3Interface} from "../../interfaces/AggregatorV3Interface.sol";

/// @title OracleReader
/// @notice Reads Chainlink-style feeds and refuses any answer a vault should not price with: stale, incomplete,
///         non-positive, outside the vault's own bounds, or published while an L2 sequencer is down or has just
///         come back up.
/// @dev Internal functions only: inlined into the vault, no external call of its own.
library OracleReader {
    /// @notice The feed's last update is older than its heartbeat allows.
    error OracleReaderStalePrice(address feed, uint256 updatedAt, uint256 heartbeatSeconds, uint256 nowSeconds);
    /// @notice The round has no timestamp (never completed).
    error OracleReaderIncompleteRound(address feed, uint80 roundId);
    /// @notice The answer is zero or negative.
    error OracleReaderNonPositivePrice(address feed, int256 answer);
    /// @notice The answer is outside [minPrice, maxPrice], the vault's own sanity bounds for this feed.
    error OracleReaderPriceOutOfBounds(address feed, uint256 answer, uint256 minPrice, uint256 maxPrice);
    /// @notice The L2 sequencer uptime feed reports the sequencer down.
    error OracleReaderSequencerDown(address sequencerFeed);
    /// @notice The sequencer came back up less than the grace period ago; prices may not have caught up.
    error OracleReaderSequencerGracePeriod(address sequencerFeed, uint256 upSinceSeconds, uint256 graceSeconds);

    /// @notice One validated answer, as the feed reports it (e.g. 8 decimals for USD feeds).
    /// @param heartbeatSeconds Longest accepted age of the answer.
    /// @param minPrice Lowest accepted answer, in feed units.
    /// @param maxPrice Highest accepted answer, in feed units.
    function read(address feed, uint256 heartbeatSeconds, uint256 minPrice, uint256 maxPrice)
        internal
        view
        returns (uint256 answer)
    {
        (uint80 roundId, int256 raw,, uint256 updatedAt,) = AggregatorV3Interface(feed).latestRoundData();
        if (updatedAt == 0) revert OracleReaderIncompleteRound(feed, roundId);
        // A feed timestamp in the future is no fresher than "now"; it can only make the age look negative.
        if (updatedAt < block.timestamp && block.timestamp - updatedAt > heartbeatSeconds) {
            revert OracleReaderStalePrice(feed, updatedAt, heartbeatSeconds, block.timestamp);
        }
        if (raw <= 0) revert OracleReaderNonPositivePrice(feed, raw);
        answer = uint256(raw);
        if (answer < minPrice || answer > maxPrice) {
            revert OracleReaderPriceOutOfBounds(feed, answer, minPrice, maxPrice);
        }
    }

    /// @notice Reverts unless the L2 sequencer is up and has been for at least `graceSeconds`.
    /// @dev Chainlink's uptime feeds answer 0 when up and 1 when down; `startedAt` is when that status began.
    function checkSequencer(address sequencerFeed, uint256 graceSeconds) internal view {
        (, int256 status, uint256 startedAt,,) = AggregatorV3Interface(sequencerFeed).latestRoundData();
        // startedAt == 0 is how Arbitrum's uptime feed reports a round that is not yet initialised.
        if (status != 0 || startedAt == 0) revert OracleReaderSequencerDown(sequencerFeed);
        if (block.timestamp < startedAt + graceSeconds) {
            revert OracleReaderSequencerGracePeriod(sequencerFeed, startedAt, graceSeconds);
        }
    }
}
