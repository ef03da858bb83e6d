// finsignal dashboard: plain JS + SVG, no build step. Key from ?key= (kept in localStorage),
// symbols from ?symbols= (default AAPL,FCO2.DE,KAU), language from ?lang= or the button.
"use strict";
const T = {
  en: { connecting: "connecting…", live: "live", offline: "offline", watchlist: "Watchlist", symbol: "Symbol",
        price: "Price", change: "Change", signals: "Latest signals", grade: "grade",
        legend: "SMA 50 (orange), SMA 200 (blue), ▲▼ signals", nokey: "Add ?key=YOUR_API_KEY to the address",
        golden_cross: "golden cross", death_cross: "death cross", breakout_200: "breakout above SMA 200",
        breakdown_200: "breakdown below SMA 200", rsi_overbought: "RSI overbought", rsi_oversold: "RSI oversold",
        volume_spike: "volume spike", other: "한국어" },
  ko: { connecting: "연결 중…", live: "실시간", offline: "연결 끊김", watchlist: "관심 종목", symbol: "종목",
        price: "가격", change: "등락", signals: "최근 신호", grade: "등급",
        legend: "SMA 50 (주황), SMA 200 (파랑), ▲▼ 신호", nokey: "주소에 ?key=API_키 를 붙이세요",
        golden_cross: "골든 크로스", death_cross: "데드 크로스", breakout_200: "200일선 상향 돌파",
        breakdown_200: "200일선 하향 이탈", rsi_overbought: "RSI 과매수", rsi_oversold: "RSI 과매도",
        volume_spike: "거래량 급증", other: "English" },
};
const params = new URLSearchParams(location.search);
const key = params.get("key") || localStorage.getItem("finsignal.key") || "";
if (params.get("key")) localStorage.setItem("finsignal.key", key);
let lang = params.get("lang") || localStorage.getItem("finsignal.lang") || "en";
const symbols = (params.get("symbols") || "AAPL,FCO2.DE,KAU").split(",").filter(Boolean);
const rows = {};
let selected = null;
const t = (k) => (T[lang] || T.en)[k] || k;
const $ = (sel) => document.querySelector(sel);

async function get(path) {
  const r = await fetch(path, { headers: { "X-API-Key": key } });
  if (!r.ok) throw new Error((await r.json()).error.message);
  return r.json();
}

function translate() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  $("#lang").textContent = t("other");
}

function fmt(x, digits = 2) { return x == null ? "–" : Number(x).toLocaleString(lang, { maximumFractionDigits: digits }); }

function showQuote(q) {
  const row = rows[q.symbol];
  if (!row) return;
  row.querySelector(".price").textContent = fmt(q.price);
  const ch = row.querySelector(".chg");
  ch.textContent = q.change_pct == null ? "–" : (q.change_pct >= 0 ? "+" : "") + fmt(q.change_pct) + "%";
  ch.className = "chg " + (q.change_pct >= 0 ? "up" : "down");
  row.classList.remove("flash"); void row.offsetWidth; row.classList.add("flash");
}

async function addRow(text) {
  let q = null;
  try { q = await get(`/v1/quotes/${encodeURIComponent(text)}`); } catch (e) { console.warn(text, e.message); }
  const symbol = q ? q.symbol : text;
  const tr = document.createElement("tr");
  tr.dataset.symbol = symbol;
  tr.innerHTML = `<td>${symbol}</td><td class="price">–</td><td class="chg">–</td>`;
  tr.onclick = () => select(symbol);
  $("#watchlist tbody").appendChild(tr);
  rows[symbol] = tr;
  if (q) showQuote(q);
  return symbol;
}

function el(name, attrs) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

async function drawChart(symbol) {
  const svg = $("#chart");
  svg.replaceChildren();
  $("#chart-title").textContent = symbol;
  const bars = (await get(`/v1/bars/${encodeURIComponent(symbol)}?adjusted=true`)).bars.slice(-180);
  if (!bars.length) return;
  const ind = await get(`/v1/indicators/${encodeURIComponent(symbol)}?names=sma50,sma200`);
  const sigs = await get(`/v1/signals?symbol=${encodeURIComponent(symbol)}&limit=200`);
  const byTs = Object.fromEntries(ind.ts.map((ts, i) => [Date.parse(ts), i]));
  const smaSeen = ["sma50", "sma200"].flatMap((n) => bars.map((b) => ind.values[n][byTs[Date.parse(b.ts)]]))
    .filter((v) => v != null);  // the SMA lines stay inside the chart too
  const lo = Math.min(...bars.map((b) => b.low), ...smaSeen), hi = Math.max(...bars.map((b) => b.high), ...smaSeen);
  // plot 0..W wide, price labels to its right, dates below it
  const W = 830, H = 400, BOTTOM = 22, step = W / bars.length;
  const y = (p) => H - BOTTOM - 8 - ((p - lo) / (hi - lo || 1)) * (H - BOTTOM - 20);
  const digits = hi - lo < 20 ? 2 : 0;
  for (let k = 0; k <= 4; k++) {
    const p = lo + ((hi - lo) * k) / 4;
    svg.appendChild(el("line", { class: "grid", x1: 0, x2: W, y1: y(p), y2: y(p), stroke: "#26303b" }));
    const label = el("text", { class: "axis", x: W + 6, y: y(p) + 4, fill: "#9aa5b1", "font-size": 12 });
    label.textContent = p.toLocaleString(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits });
    svg.appendChild(label);
  }
  for (const i of [0, Math.floor(bars.length / 3), Math.floor((2 * bars.length) / 3), bars.length - 1]) {
    const anchor = i === 0 ? "start" : i === bars.length - 1 ? "end" : "middle";
    const label = el("text", { class: "axis", x: i * step + step / 2, y: H - 5, fill: "#9aa5b1", "font-size": 12,
      "text-anchor": anchor });
    label.textContent = bars[i].ts_kst.slice(0, 10);
    svg.appendChild(label);
  }
  bars.forEach((b, i) => {
    const x = i * step + step / 2, up = b.close >= b.open, color = up ? "#26a69a" : "#ef5350";
    svg.appendChild(el("line", { x1: x, x2: x, y1: y(b.high), y2: y(b.low), stroke: color }));
    svg.appendChild(el("rect", { class: "candle", x: x - step * 0.35, width: Math.max(step * 0.7, 1),
      y: y(Math.max(b.open, b.close)), height: Math.max(Math.abs(y(b.open) - y(b.close)), 1), fill: color }));
  });
  for (const [name, color] of [["sma50", "orange"], ["sma200", "#42a5f5"]]) {
    const pts = bars.map((b, i) => {
      const v = ind.values[name][byTs[Date.parse(b.ts)]];
      return v == null ? null : `${i * step + step / 2},${y(v)}`;
    }).filter(Boolean);
    if (pts.length) svg.appendChild(el("polyline", { class: name, points: pts.join(" "), fill: "none", stroke: color }));
  }
  const index = Object.fromEntries(bars.map((b, i) => [Date.parse(b.ts), i]));
  for (const s of sigs) {
    const i = index[Date.parse(s.ts)];
    if (i === undefined) continue;
    const bull = ["golden_cross", "breakout_200", "rsi_oversold"].includes(s.signal);
    // under the bar's low (bullish) or over its high (bearish)
    const m = el("text", { class: "marker", x: i * step + step / 2, y: bull ? y(bars[i].low) + 16 : y(bars[i].high) - 6,
      fill: bull ? "#26a69a" : "#ef5350", "text-anchor": "middle", "font-size": 14 });
    m.textContent = bull ? "▲" : "▼";
    svg.appendChild(m);
  }
}

async function showSignals() {
  const list = $("#signals");
  list.replaceChildren();
  for (const s of await get("/v1/signals?limit=10")) {
    let grade = "";
    try {
      const r = (await get(`/v1/ratings/${encodeURIComponent(s.symbol)}`)).ratings.find((x) => x.signal === s.signal && x.horizon === 20);
      if (r) grade = ` <span class="grade">${t("grade")} ${r.grade}</span>`;
    } catch (e) { /* no ratings yet */ }
    const li = document.createElement("li");
    li.innerHTML = `${s.ts_kst.slice(0, 10)} <b>${s.symbol}</b> ${t(s.signal)}${grade}`;
    list.appendChild(li);
  }
}

function select(symbol) {
  selected = symbol;
  Object.values(rows).forEach((r) => r.classList.toggle("selected", r.dataset.symbol === symbol));
  drawChart(symbol).catch((e) => console.warn(e));
}

function connect(list) {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${proto}://${location.host}/v1/stream?api_key=${encodeURIComponent(key)}`);
  ws.onopen = () => { $("#status").textContent = t("live"); ws.send(JSON.stringify({ action: "subscribe", kinds: ["quote", "signal"], symbols: list })); };
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.type === "quote") showQuote(msg.data);
    if (msg.type === "signal") { showSignals(); if (msg.symbol === selected) drawChart(selected); }
  };
  ws.onclose = () => { $("#status").textContent = t("offline"); setTimeout(() => connect(list), 3000); };
}

$("#lang").onclick = () => { lang = lang === "en" ? "ko" : "en"; localStorage.setItem("finsignal.lang", lang); translate(); showSignals(); };

async function main() {
  translate();
  if (!key) { $("#status").textContent = t("nokey"); return; }
  const resolved = [];
  for (const s of symbols) resolved.push(await addRow(s));
  select(resolved[0]);
  showSignals().catch((e) => console.warn(e));
  connect(resolved);
}
main();
