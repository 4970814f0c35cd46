// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {AggregatorV3Interface} from "../../interfaces/AggregatorV3Interface.sol";

/// @title PriceFeed
/// @notice A Chainlink-compatible feed of the local world: the same read interface as a Chainlink proxy
///         (AggregatorV3Interface plus the legacy `latestAnswer` family that Aave's oracle reads), with every
///         round kept so consumers can read the full history round by round.
/// @dev    The owner is the world's reporter (the market simulator), standing in for Chainlink's oracle network,
///         which publishes a round when the price moved past a deviation threshold or a heartbeat elapsed.
///         Round ids run 1, 2, 3, ...; a round's `startedAt` and `updatedAt` are the block time it was published.
contract PriceFeed is AggregatorV3Interface, Ownable {
    struct Round {
        int192 answer; // scaled by 10 ** decimals
        uint64 updatedAt; // unix seconds
    }

    error PriceFeedRoundNotFound(uint80 roundId, uint80 latestRoundId);

    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);
    event NewRound(uint256 indexed roundId, address indexed startedBy, uint256 startedAt);

    uint8 private immutable _decimals;
    string private _description;
    uint80 private _latestRoundId;
    mapping(uint80 roundId => Round) private _rounds;

    constructor(uint8 decimals_, string memory description_, int256 initialAnswer, address owner_) Ownable(owner_) {
        _decimals = decimals_;
        _description = description_;
        _publish(initialAnswer);
    }

    /// @notice Publish a new round at the current block time.
    /// @param answer Scaled by 10 ** decimals(). Zero and negative values are accepted on purpose: consumers must
    ///        guard against them, and tests need to produce them.
    function submit(int256 answer) external onlyOwner {
        _publish(answer);
    }

    /*//////////////////////////////////////////////////////////////
                          AGGREGATOR V3 READS
    //////////////////////////////////////////////////////////////*/

    function decimals() external view returns (uint8) {
        return _decimals;
    }

    function description() external view returns (string memory) {
        return _description;
    }

    function version() external pure returns (uint256) {
        return 4;
    }

    function getRoundData(uint80 roundId) external view returns (uint80, int256, uint256, uint256, uint80) {
        return _roundData(roundId);
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return _roundData(_latestRoundId);
    }

    /*//////////////////////////////////////////////////////////////
                     LEGACY READS (AggregatorInterface)
    //////////////////////////////////////////////////////////////*/

    function latestAnswer() external view returns (int256) {
        return _rounds[_latestRoundId].answer;
    }

    function latestTimestamp() external view returns (uint256) {
        return _rounds[_latestRoundId].updatedAt;
    }

    function latestRound() external view returns (uint256) {
        return _latestRoundId;
    }

    function getAnswer(uint256 roundId) external view returns (int256) {
        return _rounds[uint80(roundId)].answer;
    }

    function getTimestamp(uint256 roundId) external view returns (uint256) {
        return _rounds[uint80(roundId)].updatedAt;
    }

    /*//////////////////////////////////////////////////////////////
                               INTERNALS
    //////////////////////////////////////////////////////////////*/

    function _publish(int256 answer) private {
        uint80 roundId = _latestRoundId + 1;
        _latestRoundId = roundId;
        _rounds[roundId] = Round({answer: int192(answer), updatedAt: uint64(block.timestamp)});
        emit NewRound(roundId, msg.sender, block.timestamp);
        emit AnswerUpdated(answer, roundId, block.timestamp);
    }

    function _roundData(uint80 roundId) private view returns (uint80, int256, uint256, uint256, uint80) {
        if (roundId == 0 || roundId > _latestRoundId) revert PriceFeedRoundNotFound(roundId, _latestRoundId);
        Round memory r = _rounds[roundId];
        return (roundId, r.answer, r.updatedAt, r.updatedAt, roundId);
    }
}
