// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title IRiskParityVault
/// @notice An ERC-4626 vault over a USD stablecoin (the base asset) that holds a basket of ERC-20 assets valued by
///         Chainlink-style feeds, rebalanced by a keeper toward risk-parity target weights through a DEX adapter.
/// @dev Units: token amounts in the token's own decimals; "base units" are amounts of the base asset; prices as
///      the feed reports them; weights and budgets in basis points (10,000 = 100%). Registry index 0 is always
///      the base asset; weight, budget and balance arrays follow the registry order.
interface IRiskParityVault {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice What governance supplies to register an asset or change its oracle settings.
    /// @param feed Chainlink-style USD feed; for the base asset, address(0) prices it at exactly 1 base unit.
    /// @param heartbeatSeconds Oldest accepted answer age.
    /// @param minPrice Lowest accepted answer, in feed units.
    /// @param maxPrice Highest accepted answer, in feed units.
    /// @param deviationBps The feed's deviation threshold: how far the market may move before the feed publishes,
    ///        i.e. the most the feed lags the market between heartbeats. Prices the entry fee (at most 1,000).
    struct AssetParams {
        address token;
        address feed;
        uint32 heartbeatSeconds;
        uint128 minPrice;
        uint128 maxPrice;
        uint16 deviationBps;
    }

    /// @notice One registry entry as the vault stores it (decimals read from the token and the feed).
    struct AssetConfig {
        address token;
        address feed;
        uint32 heartbeatSeconds;
        uint8 tokenDecimals;
        uint8 feedDecimals;
        uint128 minPrice;
        uint128 maxPrice;
        uint16 deviationBps;
    }

    /// @notice Rebalance limits the manager sets inside the contract's hard bounds.
    /// @param maxSlippageBps Each trade must return at least the oracle value of its input minus this.
    /// @param maxNavLossBps The whole rebalance may lose at most this share of NAV (oracle-valued); rebalances and
    ///        ripcord sales together also draw on the rolling loss budget (`ProtectionParams`).
    /// @param maxTurnoverBps The oracle value of all inputs may be at most this share of NAV.
    /// @param cooldownSeconds Minimum time between two rebalances.
    struct Thresholds {
        uint16 maxSlippageBps;
        uint16 maxNavLossBps;
        uint16 maxTurnoverBps;
        uint32 cooldownSeconds;
    }

    /// @notice Holder protections the manager sets inside the contract's hard bounds.
    /// @param entryFeeFloorBps Least entry fee. The fee charged is the value-weighted deviation threshold of
    ///        what the vault holds (the oracle lag a depositor could exploit), at least this floor and at most
    ///        MAX_ENTRY_FEE_BPS. Kept by the vault for the holders already in it.
    /// @param shareLockSeconds Shares minted by a deposit cannot be redeemed, withdrawn or transferred for this long.
    /// @param lossBudgetBps NAV that rebalances and ripcord sales may lose per `lossPeriodSeconds`, in bps of NAV;
    ///        the used budget refills linearly over the period (a compromised keeper cannot lose more than this).
    /// @param lossPeriodSeconds The loss budget's refill period.
    struct ProtectionParams {
        uint16 entryFeeFloorBps;
        uint32 shareLockSeconds;
        uint16 lossBudgetBps;
        uint32 lossPeriodSeconds;
    }

    /// @notice Everything fixed at deployment.
    /// @param baseOracle Oracle settings of the base asset; its `token` field is ignored, its `feed` may be zero.
    /// @param sequencerFeed L2 sequencer uptime feed, or address(0) on L1.
    /// @param module The RiskParityVaultModule this vault delegates its keeper, lending and admin paths to.
    /// @param lens The RiskParityVaultLens that reads it (`keeperView`).
    /// @param timelockSeconds Delay of risk-increasing parameter changes (governance may change it).
    struct InitParams {
        address base;
        string name;
        string symbol;
        address governance;
        AssetParams baseOracle;
        Thresholds thresholds;
        ProtectionParams protection;
        uint256 depositCapAssets;
        address sequencerFeed;
        uint32 sequencerGraceSeconds;
        uint32 timelockSeconds;
        address module;
        address lens;
    }

    /// @param minAmountOut The keeper's own minimum, in `tokenOut` units; the vault applies the stricter of this
    ///        and its oracle floor.
    struct Trade {
        address tokenIn;
        address tokenOut;
        uint256 amountIn;
        uint256 minAmountOut;
    }

    /// @param expectedEpoch Must equal `epoch()`; the rebalance then increments it, so a second keeper
    ///        transaction built on the same state reverts instead of trading twice.
    /// @param deadline Unix seconds; passed to the DEX as well.
    /// @param targetWeightsBps One weight per registry entry (base first), summing to 10,000.
    struct RebalanceParams {
        uint64 expectedEpoch;
        uint256 deadline;
        uint16[] targetWeightsBps;
        Trade[] trades;
    }

    /// @notice Everything the keeper needs, read in one call. `answers`/`updatedAt` are the feeds' raw latest
    ///         rounds (zero when the feed call fails); `navOk` is false when any oracle check fails.
    struct KeeperView {
        uint64 epoch;
        uint64 lastRebalanceAt;
        Thresholds thresholds;
        bool depositsPaused;
        bool rebalancesPaused;
        uint256 depositCapAssets;
        uint256 totalSupply;
        bool navOk;
        uint256 navBaseUnits;
        AssetConfig[] assets;
        uint16[] targetWeightsBps;
        uint16[] riskBudgetsBps;
        uint256[] balances;
        int256[] answers;
        uint256[] updatedAt;
        // Lending state, appended so decoders of the fields above keep working; zero without a lending adapter.
        address lendingAdapter;
        uint256[] collateral; // supplied per registry entry, token units (interest included)
        uint256 debtBaseUnits;
        uint256 healthFactorWad; // the market's, 1e18; type(uint256).max with no debt
        LeverageParams leverage;
        uint64 lastDeleverageAt;
        // Holder protections, appended likewise.
        ProtectionParams protection;
        uint256 entryFeeBps; // what a deposit pays now (0 when an oracle check fails)
        uint256 lossBudgetUsedWad; // share of NAV used of the rolling loss budget, refilled to now (1e18)
    }

    /// @notice What a lending action does.
    enum LendingKind {
        Supply,
        Withdraw,
        Borrow,
        Repay
    }

    /// @notice One step on the lending market inside a rebalance. Order of execution: the actions with
    ///         `afterSwaps == false` in array order, then the trades, then those with `afterSwaps == true` in array
    ///         order. Lever up: supply what is held and borrow (before), buy, supply what was bought (after).
    ///         Lever down: withdraw (before), sell, repay (after).
    /// @param token A registered non-base asset for Supply/Withdraw; the base asset for Borrow/Repay.
    /// @param amount In `token` units; a Repay above the debt repays the debt.
    struct LendingAction {
        LendingKind kind;
        address token;
        uint256 amount;
        bool afterSwaps;
    }

    /// @notice Leverage limits the manager sets inside the contract's hard bounds. Health factors are the lending
    ///         market's (1e18 = liquidatable); leverage is gross exposure / NAV = (NAV + debt) / NAV, in bps
    ///         (10,000 = unlevered). Ordering: 1e18 < ripcord < min < target.
    /// @param minHealthFactorWad Floor after every rebalance (and after exits, unless it was already lower).
    /// @param targetHealthFactorWad Where the keeper aims; the contract only checks the ordering.
    /// @param ripcordHealthFactorWad Below it anyone may call `deleverage`.
    /// @param maxLeverageBps Cap after every rebalance (and after exits, unless it was already higher).
    /// @param ripcordRewardBps Share of each deleverage's sale proceeds paid to its caller.
    /// @param ripcordCooldownSeconds Minimum time between two deleverages.
    /// @param ripcordMaxTradeBaseUnits Largest oracle value one deleverage may sell.
    struct LeverageParams {
        uint64 minHealthFactorWad;
        uint64 targetHealthFactorWad;
        uint64 ripcordHealthFactorWad;
        uint16 maxLeverageBps;
        uint16 ripcordRewardBps;
        uint32 ripcordCooldownSeconds;
        uint128 ripcordMaxTradeBaseUnits;
    }

    /// @notice The on-chain risk model and the DEX-vs-oracle circuit breaker (issue 12), set by governance.
    ///         A zero `bandBps` switches the guardrail off and a zero `maxDivergenceBps` the breaker.
    /// @param pokeIntervalSeconds Least time between two covariance updates (`poke`, and every rebalance).
    /// @param halfLifeSeconds Half-life of the exponentially weighted covariance: an observation `dt` seconds
    ///        long gets weight 1 - 2^(-dt / halfLife).
    /// @param twapWindowSeconds Least age of the pool checkpoint a TWAP is measured from (when one is that old).
    /// @param bandBps Guardrail band: after a rebalance max |RC_i - budget_i| <= max(that gap before, band), and
    ///        the target weights' gap must be within the same max(gap before, band).
    /// @param triggerBps `shouldRebalance` answers true once the holdings' gap exceeds this.
    /// @param maxDivergenceBps Largest accepted |TWAP - feed| / feed of any asset with a pool; beyond it deposits,
    ///        swap exits and rebalances stop (in-kind and plain exits still work).
    /// @param minObservations The guardrail and `shouldRebalance` stay inactive until this many returns are in.
    struct RiskParams {
        uint32 pokeIntervalSeconds;
        uint32 halfLifeSeconds;
        uint32 twapWindowSeconds;
        uint16 bandBps;
        uint16 triggerBps;
        uint16 maxDivergenceBps;
        uint16 minObservations;
    }

    /// @notice The holder fees and their state (FeeLogic). Both fees are paid as new shares to `recipient`.
    /// @param managementFeeBps Per year, streamed: each accrual dilutes every share by managementFeeBps x elapsed /
    ///        (10,000 x 365 days), so the recipient gets that share of NAV (at most MAX_MANAGEMENT_FEE_BPS, 500).
    /// @param performanceFeeBps Of the gain of the share price over `highWaterMarkWad`, per accrual (at most
    ///        MAX_PERFORMANCE_FEE_BPS, 3,000).
    /// @param highWaterMarkWad The highest share price after fees seen at an accrual: base units per share unit,
    ///        x 1e18 ((NAV + 1) x 1e18 / (supply + 10^6)). Only moves up.
    /// @param lastAccrualAt Unix seconds of the last accrual.
    struct FeeState {
        address recipient;
        uint16 managementFeeBps;
        uint16 performanceFeeBps;
        uint256 highWaterMarkWad;
        uint64 lastAccrualAt;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    // Each error carries the values that failed its check. Oracle errors come from OracleReader
    // (OracleReaderStalePrice, ...), role errors from OpenZeppelin's AccessControl.
    error RiskParityVaultZeroAddress();
    error RiskParityVaultTooManyAssets(uint256 count, uint256 maxCount);
    error RiskParityVaultAssetAlreadyRegistered(address token);
    error RiskParityVaultAssetNotRegistered(address token);
    error RiskParityVaultDecimalsTooLarge(address tokenOrFeed, uint8 decimals);
    error RiskParityVaultInvalidOracleParams(
        address token, uint32 heartbeatSeconds, uint128 minPrice, uint128 maxPrice
    );
    error RiskParityVaultAssetStillTargeted(address token, uint16 riskBudgetBps, uint16 targetWeightBps);
    error RiskParityVaultCannotRemoveBase();
    error RiskParityVaultWrongLength(uint256 given, uint256 expected);
    error RiskParityVaultBudgetOutOfBounds(uint256 index, uint16 riskBudgetBps, uint16 maxBps);
    error RiskParityVaultWeightsDoNotSum(uint256 sumBps);
    error RiskParityVaultThresholdOutOfBounds(string field, uint256 value, uint256 min, uint256 max);
    error RiskParityVaultDepositCapTooLarge(uint256 depositCapAssets);
    error RiskParityVaultAdapterVaultMismatch(address adapter, address adapterVault);
    error RiskParityVaultUnauthorizedUnpause(address caller);
    error RiskParityVaultDepositsPaused();
    error RiskParityVaultRebalancesPaused();
    error RiskParityVaultZeroShares(uint256 assets);
    error RiskParityVaultZeroAmount();
    error RiskParityVaultInsufficientIdle(uint256 assets, uint256 idleAssets);
    error RiskParityVaultDeadlinePassed(uint256 deadline, uint256 nowSeconds);
    error RiskParityVaultInsufficientOutput(uint256 assets, uint256 minAssetsOut);
    error RiskParityVaultNoSwapAdapter();
    error RiskParityVaultWrongEpoch(uint64 expectedEpoch, uint64 currentEpoch);
    error RiskParityVaultCooldownActive(uint256 nextAllowedAt, uint256 nowSeconds);
    error RiskParityVaultEmpty();
    error RiskParityVaultInvalidTrade(uint256 index, address tokenIn, address tokenOut, uint256 amountIn);
    error RiskParityVaultTradeBelowMinimum(uint256 index, uint256 amountOut, uint256 minAmountOut);
    error RiskParityVaultTurnoverExceeded(uint256 turnoverBaseUnits, uint256 maxTurnoverBaseUnits);
    error RiskParityVaultNavLossExceeded(uint256 navBeforeBaseUnits, uint256 navAfterBaseUnits, uint256 minNavAfter);
    error RiskParityVaultDistanceGrew(uint256 distanceBeforeWad, uint256 distanceAfterWad);
    error RiskParityVaultReentrantView();
    error RiskParityVaultNoLendingAdapter();
    /// @param amount The debt (changing the adapter) or the token's supplied collateral (removing an asset).
    error RiskParityVaultLendingPositionOpen(address adapter, uint256 amount);
    error RiskParityVaultInvalidLendingAction(uint256 index, uint8 kind, address token, uint256 amount);
    error RiskParityVaultLeverageParamsOutOfBounds(string field, uint256 value, uint256 min, uint256 max);
    error RiskParityVaultHealthFactorTooLow(uint256 healthFactorWad, uint256 minHealthFactorWad);
    error RiskParityVaultLeverageTooHigh(uint256 leverageBps, uint256 maxLeverageBps);
    error RiskParityVaultHealthFactorNotBelowRipcord(uint256 healthFactorWad, uint256 ripcordHealthFactorWad);
    error RiskParityVaultRipcordCooldownActive(uint256 nextAllowedAt, uint256 nowSeconds);
    error RiskParityVaultRipcordTradeTooLarge(uint256 valueBaseUnits, uint256 maxTradeBaseUnits);
    error RiskParityVaultHealthFactorNotImproved(uint256 healthFactorBeforeWad, uint256 healthFactorAfterWad);
    /// @notice `owner` tried to move shares still locked after a deposit.
    error RiskParityVaultSharesLocked(address owner, uint256 lockedShares, uint256 unlocksAt);
    /// @notice A deposit for someone else while that receiver's earlier shares are still locked (only the receiver
    ///         may extend its own lock); retry after `unlocksAt`.
    error RiskParityVaultReceiverLocked(address receiver, uint256 unlocksAt);
    error RiskParityVaultProtectionOutOfBounds(string field, uint256 value, uint256 min, uint256 max);
    /// @notice The rolling loss budget would be exceeded: `usedWad` (after this call) > `budgetWad` (1e18 = NAV).
    error RiskParityVaultLossBudgetExceeded(uint256 usedWad, uint256 budgetWad);
    /// @notice This change raises risk: `submit` it and call again once its timelock has passed.
    error RiskParityVaultChangeNotSubmitted(bytes4 selector);
    error RiskParityVaultChangeTimelocked(uint256 executableAt, uint256 nowSeconds);
    error RiskParityVaultChangeAlreadySubmitted(uint256 executableAt);
    error RiskParityVaultNothingToRevoke();
    /// @notice `removeAsset` on a token the vault still holds: sell it first (a rebalance to a zero target).
    error RiskParityVaultAssetBalanceRemains(address token, uint256 balance);
    /// @notice `redeemWithSwap` could not sell a slice: redeem in kind, or skip nothing and retry later.
    error RiskParityVaultUnsellableSlice(address token, uint256 amount);
    /// @notice The skip list of an in-kind exit names the base asset, an unknown token or a token twice.
    error RiskParityVaultInvalidSkip(address token);
    /// @notice A module function reached outside a delegatecall from its vault, or an internal entry called
    ///         from outside.
    error RiskParityVaultModuleOnlyDelegated();
    error RiskParityVaultInternalEntry(bytes4 selector);
    error RiskParityVaultUnauthorizedCallback(address caller);
    /// @notice After the trades the largest gap between an asset's risk contribution (on-chain covariance) and
    ///         its budget is above both the gap before and the band (1e18 = 100%).
    error RiskParityVaultRiskGapGrew(uint256 gapBeforeWad, uint256 gapAfterWad, uint256 bandWad);
    /// @notice The keeper's target weights give registry entry `index` a risk contribution further from its budget
    ///         than allowed: the band, or the holdings' own gap before the trades when that is larger (1e18 = 100%).
    error RiskParityVaultTargetsOffBudget(
        uint256 index, int256 riskContributionWad, uint256 budgetWad, uint256 allowedWad
    );
    /// @notice The circuit breaker: `token`'s pool TWAP (in feed terms, base units per token unit scaled like the
    ///         oracle price) is more than `maxDivergenceBps` away from its feed.
    error RiskParityVaultPriceDivergence(address token, uint256 divergenceBps, uint256 maxDivergenceBps);
    /// @notice The pair does not trade `token` against the base asset (or `token` is not a registered non-base asset).
    error RiskParityVaultInvalidTwapPair(address token, address pair);
    error RiskParityVaultManagementFeeTooHigh(uint256 feeBps, uint256 maxBps);
    error RiskParityVaultPerformanceFeeTooHigh(uint256 feeBps, uint256 maxBps);
    /// @notice A non-zero fee needs a fee recipient: set one first (`setFeeRecipient`), or set the fees to zero.
    error RiskParityVaultNoFeeRecipient();

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    event AssetAdded(address indexed token, address feed, uint32 heartbeatSeconds, uint128 minPrice, uint128 maxPrice);
    event AssetOracleUpdated(
        address indexed token, address feed, uint32 heartbeatSeconds, uint128 minPrice, uint128 maxPrice
    );
    /// @param balanceLeft Always 0: an asset still held cannot be removed (kept for decoders of the old event).
    event AssetRemoved(address indexed token, uint256 balanceLeft);
    event RiskBudgetsUpdated(uint16[] riskBudgetsBps);
    event ProtectionParamsUpdated(ProtectionParams params);
    /// @notice A risk-increasing change was queued; it can be made from `executableAt` on, unless revoked.
    event ChangeSubmitted(bytes4 indexed selector, bytes data, uint256 executableAt);
    event ChangeRevoked(bytes4 indexed selector, bytes data, address indexed by);
    event ChangeAccepted(bytes4 indexed selector, bytes data);
    event TimelockUpdated(uint256 timelockSeconds);
    /// @notice A deposit's entry fee, kept by the vault for the holders already in it.
    event EntryFeeCharged(address indexed receiver, uint256 feeBaseUnits, uint256 feeBps);
    /// @notice `shares` of `owner` cannot leave `owner` before `unlocksAt` (all of them: `lockedShares`).
    event SharesLocked(address indexed owner, uint256 lockedShares, uint256 unlocksAt);
    /// @notice The rolling loss budget after a rebalance or ripcord sale lost `lossWad` of NAV.
    event LossBudgetUsed(uint256 lossWad, uint256 usedWad);
    event ThresholdsUpdated(Thresholds thresholds);
    event DepositCapUpdated(uint256 depositCapAssets);
    event SwapAdapterUpdated(address indexed previousAdapter, address indexed newAdapter);
    event DepositsPausedSet(bool paused, address indexed by);
    event RebalancesPausedSet(bool paused, address indexed by);
    /// @param navBeforeBaseUnits NAV before the trades; @param navAfterBaseUnits after, at the same prices.
    /// @param turnoverBaseUnits Oracle value of all trade inputs.
    event Rebalanced(
        uint64 indexed epoch,
        uint256 navBeforeBaseUnits,
        uint256 navAfterBaseUnits,
        uint256 turnoverBaseUnits,
        uint16[] targetWeightsBps
    );
    event LendingAdapterUpdated(address indexed previousAdapter, address indexed newAdapter);
    event LeverageParamsUpdated(LeverageParams params);
    /// @notice One per lending action of a rebalance, in execution order.
    event LendingActionExecuted(uint64 indexed epoch, LendingKind kind, address indexed token, uint256 amount);
    /// @param soldAmount Collateral sold, in `token` units; @param repaidBaseUnits debt repaid;
    /// @param rewardBaseUnits paid to `caller`.
    event Deleveraged(
        address indexed caller,
        address indexed token,
        uint256 soldAmount,
        uint256 repaidBaseUnits,
        uint256 rewardBaseUnits,
        uint256 healthFactorBeforeWad,
        uint256 healthFactorAfterWad
    );
    /// @notice An exit's share of the debt, repaid before the exit completed.
    event ExitDebtRepaid(address indexed owner, uint256 shares, uint256 debtBaseUnits);
    event RedeemedInKind(
        address indexed caller, address indexed receiver, address indexed owner, uint256 shares, uint256[] amounts
    );
    event RiskParamsUpdated(RiskParams params);
    event TwapPairUpdated(address indexed token, address pair);
    /// @notice The covariance took one more return (`observations` in all), `elapsedSeconds` long.
    event CovariancePoked(uint256 observations, uint256 elapsedSeconds);
    /// @notice A rebalance passed the risk guardrail: the largest |RC_i - budget_i| before and after (1e18).
    event RiskGuardrailChecked(uint256 gapBeforeWad, uint256 gapAfterWad, uint256 bandWad);
    /// @notice Fee shares minted to `recipient` at an accrual (before the call's own mint or burn).
    /// @param navBaseUnits The NAV the accrual priced at; 0 when an exit that needs no oracle could not read it
    ///        (then only the management fee accrued).
    /// @param highWaterMarkWad The mark after this accrual (see FeeState).
    event FeesAccrued(
        address indexed recipient,
        uint256 managementFeeShares,
        uint256 performanceFeeShares,
        uint256 navBaseUnits,
        uint256 highWaterMarkWad
    );
    event FeesUpdated(uint16 managementFeeBps, uint16 performanceFeeBps);
    event FeeRecipientUpdated(address indexed previousRecipient, address indexed newRecipient);

    /*//////////////////////////////////////////////////////////////
                                 EXITS
    //////////////////////////////////////////////////////////////*/

    /// @notice Burn `shares` and sell their pro-rata slice of every non-base asset through the swap adapter; the
    ///         redeemer bears the slippage. Needs no oracle. Emits the ERC-4626 `Withdraw` event. Reverts with
    ///         `RiskParityVaultUnsellableSlice` rather than leave a slice behind.
    ///         While levered, any size in one transaction: the exit's debt share (debt x shares / (supply +
    ///         virtual shares), rounded up) is first repaid with a flash loan from the lending market, then the
    ///         exit's collateral is withdrawn and sold with its held slices, and the loan plus its premium is
    ///         settled from the proceeds before `minAssetsOut` is checked. Afterwards the health factor may not
    ///         be lower than min(before, minHealthFactor). The standard `withdraw`/`redeem` repay the debt share
    ///         from idle base (so `maxWithdraw` is idle x NAV / (NAV + debt), less a few units) and also check
    ///         leverage <= max(before, maxLeverage).
    /// @param minAssetsOut Least base units `receiver` must get (idle slice plus swap proceeds), else revert.
    /// @param deadline Unix seconds; passed to the DEX.
    /// @return assets Base units sent to `receiver`.
    function redeemWithSwap(uint256 shares, address receiver, address owner, uint256 minAssetsOut, uint256 deadline)
        external
        returns (uint256 assets);

    /// @notice Burn `shares` and pay a pro-rata slice (rounded down) of every registered token. Needs no oracle,
    ///         works while deposits and rebalances are paused.
    ///         While levered, net of debt: the exit's debt share (rounded up) is repaid first out of its base
    ///         slice, and the caller pays any shortfall in the base asset (it must have approved the vault);
    ///         then the collateral slices (rounded down) go from the lending market straight to `receiver`.
    ///         `amounts` then counts held plus collateral slices, the base entry net of the debt share. The
    ///         lending market's own oracle still prices the withdrawals (Aave checks its health factor).
    /// @return amounts Paid per registry entry, in each token's units.
    function redeemInKind(uint256 shares, address receiver, address owner) external returns (uint256[] memory amounts);

    /// @notice `redeemInKind` that leaves out the tokens in `skipTokens` (e.g. one that cannot be transferred):
    ///         the exit's slice of a skipped token stays in the vault with the other holders. Never the base.
    function redeemInKindSkipping(uint256 shares, address receiver, address owner, address[] calldata skipTokens)
        external
        returns (uint256[] memory amounts);

    /*//////////////////////////////////////////////////////////////
                               REBALANCE
    //////////////////////////////////////////////////////////////*/

    /// @notice Keeper only. Record new target weights and execute `trades` through the swap adapter. Each trade
    ///         must clear the stricter of its own minimum and the vault's oracle floor; afterwards NAV may have
    ///         fallen by at most `maxNavLossBps`, the distance to the targets may not have grown, and the
    ///         oracle value traded may not exceed `maxTurnoverBps` of NAV.
    function rebalance(RebalanceParams calldata params) external;

    /// @notice Keeper only. `rebalance` with lending actions: those with `afterSwaps == false`, then the trades,
    ///         then those with `afterSwaps == true` (each phase in array order). Afterwards, besides
    ///         `rebalance`'s checks, the health factor must be at least `minHealthFactorWad` and leverage at most
    ///         `maxLeverageBps`, unless the rebalance is a step back toward them (less debt and a higher health
    ///         factor than it started with); the distance to the targets may exceed the one before by at most
    ///         `maxNavLossBps` (scaled to 1e18), the cost of a pure leverage change.
    function rebalanceWithLending(RebalanceParams calldata params, LendingAction[] calldata actions) external;

    /// @notice Anyone, when the health factor is below `ripcordHealthFactorWad` and the ripcord cooldown has
    ///         passed: withdraw `amount` of collateral `token` (oracle value at most `ripcordMaxTradeBaseUnits`),
    ///         sell it for the base asset at no less than the oracle value minus `maxSlippageBps`, pay the caller
    ///         `ripcordRewardBps` of the proceeds and repay debt with the rest. The health factor must improve.
    ///         Works while rebalances are paused.
    /// @return repaidBaseUnits Debt repaid. @return rewardBaseUnits Paid to the caller.
    function deleverage(address token, uint256 amount, uint256 deadline)
        external
        returns (uint256 repaidBaseUnits, uint256 rewardBaseUnits);

    /*//////////////////////////////////////////////////////////////
                                 FEES
    //////////////////////////////////////////////////////////////*/

    /// @notice Anyone: mint the management and performance fee shares due now (see FeeState) at the oracle NAV.
    ///         Every deposit, mint, withdraw and redeem accrues first at the NAV it prices with; `redeemInKind`,
    ///         `redeemInKindSkipping` and `redeemWithSwap` accrue through this call, and only the management fee
    ///         when it fails (they need no oracle); rebalances, `deleverage` and the fee setters call it first.
    ///         The ERC-4626 previews, `convertTo*` and `max*` count the fee shares due now, so they equal what the
    ///         call does in the same block. Reverts on a bad oracle.
    function accrueFees() external;

    /// @notice Governance (the TimelockController). Accrues at the old rates first. Each at most its hard bound
    ///         (management 500 bps a year, performance 3,000 bps of the gain); non-zero fees need a recipient.
    function setFees(uint16 managementFeeBps, uint16 performanceFeeBps) external;

    /// @notice Governance. Accrues first (the old recipient keeps what accrued before); address(0) only while
    ///         both fees are zero.
    function setFeeRecipient(address recipient) external;

    function feeState() external view returns (FeeState memory);

    /// @notice The fee shares an accrual would mint now, at the oracle NAV (reverts on a bad oracle).
    function pendingFeeShares() external view returns (uint256 managementShares, uint256 performanceShares);

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The module this vault delegates to, and the lens that reads it (`lens.keeperView(vault)`).
    function module() external view returns (address);

    function lens() external view returns (address);

    /// @notice What a deposit pays now, in bps of the deposit (see ProtectionParams.entryFeeFloorBps); zero while
    ///         the vault has no holders (nobody to protect). Swing-priced: the depositor's shares are worth the
    ///         deposit less the fee, and the whole fee accrues to the holders already in.
    function entryFeeBps() external view returns (uint256);

    /// @notice Shares of `owner` that cannot move yet, and until when (unix seconds).
    function lockedShares(address owner) external view returns (uint256 shares, uint256 unlocksAt);

    function protectionParams() external view returns (ProtectionParams memory);

    function leverageParams() external view returns (LeverageParams memory);

    function lastDeleverageAt() external view returns (uint64);

    /// @notice The rolling loss budget used, refilled to now, as a share of NAV (1e18).
    function lossBudgetUsedWad() external view returns (uint256);

    /// @notice When a submitted change can be made (0: not submitted).
    function executableAt(bytes calldata data) external view returns (uint256);

    function timelockSeconds() external view returns (uint256);

    function assets() external view returns (AssetConfig[] memory);

    function epoch() external view returns (uint64);

    function lastRebalanceAt() external view returns (uint64);

    function thresholds() external view returns (Thresholds memory);

    function targetWeightsBps() external view returns (uint16[] memory);

    function riskBudgetsBps() external view returns (uint16[] memory);

    function depositCap() external view returns (uint256 depositCapAssets);

    function depositsPaused() external view returns (bool);

    function rebalancesPaused() external view returns (bool);

    function swapAdapter() external view returns (address);

    /// @notice The lending adapter, address(0) without leverage. Leverage params and the position are in
    ///         `keeperView()`.
    function lendingAdapter() external view returns (address);

    function sequencerUptimeFeed() external view returns (address);

    function sequencerGracePeriod() external view returns (uint256 graceSeconds);

    /*//////////////////////////////////////////////////////////////
                             ADMINISTRATION
    //////////////////////////////////////////////////////////////*/

    /// @notice Governance. Register a token (not the base, not a duplicate) with a zero budget and target.
    function addAsset(AssetParams calldata params) external;

    /// @notice Governance. Change the feed, heartbeat or bounds of a registered token (the base included).
    function setAssetOracle(AssetParams calldata params) external;

    /// @notice Governance. Drop a token whose risk budget and target weight are zero and that the vault no longer
    ///         holds (sell it first: a rebalance to a zero target).
    function removeAsset(address token) external;

    /// @notice Manager. Queue a risk-increasing change: `data` is the full calldata of the setter call
    ///         (`setRiskBudgets`, `setThresholds`, `setLeverageParams`, `setProtectionParams`); it can be made by
    ///         calling that setter with the same arguments from `block.timestamp + timelockSeconds` on.
    function submit(bytes calldata data) external;

    /// @notice Guardian (or governance). Drop a submitted change before it is made.
    function revoke(bytes calldata data) external;

    /// @notice Governance (itself behind the TimelockController). The delay of risk-increasing changes.
    function setTimelock(uint32 timelockSeconds_) external;

    /// @notice Manager or governance. One budget per registry entry, base first and zero, each at most
    ///         MAX_RISK_BUDGET_BPS, summing to 10,000. The manager's change is always timelocked (`submit` first);
    ///         governance's applies at once, as it has waited out its own TimelockController (and, with a
    ///         VaultGovernor, the holders' vote).
    function setRiskBudgets(uint16[] calldata riskBudgetsBps_) external;

    /// @notice Manager. Each field inside its hard bound (see the MIN_/MAX_ constants). Applies at once when it
    ///         only tightens (slippage, NAV loss and turnover down, cooldown up); otherwise timelocked.
    function setThresholds(Thresholds calldata thresholds_) external;

    /// @notice Manager. Inside the hard bounds. Applies at once when it only tightens (fee floor up, lock up,
    ///         loss budget down, period up); otherwise timelocked.
    function setProtectionParams(ProtectionParams calldata params) external;

    /// @notice Governance. Deposits stop once NAV reaches `depositCapAssets` (base units).
    function setDepositCap(uint256 depositCapAssets) external;

    /// @notice Governance. The adapter must name this vault as its only caller.
    function setSwapAdapter(address adapter) external;

    /// @notice Governance. The adapter must name this vault and borrow its base asset (or be 0, no leverage); the
    ///         current adapter must hold no collateral and no debt. Sets default leverage params on first use.
    function setLendingAdapter(address adapter) external;

    /// @notice Manager. Each field inside its hard bound, health factors ordered 1e18 < ripcord < min < target.
    ///         Applies at once when it only lowers risk (min and target health factor up, max leverage down,
    ///         reward down, ripcord cooldown up, max trade down, ripcord health factor unchanged); otherwise
    ///         timelocked: a manager cannot make a healthy vault's ripcord fire.
    function setLeverageParams(LeverageParams calldata params) external;

    /// @notice Guardian or governance may pause; only governance may unpause.
    function setDepositsPaused(bool paused) external;

    /// @notice Guardian or governance may pause; only governance may unpause.
    function setRebalancesPaused(bool paused) external;

    /*//////////////////////////////////////////////////////////////
                  RISK GUARDRAIL AND CIRCUIT BREAKER
    //////////////////////////////////////////////////////////////*/

    /// @notice Anyone. Update the covariance with the return since the last update (at most once per
    ///         `pokeIntervalSeconds`) and record the pools' cumulative prices for the breaker's TWAP. Every
    ///         rebalance does the same first. Reverts on a bad oracle.
    /// @return poked False when the interval has not passed (nothing changed).
    function poke() external returns (bool poked);

    /// @notice Governance. Inside the hard bounds of RiskLogic (see `RiskParams`).
    function setRiskParams(RiskParams calldata params) external;

    /// @notice Governance. The Uniswap V2 pair of `token` against the base asset (address(0): no TWAP check).
    function setTwapPair(address token, address pair) external;

    function riskParams() external view returns (RiskParams memory);

    function twapPair(address token) external view returns (address);

    /// @return lastPokeAt Unix seconds of the last covariance update (0: never).
    /// @return observations Returns in the covariance since it was last reset (a registry change resets it).
    /// @return guardrailActive Band set and at least `minObservations` returns in.
    function riskState() external view returns (uint64 lastPokeAt, uint256 observations, bool guardrailActive);

    /// @notice The exponentially weighted covariance of the non-base assets' returns against the base, per
    ///         second, scaled by 1e22; entry (i, j), i <= j, registry index minus one, at j (j + 1) / 2 + i.
    function covariancePerSecond() external view returns (int256[] memory);

    /// @notice Under the on-chain covariance, per registry entry (the base's are zero): annualized volatility
    ///         (1e18 = 100%) and the risk contribution of the current gross holdings (sum 1e18, zero when the
    ///         holdings carry no variance), and the largest |RC_i - budget_i| (1e18).
    function riskContributions()
        external
        view
        returns (uint256[] memory volatilitiesWad, int256[] memory riskContributionsWad, uint256 gapWad);

    /// @notice For a second keeper network (Chainlink Automation's checkUpkeep, Index Coop's FLI): true when the
    ///         guardrail is active, rebalances are not paused, the cooldown has passed and the holdings' gap to
    ///         the budgets exceeds `triggerBps`.
    function shouldRebalance() external view returns (bool needed, uint256 gapWad, uint256 triggerWad);

    /// @notice The breaker's reading now: the asset with the largest TWAP-vs-feed divergence, and whether it
    ///         is past `maxDivergenceBps` (deposits, swap exits and rebalances revert while it is).
    function priceDivergence() external view returns (address token, uint256 divergenceBps, bool tripped);
}
