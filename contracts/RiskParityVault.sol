// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ERC4626Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC20/extensions/ERC4626Upgradeable.sol";
import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {ReentrancyGuardUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/ReentrancyGuardUpgradeable.sol";
import {IRiskParityVault} from "../interfaces/IRiskParityVault.sol";
import {AssetRegistry} from "./libraries/AssetRegistry.sol";
import {Valuation} from "./libraries/Valuation.sol";
import {VaultStorage} from "./libraries/VaultStorage.sol";
import {NavLogic} from "./libraries/NavLogic.sol";
import {DelegateCall} from "./libraries/DelegateCall.sol";
import {LeverageLogic} from "./libraries/LeverageLogic.sol";
import {RiskLogic} from "./risk/RiskLogic.sol";
import {FeeLogic} from "./libraries/FeeLogic.sol";
import {IRiskParityVaultModule} from "./modules/IRiskParityVaultModule.sol";

/// @title RiskParityVault
/// @notice ERC-4626 vault over a USD stablecoin holding an oracle-valued basket that a keeper moves toward
///         risk-parity targets. This is the core: accounting, oracle NAV, the entry fee and share lock, the exits.
///         Everything else runs by DELEGATECALL in this contract's storage, reached through `fallback()` (Yearn
///         V3's tokenized-strategy pattern): the keeper and lending paths, the ripcord and the swap exit's sales in
///         RiskParityVaultModule, administration and the getters in RiskParityVaultAdmin (behind the module's own
///         fallback). See IRiskParityVault for the whole API and contracts/README.md for the layout.
/// @dev Shares are priced from oracle NAV only, never from DEX spot. NAV is rounded up when pricing shares a
///      caller receives for assets, down when pricing assets a caller receives for shares, so previews never
///      flatter the caller. Virtual shares (decimals offset 6, as OpenZeppelin recommends) make a first-depositor
///      donation attack cost the attacker far more than it can take from the next depositor. Every pricing view
///      refuses to answer inside one of the vault's own state-changing calls (read-only reentrancy).
///      Storage: OpenZeppelin's namespaced (ERC-7201) bases plus VaultStorage and LeverageLogic's namespaces; no
///      state variable is declared here (contracts/README.md).
contract RiskParityVault is ERC4626Upgradeable, AccessControlUpgradeable, ReentrancyGuardUpgradeable {
    using SafeERC20 for IERC20;
    using Math for uint256;

    bytes32 public constant MANAGER_ROLE = keccak256("MANAGER_ROLE");
    bytes32 public constant KEEPER_ROLE = keccak256("KEEPER_ROLE");
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");

    uint8 private constant DECIMALS_OFFSET = 6;
    uint256 private constant VIRTUAL_SHARES = 10 ** DECIMALS_OFFSET;
    uint256 private constant BPS = 10_000;

    /// @notice The module every unknown selector is delegated to (immutable: no upgrade path).
    address public immutable module;
    /// @notice The read-only lens for this vault (`keeperView(vault)`).
    address public immutable lens;
    /// @dev The base asset, also in ERC4626Upgradeable's storage: `asset()` answers from this immutable (the lens
    ///      and integrators call it often); OpenZeppelin's own `_deposit`/`_withdraw` still read the slot.
    address private immutable _base;

    constructor(IRiskParityVault.InitParams memory p) initializer {
        if (p.governance == address(0) || p.module == address(0)) {
            revert IRiskParityVault.RiskParityVaultZeroAddress();
        }
        __ERC20_init(p.name, p.symbol);
        __ERC4626_init(IERC20(p.base));
        __AccessControl_init();
        __ReentrancyGuard_init();
        module = p.module;
        lens = p.lens;
        _base = p.base;
        _grantRole(DEFAULT_ADMIN_ROLE, p.governance);
        _delegate(abi.encodeCall(IRiskParityVaultModule.initialize, (p)));
    }

    /// @notice Everything not implemented here runs in the module, in this vault's storage.
    /// @dev The module's internal entries are only reachable from this contract's own code.
    fallback() external {
        bytes4 sig = msg.sig;
        if (sig == IRiskParityVaultModule.initialize.selector || sig == IRiskParityVaultModule.swapExit.selector) {
            revert IRiskParityVault.RiskParityVaultInternalEntry(sig);
        }
        DelegateCall.forward(module);
    }

    /*//////////////////////////////////////////////////////////////
                            ACCOUNTING LOGIC
    //////////////////////////////////////////////////////////////*/

    function asset() public view override returns (address) {
        return _base;
    }

    /// @notice Oracle NAV in base units, rounded down. Reverts with the oracle's named error on a bad price.
    function totalAssets() public view override returns (uint256) {
        return _viewSnapshot(Math.Rounding.Floor).nav;
    }

    function convertToShares(uint256 assets) public view override returns (uint256) {
        return _toShares(assets, _viewSnapshot(Math.Rounding.Floor), Math.Rounding.Floor);
    }

    function convertToAssets(uint256 shares) public view override returns (uint256) {
        return _toAssets(shares, _viewSnapshot(Math.Rounding.Floor), Math.Rounding.Floor);
    }

    /// @notice Net of the entry fee.
    function previewDeposit(uint256 assets) public view override returns (uint256) {
        NavLogic.Snapshot memory s = _viewSnapshot(Math.Rounding.Ceil);
        (uint256 shares,) = _sharesForDeposit(assets, s);
        return shares;
    }

    /// @notice Including the entry fee.
    function previewMint(uint256 shares) public view override returns (uint256) {
        NavLogic.Snapshot memory s = _viewSnapshot(Math.Rounding.Ceil);
        return _assetsForMint(address(0), shares, s);
    }

    function previewWithdraw(uint256 assets) public view override returns (uint256) {
        return _toShares(assets, _viewSnapshot(Math.Rounding.Floor), Math.Rounding.Ceil);
    }

    function previewRedeem(uint256 shares) public view override returns (uint256) {
        return _toAssets(shares, _viewSnapshot(Math.Rounding.Floor), Math.Rounding.Floor);
    }

    /// @dev Reverts with the oracle's error when a price is bad (ERC-4626 says MUST NOT revert; pricing shares
    ///      on a bad oracle would be worse).
    function maxDeposit(address) public view override returns (uint256) {
        _checkNotEntered();
        VaultStorage.Layout storage l = VaultStorage.layout();
        if (l.depositsPaused) return 0;
        uint256 cap = l.depositCapAssets;
        if (cap == type(uint128).max) return type(uint256).max;
        uint256 nav = _snapshot(Math.Rounding.Ceil).nav;
        return cap > nav ? cap - nav : 0;
    }

    /// @notice Also bounded by the entry fee's pricing (see `_assetsForMint`): with a fee, one mint can create at
    ///         most about (1 - fee) / fee times the supply.
    function maxMint(address receiver) public view override returns (uint256) {
        uint256 maxAssets = maxDeposit(receiver);
        if (maxAssets == 0) return 0;
        NavLogic.Snapshot memory s = _snapshot(Math.Rounding.Ceil);
        uint256 bound = _maxMintByFee(s.feeBps, s.supply);
        if (maxAssets == type(uint256).max) return bound;
        (uint256 shares,) = _sharesForDeposit(maxAssets, s);
        return Math.min(shares, bound);
    }

    /// @notice Limited by the idle base asset (the standard exits never sell anything) and by the owner's
    ///         unlocked shares. While levered, the idle base also repays the exit's share of the debt, so only
    ///         idle x NAV / (NAV + debt) can go out.
    function maxWithdraw(address owner) public view override returns (uint256) {
        NavLogic.Snapshot memory s = _viewSnapshot(Math.Rounding.Floor);
        return Math.min(
            _toAssets(_unlockedBalance(owner), s, Math.Rounding.Floor), _idleForExits(s.idle, s.nav, s.debt)
        );
    }

    function maxRedeem(address owner) public view override returns (uint256) {
        NavLogic.Snapshot memory s = _viewSnapshot(Math.Rounding.Floor);
        return Math.min(
            _unlockedBalance(owner), _toShares(_idleForExits(s.idle, s.nav, s.debt), s, Math.Rounding.Floor)
        );
    }

    /*//////////////////////////////////////////////////////////////
                        DEPOSIT/WITHDRAWAL LOGIC
    //////////////////////////////////////////////////////////////*/

    // The four ERC-4626 entry points are rewritten so each prices the oracles once (OpenZeppelin's versions
    // call max* and preview*, which would read every feed twice).

    /// @notice The entry fee (see `entryFeeBps`) stays in the vault; the shares are locked for `shareLockSeconds`.
    function deposit(uint256 assets, address receiver) public override nonReentrant returns (uint256 shares) {
        NavLogic.Snapshot memory s = _snapshotForDeposit();
        _checkCap(receiver, assets, s.nav);
        uint256 fee;
        (shares, fee) = _sharesForDeposit(assets, s);
        if (shares == 0) revert IRiskParityVault.RiskParityVaultZeroShares(assets);
        _enter(receiver, assets, shares, fee, s.feeBps);
    }

    function mint(uint256 shares, address receiver) public override nonReentrant returns (uint256 assets) {
        if (shares == 0) revert IRiskParityVault.RiskParityVaultZeroAmount();
        NavLogic.Snapshot memory s = _snapshotForDeposit();
        assets = _assetsForMint(receiver, shares, s);
        _checkCap(receiver, assets, s.nav);
        _enter(receiver, assets, shares, _feeOn(assets, s.feeBps), s.feeBps);
    }

    function withdraw(uint256 assets, address receiver, address owner)
        public
        override
        nonReentrant
        returns (uint256 shares)
    {
        NavLogic.Snapshot memory s = _snapshotAfterFees(Math.Rounding.Floor);
        shares = _toShares(assets, s, Math.Rounding.Ceil);
        _exitFromIdle(owner, receiver, assets, shares, s);
    }

    function redeem(uint256 shares, address receiver, address owner)
        public
        override
        nonReentrant
        returns (uint256 assets)
    {
        NavLogic.Snapshot memory s = _snapshotAfterFees(Math.Rounding.Floor);
        assets = _toAssets(shares, s, Math.Rounding.Floor);
        _exitFromIdle(owner, receiver, assets, shares, s);
    }

    /// @notice See IRiskParityVault.redeemInKind.
    function redeemInKind(uint256 shares, address receiver, address owner)
        external
        accruesFeesWithoutOracle
        nonReentrant
        returns (uint256[] memory)
    {
        return _redeemInKind(shares, receiver, owner, new address[](0));
    }

    /// @notice See IRiskParityVault.redeemInKindSkipping.
    function redeemInKindSkipping(uint256 shares, address receiver, address owner, address[] calldata skipTokens)
        external
        accruesFeesWithoutOracle
        nonReentrant
        returns (uint256[] memory)
    {
        return _redeemInKind(shares, receiver, owner, skipTokens);
    }

    /// @notice See IRiskParityVault.redeemWithSwap. The shares are burnt here; the sales (and, while levered,
    ///         the flash-loan repay) run in the module.
    function redeemWithSwap(uint256 shares, address receiver, address owner, uint256 minAssetsOut, uint256 deadline)
        external
        accruesFeesWithoutOracle
        nonReentrant
        returns (uint256 assets)
    {
        if (block.timestamp > deadline) revert IRiskParityVault.RiskParityVaultDeadlinePassed(deadline, block.timestamp);
        if (address(VaultStorage.layout().swapAdapter) == address(0)) {
            revert IRiskParityVault.RiskParityVaultNoSwapAdapter();
        }
        IRiskParityVault.AssetConfig[] memory a = AssetRegistry.load(VaultStorage.layout().registry);
        (uint256[] memory slices, uint256[] memory collateral, uint256 debtShare) =
            _burnForSlices(shares, owner, a, new address[](0));
        bytes memory ret = _delegate(
            abi.encodeCall(
                IRiskParityVaultModule.swapExit,
                (IRiskParityVaultModule.SwapExit(
                    receiver, owner, shares, minAssetsOut, deadline, slices, collateral, debtShare
                ))
            )
        );
        assets = abi.decode(ret, (uint256));
    }

    /*//////////////////////////////////////////////////////////////
                                  FEES
    //////////////////////////////////////////////////////////////*/

    /// @notice See IRiskParityVault.accrueFees (the module and the admin call it before rebalances, the ripcord
    ///         and the fee setters).
    function accrueFees() external nonReentrant {
        _mintFees(true, NavLogic.snapshot(Math.Rounding.Floor).nav);
    }

    /// @dev For the exits that need no oracle: the full accrual when the oracle NAV can be read, else the
    ///      management fee alone (the performance fee waits for the next priced accrual). Runs before the exit's
    ///      own guard, which `accrueFees` takes and leaves.
    modifier accruesFeesWithoutOracle() {
        try this.accrueFees() {}
        catch {
            _mintFees(false, 0);
        }
        _;
    }

    function _mintFees(bool priced, uint256 nav) private {
        (address recipient, uint256 shares) = FeeLogic.accrue(priced, nav, totalSupply());
        if (shares != 0) _mint(recipient, shares);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNALS
    //////////////////////////////////////////////////////////////*/

    function _decimalsOffset() internal pure override returns (uint8) {
        return DECIMALS_OFFSET;
    }

    /// @dev Locked shares (see `_enter`) cannot leave their owner: not by transfer, nor by any exit's burn.
    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0)) {
            uint256 packed = VaultStorage.layout().shareLocks[from];
            if (packed != 0 && block.timestamp < packed >> 192) {
                uint256 locked = uint192(packed);
                if (balanceOf(from) < locked + value) {
                    revert IRiskParityVault.RiskParityVaultSharesLocked(from, locked, packed >> 192);
                }
            }
        }
        super._update(from, to, value);
    }

    /// @dev Mint and lock: the new shares join any still-locked ones and all unlock `shareLockSeconds` from now.
    ///      Only the receiver itself may extend a lock that still holds: a third party could otherwise keep a
    ///      holder's recent deposit locked for ever with dust deposits. A third party may deposit for a receiver
    ///      with no active lock (its new shares are then locked, nothing the receiver held before).
    function _enter(address receiver, uint256 assets, uint256 shares, uint256 fee, uint256 feeBps) private {
        VaultStorage.Layout storage l = VaultStorage.layout();
        uint256 lockSeconds = l.shareLockSeconds;
        if (lockSeconds != 0) {
            uint256 packed = l.shareLocks[receiver];
            uint256 locked = block.timestamp < packed >> 192 ? uint192(packed) : 0;
            if (locked != 0 && _msgSender() != receiver) {
                revert IRiskParityVault.RiskParityVaultReceiverLocked(receiver, packed >> 192);
            }
            locked += shares;
            uint256 until = block.timestamp + lockSeconds;
            l.shareLocks[receiver] = (until << 192) | locked;
            emit IRiskParityVault.SharesLocked(receiver, locked, until);
        }
        if (fee != 0) emit IRiskParityVault.EntryFeeCharged(receiver, fee, feeBps);
        _deposit(_msgSender(), receiver, assets, shares);
    }

    function _unlockedBalance(address owner) private view returns (uint256) {
        uint256 balance = balanceOf(owner);
        uint256 packed = VaultStorage.layout().shareLocks[owner];
        if (block.timestamp >= packed >> 192) return balance;
        uint256 locked = uint192(packed);
        return balance > locked ? balance - locked : 0;
    }

    function _feeOn(uint256 assets, uint256 feeBps) private pure returns (uint256) {
        return assets.mulDiv(feeBps, BPS, Math.Rounding.Ceil);
    }

    /// @dev Swing pricing: the deposit buys shares with `assets - fee` at a NAV that already includes the fee, so
    ///      after the deposit the depositor's claim is `assets - fee` and the whole fee belongs to the holders
    ///      already in (pricing at the bare NAV would hand the depositor back its pro-rata part of its own fee).
    ///      shares = (assets - fee) x (supply + virtual) / (NAV + fee + 1), rounded down.
    function _sharesForDeposit(uint256 assets, NavLogic.Snapshot memory s)
        private
        pure
        returns (uint256 shares, uint256 fee)
    {
        fee = _feeOn(assets, s.feeBps);
        shares = (assets - fee).mulDiv(s.supply + VIRTUAL_SHARES, s.nav + fee + 1, Math.Rounding.Floor);
    }

    /// @dev The inverse of `_sharesForDeposit` for an exact fee f (bps), rounded up:
    ///      assets = shares x (NAV + 1) x BPS / ((BPS - f) x (supply + virtual) - shares x f).
    ///      No mint may bring the denominator to zero (`_maxMintByFee`).
    function _assetsForMint(address receiver, uint256 shares, NavLogic.Snapshot memory s)
        private
        pure
        returns (uint256)
    {
        uint256 f = s.feeBps;
        uint256 bound = _maxMintByFee(f, s.supply);
        if (shares > bound) revert ERC4626ExceededMaxMint(receiver, shares, bound);
        uint256 den = (BPS - f) * (s.supply + VIRTUAL_SHARES) - shares * f;
        return shares.mulDiv((s.nav + 1) * BPS, den, Math.Rounding.Ceil);
    }

    function _maxMintByFee(uint256 feeBps, uint256 supply) private pure returns (uint256) {
        if (feeBps == 0) return type(uint256).max;
        return ((BPS - feeBps) * (supply + VIRTUAL_SHARES) - 1) / feeBps;
    }

    /// @dev Priced over `s.supply`: the shares outstanding once the fees due now are minted.
    function _toShares(uint256 assets, NavLogic.Snapshot memory s, Math.Rounding rounding)
        private
        pure
        returns (uint256)
    {
        return assets.mulDiv(s.supply + VIRTUAL_SHARES, s.nav + 1, rounding);
    }

    function _toAssets(uint256 shares, NavLogic.Snapshot memory s, Math.Rounding rounding)
        private
        pure
        returns (uint256)
    {
        return shares.mulDiv(s.nav + 1, s.supply + VIRTUAL_SHARES, rounding);
    }

    function _viewSnapshot(Math.Rounding rounding) private view returns (NavLogic.Snapshot memory) {
        _checkNotEntered();
        return _snapshot(rounding);
    }

    function _checkNotEntered() private view {
        if (_reentrancyGuardEntered()) revert IRiskParityVault.RiskParityVaultReentrantView();
    }

    /// @dev For the views: the supply counts the holder fees due now, not yet minted. No entry fee while the
    ///      vault has no holders: there is nobody for a first depositor to take from, and a fee paid to the
    ///      virtual shares alone would break the decimals offset's share scale.
    function _snapshot(Math.Rounding rounding) private view returns (NavLogic.Snapshot memory s) {
        s = NavLogic.snapshot(rounding);
        uint256 supply = totalSupply();
        (uint256 m, uint256 p) = FeeLogic.pendingShares(s.nav, supply);
        s.supply = supply + m + p;
        if (supply == 0) s.feeBps = 0;
    }

    /// @dev For deposits and exits: the holder fees due now are minted first, at the NAV the call prices with
    ///      (minting moves no asset, so the snapshot stays valid).
    function _snapshotAfterFees(Math.Rounding rounding) private returns (NavLogic.Snapshot memory s) {
        s = NavLogic.snapshot(rounding);
        _mintFees(true, s.nav);
        s.supply = totalSupply();
        if (s.supply == 0) s.feeBps = 0;
    }

    /// @dev The DEX-vs-oracle circuit breaker runs after the NAV read, whose own feed checks come first.
    function _snapshotForDeposit() private returns (NavLogic.Snapshot memory s) {
        VaultStorage.Layout storage l = VaultStorage.layout();
        if (l.depositsPaused) revert IRiskParityVault.RiskParityVaultDepositsPaused();
        s = _snapshotAfterFees(Math.Rounding.Ceil);
        RiskLogic.checkPriceBreaker(l.registry);
    }

    function _checkCap(address receiver, uint256 assets, uint256 nav) private view {
        uint256 cap = VaultStorage.layout().depositCapAssets;
        if (cap != type(uint128).max && nav + assets > cap) {
            revert ERC4626ExceededMaxDeposit(receiver, assets, cap > nav ? cap - nav : 0);
        }
    }

    /// @dev Idle base that can leave through the standard exits: each base unit out takes debt / NAV of debt
    ///      with it. A few units of margin cover the rounding of shares and debt shares (both against the exit).
    function _idleForExits(uint256 idle, uint256 nav, uint256 debt) private pure returns (uint256) {
        if (debt == 0) return idle;
        return idle > 4 ? (idle - 4).mulDiv(nav, nav + debt) : 0;
    }

    function _exitFromIdle(address owner, address receiver, uint256 assets, uint256 shares, NavLogic.Snapshot memory s)
        private
    {
        if (s.debt == 0) {
            if (assets > s.idle) revert IRiskParityVault.RiskParityVaultInsufficientIdle(assets, s.idle);
            _withdraw(_msgSender(), receiver, owner, assets, shares);
            return;
        }
        uint256 debtShare = s.debt.mulDiv(shares, s.supply + VIRTUAL_SHARES, Math.Rounding.Ceil);
        if (assets + debtShare > s.idle) {
            revert IRiskParityVault.RiskParityVaultInsufficientIdle(assets + debtShare, s.idle);
        }
        _withdraw(_msgSender(), receiver, owner, assets, shares);
        LeverageLogic.settleExit(
            VaultStorage.layout().registry,
            LeverageLogic.ExitSettlement(
                owner, shares, debtShare, 0, s.nav, s.nav - assets, new uint256[](0), address(0)
            )
        );
    }

    function _redeemInKind(uint256 shares, address receiver, address owner, address[] memory skip)
        private
        returns (uint256[] memory held)
    {
        IRiskParityVault.AssetConfig[] memory a = AssetRegistry.load(VaultStorage.layout().registry);
        uint256[] memory collateral;
        uint256 debtShare;
        (held, collateral, debtShare) = _burnForSlices(shares, owner, a, skip);
        if (collateral.length == 0) {
            emit IRiskParityVault.RedeemedInKind(_msgSender(), receiver, owner, shares, held);
        } else {
            held[0] = LeverageLogic.exitInKind(
                VaultStorage.layout().registry, held, collateral, debtShare, owner, receiver, shares
            );
        }
        // `held` becomes the amounts paid: each entry grows by its collateral slice once its transfer is done.
        _payInKind(a, held, collateral, receiver);
    }

    function _payInKind(
        IRiskParityVault.AssetConfig[] memory a,
        uint256[] memory held,
        uint256[] memory collateral,
        address receiver
    ) private {
        for (uint256 i; i < a.length; ++i) {
            if (held[i] != 0) IERC20(a[i].token).safeTransfer(receiver, held[i]);
            // The collateral slices went to `receiver` straight from the lending market.
            if (collateral.length != 0) held[i] += collateral[i];
        }
    }

    /// @dev Slices are taken before the burn against supply plus the virtual shares, rounded down: the virtual
    ///      holder's part and the rounding dust stay with the remaining holders. With a lending adapter, also the
    ///      exit's collateral (rounded down) and debt (rounded up); `collateral` is empty without one. Tokens in
    ///      `skip` get a zero slice (held and supplied): the exit's part of them stays with the other holders.
    function _burnForSlices(uint256 shares, address owner, IRiskParityVault.AssetConfig[] memory a, address[] memory skip)
        private
        returns (uint256[] memory slices, uint256[] memory collateral, uint256 debtShare)
    {
        if (shares == 0) revert IRiskParityVault.RiskParityVaultZeroAmount();
        address caller = _msgSender();
        if (caller != owner) _spendAllowance(owner, caller, shares);
        uint256 supply = totalSupply() + VIRTUAL_SHARES;
        slices = Valuation.balancesOf(a, address(this));
        for (uint256 i; i < slices.length; ++i) {
            slices[i] = slices[i].mulDiv(shares, supply);
        }
        if (address(LeverageLogic.adapter()) != address(0)) {
            (collateral, debtShare) = LeverageLogic.exitShare(VaultStorage.layout().registry, shares, supply);
        }
        for (uint256 k; k < skip.length; ++k) {
            (bool found, uint256 i) = AssetRegistry.tryIndexOf(a, skip[k]);
            if (!found || i == 0 || (slices[i] == 0 && (collateral.length == 0 || collateral[i] == 0))) {
                revert IRiskParityVault.RiskParityVaultInvalidSkip(skip[k]);
            }
            slices[i] = 0;
            if (collateral.length != 0) collateral[i] = 0;
        }
        _burn(owner, shares);
    }

    /// @dev DELEGATECALL the module from this contract's own code; bubbles a revert up unchanged.
    function _delegate(bytes memory data) private returns (bytes memory ret) {
        bool ok;
        (ok, ret) = module.delegatecall(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
    }
}
