// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title ILendingAdapter
/// @notice One lending market behind one interface, serving exactly one vault. The adapter is the market account:
///         it holds the collateral (e.g. Aave aTokens) and owes the debt, so the vault's lending position is the
///         adapter's. Only the vault may move it. The borrowed asset is always the vault's base asset.
/// @dev Tokens go in the way they do for swaps: the vault transfers first, then calls. Approvals to the market are
///      for the exact amount and never outlive a call. Units: token amounts in each token's own decimals; debt in
///      base units; health factor scaled by 1e18 (type(uint256).max with no debt).
interface ILendingAdapter {
    /// @notice The only address allowed to call the state-changing functions.
    function vault() external view returns (address);

    /// @notice The asset borrowed and repaid (the vault's base asset).
    function borrowAsset() external view returns (address);

    /// @notice Supply exactly the `amount` of `token` the vault has just transferred to this adapter.
    function supply(address token, uint256 amount) external;

    /// @notice Withdraw `amount` of supplied `token` and send it to `to`.
    /// @return withdrawn As reported by the market, in `token` units.
    function withdraw(address token, uint256 amount, address to) external returns (uint256 withdrawn);

    /// @notice Borrow `amount` of the base asset at a variable rate and send it to `to`.
    function borrow(uint256 amount, address to) external;

    /// @notice Repay up to `amount` of base-asset debt with the base the vault has just transferred; whatever the
    ///         market did not take goes straight back to the vault.
    /// @return repaid Base units of debt repaid.
    function repay(uint256 amount) external returns (uint256 repaid);

    /// @notice Supplied balance of each token (zero for a token never supplied), in each token's units, with the
    ///         interest accrued so far.
    function collateralBalances(address[] calldata tokens) external view returns (uint256[] memory amounts);

    /// @notice Debt in base units, interest included.
    function debtBaseUnits() external view returns (uint256);

    /// @notice The market's own health factor of the position, 1e18 = liquidatable threshold.
    function healthFactorWad() external view returns (uint256);

    /// @notice Repay `amount` of debt with a flash loan of the base asset, then call the vault's
    ///         `onFlashRepay(owed, data)`, which must send this adapter `owed` base units (the loan plus the
    ///         market's premium, less any part of `amount` above the debt) before the loan is settled.
    function flashRepay(uint256 amount, bytes calldata data) external;
}

/// @notice The vault's side of `ILendingAdapter.flashRepay`.
interface IFlashRepayReceiver {
    /// @notice Called by the vault's lending adapter inside `flashRepay`, after the debt was repaid: pay the
    ///         adapter `owedBaseUnits` of the base asset.
    function onFlashRepay(uint256 owedBaseUnits, bytes calldata data) external;
}
