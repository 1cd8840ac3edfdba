// cloudfuse ui: the Mounts page (live charts) and the config form. Plain
// JavaScript, no libraries: the page must work offline.
"use strict";

const csrf = document.querySelector('meta[name="csrf"]').content;

async function api(method, url, body) {
  const opts = { method, headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const resp = await fetch(url, opts);
  const type = resp.headers.get("Content-Type") || "";
  if (!type.startsWith("application/json")) {
    return { ok: false, message: (await resp.text()).trim() };
  }
  return resp.json();
}

function say(el, res) {
  el.hidden = false;
  el.textContent = res.message || (res.ok ? "done" : "failed");
  el.classList.toggle("bad", !res.ok);
}

// ---- numbers ----
function bytes(n) {
  const u = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n.toFixed(0) : n.toFixed(1)) + " " + u[i];
}
function rate(n) { return bytes(n) + "/s"; }
function num(n) { return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2); }
function ms(n) { return n >= 1000 ? (n / 1000).toFixed(1) + " s" : num(n) + " ms"; }

// ---- charts ----
const HISTORY = 90;
const COLORS = ["#2f6fdf", "#e07b00", "#c62828"];
const CHARTS = [
  { id: "throughput", title: "Throughput", series: [["read_bps", "read"], ["write_bps", "write"]], fmt: rate, head: (s) => s.read_bps + s.write_bps },
  { id: "ops", title: "Operations", series: [["ops_per_sec", "ops/s"]], fmt: (n) => num(n) + "/s" },
  { id: "store", title: "Store requests", series: [["store_requests_per_sec", "requests/s"], ["store_errors_per_sec", "errors/s"]], fmt: (n) => num(n) + "/s" },
  { id: "latency", title: "Latency", series: [["p50_ms", "p50"], ["p99_ms", "p99"]], fmt: ms },
  { id: "cache", title: "Cache", series: [["cache_bytes", "on disk"]], fmt: bytes },
  { id: "memory", title: "Memory", series: [["rss_bytes", "RSS"]], fmt: bytes },
];

function drawChart(canvas, hist, def) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  canvas.width = w * dpr; canvas.height = h * dpr;
  const g = canvas.getContext("2d");
  g.scale(dpr, dpr);
  g.clearRect(0, 0, w, h);
  let top = 0;
  for (const p of hist) for (const [k] of def.series) top = Math.max(top, p[k] || 0);
  if (top <= 0) top = 1;
  g.strokeStyle = "#eef1f6";
  g.beginPath(); g.moveTo(0, h - 0.5); g.lineTo(w, h - 0.5); g.stroke();
  def.series.forEach(([k], i) => {
    g.strokeStyle = COLORS[i]; g.lineWidth = 1.6; g.beginPath();
    hist.forEach((p, j) => {
      const x = j * (w / (Math.max(hist.length, 2) - 1));
      const y = h - 2 - ((p[k] || 0) / top) * (h - 6);
      if (j === 0) g.moveTo(x, y); else g.lineTo(x, y);
    });
    g.stroke();
  });
}

function chartBox(def) {
  const box = document.createElement("div");
  box.className = "chart";
  box.dataset.chart = def.id;
  const title = document.createElement("div");
  title.className = "title";
  const name = document.createElement("span");
  name.textContent = def.title;
  const now = document.createElement("span");
  now.className = "now";
  now.textContent = "…";
  title.append(name, now);
  const canvas = document.createElement("canvas");
  const legend = document.createElement("div");
  legend.className = "legend";
  def.series.forEach(([k, label], i) => {
    const item = document.createElement("span");
    const swatch = document.createElement("i");
    swatch.style.background = COLORS[i];
    const val = document.createElement("span");
    val.dataset.metric = k;
    item.append(swatch, label + " ", val, "  ");
    legend.append(item);
  });
  box.append(title, canvas, legend);
  return box;
}

// ---- Mounts page ----
function mountsPage(root) {
  const cards = new Map(); // path -> {el, hist}
  const message = document.getElementById("message");
  const tmpl = document.getElementById("mount-card");

  function card(m) {
    let c = cards.get(m.path);
    if (c) return c;
    const el = tmpl.content.firstElementChild.cloneNode(true);
    el.dataset.path = m.path;
    el.querySelector(".mount-path").textContent = m.path;
    const charts = el.querySelector(".charts");
    for (const def of CHARTS) charts.append(chartBox(def));
    el.querySelector(".unmount").addEventListener("click", async (ev) => {
      ev.target.disabled = true;
      const res = await api("POST", "/api/unmount", { path: m.path, lazy: el.querySelector(".lazy").checked });
      ev.target.disabled = false;
      say(message, res);
      refresh();
    });
    el.querySelector(".showlog").addEventListener("click", async () => {
      const res = await api("GET", "/api/log?path=" + encodeURIComponent(m.path));
      document.getElementById("logpanel").hidden = false;
      document.getElementById("logname").textContent = res.message || "";
      document.getElementById("logtext").textContent = res.ok ? (res.warnings || [""])[0] : "";
      if (!res.ok) say(message, res);
    });
    el.querySelector(".openfolder").addEventListener("click", async () => {
      say(message, await api("POST", "/api/open", { path: m.path }));
    });
    c = { el, hist: [] };
    cards.set(m.path, c);
    root.append(el);
    return c;
  }

  async function stats(m, c) {
    if (m.state !== "mounted") return;
    const s = await api("GET", "/api/stats?path=" + encodeURIComponent(m.path));
    if (s.ok === false) return;
    c.hist.push(s);
    if (c.hist.length > HISTORY) c.hist.shift();
    c.el.dataset.samples = String(c.hist.length);
    for (const def of CHARTS) {
      const box = c.el.querySelector('[data-chart="' + def.id + '"]');
      box.querySelector(".now").textContent = def.fmt(def.head ? def.head(s) : s[def.series[0][0]] || 0);
      for (const [k] of def.series) box.querySelector('[data-metric="' + k + '"]').textContent = def.fmt(s[k] || 0);
      drawChart(box.querySelector("canvas"), c.hist, def);
    }
    c.el.querySelector(".daemon").textContent = "pid " + m.pid + ", up " + Math.round(s.uptime_seconds) + " s, " +
      s.open_handles + " open files, " + s.ops + " operations, " + s.store_requests + " store requests";
  }

  async function refresh() {
    const list = await api("GET", "/api/mounts");
    if (!Array.isArray(list)) { say(message, list); return; }
    document.getElementById("none").hidden = list.length > 0;
    const seen = new Set();
    for (const m of list) {
      seen.add(m.path);
      const c = card(m);
      const st = c.el.querySelector(".state");
      st.textContent = m.state;
      st.className = "state " + m.state;
      c.el.dataset.state = m.state;
      c.el.querySelector(".store").textContent = m.store || m.source;
      c.el.querySelector(".config").textContent = m.config || "no config file";
      if (m.state !== "mounted") {
        c.el.querySelector(".daemon").textContent = m.state === "stale"
          ? "daemon pid " + m.pid + " has exited; Unmount cleans up" : "no record of its daemon";
      }
      c.el.querySelector(".charts").hidden = m.state !== "mounted";
      stats(m, c);
    }
    for (const [path, c] of cards) {
      if (!seen.has(path)) { c.el.remove(); cards.delete(path); }
    }
  }
  document.getElementById("logclose").addEventListener("click", () => { document.getElementById("logpanel").hidden = true; });
  refresh();
  setInterval(refresh, 2000);
}

// ---- config form ----
function configPage(form) {
  const message = document.getElementById("message");
  const warnings = document.getElementById("warnings");
  const inputs = () => Array.from(form.querySelectorAll("input[name], select[name]"));

  function values() {
    const v = {};
    for (const el of inputs()) {
      if (el.type === "checkbox") v[el.name] = el.checked ? "true" : "false";
      else v[el.name] = el.value;
    }
    return v;
  }

  function holds(cond, v) {
    const [name, want] = cond.split("=");
    return want.split("|").includes(v[name]);
  }

  function update() {
    const v = values();
    for (const el of form.querySelectorAll("[data-show]")) el.hidden = !holds(el.dataset.show, v);
    form.classList.toggle("hide-advanced", !document.getElementById("f-advanced").checked);
  }

  function clearErrors() {
    for (const e of form.querySelectorAll(".err")) e.textContent = "";
    for (const f of form.querySelectorAll(".field.bad")) f.classList.remove("bad");
  }

  function show(res) {
    clearErrors();
    say(message, res);
    for (const [key, msg] of Object.entries(res.fields || {})) {
      const e = form.querySelector('.err[data-for="' + CSS.escape(key) + '"]');
      if (!e) continue;
      e.textContent = msg;
      const f = e.closest(".field");
      if (f) {
        f.classList.add("bad");
        if (f.closest(".advanced")) document.getElementById("f-advanced").checked = true;
      }
    }
    if (res.saved) {
      document.getElementById("f-source").value = res.saved;
      document.getElementById("f-save-path").value = res.saved;
    }
    warnings.replaceChildren();
    for (const w of res.warnings || []) {
      const li = document.createElement("li");
      li.textContent = w;
      warnings.append(li);
    }
    warnings.hidden = !(res.warnings || []).length;
    update();
  }

  function fill(vals, secrets) {
    for (const el of inputs()) {
      if (el.name === "source" || el.name === "passphrase") continue;
      const v = vals[el.name];
      if (el.type === "checkbox") el.checked = v === "true";
      else if (el.dataset.secret) { el.value = ""; el.placeholder = ""; }
      else el.value = v === undefined ? (el.tagName === "SELECT" ? el.options[0].value : "") : v;
    }
    for (const k of secrets || []) {
      const el = document.getElementById("f-" + k);
      if (el) el.placeholder = "set (type to replace)";
    }
    update();
  }

  async function act(button, url) {
    const b = document.getElementById(button);
    b.disabled = true;
    message.hidden = false;
    message.classList.remove("bad");
    message.textContent = "working…";
    try {
      show(await api("POST", url, { values: values() }));
    } finally {
      b.disabled = false;
    }
  }

  form.addEventListener("change", update);
  document.getElementById("load").addEventListener("click", async () => {
    const res = await api("POST", "/api/config/load", {
      path: document.getElementById("f-source").value,
      passphrase: document.getElementById("f-passphrase").value,
    });
    if (res.ok) fill(res.values, res.secrets);
    show(res);
  });
  document.getElementById("test").addEventListener("click", () => act("test", "/api/config/test"));
  document.getElementById("save").addEventListener("click", () => act("save", "/api/config/save"));
  document.getElementById("mount").addEventListener("click", () => act("mount", "/api/config/mount"));
  document.getElementById("boot").addEventListener("click", () => act("boot", "/api/config/boot"));
  update();
}

const mountsRoot = document.querySelector('[data-page="mounts"]');
if (mountsRoot) mountsPage(mountsRoot);
const configForm = document.querySelector('[data-page="config"]');
if (configForm) configPage(configForm);
