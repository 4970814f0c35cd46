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
///
///         Proxy option: `startNewPhase()` makes the feed behave like a Chainlink proxy (EACAggregatorProxy) whose
///         aggregator was replaced. Round ids then carry the phase, `phaseId << 64 | aggregatorRoundId`, the
///         aggregator round restarts at 1, and `phaseAggregators(phaseId)` gives a read-only view of each phase
///         (`latestRound()`, `getRoundData(aggregatorRoundId)`), as a proxy's phase aggregators do. Rounds from
///         before the first phase change keep their ids (phase 0). `skipRounds(n)` leaves aggregator rounds with no
///         data, which real feeds have, so consumers that walk history must skip them.
contract PriceFeed is AggregatorV3Interface, Ownable {
    struct Round {
        int192 answer; // scaled by 10 ** decimals
        uint64 updatedAt; // unix seconds
    }

    error PriceFeedRoundNotFound(uint80 roundId, uint80 latestRoundId);
    error PriceFeedNoPhase(uint16 phaseId, uint16 latestPhaseId);

    event PhaseStarted(uint16 indexed phaseId, address aggregator);

    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);
    event NewRound(uint256 indexed roundId, address indexed startedBy, uint256 startedAt);

    uint8 private immutable _decimals;
    string private _description;
    uint80 private _latestRoundId;
    mapping(uint80 roundId => Round) private _rounds;
    uint16 private _phaseId; // 0 until the first phase change
    mapping(uint16 phaseId => PriceFeedPhase) private _phases;
    mapping(uint16 phaseId => uint64) private _phaseLatestRound; // aggregator round, closed phases only

    uint256 private constant PHASE_OFFSET = 64;

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

    /// @notice Behave like a proxy whose aggregator was just replaced: later rounds are ids
    ///         `(phaseId << 64) | aggregatorRoundId` with the aggregator round restarting at 1. The latest answer
    ///         carries over as the new phase's first round, as a new aggregator's first report would.
    function startNewPhase() external onlyOwner {
        uint16 closing = _phaseId;
        _phaseLatestRound[closing] = uint64(_latestPublished());
        if (address(_phases[closing]) == address(0)) _phases[closing] = new PriceFeedPhase(closing);
        uint16 phase = closing + 1;
        int256 last = _rounds[_latestRoundId].answer;
        _phaseId = phase;
        _latestRoundId = uint80(uint256(phase) << PHASE_OFFSET);
        _phases[phase] = new PriceFeedPhase(phase);
        emit PhaseStarted(phase, address(_phases[phase]));
        _publish(last);
    }

    /// @notice Advance the aggregator round by `count` without publishing: those rounds have no data.
    function skipRounds(uint64 count) external onlyOwner {
        _latestRoundId += count;
    }

    /*//////////////////////////////////////////////////////////////
                           PROXY PHASE READS
    //////////////////////////////////////////////////////////////*/

    function phaseId() external view returns (uint16) {
        return _phaseId;
    }

    /// @notice The read-only aggregator view of `phaseId_`; zero for a phase that never existed (as a proxy).
    function phaseAggregators(uint16 phaseId_) external view returns (address) {
        return address(_phases[phaseId_]);
    }

    /// @notice The last aggregator round of `phaseId_` (the current one for the live phase).
    function phaseLatestRound(uint16 phaseId_) external view returns (uint64) {
        if (phaseId_ > _phaseId) revert PriceFeedNoPhase(phaseId_, _phaseId);
        return phaseId_ == _phaseId ? uint64(_latestRoundId) : _phaseLatestRound[phaseId_];
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
        return _roundData(_latestPublished());
    }

    /*//////////////////////////////////////////////////////////////
                     LEGACY READS (AggregatorInterface)
    //////////////////////////////////////////////////////////////*/

    function latestAnswer() external view returns (int256) {
        return _rounds[_latestPublished()].answer;
    }

    function latestTimestamp() external view returns (uint256) {
        return _rounds[_latestPublished()].updatedAt;
    }

    function latestRound() external view returns (uint256) {
        return _latestPublished();
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

    /// @dev The newest round with data: skipped rounds at the head are not "latest" (a proxy reports the newest
    ///      report), so walk back past them; the phase's first round always has data.
    function _latestPublished() private view returns (uint80 id) {
        id = _latestRoundId;
        while (_rounds[id].updatedAt == 0 && uint64(id) > 1) --id;
    }

    function _roundData(uint80 roundId) private view returns (uint80, int256, uint256, uint256, uint80) {
        Round memory r = _rounds[roundId];
        if (r.updatedAt == 0) revert PriceFeedRoundNotFound(roundId, _latestRoundId);
        return (roundId, r.answer, r.updatedAt, r.updatedAt, roundId);
    }
}

/// @title PriceFeedPhase
/// @notice The read-only view of one phase of a PriceFeed in its proxy option: what a proxy's
///         `phaseAggregators(phaseId)` returns (an aggregator, with aggregator round ids).
contract PriceFeedPhase {
    PriceFeed public immutable proxy;
    uint16 public immutable phaseId;

    constructor(uint16 phaseId_) {
        proxy = PriceFeed(msg.sender);
        phaseId = phaseId_;
    }

    function decimals() external view returns (uint8) {
        return proxy.decimals();
    }

    function latestRound() external view returns (uint256) {
        return proxy.phaseLatestRound(phaseId);
    }

    function getRoundData(uint80 aggregatorRoundId)
        external
        view
        returns (uint80, int256, uint256, uint256, uint80)
    {
        (, int256 answer, uint256 startedAt, uint256 updatedAt,) =
            proxy.getRoundData(uint80((uint256(phaseId) << 64) | aggregatorRoundId));
        return (aggregatorRoundId, answer, startedAt, updatedAt, aggregatorRoundId);
    }
}
