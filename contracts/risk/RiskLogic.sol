// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IRiskParityVault} from "../../interfaces/IRiskParityVault.sol";
import {AggregatorV3Interface} from "../../interfaces/AggregatorV3Interface.sol";
import {IUniswapV2Pair} from "../../interfaces/IUniswapV2Pair.sol";
import {AssetRegistry} from "../libraries/AssetRegistry.sol";
import {PackedBps} from "../libraries/PackedBps.sol";
import {Valuation} from "../libraries/Valuation.sol";
import {OracleReader} from "../oracle/OracleReader.sol";
import {TwapReader} from "../oracle/TwapReader.sol";
import {CovarianceMath} from "./CovarianceMath.sol";

/// @title RiskLogic
/// @notice The vault's own risk model (issue 12): an exponentially weighted covariance of the basket's returns
///         from the vault's oracle prices, updated by a permissionless `poke` and by every rebalance; the risk
///         guardrail every rebalance passes under it; the DEX-vs-oracle circuit breaker (Uniswap V2 TWAPs from
///         checkpoints recorded at each poke against the feeds); and the views over them.
/// @dev An external library like LeverageLogic (deployed once, linked into the core, the module and the admin,
///      reached by DELEGATECALL), with its state in the vault under its own ERC-7201 namespace. Errors and events
///      are the vault's (IRiskParityVault).
///      Seeding: the first poke only records prices; each later poke adds one return. The first return sets
///      the covariance, later ones are weighted 1 - 2^(-dt / halfLife). The guardrail (and `shouldRebalance`)
///      stays inactive until `minObservations` returns are in (`riskState` says so). A registry change (an asset
///      added, removed, or its oracle changed) starts the model and the breaker's checkpoints over.
library RiskLogic {
    using Math for uint256;

    /// @custom:storage-location erc7201:riskparityvault.storage.Risk
    struct Layout {
        IRiskParityVault.RiskParams params; // slot 0
        // Slot 1.
        uint64 lastPokeAt; // unix seconds, 0 before the first poke
        uint32 observations; // returns in the covariance
        uint32 checkpointAt0; // unix seconds of the two TWAP checkpoints (0: none); a poke overwrites the older
        uint32 checkpointAt1;
        address registryAtPoke; // slot 2: the registry the model was built on
        uint128[16] lastAnswers; // slots 3-10: feed answers at the last poke, registry order (base: 1 without feed)
        uint256[30] cov; // slots 11-40: CovarianceMath's packed int64 entries
        uint256[16][2] cumulatives; // slots 41-72: per checkpoint, each asset's pool cumulative price of the token
        mapping(address token => uint256 pairAndSide) pairs; // pair address | (token is token0) << 160
    }

    // keccak256(abi.encode(uint256(keccak256("riskparityvault.storage.Risk")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant SLOT = 0x863da585fde98576a0eed201cef0d2abf5ad4d9223c61f41e58e55857d490f00;

    uint256 private constant BPS = 10_000;
    uint256 private constant WAD = 1e18;
    uint256 private constant INACTIVE = type(uint256).max;

    // Hard bounds on what governance may set.
    uint256 internal constant MIN_POKE_INTERVAL_SECONDS = 60;
    uint256 internal constant MAX_POKE_INTERVAL_SECONDS = 1 days;
    uint256 internal constant MIN_HALF_LIFE_SECONDS = 1 hours;
    uint256 internal constant MAX_HALF_LIFE_SECONDS = 365 days;
    uint256 internal constant MIN_TWAP_WINDOW_SECONDS = 60;
    uint256 internal constant MAX_TWAP_WINDOW_SECONDS = 1 days;
    uint256 internal constant MAX_BAND_BPS = 5_000;
    uint256 internal constant MAX_DIVERGENCE_BPS = 5_000;
    uint256 internal constant MAX_MIN_OBSERVATIONS = 1_000;

    /*//////////////////////////////////////////////////////////////
                              SETTINGS
    //////////////////////////////////////////////////////////////*/

    function setParams(IRiskParityVault.RiskParams calldata p) external {
        _checkBound("pokeIntervalSeconds", p.pokeIntervalSeconds, MIN_POKE_INTERVAL_SECONDS, MAX_POKE_INTERVAL_SECONDS);
        _checkBound("halfLifeSeconds", p.halfLifeSeconds, MIN_HALF_LIFE_SECONDS, MAX_HALF_LIFE_SECONDS);
        _checkBound("twapWindowSeconds", p.twapWindowSeconds, MIN_TWAP_WINDOW_SECONDS, MAX_TWAP_WINDOW_SECONDS);
        _checkBound("bandBps", p.bandBps, 0, MAX_BAND_BPS);
        _checkBound("triggerBps", p.triggerBps, 1, BPS);
        _checkBound("maxDivergenceBps", p.maxDivergenceBps, 0, MAX_DIVERGENCE_BPS);
        _checkBound("minObservations", p.minObservations, 1, MAX_MIN_OBSERVATIONS);
        _layout().params = p;
        emit IRiskParityVault.RiskParamsUpdated(p);
    }

    /// @param registry The vault's AssetRegistry pointer.
    function setTwapPair(address registry, address token, address pair) external {
        IRiskParityVault.AssetConfig[] memory a = AssetRegistry.load(registry);
        (bool found, uint256 i) = AssetRegistry.tryIndexOf(a, token);
        if (!found || i == 0) revert IRiskParityVault.RiskParityVaultInvalidTwapPair(token, pair);
        uint256 packed;
        if (pair != address(0)) {
            address t0 = IUniswapV2Pair(pair).token0();
            address t1 = IUniswapV2Pair(pair).token1();
            address base = a[0].token;
            if (!((t0 == token && t1 == base) || (t0 == base && t1 == token))) {
                revert IRiskParityVault.RiskParityVaultInvalidTwapPair(token, pair);
            }
            packed = uint256(uint160(pair)) | (t0 == token ? uint256(1) << 160 : 0);
        }
        Layout storage l = _layout();
        l.pairs[token] = packed;
        // A new pair has no checkpoint to measure from: the breaker restarts with the next poke.
        (l.checkpointAt0, l.checkpointAt1) = (0, 0);
        emit IRiskParityVault.TwapPairUpdated(token, pair);
    }

    /*//////////////////////////////////////////////////////////////
                        POKE AND REBALANCE HOOKS
    //////////////////////////////////////////////////////////////*/

    /// @notice The permissionless update (see IRiskParityVault.poke).
    function poke(address registry, address sequencerFeed, uint256 graceSeconds) external returns (bool) {
        Layout storage l = _layout();
        if (l.params.halfLifeSeconds == 0) return false;
        IRiskParityVault.AssetConfig[] memory a = AssetRegistry.load(registry);
        (uint256[] memory answers,) = _read(a, sequencerFeed, graceSeconds);
        return _poke(l, registry, a, answers);
    }

    /// @notice A rebalance's first step: poke when due, the circuit breaker, the target weights' risk
    ///         contributions against the budgets, and the holdings' gap before the trades.
    /// @param valuesBefore Gross value per registry entry in base units (held plus supplied).
    /// @return gapBeforeWad For `afterRebalance`; type(uint256).max while the guardrail is inactive.
    function beforeRebalance(
        address registry,
        address sequencerFeed,
        uint256 graceSeconds,
        uint256[] memory valuesBefore,
        uint16[] memory targetsBps,
        uint256 budgetsWord
    ) external returns (uint256 gapBeforeWad) {
        Layout storage l = _layout();
        if (l.params.halfLifeSeconds == 0) return INACTIVE;
        IRiskParityVault.AssetConfig[] memory a = AssetRegistry.load(registry);
        (uint256[] memory answers, Valuation.Price[] memory p) = _read(a, sequencerFeed, graceSeconds);
        _poke(l, registry, a, answers);
        _checkDivergence(l, a, p);
        if (!_active(l, registry)) return INACTIVE;
        int256[] memory cov = CovarianceMath.unpack(l.cov, a.length - 1);
        uint256[] memory budgets = _budgets(budgetsWord, a.length);
        gapBeforeWad = CovarianceMath.gapWad(CovarianceMath.riskContributionsWad(cov, _weights(valuesBefore)), budgets);
        // Inside the band, or no further from the budgets than the holdings already are (a vault the market has
        // pushed out of the band can still de-lever at its composition, and step back toward parity).
        uint256 allowedWad = Math.max(uint256(l.params.bandBps) * 1e14, gapBeforeWad);
        int256[] memory rc = CovarianceMath.riskContributionsWad(cov, _targetWeights(targetsBps));
        // Targets all in the base carry no variance and pass (gap zero): de-risking to cash is never refused.
        if (CovarianceMath.gapWad(rc, budgets) > allowedWad) {
            for (uint256 i; i < rc.length; ++i) {
                int256 d = rc[i] - int256(budgets[i] * 1e14);
                if (uint256(d < 0 ? -d : d) > allowedWad) {
                    revert IRiskParityVault.RiskParityVaultTargetsOffBudget(i + 1, rc[i], budgets[i] * 1e14, allowedWad);
                }
            }
        }
    }

    /// @notice A rebalance's last check: the gap after the trades may not exceed max(gap before, band).
    /// @dev Emits after the check: the gap after is measured from the trades' result.
    function afterRebalance(address registry, uint256 gapBeforeWad, uint256[] memory valuesAfter, uint256 budgetsWord)
        external
    {
        if (gapBeforeWad == INACTIVE) return;
        Layout storage l = _layout();
        uint256 n = AssetRegistry.load(registry).length;
        int256[] memory cov = CovarianceMath.unpack(l.cov, n - 1);
        uint256 gapAfterWad = CovarianceMath.gapWad(
            CovarianceMath.riskContributionsWad(cov, _weights(valuesAfter)), _budgets(budgetsWord, n)
        );
        uint256 bandWad = uint256(l.params.bandBps) * 1e14;
        if (gapAfterWad > Math.max(gapBeforeWad, bandWad)) {
            revert IRiskParityVault.RiskParityVaultRiskGapGrew(gapBeforeWad, gapAfterWad, bandWad);
        }
        emit IRiskParityVault.RiskGuardrailChecked(gapBeforeWad, gapAfterWad, bandWad);
    }

    /// @notice The circuit breaker for deposits and swap exits: reverts with `RiskParityVaultPriceDivergence`
    ///         when a pool's TWAP is past `maxDivergenceBps` from its feed. A feed that fails its checks is skipped
    ///         here (the caller's own pricing decides what a bad feed blocks), so swap exits still need no oracle.
    function checkPriceBreaker(address registry) external view {
        Layout storage l = _layout();
        if (l.params.maxDivergenceBps == 0 || l.registryAtPoke != registry) return;
        IRiskParityVault.AssetConfig[] memory a = AssetRegistry.load(registry);
        _checkDivergence(l, a, _tryPrices(a));
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    function params() external view returns (IRiskParityVault.RiskParams memory) {
        return _layout().params;
    }

    function pairOf(address token) external view returns (address) {
        return address(uint160(_layout().pairs[token]));
    }

    function state(address registry) external view returns (uint64 lastPokeAt, uint256 observations, bool active) {
        Layout storage l = _layout();
        if (l.registryAtPoke != registry) return (0, 0, false);
        return (l.lastPokeAt, l.observations, _active(l, registry));
    }

    function covariance(address registry) external view returns (int256[] memory) {
        Layout storage l = _layout();
        uint256 m = AssetRegistry.load(registry).length - 1;
        if (l.registryAtPoke != registry || l.observations == 0) return new int256[](CovarianceMath.entries(m));
        return CovarianceMath.unpack(l.cov, m);
    }

    /// @param grossBalances Held plus supplied, per registry entry.
    function riskView(
        address registry,
        address sequencerFeed,
        uint256 graceSeconds,
        uint256[] memory grossBalances,
        uint256 budgetsWord
    ) external view returns (uint256[] memory vols, int256[] memory rcs, uint256 gapWad) {
        Layout storage l = _layout();
        IRiskParityVault.AssetConfig[] memory a = AssetRegistry.load(registry);
        uint256 n = a.length;
        vols = new uint256[](n);
        rcs = new int256[](n);
        if (l.registryAtPoke != registry || l.observations == 0) return (vols, rcs, 0);
        (, Valuation.Price[] memory p) = _read(a, sequencerFeed, graceSeconds);
        (uint256[] memory v,) = Valuation.values(grossBalances, p);
        int256[] memory cov = CovarianceMath.unpack(l.cov, n - 1);
        int256[] memory rc = CovarianceMath.riskContributionsWad(cov, _weights(v));
        for (uint256 i = 1; i < n; ++i) {
            vols[i] = CovarianceMath.volatilityWad(cov, i - 1);
            rcs[i] = rc[i - 1];
        }
        gapWad = CovarianceMath.gapWad(rc, _budgets(budgetsWord, n));
    }

    /// @return token The asset with the largest divergence (address(0) when nothing is measured).
    function divergence(address registry) external view returns (address token, uint256 divergenceBps, bool tripped) {
        Layout storage l = _layout();
        if (l.registryAtPoke != registry) return (address(0), 0, false);
        IRiskParityVault.AssetConfig[] memory a = AssetRegistry.load(registry);
        (token, divergenceBps) = _worstDivergence(l, a, _tryPrices(a));
        uint256 maxBps = l.params.maxDivergenceBps;
        tripped = maxBps != 0 && divergenceBps > maxBps;
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNALS
    //////////////////////////////////////////////////////////////*/

    function _layout() private pure returns (Layout storage l) {
        bytes32 slot = SLOT;
        assembly ("memory-safe") {
            l.slot := slot
        }
    }

    function _active(Layout storage l, address registry) private view returns (bool) {
        return l.params.bandBps != 0 && l.registryAtPoke == registry && l.observations >= l.params.minObservations;
    }

    /// @dev Adds one return when the interval has passed (none on the model's first poke, which records prices),
    ///      then records the pools' checkpoint.
    function _poke(
        Layout storage l,
        address registry,
        IRiskParityVault.AssetConfig[] memory a,
        uint256[] memory answers
    ) private returns (bool) {
        uint256 last = l.lastPokeAt;
        bool fresh = l.registryAtPoke != registry;
        if (!fresh && block.timestamp < last + l.params.pokeIntervalSeconds) return false;
        uint256 observations;
        if (fresh) {
            l.registryAtPoke = registry;
            (l.checkpointAt0, l.checkpointAt1) = (0, 0);
        } else {
            observations = l.observations;
            uint256 elapsed = block.timestamp - last;
            uint256 m = a.length - 1;
            int256[] memory r = new int256[](m);
            for (uint256 k; k < m; ++k) {
                r[k] = CovarianceMath.returnWad(answers[k + 1], l.lastAnswers[k + 1], answers[0], l.lastAnswers[0]);
            }
            int256[] memory cov;
            uint256 alphaWad = WAD;
            if (observations == 0) {
                cov = new int256[](CovarianceMath.entries(m));
            } else {
                cov = CovarianceMath.unpack(l.cov, m);
                alphaWad = WAD - CovarianceMath.decayWad(elapsed, l.params.halfLifeSeconds);
            }
            CovarianceMath.update(cov, r, elapsed, alphaWad);
            CovarianceMath.pack(l.cov, cov);
            observations += 1;
            emit IRiskParityVault.CovariancePoked(observations, elapsed);
        }
        for (uint256 i; i < a.length; ++i) {
            // Feed answers are bounded by the registry's uint128 maxPrice.
            l.lastAnswers[i] = uint128(answers[i]);
        }
        l.lastPokeAt = uint64(block.timestamp);
        l.observations = uint32(observations);
        _checkpoint(l, a);
        return true;
    }

    /// @dev Overwrites the older of the two checkpoints with every pool's cumulative price now.
    function _checkpoint(Layout storage l, IRiskParityVault.AssetConfig[] memory a) private {
        uint256 c = l.checkpointAt0 <= l.checkpointAt1 ? 0 : 1;
        for (uint256 i = 1; i < a.length; ++i) {
            uint256 packed = l.pairs[a[i].token];
            if (packed == 0) continue;
            l.cumulatives[c][i] = TwapReader.cumulative(address(uint160(packed)), packed >> 160 != 0);
        }
        if (c == 0) l.checkpointAt0 = uint32(block.timestamp);
        else l.checkpointAt1 = uint32(block.timestamp);
    }

    /// @dev The newest checkpoint at least `twapWindowSeconds` old, else the older one; `at` is 0 when there is
    ///      no checkpoint from an earlier block to measure from.
    function _twapFrom(Layout storage l) private view returns (uint256 c, uint256 at) {
        (uint256 t0, uint256 t1) = (l.checkpointAt0, l.checkpointAt1);
        (uint256 newest, uint256 older) = t0 >= t1 ? (0, 1) : (1, 0);
        (uint256 tNew, uint256 tOld) = t0 >= t1 ? (t0, t1) : (t1, t0);
        if (block.timestamp - tNew >= l.params.twapWindowSeconds || tOld == 0) (c, at) = (newest, tNew);
        else (c, at) = (older, tOld);
        if (at >= block.timestamp) at = 0;
    }

    function _checkDivergence(Layout storage l, IRiskParityVault.AssetConfig[] memory a, Valuation.Price[] memory p)
        private
        view
    {
        uint256 maxBps = l.params.maxDivergenceBps;
        if (maxBps == 0) return;
        (address token, uint256 worstBps) = _worstDivergence(l, a, p);
        if (worstBps > maxBps) revert IRiskParityVault.RiskParityVaultPriceDivergence(token, worstBps, maxBps);
    }

    /// @dev |TWAP - feed| / feed in bps (rounded up) of every asset with a pair and a price (`p[i].num != 0`).
    function _worstDivergence(Layout storage l, IRiskParityVault.AssetConfig[] memory a, Valuation.Price[] memory p)
        private
        view
        returns (address token, uint256 worstBps)
    {
        (uint256 c, uint256 at) = _twapFrom(l);
        if (at == 0 || p.length == 0) return (address(0), 0);
        uint256 elapsed = block.timestamp - at;
        for (uint256 i = 1; i < a.length; ++i) {
            uint256 packed = l.pairs[a[i].token];
            if (packed == 0 || p[i].num == 0) continue;
            uint256 cumulativeNow = TwapReader.cumulative(address(uint160(packed)), packed >> 160 != 0);
            uint256 twapX112 = TwapReader.average(l.cumulatives[c][i], cumulativeNow, elapsed);
            // The TWAP in base units per token unit, over the oracle price's own denominator.
            uint256 twapNum = twapX112.mulDiv(p[i].den, uint256(1) << 112);
            uint256 diff = twapNum > p[i].num ? twapNum - p[i].num : p[i].num - twapNum;
            uint256 bps = diff.mulDiv(BPS, p[i].num, Math.Rounding.Ceil);
            if (bps > worstBps) (token, worstBps) = (a[i].token, bps);
        }
    }

    /// @dev Every feed's answer through OracleReader (reverting on a bad one) and the prices they make.
    function _read(IRiskParityVault.AssetConfig[] memory a, address sequencerFeed, uint256 graceSeconds)
        private
        view
        returns (uint256[] memory answers, Valuation.Price[] memory p)
    {
        if (sequencerFeed != address(0)) OracleReader.checkSequencer(sequencerFeed, graceSeconds);
        uint256 n = a.length;
        answers = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            answers[i] = a[i].feed == address(0)
                ? 1
                : OracleReader.read(a[i].feed, a[i].heartbeatSeconds, a[i].minPrice, a[i].maxPrice);
        }
        p = _prices(a, answers);
    }

    /// @dev Prices from the feeds that pass OracleReader's checks; a failing asset prices at zero (skipped), a
    ///      failing base feed gives no prices at all.
    function _tryPrices(IRiskParityVault.AssetConfig[] memory a) private view returns (Valuation.Price[] memory) {
        uint256 n = a.length;
        uint256[] memory answers = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            answers[i] = a[i].feed == address(0) ? 1 : _tryAnswer(a[i]);
            if (i == 0 && answers[0] == 0) return new Valuation.Price[](0);
        }
        return _prices(a, answers);
    }

    function _tryAnswer(IRiskParityVault.AssetConfig memory c) private view returns (uint256) {
        try AggregatorV3Interface(c.feed).latestRoundData() returns (uint80, int256 raw, uint256, uint256 at, uint80) {
            if (at == 0 || raw <= 0 || (at < block.timestamp && block.timestamp - at > c.heartbeatSeconds)) return 0;
            uint256 answer = uint256(raw);
            return answer < c.minPrice || answer > c.maxPrice ? 0 : answer;
        } catch {
            return 0;
        }
    }

    /// @dev Valuation's price formula from answers already read (an answer of zero prices at zero).
    function _prices(IRiskParityVault.AssetConfig[] memory a, uint256[] memory answers)
        private
        pure
        returns (Valuation.Price[] memory p)
    {
        uint256 n = a.length;
        p = new Valuation.Price[](n);
        bool baseFeed = a[0].feed != address(0);
        uint256 baseScale = 10 ** (uint256(a[0].tokenDecimals) + (baseFeed ? a[0].feedDecimals : 0));
        p[0] = Valuation.Price(1, 1);
        for (uint256 i = 1; i < n; ++i) {
            p[i] = Valuation.Price(
                answers[i] * baseScale, answers[0] * 10 ** (uint256(a[i].tokenDecimals) + a[i].feedDecimals)
            );
        }
    }

    /// @dev Non-base weights (WAD) of gross values; the base's share only dilutes them and RC ignores scale.
    function _weights(uint256[] memory valuesBaseUnits) private pure returns (int256[] memory w) {
        uint256 n = valuesBaseUnits.length;
        w = new int256[](n - 1);
        uint256 gross;
        for (uint256 i; i < n; ++i) {
            gross += valuesBaseUnits[i];
        }
        if (gross == 0) return w;
        for (uint256 i = 1; i < n; ++i) {
            w[i - 1] = int256(valuesBaseUnits[i].mulDiv(WAD, gross));
        }
    }

    function _targetWeights(uint16[] memory targetsBps) private pure returns (int256[] memory w) {
        uint256 n = targetsBps.length;
        w = new int256[](n - 1);
        for (uint256 i = 1; i < n; ++i) {
            w[i - 1] = int256(uint256(targetsBps[i]) * 1e14);
        }
    }

    /// @dev Non-base budgets in bps, registry order minus the base.
    function _budgets(uint256 word, uint256 n) private pure returns (uint256[] memory b) {
        b = new uint256[](n - 1);
        for (uint256 i = 1; i < n; ++i) {
            b[i - 1] = PackedBps.at(word, i);
        }
    }

    function _checkBound(string memory field, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert IRiskParityVault.RiskParityVaultThresholdOutOfBounds(field, value, min, max);
    }
}
