"""Risk-budgeting solver benchmark: this solver against riskparityportfolio, skfolio and riskfolio-lib.

Run from the repository root with the benchmark venv (peers are never runtime dependencies):

    python3 -m venv .venv-bench
    .venv-bench/bin/pip install numpy==2.4.6 scipy==1.17.1 riskparityportfolio==0.6.0 skfolio==1.12.2 \
        riskfolio-lib==7.4.0
    .venv-bench/bin/pip install --no-deps -e .
    .venv-bench/bin/python benchmarks/solver.py            # add --quick for a smoke run

Writes ``benchmarks/results/solver.json`` and rewrites the ``## Solver`` section of ``benchmarks/README.md``.

Fairness rules: every solver gets the same covariance matrix and budget; times are wall-clock medians of repeated
cold solves (no warm start) including each library's own input handling; the error of every solver is measured
the same way, ``max_i |RC_i(w)/ΣRC − b_i|`` under that matrix; BLAS runs single-threaded for everyone (on this
2-core shared machine multi-threaded OpenBLAS showed 100x outliers at N = 150-1000 from thread wake-ups).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import glob  # noqa: E402
import importlib.metadata  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
import zlib  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from keeper.risk.solver import CG_MIN_ASSETS, risk_contributions, solve_risk_budget  # noqa: E402

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results" / "solver.json"
README = ROOT / "README.md"
SIZES = (10, 50, 100, 500, 1000)
Solver = Callable[[np.ndarray, np.ndarray], np.ndarray]


# ---------------------------------------------------------------------------------------------------------------
# PROBLEMS
# ---------------------------------------------------------------------------------------------------------------


def market_covariance(rng: np.random.Generator, n: int) -> np.ndarray:
    """Sample covariance of T = 2N + 50 returns from a one-factor market model (crypto-like, ρ ≈ 0.3-0.8)."""
    t = 2 * n + 50
    beta = rng.uniform(0.5, 1.5, n)
    market = rng.standard_normal(t) * 0.04
    idio = rng.uniform(0.02, 0.06, n)
    returns = np.outer(market, beta) + rng.standard_normal((t, n)) * idio
    return np.cov(returns, rowvar=False)


def multifactor_covariance(rng: np.random.Generator, n: int) -> np.ndarray:
    """Correlation from k = max(2, N/10) random factors plus noise; log-uniform vols in [20 %, 150 %]."""
    k = max(2, n // 10)
    f = rng.standard_normal((n, k))
    s = f @ f.T + np.diag(rng.uniform(0.2, 1.0, n))
    d = np.sqrt(np.diag(s))
    vol = np.exp(rng.uniform(np.log(0.2), np.log(1.5), n))
    return s / np.outer(d, d) * np.outer(vol, vol)


FAMILIES: dict[str, Callable[[np.random.Generator, int], np.ndarray]] = {
    "market": market_covariance,
    "multifactor": multifactor_covariance,
}


def budget_for(kind: str, rng: np.random.Generator, n: int) -> np.ndarray:
    b = np.full(n, 1.0 / n) if kind == "equal" else rng.uniform(0.5, 1.5, n)
    return b / b.sum()


def hard_cases(rng: np.random.Generator, n: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The issue's hard cases at size n (same constructions as tests/keeper/test_risk_solver.py)."""
    from keeper.risk.covariance import ledoit_wolf

    eq = np.full(n, 1.0 / n)
    corr = np.full((n, n), 0.999)
    np.fill_diagonal(corr, 1.0)
    vol = rng.uniform(0.2, 1.0, n)
    cases = {"correlation 0.999": (corr * np.outer(vol, vol), eq)}
    mix = rng.standard_normal((n, n)) * 0.3 + np.eye(n)
    cases["T = N/5, Ledoit-Wolf"] = (ledoit_wolf(rng.standard_normal((n // 5, n)) @ mix.T).covariance, eq)
    base = multifactor_covariance(rng, n)
    d = np.sqrt(np.diag(base))
    spread = np.geomspace(0.01, 3.0, n)
    rng.shuffle(spread)
    cases["vol spread 0.01-3"] = (base / np.outer(d, d) * np.outer(spread, spread), eq)
    b = np.geomspace(1.0, 1e-5, n)
    rng.shuffle(b)
    cases["budget spread 1e5"] = (multifactor_covariance(rng, n), b / b.sum())
    return cases


# ---------------------------------------------------------------------------------------------------------------
# SOLVERS
# ---------------------------------------------------------------------------------------------------------------


def ours(method: str = "auto") -> Solver:
    return lambda cov, b: solve_risk_budget(cov, b, method=method).weights


def _rpp_vanilla() -> Any:
    """riskparityportfolio's compiled extension, loaded without the package ``__init__``.

    riskparityportfolio 0.6.0's ``__init__`` imports jax (for its SCA solver), which the compiled coordinate
    descent does not need, so the pybind11 extension is loaded from its file directly.
    """
    spec = importlib.util.find_spec("riskparityportfolio")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("riskparityportfolio is not installed")
    so = glob.glob(str(Path(next(iter(spec.submodule_search_locations))) / "vanilla*.so"))
    if not so:
        raise ImportError("riskparityportfolio's compiled 'vanilla' extension is missing")
    ext = importlib.util.spec_from_file_location("vanilla", so[0])
    assert ext is not None and ext.loader is not None
    vanilla = importlib.util.module_from_spec(ext)
    ext.loader.exec_module(vanilla)
    return vanilla


# In 0.6.0 rpp_design() runs the Spinu CCD when method != "spinu" (its strcmp test is inverted), so the names are
# swapped: method="choi" runs risk_parity_portfolio_ccd_spinu and method="spinu" runs the Choi-Chen CCD. Both
# are benchmarked, labelled by the algorithm that actually runs.


def load_riskparityportfolio() -> Solver:
    vanilla = _rpp_vanilla()
    return lambda cov, b: vanilla.design(cov, b, 1e-10, 1_000_000, "choi")


def load_riskparityportfolio_choi() -> Solver:
    vanilla = _rpp_vanilla()
    return lambda cov, b: vanilla.design(cov, b, 1e-10, 1_000_000, "spinu")


def load_skfolio() -> Solver:
    from skfolio import RiskMeasure
    from skfolio.moments import BaseCovariance
    from skfolio.optimization import RiskBudgeting
    from skfolio.prior import EmpiricalPrior

    class FixedCovariance(BaseCovariance):
        """Hands skfolio the benchmark's matrix instead of estimating one (skips its O(TN²) estimation)."""

        def __init__(self, covariance: np.ndarray | None = None) -> None:
            super().__init__(nearest=False)
            self.covariance = covariance

        def fit(self, X: Any, y: Any = None) -> FixedCovariance:  # noqa: N803 - scikit-learn's signature
            self._set_covariance(self.covariance)
            return self

    def solve(cov: np.ndarray, b: np.ndarray) -> np.ndarray:
        x = np.zeros((3, cov.shape[0]))
        model = RiskBudgeting(
            risk_measure=RiskMeasure.VARIANCE,
            risk_budget=b,
            prior_estimator=EmpiricalPrior(covariance_estimator=FixedCovariance(cov)),
        )
        return np.asarray(model.fit(x).weights_, dtype=np.float64)

    return solve


def load_riskfolio() -> Solver:
    import pandas as pd
    import riskfolio as rp

    def solve(cov: np.ndarray, b: np.ndarray) -> np.ndarray:
        n = cov.shape[0]
        cols = [f"a{i}" for i in range(n)]
        port = rp.Portfolio(returns=pd.DataFrame(np.zeros((3, n)), columns=cols))
        port.mu = pd.DataFrame(np.zeros((1, n)), columns=cols)
        port.cov = pd.DataFrame(cov, index=cols, columns=cols)
        w = port.rp_optimization(model="Classic", rm="MV", rf=0, b=b.reshape(-1, 1), hist=True)
        if w is None:
            raise RuntimeError("riskfolio returned no solution")
        return w.to_numpy(dtype=np.float64).ravel()

    return solve


PEERS: dict[str, tuple[str, Callable[[], Solver]]] = {
    "riskparityportfolio CCD (Spinu)": ("riskparityportfolio", load_riskparityportfolio),
    "riskparityportfolio CCD (Choi-Chen)": ("riskparityportfolio", load_riskparityportfolio_choi),
    "skfolio RiskBudgeting": ("skfolio", load_skfolio),
    "riskfolio-lib rp_optimization": ("riskfolio-lib", load_riskfolio),
}


# ---------------------------------------------------------------------------------------------------------------
# MEASUREMENT
# ---------------------------------------------------------------------------------------------------------------


def rc_error(w: np.ndarray, cov: np.ndarray, b: np.ndarray) -> float:
    w = np.asarray(w, dtype=np.float64).ravel()
    if w.shape != b.shape or not np.all(np.isfinite(w)) or np.any(w <= 0):
        return float("nan")
    return float(np.max(np.abs(risk_contributions(w, cov) - b)))


def measure(solve: Solver, cov: np.ndarray, b: np.ndarray, repeats: int) -> dict[str, Any]:
    times: list[float] = []
    errors: list[float] = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                w = solve(cov.copy(), b.copy())
        except Exception as exc:  # a peer failing is a result to record, not a crash
            return {"status": "error", "error": f"{type(exc).__name__}: {exc}"[:300]}
        times.append(time.perf_counter() - t0)
        errors.append(rc_error(w, cov, b))
    return {
        "status": "ok",
        "median_ms": float(np.median(times) * 1e3),
        "max_ms": float(np.max(times) * 1e3),
        "max_rc_error": float(np.nanmax(errors)) if not np.all(np.isnan(errors)) else float("nan"),
        "repeats": repeats,
    }


def repeats_for(name: str, n: int, quick: bool) -> int:
    fast = name.startswith("ours") or name.startswith("riskparityportfolio")
    if quick:
        return 3 if fast else 1
    if fast:
        return 21 if n <= 100 else 9
    return 5 if n <= 100 else (3 if n <= 500 else 1)


def version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def run(quick: bool) -> dict[str, Any]:
    solvers: dict[str, Solver] = {"ours": ours()}
    peer_status: dict[str, dict[str, Any]] = {}
    for name, (dist, loader) in PEERS.items():
        try:
            solvers[name] = loader()
            peer_status[name] = {"package": dist, "version": version(dist), "status": "ok"}
        except Exception as exc:
            peer_status[name] = {"package": dist, "version": version(dist), "status": f"unavailable: {exc}"}
    sizes = (10, 50, 100) if quick else SIZES
    rows: list[dict[str, Any]] = []
    for family, make in FAMILIES.items():
        for n in sizes:
            for kind in ("equal", "random"):
                rng = np.random.default_rng(zlib.crc32(f"{family}/{n}/{kind}".encode()))
                cov = make(rng, n)
                b = budget_for(kind, rng, n)
                for name, solve in solvers.items():
                    res = measure(solve, cov, b, repeats_for(name, n, quick))
                    rows.append({"family": family, "n": n, "budget": kind, "solver": name, **res})
                    print(f"{family:11s} N={n:5d} {kind:6s} {name:38s} {_fmt(res)}", flush=True)
    crossover: list[dict[str, Any]] = []
    for n in (50, 100, 150, 200, 300, 500, 1000) if not quick else (50, 100):
        rng = np.random.default_rng(n)
        for family, make in FAMILIES.items():
            cov = make(rng, n)
            b = budget_for("random", rng, n)
            for method in ("cholesky", "cg"):
                res = measure(ours(method), cov, b, 5 if not quick else 1)
                crossover.append({"family": family, "n": n, "method": method, **res})
                print(f"crossover   N={n:5d} {family:11s} {method:8s} {_fmt(res)}", flush=True)
    hard: list[dict[str, Any]] = []
    for n in (100, 500) if not quick else (100,):
        for seed in range(5 if not quick else 1):
            for case, (cov, b) in hard_cases(np.random.default_rng(1000 + seed), n).items():
                res = measure(ours(), cov, b, 3)
                iters = solve_risk_budget(cov, b).iterations
                hard.append({"case": case, "n": n, "seed": seed, "iterations": iters, **res})
                print(f"hard        N={n:5d} seed={seed} {case:22s} it={iters:3d} {_fmt(res)}", flush=True)
    return {
        "generated_by": "benchmarks/solver.py" + (" --quick" if quick else ""),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
            "numpy": np.__version__,
            "scipy": version("scipy"),
        },
        "cg_min_assets": CG_MIN_ASSETS,
        "tolerances": {
            "ours": 1e-12,
            "riskparityportfolio": 1e-10,
            "skfolio": "solver default (CLARABEL)",
            "riskfolio-lib": "solver default",
        },
        "peers": peer_status,
        "results": rows,
        "crossover": crossover,
        "hard_cases": hard,
    }


def _fmt(res: dict[str, Any]) -> str:
    if res["status"] != "ok":
        return res["status"] + " " + res.get("error", "")
    return f"median {res['median_ms']:9.3f} ms  max {res['max_ms']:9.3f} ms  err {res['max_rc_error']:.1e}"


# ---------------------------------------------------------------------------------------------------------------
# REPORT
# ---------------------------------------------------------------------------------------------------------------


def markdown(data: dict[str, Any]) -> str:
    solvers = ["ours"] + list(PEERS)
    short = {
        "ours": "this solver",
        "riskparityportfolio CCD (Spinu)": "rpp CCD Spinu",
        "riskparityportfolio CCD (Choi-Chen)": "rpp CCD Choi-Chen",
        "skfolio RiskBudgeting": "skfolio",
        "riskfolio-lib rp_optimization": "riskfolio-lib",
    }
    lines = [
        "## Solver",
        "",
        "Risk-budgeting solve (`keeper.risk.solve_risk_budget`, tol 1e-12) against its peers, cold start, same",
        "matrix and budget for every solver. Cells: median wall time in ms / max risk-contribution error",
        "`max |RC_i/ΣRC − b_i|` under the given matrix. BLAS single-threaded for all. Reproduce with",
        "`.venv-bench/bin/python benchmarks/solver.py` (setup in the script's docstring); raw numbers in",
        "`benchmarks/results/solver.json`.",
        "",
        f"Machine: {data['machine']['platform']}, {data['machine']['cpus']} CPUs, Python {data['machine']['python']},"
        f" numpy {data['machine']['numpy']}, scipy {data['machine']['scipy']}. Peers: "
        + ", ".join(
            f"{v['package']} {v['version'] or '(not installed)'}" + ("" if v["status"] == "ok" else f" — {v['status']}")
            for k, v in data["peers"].items()
            if "Choi" not in k
        )
        + ". riskparityportfolio runs its compiled coordinate descent at tol 1e-10 (both of its variants; in 0.6.0"
        " the method names are swapped in the C++ code, the labels here name the algorithm that actually runs);"
        " skfolio and riskfolio-lib solve a conic program with their default solvers.",
        "",
    ]
    for family in FAMILIES:
        lines += [f"### {family} covariance", ""]
        lines.append("| N | budget | " + " | ".join(short[s] for s in solvers) + " |")
        lines.append("|---:|---|" + "---:|" * len(solvers))
        for n in sorted({r["n"] for r in data["results"]}):
            for kind in ("equal", "random"):
                cells = []
                for s in solvers:
                    r = next(
                        (
                            x
                            for x in data["results"]
                            if (x["family"], x["n"], x["budget"], x["solver"]) == (family, n, kind, s)
                        ),
                        None,
                    )
                    if r is None:
                        cells.append("n/a")
                    elif r["status"] != "ok":
                        cells.append("failed")
                    else:
                        cells.append(f"{r['median_ms']:.3g} / {r['max_rc_error']:.0e}")
                lines.append(f"| {n} | {kind} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["### Targets", ""] + [f"- {v}" for v in verdicts(data)] + [""]
    lines += ["### Hard cases (this solver, 5 random instances each, worst over instances and repeats)", ""]
    lines.append("| case | N | max iterations | worst time ms | max error |")
    lines.append("|---|---:|---:|---:|---:|")
    for case in dict.fromkeys(h["case"] for h in data["hard_cases"]):
        for n in sorted({h["n"] for h in data["hard_cases"]}):
            hs = [h for h in data["hard_cases"] if h["case"] == case and h["n"] == n and h["status"] == "ok"]
            if hs:
                lines.append(
                    f"| {case} | {n} | {max(h['iterations'] for h in hs)} | {max(h['max_ms'] for h in hs):.3g} | "
                    f"{max(h['max_rc_error'] for h in hs):.0e} |"
                )
    lines += ["", "### Newton system: Cholesky vs preconditioned CG (random budgets, median ms)", ""]
    lines.append("| N | market Cholesky | market CG | multifactor Cholesky | multifactor CG |")
    lines.append("|---:|---:|---:|---:|---:|")
    for n in sorted({c["n"] for c in data["crossover"]}):
        cells = []
        for family in FAMILIES:
            for method in ("cholesky", "cg"):
                c = next(x for x in data["crossover"] if (x["n"], x["family"], x["method"]) == (n, family, method))
                cells.append(f"{c['median_ms']:.3g}" if c["status"] == "ok" else "failed")
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f'`method="auto"` uses CG from N = {data["cg_min_assets"]} and switches to Cholesky inside a solve when'
        " CG needs more than max(10, N/20) iterations for one Newton step.",
        "",
    ]
    return "\n".join(lines)


def verdicts(data: dict[str, Any]) -> list[str]:
    """The issue's three targets, checked against the measured numbers (never hand-written)."""
    ok = [r for r in data["results"] if r["status"] == "ok"]
    mine = [r for r in ok if r["solver"] == "ours"]
    worst_err = max(r["max_rc_error"] for r in mine)
    out = [f"error ≤ 1e-12 at every N: {'met' if worst_err <= 1e-12 else 'MISSED'} (worst {worst_err:.1e})."]
    losses = []
    for r in mine:
        if r["n"] < 100:
            continue
        for p in ok:
            if (p["family"], p["n"], p["budget"]) == (r["family"], r["n"], r["budget"]) and p["solver"] != "ours":
                if p["median_ms"] <= r["median_ms"]:
                    losses.append(
                        f"{p['solver']} on {r['family']} N={r['n']} {r['budget']} "
                        f"({p['median_ms']:.3g} ms vs {r['median_ms']:.3g} ms)"
                    )
    out.append(
        "faster than every peer from N = 100 up: "
        + ("met." if not losses else "MISSED where a peer is faster: " + "; ".join(losses) + ".")
    )
    hard500 = [h for h in data["hard_cases"] if h["n"] == 500]
    if hard500:
        worst = max(h["max_ms"] for h in hard500)
        converged = all(h["status"] == "ok" and h["max_rc_error"] <= 1e-12 for h in hard500)
        out.append(
            f"every hard case converges, worst time under 20 ms at N = 500: "
            f"{'met' if converged and worst < 20 else 'MISSED'} (all converged: {converged}, worst {worst:.3g} ms)."
        )
    return out


def write_readme(section: str) -> None:
    text = README.read_text() if README.exists() else "# Benchmarks\n"
    pattern = re.compile(r"^## Solver\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section.rstrip("\n") + "\n\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    README.write_text(text.rstrip("\n") + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats (smoke run, not written)")
    parser.add_argument("--readme-only", action="store_true", help="rewrite the README section from the JSON")
    args = parser.parse_args(argv)
    if args.readme_only:
        write_readme(markdown(json.loads(RESULTS.read_text())))
        return 0
    data = run(args.quick)
    if args.quick:
        print(markdown(data))
        return 0
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")
    write_readme(markdown(data))
    print(f"wrote {RESULTS.relative_to(ROOT.parent)} and the ## Solver section of {README.relative_to(ROOT.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
