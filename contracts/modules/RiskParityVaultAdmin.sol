// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IRiskParityVault} from "../../interfaces/IRiskParityVault.sol";
import {ISwapAdapter} from "../../interfaces/ISwapAdapter.sol";
import {AssetRegistry} from "../libraries/AssetRegistry.sol";
import {PackedBps} from "../libraries/PackedBps.sol";
import {VaultStorage} from "../libraries/VaultStorage.sol";
import {LeverageLogic} from "../libraries/LeverageLogic.sol";
import {RegistryLogic} from "../libraries/RegistryLogic.sol";
import {Valuation} from "../libraries/Valuation.sol";
import {RiskLogic} from "../risk/RiskLogic.sol";
import {FeeLogic} from "../libraries/FeeLogic.sol";
import {ModuleBase} from "./ModuleBase.sol";

/// @title RiskParityVaultAdmin
/// @notice The vault's administration: initialisation, registry, bounded parameters, the risk-increase timelock,
///         pauses and getters. Reached from the vault through RiskParityVaultModule's fallback (vault -> module ->
///         admin, each a DELEGATECALL, so it runs in the vault's storage); refuses a direct call.
/// @dev Roles: governance is DEFAULT_ADMIN_ROLE (a TimelockController in production) and grants the others.
///      A manager's change that lowers risk applies at once; one that raises risk or loosens a guard must be
///      `submit`ted and waits `timelockSeconds`, during which the guardian (or governance) can `revoke` it
///      (Morpho Vault V2's rule).
contract RiskParityVaultAdmin is ModuleBase {
    // Hard bounds on what the manager may set.
    uint16 public constant MAX_SLIPPAGE_BPS = 500; // 5% per trade
    uint16 public constant MAX_NAV_LOSS_BPS = 200; // 2% of NAV per rebalance
    uint16 public constant MAX_TURNOVER_BPS = 10_000; // 100% of NAV per rebalance
    uint32 public constant MIN_COOLDOWN_SECONDS = 15 minutes;
    uint32 public constant MAX_COOLDOWN_SECONDS = 30 days;
    uint16 public constant MAX_RISK_BUDGET_BPS = 5_000; // no asset carries more than half the risk
    uint256 public constant MAX_SEQUENCER_GRACE_SECONDS = 1 days;
    uint16 public constant MAX_ENTRY_FEE_FLOOR_BPS = 200; // the fee's own hard cap
    uint32 public constant MAX_SHARE_LOCK_SECONDS = 1 days;
    uint16 public constant MAX_LOSS_BUDGET_BPS = 500; // 5% of NAV per period
    uint32 public constant MIN_LOSS_PERIOD_SECONDS = 1 hours;
    uint32 public constant MAX_LOSS_PERIOD_SECONDS = 30 days;
    uint32 public constant MAX_TIMELOCK_SECONDS = 30 days;
    uint256 public constant MAX_MANAGEMENT_FEE_BPS = FeeLogic.MAX_MANAGEMENT_FEE_BPS; // 5% a year
    uint256 public constant MAX_PERFORMANCE_FEE_BPS = FeeLogic.MAX_PERFORMANCE_FEE_BPS; // 30% of the gain

    /// @notice The vault constructor's one call (IRiskParityVaultModule.initialize; the vault's fallback refuses it).
    function initialize(IRiskParityVault.InitParams calldata p) external onlyDelegated {
        VaultStorage.Layout storage l = VaultStorage.layout();
        _checkBound("sequencerGraceSeconds", p.sequencerGraceSeconds, 0, MAX_SEQUENCER_GRACE_SECONDS);
        _checkBound("timelockSeconds", p.timelockSeconds, 0, MAX_TIMELOCK_SECONDS);
        (l.sequencerFeed, l.sequencerGraceSeconds, l.timelockSeconds) =
            (p.sequencerFeed, p.sequencerGraceSeconds, p.timelockSeconds);
        IRiskParityVault.AssetParams memory baseOracle = p.baseOracle;
        baseOracle.token = p.base;
        IRiskParityVault.AssetConfig[] memory a = new IRiskParityVault.AssetConfig[](1);
        a[0] = AssetRegistry.configFrom(baseOracle, true);
        l.registry = AssetRegistry.store(a);
        emit IRiskParityVault.AssetAdded(
            p.base, baseOracle.feed, baseOracle.heartbeatSeconds, baseOracle.minPrice, baseOracle.maxPrice
        );
        _checkThresholds(p.thresholds);
        _setThresholds(l, p.thresholds);
        _checkProtection(p.protection);
        _setProtection(l, p.protection);
        _setDepositCap(l, p.depositCapAssets);
        emit IRiskParityVault.TimelockUpdated(p.timelockSeconds);
    }

    /*//////////////////////////////////////////////////////////////
                               REGISTRY
    //////////////////////////////////////////////////////////////*/

    function addAsset(IRiskParityVault.AssetParams calldata params)
        external
        onlyDelegated
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        VaultStorage.Layout storage l = VaultStorage.layout();
        l.registry = RegistryLogic.addAsset(l.registry, params);
    }

    function setAssetOracle(IRiskParityVault.AssetParams calldata params)
        external
        onlyDelegated
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        VaultStorage.Layout storage l = VaultStorage.layout();
        l.registry = RegistryLogic.setAssetOracle(l.registry, params);
    }

    function removeAsset(address token) external onlyDelegated onlyRole(DEFAULT_ADMIN_ROLE) {
        VaultStorage.Layout storage l = VaultStorage.layout();
        (l.registry, l.riskBudgetsBps, l.targetWeightsBps) =
            RegistryLogic.removeAsset(l.registry, token, l.riskBudgetsBps, l.targetWeightsBps);
    }

    /*//////////////////////////////////////////////////////////////
                      MANAGER: BOUNDED AND TIMELOCKED
    //////////////////////////////////////////////////////////////*/

    /// @notice Queue a risk-increasing setter call (its full calldata).
    function submit(bytes calldata data) external onlyDelegated onlyRole(MANAGER_ROLE) {
        VaultStorage.Layout storage l = VaultStorage.layout();
        bytes32 key = keccak256(data);
        uint256 pending = l.pendingChanges[key];
        if (pending != 0) revert IRiskParityVault.RiskParityVaultChangeAlreadySubmitted(pending);
        uint256 at = block.timestamp + l.timelockSeconds;
        l.pendingChanges[key] = at;
        emit IRiskParityVault.ChangeSubmitted(bytes4(data), data, at);
    }

    /// @notice Guardian or governance: drop a submitted change.
    function revoke(bytes calldata data) external onlyDelegated {
        if (!hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) _checkRole(GUARDIAN_ROLE);
        VaultStorage.Layout storage l = VaultStorage.layout();
        bytes32 key = keccak256(data);
        if (l.pendingChanges[key] == 0) revert IRiskParityVault.RiskParityVaultNothingToRevoke();
        delete l.pendingChanges[key];
        emit IRiskParityVault.ChangeRevoked(bytes4(data), data, msg.sender);
    }

    function setTimelock(uint32 timelockSeconds_) external onlyDelegated onlyRole(DEFAULT_ADMIN_ROLE) {
        _checkBound("timelockSeconds", timelockSeconds_, 0, MAX_TIMELOCK_SECONDS);
        VaultStorage.layout().timelockSeconds = timelockSeconds_;
        emit IRiskParityVault.TimelockUpdated(timelockSeconds_);
    }

    /// @dev Budgets always wait: any reallocation of risk is a risk decision. The manager's change waits out the
    ///      risk timelock; governance's has already waited out its TimelockController (and, under a Governor, the
    ///      holders' vote), so it applies when executed. Both are held to the same hard bounds.
    function setRiskBudgets(uint16[] calldata riskBudgetsBps_) external onlyDelegated {
        bool byGovernance = hasRole(DEFAULT_ADMIN_ROLE, msg.sender);
        if (!byGovernance) _checkRole(MANAGER_ROLE);
        VaultStorage.Layout storage l = VaultStorage.layout();
        PackedBps.checkWeights(riskBudgetsBps_, AssetRegistry.load(l.registry).length);
        if (riskBudgetsBps_[0] != 0) revert IRiskParityVault.RiskParityVaultBudgetOutOfBounds(0, riskBudgetsBps_[0], 0);
        for (uint256 i = 1; i < riskBudgetsBps_.length; ++i) {
            if (riskBudgetsBps_[i] > MAX_RISK_BUDGET_BPS) {
                revert IRiskParityVault.RiskParityVaultBudgetOutOfBounds(i, riskBudgetsBps_[i], MAX_RISK_BUDGET_BPS);
            }
        }
        _consumeTimelock(l, !byGovernance);
        l.riskBudgetsBps = PackedBps.pack(riskBudgetsBps_);
        emit IRiskParityVault.RiskBudgetsUpdated(riskBudgetsBps_);
    }

    function setThresholds(IRiskParityVault.Thresholds calldata t) external onlyDelegated onlyRole(MANAGER_ROLE) {
        VaultStorage.Layout storage l = VaultStorage.layout();
        _checkThresholds(t);
        bool loosens = t.maxSlippageBps > l.maxSlippageBps || t.maxNavLossBps > l.maxNavLossBps
            || t.maxTurnoverBps > l.maxTurnoverBps || t.cooldownSeconds < l.cooldownSeconds;
        _consumeTimelock(l, loosens);
        _setThresholds(l, t);
    }

    function setProtectionParams(IRiskParityVault.ProtectionParams calldata p)
        external
        onlyDelegated
        onlyRole(MANAGER_ROLE)
    {
        VaultStorage.Layout storage l = VaultStorage.layout();
        _checkProtection(p);
        bool loosens = p.entryFeeFloorBps < l.entryFeeFloorBps || p.shareLockSeconds < l.shareLockSeconds
            || p.lossBudgetBps > l.lossBudgetBps || p.lossPeriodSeconds < l.lossPeriodSeconds;
        _consumeTimelock(l, loosens);
        _setProtection(l, p);
    }

    /// @dev The ripcord health factor is timelocked both ways: up, a manager could make a healthy vault's ripcord
    ///      fire; down, it would fire later. The first settings (before any) apply at once.
    function setLeverageParams(IRiskParityVault.LeverageParams calldata p)
        external
        onlyDelegated
        onlyRole(MANAGER_ROLE)
    {
        LeverageLogic.checkParams(p);
        IRiskParityVault.LeverageParams memory c = LeverageLogic.params();
        bool raises = c.minHealthFactorWad != 0
            && (
                p.minHealthFactorWad < c.minHealthFactorWad || p.targetHealthFactorWad < c.targetHealthFactorWad
                    || p.ripcordHealthFactorWad != c.ripcordHealthFactorWad || p.maxLeverageBps > c.maxLeverageBps
                    || p.ripcordRewardBps > c.ripcordRewardBps || p.ripcordCooldownSeconds < c.ripcordCooldownSeconds
                    || p.ripcordMaxTradeBaseUnits > c.ripcordMaxTradeBaseUnits
            );
        _consumeTimelock(VaultStorage.layout(), raises);
        LeverageLogic.setParams(p);
    }

    /*//////////////////////////////////////////////////////////////
                         GOVERNANCE AND PAUSES
    //////////////////////////////////////////////////////////////*/

    function setDepositCap(uint256 depositCapAssets) external onlyDelegated onlyRole(DEFAULT_ADMIN_ROLE) {
        _setDepositCap(VaultStorage.layout(), depositCapAssets);
    }

    function setSwapAdapter(address adapter) external onlyDelegated onlyRole(DEFAULT_ADMIN_ROLE) {
        if (adapter != address(0)) {
            address adapterVault = ISwapAdapter(adapter).vault();
            if (adapterVault != address(this)) {
                revert IRiskParityVault.RiskParityVaultAdapterVaultMismatch(adapter, adapterVault);
            }
        }
        VaultStorage.Layout storage l = VaultStorage.layout();
        emit IRiskParityVault.SwapAdapterUpdated(address(l.swapAdapter), adapter);
        l.swapAdapter = ISwapAdapter(adapter);
    }

    function setLendingAdapter(address adapter) external onlyDelegated onlyRole(DEFAULT_ADMIN_ROLE) {
        LeverageLogic.setLendingAdapter(VaultStorage.layout().registry, adapter);
    }

    /// @notice Governance: the risk model, guardrail and circuit breaker settings (RiskLogic's bounds).
    function setRiskParams(IRiskParityVault.RiskParams calldata p) external onlyDelegated onlyRole(DEFAULT_ADMIN_ROLE) {
        RiskLogic.setParams(p);
    }

    function setTwapPair(address token, address pair) external onlyDelegated onlyRole(DEFAULT_ADMIN_ROLE) {
        RiskLogic.setTwapPair(VaultStorage.layout().registry, token, pair);
    }

    /// @dev Accrues at the old rates first, so a change never applies to the time before it.
    function setFees(uint16 managementFeeBps, uint16 performanceFeeBps)
        external
        onlyDelegated
        onlyRole(DEFAULT_ADMIN_ROLE)
        accruesFees
    {
        FeeLogic.setFees(managementFeeBps, performanceFeeBps);
    }

    function setFeeRecipient(address recipient) external onlyDelegated onlyRole(DEFAULT_ADMIN_ROLE) accruesFees {
        FeeLogic.setRecipient(recipient);
    }

    /// @dev Pausing: guardian or governance. Unpausing: governance only, so a compromised guardian can stop
    ///      deposits and rebalances but never undo governance's pause. No pause reaches the in-kind exit.
    function setDepositsPaused(bool paused) external onlyDelegated {
        _checkPauser(paused);
        VaultStorage.layout().depositsPaused = paused;
        emit IRiskParityVault.DepositsPausedSet(paused, msg.sender);
    }

    function setRebalancesPaused(bool paused) external onlyDelegated {
        _checkPauser(paused);
        VaultStorage.layout().rebalancesPaused = paused;
        emit IRiskParityVault.RebalancesPausedSet(paused, msg.sender);
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    function assets() external view returns (IRiskParityVault.AssetConfig[] memory) {
        return AssetRegistry.load(VaultStorage.layout().registry);
    }

    function epoch() external view returns (uint64) {
        return VaultStorage.layout().epoch;
    }

    function lastRebalanceAt() external view returns (uint64) {
        return VaultStorage.layout().lastRebalanceAt;
    }

    function thresholds() external view returns (IRiskParityVault.Thresholds memory) {
        return VaultStorage.thresholds(VaultStorage.layout());
    }

    function protectionParams() external view returns (IRiskParityVault.ProtectionParams memory) {
        return VaultStorage.protection(VaultStorage.layout());
    }

    function targetWeightsBps() external view returns (uint16[] memory) {
        VaultStorage.Layout storage l = VaultStorage.layout();
        return PackedBps.unpack(l.targetWeightsBps, AssetRegistry.load(l.registry).length);
    }

    function riskBudgetsBps() external view returns (uint16[] memory) {
        VaultStorage.Layout storage l = VaultStorage.layout();
        return PackedBps.unpack(l.riskBudgetsBps, AssetRegistry.load(l.registry).length);
    }

    function depositCap() external view returns (uint256) {
        return VaultStorage.layout().depositCapAssets;
    }

    function depositsPaused() external view returns (bool) {
        return VaultStorage.layout().depositsPaused;
    }

    function rebalancesPaused() external view returns (bool) {
        return VaultStorage.layout().rebalancesPaused;
    }

    function swapAdapter() external view returns (address) {
        return address(VaultStorage.layout().swapAdapter);
    }

    function lendingAdapter() external view returns (address) {
        return address(LeverageLogic.adapter());
    }

    function leverageParams() external view returns (IRiskParityVault.LeverageParams memory) {
        return LeverageLogic.params();
    }

    function lastDeleverageAt() external view returns (uint64) {
        return LeverageLogic.lastDeleverageAt();
    }

    function sequencerUptimeFeed() external view returns (address) {
        return VaultStorage.layout().sequencerFeed;
    }

    function sequencerGracePeriod() external view returns (uint256) {
        return VaultStorage.layout().sequencerGraceSeconds;
    }

    function timelockSeconds() external view returns (uint256) {
        return VaultStorage.layout().timelockSeconds;
    }

    function executableAt(bytes calldata data) external view returns (uint256) {
        return VaultStorage.layout().pendingChanges[keccak256(data)];
    }

    function lockedShares(address owner) external view returns (uint256 shares, uint256 unlocksAt) {
        uint256 packed = VaultStorage.layout().shareLocks[owner];
        unlocksAt = packed >> 192;
        if (block.timestamp < unlocksAt) shares = uint192(packed);
    }

    function feeState() external view returns (IRiskParityVault.FeeState memory) {
        return FeeLogic.state();
    }

    function lossBudgetUsedWad() external view returns (uint256) {
        return _lossUsedNow(VaultStorage.layout());
    }

    /*//////////////////////////////////////////////////////////////
                      RISK MODEL AND CIRCUIT BREAKER
    //////////////////////////////////////////////////////////////*/

    function riskParams() external view returns (IRiskParityVault.RiskParams memory) {
        return RiskLogic.params();
    }

    function twapPair(address token) external view returns (address) {
        return RiskLogic.pairOf(token);
    }

    function riskState() external view returns (uint64 lastPokeAt, uint256 observations, bool guardrailActive) {
        return RiskLogic.state(VaultStorage.layout().registry);
    }

    function covariancePerSecond() external view returns (int256[] memory) {
        return RiskLogic.covariance(VaultStorage.layout().registry);
    }

    function riskContributions()
        external
        view
        returns (uint256[] memory volatilitiesWad, int256[] memory riskContributionsWad, uint256 gapWad)
    {
        return _riskView(VaultStorage.layout());
    }

    function shouldRebalance() external view returns (bool needed, uint256 gapWad, uint256 triggerWad) {
        VaultStorage.Layout storage l = VaultStorage.layout();
        (,, bool active) = RiskLogic.state(l.registry);
        triggerWad = uint256(RiskLogic.params().triggerBps) * 1e14;
        if (!active) return (false, 0, triggerWad);
        (,, gapWad) = _riskView(l);
        uint256 last = l.lastRebalanceAt;
        bool cooledDown = last == 0 || block.timestamp >= last + l.cooldownSeconds;
        needed = gapWad > triggerWad && cooledDown && !l.rebalancesPaused;
    }

    function priceDivergence() external view returns (address token, uint256 divergenceBps, bool tripped) {
        return RiskLogic.divergence(VaultStorage.layout().registry);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNALS
    //////////////////////////////////////////////////////////////*/

    /// @dev Gross holdings (held plus supplied) under the on-chain covariance.
    function _riskView(VaultStorage.Layout storage l)
        private
        view
        returns (uint256[] memory vols, int256[] memory rcs, uint256 gapWad)
    {
        address registry = l.registry;
        uint256[] memory balances = Valuation.balancesOf(AssetRegistry.load(registry), address(this));
        if (address(LeverageLogic.adapter()) != address(0)) {
            (balances,) = LeverageLogic.addCollateral(registry, balances);
        }
        return RiskLogic.riskView(registry, l.sequencerFeed, l.sequencerGraceSeconds, balances, l.riskBudgetsBps);
    }

    /// @dev A risk-increasing call must match a submitted change whose timelock has passed; it is consumed.
    ///      With no timelock set (deployment, before governance hands over) every change applies at once.
    function _consumeTimelock(VaultStorage.Layout storage l, bool increasesRisk) private {
        if (!increasesRisk || l.timelockSeconds == 0) return;
        bytes32 key = keccak256(msg.data);
        uint256 at = l.pendingChanges[key];
        if (at == 0) revert IRiskParityVault.RiskParityVaultChangeNotSubmitted(msg.sig);
        if (block.timestamp < at) revert IRiskParityVault.RiskParityVaultChangeTimelocked(at, block.timestamp);
        delete l.pendingChanges[key];
        emit IRiskParityVault.ChangeAccepted(msg.sig, msg.data);
    }

    function _checkThresholds(IRiskParityVault.Thresholds memory t) private pure {
        _checkBound("maxSlippageBps", t.maxSlippageBps, 1, MAX_SLIPPAGE_BPS);
        _checkBound("maxNavLossBps", t.maxNavLossBps, 1, MAX_NAV_LOSS_BPS);
        _checkBound("maxTurnoverBps", t.maxTurnoverBps, 1, MAX_TURNOVER_BPS);
        _checkBound("cooldownSeconds", t.cooldownSeconds, MIN_COOLDOWN_SECONDS, MAX_COOLDOWN_SECONDS);
    }

    /// @dev Checked by the caller (`_checkThresholds`).
    function _setThresholds(VaultStorage.Layout storage l, IRiskParityVault.Thresholds memory t) private {
        (l.maxSlippageBps, l.maxNavLossBps, l.maxTurnoverBps, l.cooldownSeconds) =
            (t.maxSlippageBps, t.maxNavLossBps, t.maxTurnoverBps, t.cooldownSeconds);
        emit IRiskParityVault.ThresholdsUpdated(t);
    }

    function _checkProtection(IRiskParityVault.ProtectionParams memory p) private pure {
        _checkProtectionBound("entryFeeFloorBps", p.entryFeeFloorBps, 0, MAX_ENTRY_FEE_FLOOR_BPS);
        _checkProtectionBound("shareLockSeconds", p.shareLockSeconds, 0, MAX_SHARE_LOCK_SECONDS);
        _checkProtectionBound("lossBudgetBps", p.lossBudgetBps, 1, MAX_LOSS_BUDGET_BPS);
        _checkProtectionBound(
            "lossPeriodSeconds", p.lossPeriodSeconds, MIN_LOSS_PERIOD_SECONDS, MAX_LOSS_PERIOD_SECONDS
        );
    }

    /// @dev Checked by the caller (`_checkProtection`).
    function _setProtection(VaultStorage.Layout storage l, IRiskParityVault.ProtectionParams memory p) private {
        // The used budget is carried over at its refilled value, so a new period or budget cannot erase it.
        l.lossUsedWad = uint64(_lossUsedNow(l));
        l.lossUpdatedAt = uint64(block.timestamp);
        (l.entryFeeFloorBps, l.shareLockSeconds, l.lossBudgetBps, l.lossPeriodSeconds) =
            (p.entryFeeFloorBps, p.shareLockSeconds, p.lossBudgetBps, p.lossPeriodSeconds);
        emit IRiskParityVault.ProtectionParamsUpdated(p);
    }

    function _setDepositCap(VaultStorage.Layout storage l, uint256 depositCapAssets) private {
        if (depositCapAssets > type(uint128).max) {
            revert IRiskParityVault.RiskParityVaultDepositCapTooLarge(depositCapAssets);
        }
        l.depositCapAssets = uint128(depositCapAssets);
        emit IRiskParityVault.DepositCapUpdated(depositCapAssets);
    }

    function _checkPauser(bool paused) private view {
        if (hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) return;
        if (!paused) revert IRiskParityVault.RiskParityVaultUnauthorizedUnpause(msg.sender);
        _checkRole(GUARDIAN_ROLE);
    }

    function _checkBound(string memory field, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert IRiskParityVault.RiskParityVaultThresholdOutOfBounds(field, value, min, max);
    }

    function _checkProtectionBound(string memory field, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) {
            revert IRiskParityVault.RiskParityVaultProtectionOutOfBounds(field, value, min, max);
        }
    }
}
