"""A Python reference model of the vault's on-chain covariance (contracts/risk/CovarianceMath.sol, RiskLogic.sol):
the same integer arithmetic step by step, so a test can ask for the contract's numbers to the unit, and a float
model of the same update to show the integers compute the intended quantity."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

WAD = 10**18
LN2_WAD = 693_147_180_559_945_309
PRODUCT_TO_UNITS = 10**14  # WAD * WAD / 1e22
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
SECONDS_PER_YEAR = 31_536_000


def tdiv(a: int, b: int) -> int:
    """Solidity's signed division: truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def saturate(x: int) -> int:
    return max(INT64_MIN, min(INT64_MAX, x))


def index(i: int, j: int) -> int:
    i, j = min(i, j), max(i, j)
    return j * (j + 1) // 2 + i


def decay_wad(elapsed_s: int, half_life_s: int) -> int:
    x = elapsed_s * WAD // half_life_s
    whole = x // WAD
    if whole >= 64:
        return 0
    y = (x % WAD) * LN2_WAD // WAD
    term, plus, minus = WAD, WAD, 0
    k = 1
    while k <= 20 and term != 0:
        term = term * y // WAD // k
        if k % 2 == 1:
            minus += term
        else:
            plus += term
        k += 1
    return (plus - minus) >> whole


def return_wad(answer: int, last: int, base: int, last_base: int) -> int:
    gross = (answer * WAD // last) * (last_base * WAD // base) // WAD
    return gross - WAD


@dataclass
class CovarianceModel:
    """The contract's state machine: ``poke(t, answers)`` with the feeds' answers (base first, 1 without a feed)."""

    half_life_s: int
    interval_s: int
    last_poke_at: int = 0
    observations: int = 0
    last_answers: list[int] = field(default_factory=list)
    cov: list[int] = field(default_factory=list)

    def poke(self, now: int, answers: list[int]) -> bool:
        if self.last_answers and now < self.last_poke_at + self.interval_s:
            return False
        if self.last_answers:
            elapsed = now - self.last_poke_at
            m = len(answers) - 1
            r = [
                return_wad(answers[k + 1], self.last_answers[k + 1], answers[0], self.last_answers[0]) for k in range(m)
            ]
            if self.observations == 0:
                self.cov = [0] * (m * (m + 1) // 2)
                alpha = WAD
            else:
                alpha = WAD - decay_wad(elapsed, self.half_life_s)
            for j in range(m):
                for i in range(j + 1):
                    e = index(i, j)
                    x = saturate(tdiv(tdiv(r[i] * r[j], PRODUCT_TO_UNITS), elapsed))
                    self.cov[e] = saturate(self.cov[e] + tdiv((x - self.cov[e]) * alpha, WAD))
            self.observations += 1
        self.last_answers = list(answers)
        self.last_poke_at = now
        return True


def float_covariance(times: list[int], answers: list[list[int]], half_life_s: float) -> list[list[float]]:
    """The intended quantity in floats: per-second EW covariance of simple returns against the base."""
    m = len(answers[0]) - 1
    cov = [[0.0] * m for _ in range(m)]
    first = True
    for t0, t1, a0, a1 in zip(times, times[1:], answers, answers[1:], strict=False):
        dt = t1 - t0
        r = [(a1[k + 1] / a0[k + 1]) * (a0[0] / a1[0]) - 1 for k in range(m)]
        alpha = 1.0 if first else 1 - 2 ** (-dt / half_life_s)
        first = False
        for i in range(m):
            for j in range(m):
                cov[i][j] += alpha * (r[i] * r[j] / dt - cov[i][j])
    return cov


def risk_contributions(cov: list[int], weights: list[float]) -> list[float]:
    """RC_i = w_i (C w)_i / w'Cw of non-base weights, from the packed entries; zeros with no variance."""
    m = len(weights)
    cw = [sum(cov[index(i, j)] * weights[j] for j in range(m)) for i in range(m)]
    rc = [weights[i] * cw[i] for i in range(m)]
    total = sum(rc)
    return [x / total for x in rc] if total > 0 else [0.0] * m


def annual_vol(cov: list[int], i: int) -> float:
    return math.sqrt(max(cov[index(i, i)], 0) * SECONDS_PER_YEAR / 1e22)
