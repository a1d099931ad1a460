// FakeAI's live dashboard: reads /metrics/stream (server-sent events, one frame a second) and draws the
// last five minutes with uPlot. No build step: this file is served as it is.
"use strict";

const HISTORY = 300; // frames kept: five minutes at one a second
const COLORS = ["#5eb0ef", "#f0b45a", "#5fd08a", "#e0708a", "#b18cf0", "#7fd6d0", "#d6d07f", "#a0a8b4"];
let frames = 0;
let changes = 0; // frames whose headline numbers differ from the frame before (tests read it)
let lastHeadline = "";

const fmt = {
  num(v, digits = 1) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    if (Math.abs(v) >= 10000) return (v / 1000).toFixed(1) + "k";
    return v.toFixed(digits);
  },
  ms(v) { return v === null || v === undefined ? "–" : fmt.num(v, v < 10 ? 2 : 1) + " ms"; },
  pct(v) { return v === null || v === undefined ? "–" : (v * 100).toFixed(1) + " %"; },
  usd(v) { return "$" + (v < 1 ? v.toFixed(4) : v.toFixed(2)); },
  mib(v) { return (v / 1024).toFixed(1) + " GiB"; },
};

function text(id, value) { document.getElementById(id).textContent = value; }

function chart(id, series, yLabel) {
  const el = document.getElementById(id);
  const opts = {
    width: el.clientWidth || 600,
    height: 220,
    series: [{}, ...series.map((label, i) => ({ label, stroke: COLORS[i % COLORS.length], width: 1.5 }))],
    axes: [
      { stroke: "#8b96a5", grid: { stroke: "#263040" } },
      { stroke: "#8b96a5", grid: { stroke: "#263040" }, label: yLabel, size: 60 },
    ],
    legend: { live: false },
    cursor: { show: false },
  };
  const data = [[], ...series.map(() => [])];
  const plot = new uPlot(opts, data, el);
  window.addEventListener("resize", () => plot.setSize({ width: el.clientWidth, height: 220 }));
  return { plot, data, width: series.length };
}

// Charts whose series are known up front; the engine and GPU charts are rebuilt when workers change.
const throughput = chart("chart-throughput", ["requests/s", "prompt tok/s", "output tok/s"], "per second");
const latency = chart("chart-latency", ["TTFT p50", "TTFT p99", "ITL p50", "ITL p99", "e2e p50"], "ms");
let engine = null;
let gpu = null;
let workerCount = -1;

function push(c, t, values) {
  c.data[0].push(t);
  values.forEach((v, i) => c.data[i + 1].push(v === null || v === undefined ? null : v));
  if (c.data[0].length > HISTORY) c.data.forEach((column) => column.shift());
  c.plot.setData(c.data);
}

function rebuildWorkerCharts(workers) {
  for (const id of ["chart-engine", "chart-gpu"]) document.getElementById(id).innerHTML = "";
  engine = chart("chart-engine", workers.flatMap((w) => [
    `running w${w.index}`, `waiting w${w.index}`, `KV % w${w.index}`]), "sequences / %");
  gpu = chart("chart-gpu", workers.flatMap((w) => [`util % w${w.index}`, `power W w${w.index}`]), "% / W");
  workerCount = workers.length;
}

function rows(tbody, cells) {
  const body = document.querySelector(tbody);
  body.innerHTML = "";
  for (const row of cells) {
    const tr = document.createElement("tr");
    for (const cell of row) {
      const td = document.createElement("td");
      td.textContent = cell;
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
}

function render(f) {
  frames += 1;
  document.body.dataset.frames = String(frames);
  const workers = f.workers;
  const running = workers.reduce((a, w) => a + w.running, 0);
  const waiting = workers.reduce((a, w) => a + w.waiting, 0);
  const kv = workers.length ? workers.reduce((a, w) => a + w.kv_cache_usage, 0) / workers.length : 0;
  text("kpi-rps", fmt.num(f.requests_per_s));
  text("kpi-tps", fmt.num(f.generation_tokens_per_s, 0));
  text("kpi-ttft", fmt.ms(f.ttft_ms.p50));
  text("kpi-itl", fmt.ms(f.itl_ms.p50));
  text("kpi-seqs", `${running} / ${waiting}`);
  text("kpi-kv", fmt.pct(kv));
  text("kpi-hit", fmt.pct(f.prefix_hit_rate));
  text("kpi-err", fmt.num(f.errors_per_s, 2));
  text("kpi-cost", fmt.usd(f.cost_usd));
  const headline = document.querySelector(".kpis").textContent;
  if (lastHeadline && headline !== lastHeadline) changes += 1;
  lastHeadline = headline;
  document.body.dataset.changes = String(changes);

  const t = f.time;
  push(throughput, t, [f.requests_per_s, f.prompt_tokens_per_s, f.generation_tokens_per_s]);
  push(latency, t, [f.ttft_ms.p50, f.ttft_ms.p99, f.itl_ms.p50, f.itl_ms.p99, f.e2e_ms.p50]);
  if (workers.length !== workerCount) rebuildWorkerCharts(workers);
  push(engine, t, workers.flatMap((w) => [w.running, w.waiting, w.kv_cache_usage * 100]));
  push(gpu, t, workers.flatMap((w) => [w.gpu_utilization * 100, w.gpu_power_watts]));

  rows("#models tbody", Object.entries(f.models)
    .sort((a, b) => b[1].requests_per_s - a[1].requests_per_s)
    .map(([name, m]) => [name, fmt.num(m.requests_per_s), fmt.num(m.tokens_per_s, 0), fmt.ms(m.ttft_ms.p50),
      fmt.ms(m.ttft_ms.p99), fmt.ms(m.itl_ms.p50), fmt.ms(m.e2e_ms.p50), fmt.usd(m.cost_usd)]));
  rows("#workers tbody", workers.map((w) => [`worker ${w.index} (${w.gpus} GPU)`, w.running, w.waiting,
    fmt.pct(w.kv_cache_usage), fmt.pct(w.gpu_utilization),
    `${fmt.mib(w.gpu_memory_used_mib)} / ${fmt.mib(w.gpu_memory_total_mib)}`, fmt.num(w.gpu_power_watts, 0) + " W"]));
  const errors = Object.entries(f.errors);
  rows("#errors tbody", errors.length ? errors.map(([type, n]) => [type, n]) : [["none", 0]]);
}

// ?frames=N stops after N frames (a headless browser's snapshot waits for open connections to end).
const FRAME_LIMIT = Number(new URLSearchParams(location.search).get("frames")) || 0;

function connect() {
  const status = document.getElementById("status");
  const source = new EventSource("/metrics/stream");
  source.onopen = () => { status.textContent = "live"; status.className = "status live"; };
  source.onmessage = (event) => {
    render(JSON.parse(event.data));
    if (FRAME_LIMIT && frames >= FRAME_LIMIT) {
      source.close();
      status.textContent = `stopped after ${frames} frames`;
    }
  };
  source.onerror = () => { status.textContent = "reconnecting…"; status.className = "status"; };
}

connect();
