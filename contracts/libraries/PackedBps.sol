// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IRiskParityVault} from "../../interfaces/IRiskParityVault.sol";

/// @title PackedBps
/// @notice Up to sixteen basis-point values (weights or budgets, registry order) packed in one 256-bit word:
///         entry i occupies bits [16 i, 16 i + 16). One storage slot holds a whole weight vector.
library PackedBps {
    uint256 internal constant BPS = 10_000;
    uint256 internal constant MAX_ENTRIES = 16;

    function pack(uint16[] memory values) internal pure returns (uint256 word) {
        uint256 n = values.length;
        if (n > MAX_ENTRIES) revert IRiskParityVault.RiskParityVaultTooManyAssets(n, MAX_ENTRIES);
        for (uint256 i; i < n; ++i) {
            word |= uint256(values[i]) << (16 * i);
        }
    }

    function unpack(uint256 word, uint256 n) internal pure returns (uint16[] memory values) {
        values = new uint16[](n);
        for (uint256 i; i < n; ++i) {
            values[i] = uint16(word >> (16 * i));
        }
    }

    function at(uint256 word, uint256 i) internal pure returns (uint16) {
        return uint16(word >> (16 * i));
    }

    /// @notice `word` without entry `index`: entries above it move down one place, the top entry becomes zero.
    function removeAt(uint256 word, uint256 index) internal pure returns (uint256) {
        uint256 shift = 16 * index;
        uint256 low = shift == 0 ? 0 : word & ((uint256(1) << shift) - 1);
        return low | ((word >> (shift + 16)) << shift);
    }

    /// @notice Reverts unless `values` has `n` entries summing to exactly 10,000.
    function checkWeights(uint16[] memory values, uint256 n) internal pure {
        if (values.length != n) revert IRiskParityVault.RiskParityVaultWrongLength(values.length, n);
        uint256 sum;
        for (uint256 i; i < n; ++i) {
            sum += values[i];
        }
        if (sum != BPS) revert IRiskParityVault.RiskParityVaultWeightsDoNotSum(sum);
    }
}
