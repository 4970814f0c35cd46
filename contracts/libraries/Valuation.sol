// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IRiskParityVault} from "../../interfaces/IRiskParityVault.sol";
import {OracleReader} from "../oracle/OracleReader.sol";

/// @title Valuation
/// @notice Oracle prices turned into base units, NAV, and the distance of a portfolio to its target weights.
/// @dev A `Price` converts an amount of one token to base units: value = amount * num / den. With base price
///      P_b (feed units, or 1 with no base feed) and asset price P (feed units):
///      num = P * 10^(baseDecimals + baseFeedDecimals), den = P_b * 10^(tokenDecimals + feedDecimals).
///      Both fit in 256 bits: prices are bounded by uint128 and every decimals value by 18.
library Valuation {
    using Math for uint256;

    struct Price {
        uint256 num;
        uint256 den;
    }

    uint256 internal constant BPS = 10_000;
    uint256 internal constant WAD = 1e18;

    /// @notice Validated prices for every registry entry (index 0, the base, is exactly 1:1).
    function prices(IRiskParityVault.AssetConfig[] memory assets, address sequencerFeed, uint256 graceSeconds)
        internal
        view
        returns (Price[] memory p)
    {
        return pricesOfHeld(assets, sequencerFeed, graceSeconds, new uint256[](0));
    }

    /// @notice `prices`, except that an entry whose `held` amount is zero is not read and prices at zero: a
    ///         stale or broken feed of an asset the vault does not hold cannot block deposits and exits.
    /// @param held Amount held per entry, or empty to read every feed.
    function pricesOfHeld(
        IRiskParityVault.AssetConfig[] memory assets,
        address sequencerFeed,
        uint256 graceSeconds,
        uint256[] memory held
    ) internal view returns (Price[] memory p) {
        if (sequencerFeed != address(0)) OracleReader.checkSequencer(sequencerFeed, graceSeconds);
        uint256 n = assets.length;
        p = new Price[](n);
        IRiskParityVault.AssetConfig memory base = assets[0];
        uint256 basePrice = 1;
        uint256 baseScale = 10 ** base.tokenDecimals;
        if (base.feed != address(0)) {
            basePrice = OracleReader.read(base.feed, base.heartbeatSeconds, base.minPrice, base.maxPrice);
            baseScale *= 10 ** base.feedDecimals;
        }
        p[0] = Price(1, 1);
        for (uint256 i = 1; i < n; ++i) {
            if (held.length != 0 && held[i] == 0) {
                p[i] = Price(0, 1);
                continue;
            }
            IRiskParityVault.AssetConfig memory a = assets[i];
            uint256 answer = OracleReader.read(a.feed, a.heartbeatSeconds, a.minPrice, a.maxPrice);
            p[i] = Price(answer * baseScale, basePrice * 10 ** (uint256(a.tokenDecimals) + a.feedDecimals));
        }
    }

    function balancesOf(IRiskParityVault.AssetConfig[] memory assets, address holder)
        internal
        view
        returns (uint256[] memory b)
    {
        uint256 n = assets.length;
        b = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            b[i] = IERC20(assets[i].token).balanceOf(holder);
        }
    }

    /// @notice `amount` of a token in base units, rounded as asked.
    function value(uint256 amount, Price memory p, Math.Rounding rounding) internal pure returns (uint256) {
        return amount.mulDiv(p.num, p.den, rounding);
    }

    /// @notice Sum of the values of `balances`, each rounded as asked.
    function nav(uint256[] memory balances, Price[] memory p, Math.Rounding rounding)
        internal
        pure
        returns (uint256 total)
    {
        uint256 n = balances.length;
        for (uint256 i; i < n; ++i) {
            total += value(balances[i], p[i], rounding);
        }
    }

    /// @notice How much `tokenOut` the oracle says `amountIn` of `tokenIn` is worth, rounded down.
    function oracleAmountOut(uint256 amountIn, Price memory pIn, Price memory pOut) internal pure returns (uint256) {
        return value(amountIn, pIn, Math.Rounding.Floor).mulDiv(pOut.den, pOut.num);
    }

    /// @notice Value of each balance in base units, rounded down, and their sum.
    function values(uint256[] memory balances, Price[] memory p)
        internal
        pure
        returns (uint256[] memory v, uint256 total)
    {
        uint256 n = balances.length;
        v = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            v[i] = value(balances[i], p[i], Math.Rounding.Floor);
            total += v[i];
        }
    }

    /// @notice The oracle lag a depositor could trade against, in bps of NAV: the deviation thresholds of the
    ///         non-base holdings weighted by their value (the base lags nothing in base units), over NAV.
    function lagBps(uint256[] memory valuesBaseUnits, IRiskParityVault.AssetConfig[] memory assets, uint256 nav_)
        internal
        pure
        returns (uint256)
    {
        if (nav_ == 0) return 0;
        uint256 weighted;
        for (uint256 i = 1; i < valuesBaseUnits.length; ++i) {
            weighted += valuesBaseUnits[i] * assets[i].deviationBps;
        }
        return weighted.ceilDiv(nav_);
    }

    /// @notice L1 distance between actual and target weights: sum |value_i / total - target_i|, scaled by 1e18.
    /// @param totalBaseUnits Sum of `valuesBaseUnits`, non-zero.
    function distanceWad(uint256[] memory valuesBaseUnits, uint16[] memory targetsBps, uint256 totalBaseUnits)
        internal
        pure
        returns (uint256 d)
    {
        uint256 n = valuesBaseUnits.length;
        for (uint256 i; i < n; ++i) {
            uint256 w = valuesBaseUnits[i].mulDiv(WAD, totalBaseUnits);
            uint256 t = uint256(targetsBps[i]) * (WAD / BPS);
            d += w > t ? w - t : t - w;
        }
    }
}
