// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ILendingAdapter, IFlashRepayReceiver} from "../../interfaces/ILendingAdapter.sol";
import {IAaveV3Pool} from "../../interfaces/IAaveV3Pool.sol";

/// @title AaveV3LendingAdapter
/// @notice The Aave V3 account of one RiskParityVault: supplies and withdraws collateral, borrows and repays the
///         vault's base asset at the variable rate.
/// @dev The adapter, not the vault, is the Aave user (Aave's `withdraw` and `borrow` act for `msg.sender`, so a
///      separate contract can only run a position of its own without credit delegation). Balances never rest
///      here: supplied tokens become aTokens, borrowed and withdrawn tokens go straight on, and a repay's leftover
///      goes back to the vault in the same call. Approvals are exact and cleared when the pool took less.
contract AaveV3LendingAdapter is ILendingAdapter {
    using SafeERC20 for IERC20;

    error AaveV3LendingAdapterOnlyVault(address caller, address vault);
    error AaveV3LendingAdapterZeroAddress();
    error AaveV3LendingAdapterNoReserve(address token);
    /// @notice `executeOperation` called by someone other than the pool, or for a loan this adapter did not take.
    error AaveV3LendingAdapterUnexpectedFlashLoan(address caller, address initiator);

    uint256 private constant VARIABLE_RATE = 2;

    /// @inheritdoc ILendingAdapter
    address public immutable vault;
    /// @inheritdoc ILendingAdapter
    address public immutable borrowAsset;
    IAaveV3Pool public immutable pool;
    IERC20 public immutable variableDebtToken;

    /// @notice aToken of each token supplied at least once (a reserve's aToken never changes).
    mapping(address token => address aToken) public aTokenOf;

    event ReserveCached(address indexed token, address indexed aToken);

    constructor(address vault_, IAaveV3Pool pool_, address borrowAsset_) {
        if (vault_ == address(0) || address(pool_) == address(0) || borrowAsset_ == address(0)) {
            revert AaveV3LendingAdapterZeroAddress();
        }
        address debtToken = pool_.getReserveData(borrowAsset_).variableDebtTokenAddress;
        if (debtToken == address(0)) revert AaveV3LendingAdapterNoReserve(borrowAsset_);
        vault = vault_;
        pool = pool_;
        borrowAsset = borrowAsset_;
        variableDebtToken = IERC20(debtToken);
    }

    modifier onlyVault() {
        if (msg.sender != vault) revert AaveV3LendingAdapterOnlyVault(msg.sender, vault);
        _;
    }

    /// @inheritdoc ILendingAdapter
    function supply(address token, uint256 amount) external onlyVault {
        if (aTokenOf[token] == address(0)) {
            address aToken = pool.getReserveData(token).aTokenAddress;
            if (aToken == address(0)) revert AaveV3LendingAdapterNoReserve(token);
            aTokenOf[token] = aToken;
            emit ReserveCached(token, aToken);
        }
        IERC20(token).forceApprove(address(pool), amount);
        pool.supply(token, amount, address(this), 0);
    }

    /// @inheritdoc ILendingAdapter
    function withdraw(address token, uint256 amount, address to) external onlyVault returns (uint256 withdrawn) {
        withdrawn = pool.withdraw(token, amount, to);
    }

    /// @inheritdoc ILendingAdapter
    function borrow(uint256 amount, address to) external onlyVault {
        pool.borrow(borrowAsset, amount, VARIABLE_RATE, 0, address(this));
        IERC20(borrowAsset).safeTransfer(to, amount);
    }

    /// @inheritdoc ILendingAdapter
    function repay(uint256 amount) external onlyVault returns (uint256 repaid) {
        IERC20 base = IERC20(borrowAsset);
        base.forceApprove(address(pool), amount);
        repaid = pool.repay(address(base), amount, VARIABLE_RATE, address(this));
        if (repaid < amount) {
            base.forceApprove(address(pool), 0);
            base.safeTransfer(vault, amount - repaid);
        }
    }

    /// @inheritdoc ILendingAdapter
    function flashRepay(uint256 amount, bytes calldata data) external onlyVault {
        pool.flashLoanSimple(address(this), borrowAsset, amount, data, 0);
    }

    /// @notice Aave's flash-loan callback (IFlashLoanSimpleReceiver): repay the debt with the loan, have the
    ///         vault pay what is owed, approve the pool to pull the loan and its premium back.
    /// @dev Only a loan this adapter took (`flashRepay`, vault only) passes the checks, so `params` is the vault's.
    function executeOperation(address asset, uint256 amount, uint256 premium, address initiator, bytes calldata params)
        external
        returns (bool)
    {
        if (msg.sender != address(pool) || initiator != address(this) || asset != borrowAsset) {
            revert AaveV3LendingAdapterUnexpectedFlashLoan(msg.sender, initiator);
        }
        IERC20 base = IERC20(borrowAsset);
        base.forceApprove(address(pool), amount);
        uint256 repaid = pool.repay(asset, amount, VARIABLE_RATE, address(this));
        // What the repay did not take is still here and goes back to the pool with the rest.
        IFlashRepayReceiver(vault).onFlashRepay(repaid + premium, params);
        base.forceApprove(address(pool), amount + premium);
        return true;
    }

    /// @inheritdoc ILendingAdapter
    function collateralBalances(address[] calldata tokens) external view returns (uint256[] memory amounts) {
        uint256 n = tokens.length;
        amounts = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            address aToken = aTokenOf[tokens[i]];
            if (aToken != address(0)) amounts[i] = IERC20(aToken).balanceOf(address(this));
        }
    }

    /// @inheritdoc ILendingAdapter
    function debtBaseUnits() external view returns (uint256) {
        return variableDebtToken.balanceOf(address(this));
    }

    /// @inheritdoc ILendingAdapter
    function healthFactorWad() external view returns (uint256 hf) {
        (,,,,, hf) = pool.getUserAccountData(address(this));
    }
}
