// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IRiskParityVault} from "../../interfaces/IRiskParityVault.sol";
import {AssetRegistry} from "../libraries/AssetRegistry.sol";
import {Valuation} from "../libraries/Valuation.sol";

/// @title GasProbe
/// @notice Benchmark-only: the gas of each step of the vault's oracle NAV (registry read, feed reads, balance
///         reads, the sum), measured with gasleft() in one call so benchmarks/gas.py can say where a deposit's
///         gas goes.
contract GasProbe {
    address public pointer;

    function store(IRiskParityVault.AssetConfig[] memory a) external {
        pointer = AssetRegistry.store(a);
    }

    function probe(address holder)
        external
        view
        returns (uint256 loadGas, uint256 pricesGas, uint256 balGas, uint256 navGas)
    {
        address p = pointer;
        uint256 g = gasleft();
        IRiskParityVault.AssetConfig[] memory a = AssetRegistry.load(p);
        loadGas = g - gasleft();
        g = gasleft();
        Valuation.Price[] memory pr = Valuation.prices(a, address(0), 0);
        pricesGas = g - gasleft();
        g = gasleft();
        uint256[] memory b = Valuation.balancesOf(a, holder);
        balGas = g - gasleft();
        g = gasleft();
        Valuation.nav(b, pr, Math.Rounding.Ceil);
        navGas = g - gasleft();
    }
}
