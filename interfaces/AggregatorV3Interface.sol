// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @notice The read interface of a Chainlink price feed (proxy), as consumers see it.
interface AggregatorV3Interface {
    /// @notice Number of decimals of `answer` (8 for USD feeds).
    function decimals() external view returns (uint8);

    /// @notice Human label, e.g. "ETH / USD".
    function description() external view returns (string memory);

    function version() external view returns (uint256);

    /// @notice One historical round. Reverts when the round does not exist.
    function getRoundData(uint80 roundId)
        external
        view
        returns (uint80 roundId_, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);

    /// @notice The newest round.
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
}
