/// `GET /`: the chart page. One self-contained HTML document (no external downloads): an
/// instrument picker, a live candlestick chart on a canvas fed by `/candles` and `/ws/v2`,
/// alert firings and ML signals as markers (`/udf/marks` and pushed messages), the user's
/// alerts with a form to add one, and a health badge.
///
/// The page keeps its state in `window.tape` so a headless browser test can read what it drew.
enum ChartPage {
    /// The page, with the API key field pre-filled with `demoKey` (demo mode) or empty.
    static func html(demoKey: String?) -> [UInt8] {
        let key = (demoKey ?? "").filter { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
        return Array(template.replacingOccurrences(of: "{{DEMO_KEY}}", with: key).utf8)
    }

    private static let template = #"""
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tape</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  :root { --bg:#0f1218; --panel:#171b23; --text:#d7dce5; --muted:#8a93a6; --up:#26a69a; --down:#ef5350; --accent:#f5a623; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px system-ui, sans-serif; background:var(--bg); color:var(--text); }
  header { display:flex; gap:12px; align-items:center; padding:8px 12px; background:var(--panel); flex-wrap:wrap; }
  header h1 { font-size:16px; margin:0 8px 0 0; }
  input, select, button { background:#0b0e13; color:var(--text); border:1px solid #2a3140; border-radius:4px; padding:5px 8px; font:inherit; }
  button { cursor:pointer; }
  #badge { padding:3px 8px; border-radius:10px; font-size:12px; background:#444; }
  #badge.ok { background:#1f6f4a; } #badge.degraded { background:#8a6d1f; } #badge.down { background:#8a1f1f; }
  #picker { position:relative; }
  #results { position:absolute; top:32px; left:0; z-index:5; background:var(--panel); border:1px solid #2a3140; min-width:320px; max-height:300px; overflow:auto; display:none; }
  #results div { padding:5px 8px; cursor:pointer; } #results div:hover { background:#222a36; }
  main { display:flex; height:calc(100vh - 50px); }
  #chartbox { flex:1; position:relative; }
  #chart { width:100%; height:100%; display:block; }
  #title { position:absolute; left:12px; top:8px; color:var(--muted); }
  aside { width:300px; background:var(--panel); padding:10px; overflow:auto; }
  aside h2 { font-size:14px; margin:8px 0; }
  aside form { display:grid; gap:6px; margin-bottom:10px; }
  .alert { padding:6px; border-bottom:1px solid #2a3140; font-size:13px; }
  .muted { color:var(--muted); } .error { color:var(--down); }
</style></head>
<body>
<header>
  <h1>Tape</h1>
  <span id="badge">health …</span>
  <label>Key <input id="key" size="28" value="{{DEMO_KEY}}" placeholder="API key"></label>
  <span id="picker"><input id="search" size="24" placeholder="Search instruments" autocomplete="off"><div id="results"></div></span>
  <select id="resolution"><option>1m</option><option>5m</option><option>15m</option><option>1h</option><option>1D</option></select>
  <span id="status" class="muted"></span>
</header>
<main>
  <div id="chartbox"><canvas id="chart"></canvas><div id="title"></div></div>
  <aside>
    <h2>New alert</h2>
    <form id="alertform">
      <select id="condition"><option>price_above</option><option>price_below</option><option>crosses_above</option><option>crosses_below</option></select>
      <input id="level" type="number" step="any" placeholder="price level" required>
      <button type="submit">Add alert</button>
      <span id="formstatus" class="muted"></span>
    </form>
    <h2>Your alerts</h2>
    <div id="alerts" class="muted">—</div>
  </aside>
</main>
<script>
"use strict";
const seconds = { "1m": 60, "5m": 300, "15m": 900, "1h": 3600, "1D": 86400 };
const tape = window.tape = { instrument: null, resolution: "1m", candles: [], markers: [], ws: null, ticks: 0 };
const $ = (id) => document.getElementById(id);

function key() { return $("key").value.trim(); }
function headers() { return key() ? { "X-API-Key": key() } : {}; }
async function getJSON(path) {
  const response = await fetch(path, { headers: headers() });
  return response.json();
}
function setStatus(text, isError) { $("status").textContent = text; $("status").className = isError ? "error" : "muted"; }

// Health badge.
async function pollHealth() {
  try { const h = await getJSON("/health"); $("badge").textContent = "health: " + h.status; $("badge").className = h.status; }
  catch (e) { $("badge").textContent = "health: unreachable"; $("badge").className = "down"; }
}

// Instrument picker.
let searchTimer = null;
$("search").addEventListener("input", () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    const q = $("search").value.trim();
    const box = $("results");
    if (!q) { box.style.display = "none"; return; }
    const found = await getJSON("/instruments/search?limit=20&q=" + encodeURIComponent(q));
    box.innerHTML = "";
    for (const item of found.items || []) {
      const row = document.createElement("div");
      row.textContent = item.exchange + ":" + item.tradingsymbol + " — " + item.name;
      row.addEventListener("click", () => { box.style.display = "none"; choose(item); });
      box.appendChild(row);
    }
    box.style.display = found.items && found.items.length ? "block" : "none";
  }, 150);
});
$("resolution").addEventListener("change", () => { tape.resolution = $("resolution").value; if (tape.instrument) load(); });

async function choose(item) {
  tape.instrument = item;
  $("search").value = item.tradingsymbol;
  await load();
}

// History, marks, and the live subscription.
async function load() {
  const item = tape.instrument;
  $("title").textContent = item.exchange + ":" + item.tradingsymbol + "  " + tape.resolution;
  const data = await getJSON("/candles?limit=300&token=" + item.instrument_token + "&resolution=" + tape.resolution);
  tape.candles = (data.items || []).map(c => ({ time: c.time, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume }));
  await loadMarks();
  subscribe();
  loadAlerts();
  draw();
}

async function loadMarks() {
  const item = tape.instrument;
  const from = tape.candles.length ? tape.candles[0].time : 0;
  const marks = await getJSON("/udf/marks?resolution=1&from=" + from + "&to=4000000000&symbol=" +
                              encodeURIComponent(item.exchange + ":" + item.tradingsymbol));
  tape.markers = Array.isArray(marks) ? marks.map(m => ({ id: m.id, time: m.time, color: m.color, label: m.label, text: m.text })) : [];
}

function subscribe() {
  if (tape.ws) { tape.ws.onclose = null; tape.ws.close(); }
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const ws = tape.ws = new WebSocket(scheme + location.host + "/ws/v2?api_key=" + encodeURIComponent(key()));
  ws.onopen = () => { ws.send(JSON.stringify({ action: "subscribe", tokens: [tape.instrument.instrument_token], mode: "ltp" })); setStatus("live"); };
  ws.onclose = (event) => { setStatus("stream closed (" + event.code + (event.reason ? ": " + event.reason : "") + ")", true); };
  ws.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "ticks" || message.type === "snapshot") { for (const t of message.data) onTick(t); draw(); }
    else if (message.type === "alert" && message.token === tape.instrument.instrument_token) {
      const f = message.firing;
      addMarker({ id: "alert-" + message.alert_id + "-" + f.n, time: Math.floor(f.time), color: "#f5a623", label: "A",
                  text: "Alert " + message.alert_id + " fired at " + f.price });
      loadAlerts();
    } else if (message.type === "signal" && message.data.token === tape.instrument.instrument_token) {
      const s = message.data;
      addMarker({ id: "signal-" + s.offset, time: Math.floor(s.time), color: s.value >= 0 ? "#26a69a" : "#ef5350", label: "S",
                  text: s.model + ": " + s.value });
    } else if (message.type === "error") { setStatus(message.message, true); }
  };
}

function addMarker(marker) {
  if (!tape.markers.some(m => m.id === marker.id)) tape.markers.push(marker);
  draw();
}

// A tick moves the last candle, or opens the next one.
function onTick(t) {
  if (t.token !== tape.instrument.instrument_token) return;
  tape.ticks += 1;
  const size = seconds[tape.resolution];
  const bucket = Math.floor(t.time / size) * size;
  const last = tape.candles[tape.candles.length - 1];
  if (last && last.time === bucket) {
    last.high = Math.max(last.high, t.price); last.low = Math.min(last.low, t.price); last.close = t.price; last.volume += t.volume;
  } else if (!last || bucket > last.time) {
    tape.candles.push({ time: bucket, open: t.price, high: t.price, low: t.price, close: t.price, volume: t.volume });
    if (tape.candles.length > 1000) tape.candles.shift();
  }
}

// Drawing: candles, a price scale, time labels and markers above the bars.
function draw() {
  const canvas = $("chart"), ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth, height = canvas.clientHeight;
  canvas.width = width * ratio; canvas.height = height * ratio;
  const g = canvas.getContext("2d");
  g.scale(ratio, ratio);
  g.fillStyle = "#0f1218"; g.fillRect(0, 0, width, height);
  const candles = tape.candles;
  canvas.dataset.candles = candles.length;
  canvas.dataset.markers = tape.markers.length;
  canvas.dataset.lastClose = candles.length ? candles[candles.length - 1].close : "";
  if (!candles.length) { g.fillStyle = "#8a93a6"; g.fillText(tape.instrument ? "no candles yet" : "pick an instrument", 20, 40); return; }
  const axis = 70, top = 48, bottom = 24, plotWidth = width - axis, plotHeight = height - top - bottom;
  const step = Math.max(3, Math.min(16, plotWidth / Math.max(candles.length, 20)));
  const visible = candles.slice(-Math.floor(plotWidth / step));
  let low = Math.min(...visible.map(c => c.low)), high = Math.max(...visible.map(c => c.high));
  if (high === low) { high += 1; low -= 1; }
  const y = (price) => top + (high - price) / (high - low) * plotHeight;
  const x = (i) => plotWidth - (visible.length - i) * step + step / 2;   // the latest bar at the right edge
  g.strokeStyle = "#222a36"; g.fillStyle = "#8a93a6"; g.font = "11px system-ui";
  for (let i = 0; i <= 5; i++) {
    const price = low + (high - low) * i / 5, py = y(price);
    g.beginPath(); g.moveTo(0, py); g.lineTo(plotWidth, py); g.stroke();
    g.fillText(price.toFixed(2), plotWidth + 6, py + 4);
  }
  visible.forEach((c, i) => {
    const color = c.close >= c.open ? "#26a69a" : "#ef5350";
    g.strokeStyle = color; g.fillStyle = color;
    g.beginPath(); g.moveTo(x(i), y(c.high)); g.lineTo(x(i), y(c.low)); g.stroke();
    const bodyTop = y(Math.max(c.open, c.close)), bodyHeight = Math.max(1, Math.abs(y(c.open) - y(c.close)));
    g.fillRect(x(i) - step * 0.35, bodyTop, step * 0.7, bodyHeight);
  });
  const size = seconds[tape.resolution];
  g.fillStyle = "#8a93a6";
  for (let i = 0; i < visible.length; i += Math.ceil(80 / step)) {
    const d = new Date(visible[i].time * 1000);
    const label = size >= 86400 ? d.toISOString().slice(0, 10) : d.toISOString().slice(11, 16);
    g.fillText(label, x(i) - 14, height - 8);
  }
  for (const m of tape.markers) {
    const bucket = Math.floor(m.time / size) * size;
    const i = visible.findIndex(c => c.time === bucket);
    if (i < 0) continue;
    const mx = x(i), my = y(visible[i].high) - 14;
    g.fillStyle = m.color; g.beginPath(); g.arc(mx, my, 7, 0, Math.PI * 2); g.fill();
    g.fillStyle = "white"; g.fillText(m.label, mx - 3.5, my + 4);
  }
}

// Alerts: the list and the form.
async function loadAlerts() {
  if (!key()) { $("alerts").textContent = "enter a key to see your alerts"; return; }
  const data = await getJSON("/alerts");
  const items = data.items || [];
  $("alerts").innerHTML = "";
  if (!items.length) { $("alerts").textContent = "no alerts"; return; }
  for (const a of items) {
    const row = document.createElement("div");
    row.className = "alert";
    row.textContent = "#" + a.id + " " + a.condition + " " + (a.price ?? "") + " on " + a.token + " — fired " + (a.firings ?? 0) + "×";
    $("alerts").appendChild(row);
  }
}

$("alertform").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!tape.instrument) { $("formstatus").textContent = "pick an instrument first"; return; }
  const body = { token: tape.instrument.instrument_token, condition: $("condition").value, price: parseFloat($("level").value) };
  const response = await fetch("/alerts", { method: "POST", headers: { ...headers(), "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const answer = await response.json();
  $("formstatus").textContent = response.ok ? "alert #" + answer.id + " created" : (answer.error ? answer.error.message : "failed");
  $("formstatus").className = response.ok ? "muted" : "error";
  tape.lastAlertStatus = response.status;
  loadAlerts();
});

window.addEventListener("resize", draw);
pollHealth(); setInterval(pollHealth, 5000);
draw();
// `/?symbol=NSE:RELIANCE` opens an instrument directly.
const wanted = new URLSearchParams(location.search).get("symbol");
if (wanted) {
  getJSON("/udf/symbols?symbol=" + encodeURIComponent(wanted)).then(info => {
    if (info.instrument_token !== undefined) choose({ instrument_token: info.instrument_token, exchange: info.exchange, tradingsymbol: info.name, name: info.description });
    else setStatus("unknown symbol " + wanted, true);
  });
}
</script>
</body></html>
"""#
}
