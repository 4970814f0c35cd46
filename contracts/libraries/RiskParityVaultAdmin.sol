// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IRiskParityVault} from "../../interfaces/IRiskParityVault.sol";
import {ISwapAdapter} from "../../interfaces/ISwapAdapter.sol";
import {AssetRegistry} from "./AssetRegistry.sol";
import {PackedBps} from "./PackedBps.sol";
import {LeverageLogic} from "./LeverageLogic.sol";
import {RegistryLogic} from "./RegistryLogic.sol";
import {KeeperViewLogic} from "./KeeperViewLogic.sol";

/// @title RiskParityVaultAdmin
/// @notice The vault's storage, roles, bounded setters and views; RiskParityVault adds the money-moving logic.
/// @dev Roles: governance is DEFAULT_ADMIN_ROLE (a TimelockController in production) and grants the others.
abstract contract RiskParityVaultAdmin is AccessControl, ReentrancyGuard, IRiskParityVault {
    bytes32 public constant MANAGER_ROLE = keccak256("MANAGER_ROLE");
    bytes32 public constant KEEPER_ROLE = keccak256("KEEPER_ROLE");
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");

    // Hard bounds on what the manager may set.
    uint16 public constant MAX_SLIPPAGE_BPS = 500; // 5% per trade
    uint16 public constant MAX_NAV_LOSS_BPS = 200; // 2% of NAV per rebalance
    uint16 public constant MAX_TURNOVER_BPS = 10_000; // 100% of NAV per rebalance
    uint32 public constant MIN_COOLDOWN_SECONDS = 15 minutes;
    uint32 public constant MAX_COOLDOWN_SECONDS = 30 days;
    uint16 public constant MAX_RISK_BUDGET_BPS = 5_000; // no asset carries more than half the risk
    uint256 public constant MAX_SEQUENCER_GRACE_SECONDS = 1 days;

    address internal immutable _sequencerFeed;
    uint256 internal immutable _sequencerGraceSeconds;

    // Slot: everything a deposit or exit reads besides balances and prices.
    address internal _registry; // CodeStore pointer to the abi-encoded AssetConfig[]
    bool internal _depositsPaused;
    bool internal _rebalancesPaused;
    uint32 internal _cooldownSeconds;
    uint16 internal _maxSlippageBps;
    uint16 internal _maxNavLossBps;
    uint16 internal _maxTurnoverBps;
    // Slot: rebalance bookkeeping and the cap.
    uint64 internal _epoch;
    uint64 internal _lastRebalanceAt; // unix seconds, 0 before the first rebalance
    uint128 internal _depositCapAssets; // base units; type(uint128).max means no cap
    uint256 internal _riskBudgetsBps; // PackedBps, registry order
    uint256 internal _targetWeightsBps; // PackedBps, registry order
    ISwapAdapter internal _swapAdapter;

    constructor(
        IERC20 base,
        address governance,
        AssetParams memory baseOracle,
        Thresholds memory thresholds_,
        uint256 depositCapAssets,
        address sequencerFeed,
        uint256 sequencerGraceSeconds
    ) {
        if (governance == address(0)) revert RiskParityVaultZeroAddress();
        if (sequencerGraceSeconds > MAX_SEQUENCER_GRACE_SECONDS) {
            revert RiskParityVaultThresholdOutOfBounds(
                "sequencerGraceSeconds", sequencerGraceSeconds, 0, MAX_SEQUENCER_GRACE_SECONDS
            );
        }
        _sequencerFeed = sequencerFeed;
        _sequencerGraceSeconds = sequencerGraceSeconds;
        _grantRole(DEFAULT_ADMIN_ROLE, governance);

        baseOracle.token = address(base);
        AssetConfig[] memory a = new AssetConfig[](1);
        a[0] = AssetRegistry.configFrom(baseOracle, true);
        _registry = AssetRegistry.store(a);
        emit AssetAdded(
            address(base), baseOracle.feed, baseOracle.heartbeatSeconds, baseOracle.minPrice, baseOracle.maxPrice
        );
        _setThresholds(thresholds_);
        _setDepositCap(depositCapAssets);
    }

    /*//////////////////////////////////////////////////////////////
                             ADMINISTRATION
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IRiskParityVault
    function addAsset(AssetParams calldata params) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _registry = RegistryLogic.addAsset(_registry, params);
    }

    /// @inheritdoc IRiskParityVault
    function setAssetOracle(AssetParams calldata params) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _registry = RegistryLogic.setAssetOracle(_registry, params);
    }

    /// @inheritdoc IRiskParityVault
    function removeAsset(address token) external onlyRole(DEFAULT_ADMIN_ROLE) {
        (_registry, _riskBudgetsBps, _targetWeightsBps) =
            RegistryLogic.removeAsset(_registry, token, _riskBudgetsBps, _targetWeightsBps);
    }

    /// @inheritdoc IRiskParityVault
    function setRiskBudgets(uint16[] calldata riskBudgetsBps_) external onlyRole(MANAGER_ROLE) {
        PackedBps.checkWeights(riskBudgetsBps_, AssetRegistry.load(_registry).length);
        if (riskBudgetsBps_[0] != 0) revert RiskParityVaultBudgetOutOfBounds(0, riskBudgetsBps_[0], 0);
        for (uint256 i = 1; i < riskBudgetsBps_.length; ++i) {
            if (riskBudgetsBps_[i] > MAX_RISK_BUDGET_BPS) {
                revert RiskParityVaultBudgetOutOfBounds(i, riskBudgetsBps_[i], MAX_RISK_BUDGET_BPS);
            }
        }
        _riskBudgetsBps = PackedBps.pack(riskBudgetsBps_);
        emit RiskBudgetsUpdated(riskBudgetsBps_);
    }

    /// @inheritdoc IRiskParityVault
    function setThresholds(Thresholds calldata thresholds_) external onlyRole(MANAGER_ROLE) {
        _setThresholds(thresholds_);
    }

    /// @inheritdoc IRiskParityVault
    function setDepositCap(uint256 depositCapAssets) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setDepositCap(depositCapAssets);
    }

    /// @inheritdoc IRiskParityVault
    function setSwapAdapter(address adapter) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (adapter != address(0)) {
            address adapterVault = ISwapAdapter(adapter).vault();
            if (adapterVault != address(this)) revert RiskParityVaultAdapterVaultMismatch(adapter, adapterVault);
        }
        emit SwapAdapterUpdated(address(_swapAdapter), adapter);
        _swapAdapter = ISwapAdapter(adapter);
    }

    /// @inheritdoc IRiskParityVault
    function setLendingAdapter(address adapter) external onlyRole(DEFAULT_ADMIN_ROLE) {
        LeverageLogic.setLendingAdapter(_registry, adapter);
    }

    /// @inheritdoc IRiskParityVault
    function setLeverageParams(LeverageParams calldata params) external onlyRole(MANAGER_ROLE) {
        LeverageLogic.setParams(params);
    }

    /// @inheritdoc IRiskParityVault
    function setDepositsPaused(bool paused) external {
        _checkPauser(paused);
        _depositsPaused = paused;
        emit DepositsPausedSet(paused, _msgSender());
    }

    /// @inheritdoc IRiskParityVault
    function setRebalancesPaused(bool paused) external {
        _checkPauser(paused);
        _rebalancesPaused = paused;
        emit RebalancesPausedSet(paused, _msgSender());
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IRiskParityVault
    function keeperView() external view returns (KeeperView memory) {
        bytes memory encoded = KeeperViewLogic.build(
            _registry,
            KeeperViewLogic.State(
                _epoch,
                _lastRebalanceAt,
                thresholds(),
                _depositsPaused,
                _rebalancesPaused,
                _depositCapAssets,
                _riskBudgetsBps,
                _targetWeightsBps
            )
        );
        // Already the ABI encoding of a KeeperView: return it as it is rather than decode and encode it again.
        assembly ("memory-safe") {
            return(add(encoded, 0x20), mload(encoded))
        }
    }

    /// @inheritdoc IRiskParityVault
    function assets() external view returns (AssetConfig[] memory) {
        return AssetRegistry.load(_registry);
    }

    function epoch() external view returns (uint64) {
        return _epoch;
    }

    function lastRebalanceAt() external view returns (uint64) {
        return _lastRebalanceAt;
    }

    function thresholds() public view returns (Thresholds memory) {
        return Thresholds(_maxSlippageBps, _maxNavLossBps, _maxTurnoverBps, _cooldownSeconds);
    }

    function targetWeightsBps() external view returns (uint16[] memory) {
        return PackedBps.unpack(_targetWeightsBps, AssetRegistry.load(_registry).length);
    }

    function riskBudgetsBps() external view returns (uint16[] memory) {
        return PackedBps.unpack(_riskBudgetsBps, AssetRegistry.load(_registry).length);
    }

    function depositCap() external view returns (uint256) {
        return _depositCapAssets;
    }

    function depositsPaused() external view returns (bool) {
        return _depositsPaused;
    }

    function rebalancesPaused() external view returns (bool) {
        return _rebalancesPaused;
    }

    function swapAdapter() external view returns (address) {
        return address(_swapAdapter);
    }

    function lendingAdapter() external view returns (address) {
        return address(LeverageLogic.adapter());
    }

    function sequencerUptimeFeed() external view returns (address) {
        return _sequencerFeed;
    }

    function sequencerGracePeriod() external view returns (uint256) {
        return _sequencerGraceSeconds;
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNALS
    //////////////////////////////////////////////////////////////*/

    function _setThresholds(Thresholds memory t) internal {
        _checkBound("maxSlippageBps", t.maxSlippageBps, 1, MAX_SLIPPAGE_BPS);
        _checkBound("maxNavLossBps", t.maxNavLossBps, 1, MAX_NAV_LOSS_BPS);
        _checkBound("maxTurnoverBps", t.maxTurnoverBps, 1, MAX_TURNOVER_BPS);
        _checkBound("cooldownSeconds", t.cooldownSeconds, MIN_COOLDOWN_SECONDS, MAX_COOLDOWN_SECONDS);
        (_maxSlippageBps, _maxNavLossBps, _maxTurnoverBps, _cooldownSeconds) =
            (t.maxSlippageBps, t.maxNavLossBps, t.maxTurnoverBps, t.cooldownSeconds);
        emit ThresholdsUpdated(t);
    }

    function _setDepositCap(uint256 depositCapAssets) internal {
        if (depositCapAssets > type(uint128).max) revert RiskParityVaultDepositCapTooLarge(depositCapAssets);
        _depositCapAssets = uint128(depositCapAssets);
        emit DepositCapUpdated(depositCapAssets);
    }

    /// @dev Pausing: guardian or governance. Unpausing: governance only, so a compromised guardian can stop
    ///      deposits and rebalances but never undo governance's pause. No pause reaches the in-kind exit.
    function _checkPauser(bool paused) private view {
        address caller = _msgSender();
        if (hasRole(DEFAULT_ADMIN_ROLE, caller)) return;
        if (!paused) revert RiskParityVaultUnauthorizedUnpause(caller);
        _checkRole(GUARDIAN_ROLE, caller);
    }

    function _checkBound(string memory field, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert RiskParityVaultThresholdOutOfBounds(field, value, min, max);
    }
}
