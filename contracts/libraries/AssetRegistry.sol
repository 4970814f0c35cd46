// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {AggregatorV3Interface} from "../../interfaces/AggregatorV3Interface.sol";
import {IRiskParityVault} from "../../interfaces/IRiskParityVault.sol";
import {CodeStore} from "./CodeStore.sol";

/// @title AssetRegistry
/// @notice The vault's list of assets (base first), kept as one immutable blob per version (see CodeStore) and
///         replaced whole on every governance change.
library AssetRegistry {
    uint256 internal constant MAX_ASSETS = 16; // base included; weights and budgets pack into one slot each
    uint256 internal constant MAX_DECIMALS = 18;
    uint32 internal constant MIN_HEARTBEAT_SECONDS = 60;
    uint32 internal constant MAX_HEARTBEAT_SECONDS = 7 days;
    uint16 internal constant MAX_DEVIATION_BPS = 1_000;

    // Stored layout, three words per entry (abi.decode of the struct array cost twice as much gas):
    //   word 0: token (bits 0-159) | heartbeatSeconds (160-191) | tokenDecimals (192-199) | feedDecimals (200-207)
    //           | deviationBps (208-223)
    //   word 1: feed (bits 0-159)
    //   word 2: minPrice (bits 0-127) | maxPrice (128-255)
    uint256 private constant WORDS_PER_ENTRY = 3;

    function load(address pointer) internal view returns (IRiskParityVault.AssetConfig[] memory a) {
        bytes memory data = CodeStore.read(pointer);
        uint256 n = data.length / (32 * WORDS_PER_ENTRY);
        a = new IRiskParityVault.AssetConfig[](n);
        for (uint256 i; i < n; ++i) {
            uint256 w0;
            uint256 w1;
            uint256 w2;
            assembly ("memory-safe") {
                let p := add(add(data, 0x20), mul(i, 0x60))
                w0 := mload(p)
                w1 := mload(add(p, 0x20))
                w2 := mload(add(p, 0x40))
            }
            a[i] = IRiskParityVault.AssetConfig({
                token: address(uint160(w0)),
                feed: address(uint160(w1)),
                heartbeatSeconds: uint32(w0 >> 160),
                tokenDecimals: uint8(w0 >> 192),
                feedDecimals: uint8(w0 >> 200),
                minPrice: uint128(w2),
                maxPrice: uint128(w2 >> 128),
                deviationBps: uint16(w0 >> 208)
            });
        }
    }

    function store(IRiskParityVault.AssetConfig[] memory a) internal returns (address pointer) {
        uint256 n = a.length;
        uint256[] memory words = new uint256[](n * WORDS_PER_ENTRY);
        for (uint256 i; i < n; ++i) {
            IRiskParityVault.AssetConfig memory c = a[i];
            words[3 * i] = uint256(uint160(c.token)) | (uint256(c.heartbeatSeconds) << 160)
                | (uint256(c.tokenDecimals) << 192) | (uint256(c.feedDecimals) << 200) | (uint256(c.deviationBps) << 208);
            words[3 * i + 1] = uint256(uint160(c.feed));
            words[3 * i + 2] = uint256(c.minPrice) | (uint256(c.maxPrice) << 128);
        }
        return CodeStore.write(abi.encodePacked(words));
    }

    /// @notice Registry index of `token`; reverts when it is not registered.
    function indexOf(IRiskParityVault.AssetConfig[] memory assets, address token) internal pure returns (uint256) {
        (bool found, uint256 i) = tryIndexOf(assets, token);
        if (!found) revert IRiskParityVault.RiskParityVaultAssetNotRegistered(token);
        return i;
    }

    function tryIndexOf(IRiskParityVault.AssetConfig[] memory assets, address token)
        internal
        pure
        returns (bool found, uint256 index)
    {
        uint256 n = assets.length;
        for (uint256 i; i < n; ++i) {
            if (assets[i].token == token) return (true, i);
        }
        return (false, 0);
    }

    /// @notice A validated entry, decimals read from the token and the feed.
    /// @param isBase The base may have no feed (then it is worth exactly one base unit).
    function configFrom(IRiskParityVault.AssetParams memory p, bool isBase)
        internal
        view
        returns (IRiskParityVault.AssetConfig memory c)
    {
        if (p.token == address(0)) revert IRiskParityVault.RiskParityVaultZeroAddress();
        c.token = p.token;
        c.tokenDecimals = _checkedDecimals(p.token, IERC20Metadata(p.token).decimals());
        if (p.feed == address(0)) {
            if (!isBase) revert IRiskParityVault.RiskParityVaultZeroAddress();
            return c;
        }
        if (
            p.heartbeatSeconds < MIN_HEARTBEAT_SECONDS || p.heartbeatSeconds > MAX_HEARTBEAT_SECONDS
                || p.minPrice == 0 || p.minPrice > p.maxPrice || p.deviationBps > MAX_DEVIATION_BPS
        ) {
            revert IRiskParityVault.RiskParityVaultInvalidOracleParams(
                p.token, p.heartbeatSeconds, p.minPrice, p.maxPrice
            );
        }
        c.feed = p.feed;
        c.heartbeatSeconds = p.heartbeatSeconds;
        c.feedDecimals = _checkedDecimals(p.feed, AggregatorV3Interface(p.feed).decimals());
        c.minPrice = p.minPrice;
        c.maxPrice = p.maxPrice;
        c.deviationBps = p.deviationBps;
    }

    /// @notice A copy of `assets` with `c` appended.
    function appended(IRiskParityVault.AssetConfig[] memory assets, IRiskParityVault.AssetConfig memory c)
        internal
        pure
        returns (IRiskParityVault.AssetConfig[] memory out)
    {
        uint256 n = assets.length;
        if (n + 1 > MAX_ASSETS) revert IRiskParityVault.RiskParityVaultTooManyAssets(n + 1, MAX_ASSETS);
        (bool found,) = tryIndexOf(assets, c.token);
        if (found) revert IRiskParityVault.RiskParityVaultAssetAlreadyRegistered(c.token);
        out = new IRiskParityVault.AssetConfig[](n + 1);
        for (uint256 i; i < n; ++i) {
            out[i] = assets[i];
        }
        out[n] = c;
    }

    /// @notice A copy of `assets` without entry `index`; later entries move up by one, order kept.
    function removed(IRiskParityVault.AssetConfig[] memory assets, uint256 index)
        internal
        pure
        returns (IRiskParityVault.AssetConfig[] memory out)
    {
        uint256 n = assets.length;
        out = new IRiskParityVault.AssetConfig[](n - 1);
        for (uint256 i; i < n - 1; ++i) {
            out[i] = assets[i < index ? i : i + 1];
        }
    }

    function _checkedDecimals(address tokenOrFeed, uint8 decimals) private pure returns (uint8) {
        if (decimals > MAX_DECIMALS) revert IRiskParityVault.RiskParityVaultDecimalsTooLarge(tokenOrFeed, decimals);
        return decimals;
    }
}
