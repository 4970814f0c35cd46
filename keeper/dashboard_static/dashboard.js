// The dashboard page: polls /api/state and draws everything from it (plain SVG, no third-party code).
// Text from the server goes in through textContent only, never as markup.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const pct = (x) => (x === null || x === undefined ? "-" : `${(100 * x).toFixed(2)}%`);
const num = (x, digits = 2) =>
  x === null || x === undefined
    ? "-"
    : x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const $ = (id) => document.getElementById(id);

function age(seconds) {
  if (seconds === null || seconds === undefined) return "never";
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function setText(id, text, cls) {
  const node = $(id);
  node.textContent = text;
  if (cls !== undefined) node.className = cls;
}

function svgEl(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function canvas(id, width, height) {
  const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
  $(id).replaceChildren(svg);
  return svg;
}

function empty(id, message) {
  const svg = canvas(id, 480, 60);
  svg.append(svgEl("text", { x: 8, y: 34 }, message));
}

// Horizontal bars, two per label: what is (filled) against what is aimed at (grey).
function pairedBars(id, rows, nowKey, goalKey, nowName, goalName) {
  if (!rows.length) return empty(id, "no risk-budgeted assets to show yet");
  const width = 480, left = 64, right = 56, bar = 9, gap = 8;
  const height = 24 + rows.length * (2 * bar + gap);
  const max = Math.max(0.01, ...rows.map((r) => Math.max(r[nowKey] || 0, r[goalKey] || 0)));
  const scale = (x) => ((width - left - right) * Math.max(0, x || 0)) / max;
  const svg = canvas(id, width, height);
  svg.append(svgEl("rect", { x: left, y: 4, width: 10, height: 8, class: "now" }));
  svg.append(svgEl("text", { x: left + 14, y: 12 }, nowName));
  svg.append(svgEl("rect", { x: left + 110, y: 4, width: 10, height: 8, class: "goal" }));
  svg.append(svgEl("text", { x: left + 124, y: 12 }, goalName));
  rows.forEach((r, i) => {
    const y = 22 + i * (2 * bar + gap);
    svg.append(svgEl("text", { x: 4, y: y + bar + 3 }, r.symbol));
    svg.append(svgEl("rect", { x: left, y, width: scale(r[nowKey]), height: bar, class: "now" }));
    svg.append(svgEl("rect", { x: left, y: y + bar, width: scale(r[goalKey]), height: bar, class: "goal" }));
    svg.append(svgEl("text", { x: left + scale(r[nowKey]) + 4, y: y + bar - 1 }, pct(r[nowKey])));
    svg.append(svgEl("text", { x: left + scale(r[goalKey]) + 4, y: y + 2 * bar - 1 }, pct(r[goalKey])));
  });
}

// A line over points {x, y}; optional dashed horizontal line and marked points.
function lineChart(id, points, { format, hline, marks = [] }) {
  const shown = points.filter((p) => p.y !== null && p.y !== undefined);
  if (shown.length < 2) return empty(id, "waiting for more points");
  const width = 480, height = 170, left = 84, right = 10, top = 10, bottom = 20;
  const xs = shown.map((p) => p.x), ys = shown.map((p) => p.y);
  if (hline !== undefined) ys.push(hline);
  let lo = Math.min(...ys), hi = Math.max(...ys);
  if (hi - lo < 1e-9) { lo -= Math.abs(lo) * 0.001 + 1e-6; hi += Math.abs(hi) * 0.001 + 1e-6; }
  const x0 = Math.min(...xs), x1 = Math.max(...xs);
  const sx = (x) => left + ((width - left - right) * (x - x0)) / Math.max(1, x1 - x0);
  const sy = (y) => top + ((height - top - bottom) * (hi - y)) / (hi - lo);
  const svg = canvas(id, width, height);
  svg.append(svgEl("line", { x1: left, y1: height - bottom, x2: width - right, y2: height - bottom, class: "axis" }));
  svg.append(svgEl("text", { x: 2, y: sy(hi) + 4 }, format(hi)));
  svg.append(svgEl("text", { x: 2, y: sy(lo) }, format(lo)));
  const when = (x) => new Date(x * 1000).toISOString().slice(0, 16).replace("T", " ");
  svg.append(svgEl("text", { x: left, y: height - 4 }, when(x0)));
  if (x1 > x0) svg.append(svgEl("text", { x: width - right, y: height - 4, "text-anchor": "end" }, when(x1)));
  if (hline !== undefined) {
    svg.append(svgEl("line", { x1: left, y1: sy(hline), x2: width - right, y2: sy(hline), class: "trigger" }));
  }
  const d = shown.map((p, i) => `${i ? "L" : "M"}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(" ");
  svg.append(svgEl("path", { d, class: "line" }));
  for (const m of marks) {
    if (m.y === null || m.y === undefined) continue;
    svg.append(svgEl("circle", { cx: sx(m.x), cy: sy(m.y), r: 4, class: m.cls }));
  }
}

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  row.append(td);
  return td;
}

function renderVault(v, base) {
  setText("block", v.block.toLocaleString("en-US"));
  setText("chain-time", v.chain_time_text);
  setText("epoch", v.epoch);
  const pauses = [v.deposits_paused ? "deposits paused" : "deposits open", v.rebalances_paused ? "rebalances paused" : "rebalances open"];
  setText("pauses", pauses.join(", "));
  setText("share-price", v.share_price === null ? "unavailable" : `${num(v.share_price, 6)} ${base}`);
  setText("supply", `${v.total_supply} shares`);
  if (v.nav_ok) {
    setText("nav", `${num(v.nav)} ${base}`, "big");
    setText("nav-detail", `gross ${num(v.gross)} ${base}, debt ${num(v.debt)} ${base}; loss budget used ${pct(v.loss_budget_used)}`);
  } else {
    setText("nav", v.nav_text, "big unavailable");  // why, never a 0
    setText("nav-detail", "");
  }
  setText("leverage", v.leverage === null ? "-" : `${v.leverage.toFixed(3)}x`);
  setText("leverage-detail", v.max_leverage === null ? "no lending market" : `vault maximum ${v.max_leverage.toFixed(2)}x`);
  setText("health-factor", v.health_factor === null ? "no debt" : v.health_factor.toFixed(3));
  setText(
    "hf-detail",
    v.min_health_factor === null ? "" : `minimum ${v.min_health_factor.toFixed(2)}, ripcord ${v.ripcord_health_factor.toFixed(2)}`
  );
  const body = document.querySelector("#assets tbody");
  body.replaceChildren();
  for (const a of v.assets) {
    const tr = document.createElement("tr");
    tr.dataset.symbol = a.symbol;
    if (a.stale) tr.className = "stale";
    cell(tr, a.symbol);
    cell(tr, a.holding + (a.supplied ? ` (${a.supplied} supplied)` : ""));
    cell(tr, num(a.value));
    cell(tr, pct(a.weight)).dataset.field = "weight";
    cell(tr, pct(a.target)).dataset.field = "target";
    cell(tr, pct(a.budget));
    cell(tr, num(a.price, 4));
    cell(tr, age(a.feed_age_s) + (a.stale ? " (stale)" : "")).dataset.field = "feed-age";
    cell(tr, age(a.heartbeat_s));
    body.append(tr);
  }
}

function renderPlan(p, v) {
  setText("plan-decision", p.decision);
  const gap = p.deviation === null ? "" : ` · largest gap ${pct(p.deviation)} (trigger ${pct(p.trigger)})`;
  const vol = p.forecast_vol === null ? "" : ` · forecast volatility ${pct(p.forecast_vol)} a year`;
  setText("plan-text", p.text + gap + vol);
  const list = $("plan-trades");
  list.replaceChildren();
  for (const t of p.trades) {
    const li = document.createElement("li");
    li.textContent = t;
    list.append(li);
  }
  // Before the estimator has history the plan has no rows: show the vault's own weights and targets instead.
  const rows = p.rows.length
    ? p.rows
    : v.assets.slice(1).filter((a) => a.budget > 0).map((a) => ({ symbol: a.symbol, weight: a.weight, target: a.target, rc: null, budget: a.budget }));
  const goal = p.rows.length ? "keeper's target" : "last rebalance's target";
  pairedBars("chart-weights", rows, "weight", "target", "weight", goal);
  pairedBars("chart-rc", p.rows, "rc", "budget", "risk contribution", "budget");
}

function renderKeeper(k, j, trigger) {
  const names = { ok: "ok", failing: "failing", silent: "silent", no_ticks: "no ticks yet" };
  setText("keeper-health", names[k.health] || k.health, `big ${k.health}`);
  const lines = [];
  if (k.last_tick_at !== undefined) {
    lines.push(`last tick ${age(k.last_tick_age_s)} ago: ${k.last_decision} (${k.last_status})`);
    lines.push(`${k.consecutive_failures}${k.consecutive_failures_capped ? "+" : ""} failed in a row (stops at ${k.max_failures})`);
    if (k.health !== "ok") lines.push(k.last_reason);
  }
  lines.push(`journal: ${j.total} ticks, ${j.rebalances} rebalances, ${j.errors} errors`);
  setText("keeper-detail", lines.join(" · "));
  setText("journal-counts", `(${j.rebalances} in the journal; ${j.errors} errors)`);
  const body = document.querySelector("#rebalances tbody");
  body.replaceChildren();
  for (const r of j.rebalances_recent) {
    const tr = document.createElement("tr");
    cell(tr, r.chain_time ? new Date(r.chain_time * 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC" : "-");
    cell(tr, r.block === null ? "-" : r.block.toLocaleString("en-US"));
    cell(tr, r.epoch === null ? "-" : r.epoch);
    cell(tr, r.status);
    cell(tr, `${pct(r.deviation)} → ${pct(r.deviation_after)}`);
    cell(tr, r.gas_used === null ? "-" : r.gas_used.toLocaleString("en-US"));
    cell(tr, r.tx_hash ? `${r.tx_hash.slice(0, 10)}…` : "-", "text");
    cell(tr, r.trades.join("; "), "text");
    body.append(tr);
  }
  const ticks = j.ticks.filter((t) => t.chain_time);
  lineChart(
    "chart-deviation",
    ticks.map((t) => ({ x: t.chain_time, y: t.deviation })),
    {
      format: pct,
      hline: trigger,
      marks: ticks
        .filter((t) => t.decision === "rebalance" || t.decision === "error")
        .map((t) => ({ x: t.chain_time, y: t.deviation, cls: t.decision === "rebalance" ? "mark" : "fail" })),
    }
  );
}

function render(state) {
  const banner = $("banner");
  if (state.error) {
    banner.textContent = `Node error: ${state.error}`;
    banner.hidden = false;
  } else {
    banner.hidden = true;
  }
  if (state.vault) {
    const base = state.vault.base;
    renderVault(state.vault, base);
    renderPlan(state.plan, state.vault);
    lineChart(
      "chart-price",
      state.history.map((h) => ({ x: h.chain_time, y: h.share_price })),
      { format: (y) => `${num(y, 4)} ${base}` }
    );
  }
  renderKeeper(state.keeper, state.journal, state.trigger);
  setText("updated", new Date(state.generated_at * 1000).toLocaleTimeString("en-GB"));
  document.body.dataset.generatedAt = String(state.generated_at);
}

async function poll() {
  let wait = 5;
  try {
    const answer = await fetch("/api/state", { cache: "no-store" });
    if (!answer.ok) throw new Error(`the dashboard server answered HTTP ${answer.status}`);
    const state = await answer.json();
    wait = state.refresh_s;
    render(state);
  } catch (err) {
    const banner = $("banner");
    banner.textContent = `Dashboard server unreachable: ${err.message} (retrying)`;
    banner.hidden = false;
  }
  setTimeout(poll, wait * 1000);
}

poll();
