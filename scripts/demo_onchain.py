"""The demo report's on-chain section: the vault's own risk model and fees, read back from its events.

Pokes of the on-chain covariance (``CovariancePoked``), the risk guardrail's margin at each rebalance
(``RiskGuardrailChecked``: the largest gap between a risk contribution and its budget before and after, against the
governed band) and the fees minted to the recipient (``FeesAccrued``), summed over the run.
"""

from __future__ import annotations

from typing import Any

from web3 import Web3

from keeper.artifacts import abi

WAD = 10**18


def onchain_summary(w3: Web3, vault: str, from_block: int, share_price: float, share_decimals: int) -> dict[str, Any]:
    """What the vault's events say about its risk model and fees since ``from_block``."""
    c = w3.eth.contract(address=Web3.to_checksum_address(vault), abi=abi("IRiskParityVault"))
    pokes = c.events.CovariancePoked().get_logs(from_block=from_block)
    checks = c.events.RiskGuardrailChecked().get_logs(from_block=from_block)
    fees = c.events.FeesAccrued().get_logs(from_block=from_block)
    guardrail = [
        {
            "block": int(e["blockNumber"]),
            "gap_before": e["args"]["gapBeforeWad"] / WAD,
            "gap_after": e["args"]["gapAfterWad"] / WAD,
            "band": e["args"]["bandWad"] / WAD,
            "margin": (e["args"]["bandWad"] - e["args"]["gapAfterWad"]) / WAD,
        }
        for e in checks
    ]
    management = sum(int(e["args"]["managementFeeShares"]) for e in fees)
    performance = sum(int(e["args"]["performanceFeeShares"]) for e in fees)
    unit = 10**share_decimals
    return {
        "pokes": len(pokes),
        "observations": int(pokes[-1]["args"]["observations"]) if pokes else 0,
        "guardrail_checks": guardrail,
        "guardrail_min_margin": min((g["margin"] for g in guardrail), default=None),
        "fee_accruals": len(fees),
        "fee_recipient": fees[-1]["args"]["recipient"] if fees else None,
        "management_fee_shares": management / unit,
        "performance_fee_shares": performance / unit,
        "fees_value": (management + performance) / unit * share_price,
    }


def markdown(s: dict[str, Any]) -> str:
    """The report.md section."""
    checks = s["guardrail_checks"]
    lines = [
        "",
        "## The vault's own risk model and fees",
        "",
        f"- Covariance pokes: {s['pokes']} (the keeper's scheduled pokes and one at every rebalance); "
        f"{s['observations']} returns in the model at the end.",
    ]
    if checks:
        margins = [c["margin"] for c in checks]
        worst = max(c["gap_after"] for c in checks)
        lines.append(
            f"- Risk guardrail: {len(checks)} rebalances checked while the model was active; largest risk-contribution "
            f"gap after the trades {worst:.1%} against a band of {checks[-1]['band']:.0%}; margin to the band at "
            f"least {min(margins):.1%} (mean {sum(margins) / len(margins):.1%})."
        )
        lines += ["", "| block | gap before | gap after | band | margin |", "|---:|---:|---:|---:|---:|"]
        lines += [
            f"| {c['block']} | {c['gap_before']:.1%} | {c['gap_after']:.1%} | {c['band']:.0%} | {c['margin']:.1%} |"
            for c in checks
        ]
        lines.append("")
    else:
        lines.append("- Risk guardrail: no rebalance was checked (the model had too few returns).")
    lines.append(
        f"- Fees: {s['fee_accruals']} accruals minted {s['management_fee_shares']:,.2f} management and "
        f"{s['performance_fee_shares']:,.2f} performance shares to {s['fee_recipient']} (worth "
        f"${s['fees_value']:,.2f} at the final share price)."
    )
    return "\n".join(lines) + "\n"
