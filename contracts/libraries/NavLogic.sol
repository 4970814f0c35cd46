// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IRiskParityVault} from "../../interfaces/IRiskParityVault.sol";
import {AssetRegistry} from "./AssetRegistry.sol";
import {Valuation} from "./Valuation.sol";
import {VaultStorage} from "./VaultStorage.sol";
import {LeverageLogic} from "./LeverageLogic.sol";

/// @title NavLogic
/// @notice The vault's oracle NAV and entry fee, read once per call; shared by the core and the module
///         (internal functions, compiled into each).
library NavLogic {
    using Math for uint256;

    /// @notice The entry fee's hard cap, whatever the holdings and the floor (2%).
    uint256 internal constant MAX_ENTRY_FEE_BPS = 200;

    struct Snapshot {
        uint256 nav; // held + supplied - debt, base units, floored at zero
        uint256 idle; // base asset held
        uint256 debt; // base units owed to the lending market
        uint256 feeBps; // entry fee a deposit pays now
        uint256 supply; // shares outstanding with the holder fees due now (FeeLogic); set by the core only
    }

    /// @notice NAV, idle base, debt and entry fee. Assets the vault holds nothing of (held or supplied) are not
    ///         priced, so their feeds cannot block deposits, exits or the views.
    function snapshot(Math.Rounding rounding) internal view returns (Snapshot memory s) {
        VaultStorage.Layout storage l = VaultStorage.layout();
        IRiskParityVault.AssetConfig[] memory a = AssetRegistry.load(l.registry);
        uint256[] memory balances = Valuation.balancesOf(a, address(this));
        s.idle = balances[0];
        if (address(LeverageLogic.adapter()) != address(0)) {
            (balances, s.debt) = LeverageLogic.addCollateral(l.registry, balances);
        }
        Valuation.Price[] memory p = Valuation.pricesOfHeld(a, l.sequencerFeed, l.sequencerGraceSeconds, balances);
        uint256[] memory v = new uint256[](a.length);
        uint256 gross;
        for (uint256 i; i < a.length; ++i) {
            v[i] = Valuation.value(balances[i], p[i], rounding);
            gross += v[i];
        }
        s.nav = gross > s.debt ? gross - s.debt : 0;
        s.feeBps = Math.min(Math.max(Valuation.lagBps(v, a, s.nav), l.entryFeeFloorBps), MAX_ENTRY_FEE_BPS);
    }
}
