// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title CovarianceMath
/// @notice The arithmetic of the vault's on-chain risk model: returns, the time-aware exponential weight, the
///         packed covariance, risk contributions. Pure integer functions that a Python reference model repeats to
///         the unit (tests/helpers/covariance.py).
/// @dev Units: returns and weights in WAD (1e18 = 100%); covariance entries are per second, scaled by 1e22 (a 90%
///      annual volatility is 0.81 / 31,536,000 per second = 2.6e14 units), stored as int64 (four to a word) and
///      saturated at the int64 range (an annual variance of ~29,000, i.e. 17,000% volatility). Entry (i, j), i <= j,
///      of the non-base assets lives at j (j + 1) / 2 + i, so the index of a pair does not depend on how many
///      assets there are (at most 15 non-base assets: 120 entries, 30 words).
library CovarianceMath {
    uint256 internal constant WAD = 1e18;
    /// @dev WAD x WAD / 1e22: turns a product of two WAD returns into covariance units.
    int256 internal constant PRODUCT_TO_UNITS = 1e14;
    uint256 internal constant LN2_WAD = 693_147_180_559_945_309;
    uint256 internal constant SECONDS_PER_YEAR = 31_536_000;
    /// @dev Annual variance in WAD^2 from a per-second entry: x SECONDS_PER_YEAR x 1e36 / 1e22.
    uint256 internal constant UNITS_TO_WAD2 = 1e14;

    function entries(uint256 assets) internal pure returns (uint256) {
        return assets * (assets + 1) / 2;
    }

    function index(uint256 i, uint256 j) internal pure returns (uint256) {
        return i <= j ? j * (j + 1) / 2 + i : i * (i + 1) / 2 + j;
    }

    /// @notice 2^(-elapsed / halfLife) in WAD: the weight the old covariance keeps after `elapsed` seconds.
    /// @dev The fractional part goes through exp(-y) for y = frac x ln 2 < 0.7 by its Taylor series, which
    ///      converges to the unit within 20 terms; the whole part is a shift.
    function decayWad(uint256 elapsedSeconds, uint256 halfLifeSeconds) internal pure returns (uint256) {
        uint256 x = elapsedSeconds * WAD / halfLifeSeconds;
        uint256 whole = x / WAD;
        if (whole >= 64) return 0;
        uint256 y = (x % WAD) * LN2_WAD / WAD;
        uint256 term = WAD;
        uint256 plus = WAD;
        uint256 minus;
        for (uint256 k = 1; k <= 20 && term != 0; ++k) {
            term = term * y / WAD / k;
            if (k % 2 == 1) minus += term;
            else plus += term;
        }
        return (plus - minus) >> whole;
    }

    /// @notice Simple return of an asset priced in the base, WAD: (a / aLast) x (bLast / b) - 1, both ratios
    ///         rounded down to the unit first.
    function returnWad(uint256 answer, uint256 lastAnswer, uint256 baseAnswer, uint256 lastBaseAnswer)
        internal
        pure
        returns (int256)
    {
        uint256 gross = (answer * WAD / lastAnswer) * (lastBaseAnswer * WAD / baseAnswer) / WAD;
        return int256(gross) - int256(WAD);
    }

    /// @notice One exponentially weighted step of every entry, in place.
    /// @param cov Unpacked entries (length `entries(returns.length)`).
    /// @param returnsWad This observation's returns, one per non-base asset.
    /// @param alphaWad Weight of the new observation (1 - decay); WAD replaces the covariance (first return).
    function update(int256[] memory cov, int256[] memory returnsWad, uint256 elapsedSeconds, uint256 alphaWad)
        internal
        pure
    {
        int256 alpha = int256(alphaWad);
        int256 dt = int256(elapsedSeconds);
        uint256 m = returnsWad.length;
        for (uint256 j; j < m; ++j) {
            for (uint256 i; i <= j; ++i) {
                uint256 e = j * (j + 1) / 2 + i;
                // Variance per second: the product of two returns over the time they took.
                int256 x = _saturate(returnsWad[i] * returnsWad[j] / PRODUCT_TO_UNITS / dt);
                cov[e] = _saturate(cov[e] + (x - cov[e]) * alpha / int256(WAD));
            }
        }
    }

    function unpack(uint256[30] storage words, uint256 m) internal view returns (int256[] memory cov) {
        uint256 n = entries(m);
        cov = new int256[](n);
        uint256 word;
        for (uint256 e; e < n; ++e) {
            if (e % 4 == 0) word = words[e / 4];
            cov[e] = int256(int64(uint64(word >> (64 * (e % 4)))));
        }
    }

    function pack(uint256[30] storage words, int256[] memory cov) internal {
        uint256 n = cov.length;
        uint256 word;
        for (uint256 e; e < n; ++e) {
            // Each entry was saturated to the int64 range by `update`.
            word |= uint256(uint64(int64(cov[e]))) << (64 * (e % 4));
            if (e % 4 == 3 || e == n - 1) {
                words[e / 4] = word;
                word = 0;
            }
        }
    }

    /// @notice Annualized volatility of non-base asset `i`, WAD (rounded down).
    function volatilityWad(int256[] memory cov, uint256 i) internal pure returns (uint256) {
        int256 v = cov[index(i, i)];
        if (v <= 0) return 0;
        return Math.sqrt(uint256(v) * SECONDS_PER_YEAR * UNITS_TO_WAD2);
    }

    /// @notice Risk contributions RC_i = w_i (C w)_i / (w' C w) of the non-base weights `w` (WAD), each WAD; all
    ///         zero when the weights carry no variance (all in the base, or no covariance yet).
    function riskContributionsWad(int256[] memory cov, int256[] memory w) internal pure returns (int256[] memory rc) {
        uint256 m = w.length;
        rc = new int256[](m);
        int256 total;
        for (uint256 i; i < m; ++i) {
            int256 cw;
            for (uint256 j; j < m; ++j) {
                cw += cov[index(i, j)] * w[j];
            }
            rc[i] = w[i] * cw;
            total += rc[i];
        }
        if (total <= 0) {
            for (uint256 i; i < m; ++i) {
                rc[i] = 0;
            }
            return rc;
        }
        for (uint256 i; i < m; ++i) {
            rc[i] = rc[i] * int256(WAD) / total;
        }
    }

    /// @notice max_i |rc_i - budget_i|, WAD, budgets in bps; zero when every rc is zero (no variance: nothing is
    ///         concentrated).
    function gapWad(int256[] memory rc, uint256[] memory budgetsBps) internal pure returns (uint256 gap) {
        bool any;
        for (uint256 i; i < rc.length; ++i) {
            if (rc[i] != 0) any = true;
        }
        if (!any) return 0;
        for (uint256 i; i < rc.length; ++i) {
            int256 d = rc[i] - int256(budgetsBps[i] * 1e14);
            uint256 a = uint256(d < 0 ? -d : d);
            if (a > gap) gap = a;
        }
    }

    function _saturate(int256 x) private pure returns (int256) {
        if (x > type(int64).max) return type(int64).max;
        if (x < type(int64).min) return type(int64).min;
        return x;
    }
}
