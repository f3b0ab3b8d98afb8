// The brand staff's console: a few pages over the JSON admin API (/docs), no build step and
// nothing loaded from the internet. The session is a bearer token kept in sessionStorage, so
// it ends with the tab and no cookie can be ridden by another site.

const TOKEN = "onecode.token";
const WHO = "onecode.who";
const view = document.getElementById("view");

class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || { code: "HTTP_" + status, message: "request failed" };
    super(error.message);
    this.code = error.code;
    this.status = status;
    this.details = error.details || {};
  }
}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  const token = sessionStorage.getItem(TOKEN);
  if (token) headers.Authorization = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (response.status === 401 && path !== "/v1/admin/session") {
    forget();
    location.hash = "#/sign-in";
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// h("a", {href: "#/x"}, "text", child…): elements built from data, never parsed from strings.
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (value !== false && value !== null && value !== undefined) el.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

const yuan = (fen) => (fen / 100).toLocaleString("zh-CN", { minimumFractionDigits: 2 });
const fen = (text) => Math.round(parseFloat(text) * 100);

// Each navigation starts a generation; a page that finishes loading after the user has moved
// on must not paint over the page they moved to.
let generation = 0;

function show(gen, ...nodes) {
  if (gen === generation) view.replaceChildren(...nodes.filter((n) => n !== null && n !== undefined));
}

function problem(err) {
  const where = (err.details.problems || []).map((p) => `${p.where}: ${p.problem}`).join("; ");
  return h("p", { class: "error", role: "alert" }, `${err.code}: ${err.message}`,
    where ? ` (${where})` : "");
}

function forget() {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(WHO);
}

// --- pages -------------------------------------------------------------------------------

function signInPage() {
  const status = h("div");
  const form = h("form", { class: "stack", id: "sign-in" },
    h("label", {}, "Brand", h("input", { name: "brand", required: true, autocomplete: "organization" })),
    h("label", {}, "User name", h("input", { name: "username", required: true, autocomplete: "username" })),
    h("label", {}, "Password", h("input", { name: "password", type: "password", required: true, autocomplete: "current-password" })),
    h("button", { type: "submit" }, "Sign in"), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = Object.fromEntries(new FormData(form));
    try {
      const session = await api("POST", "/v1/admin/session", fields);
      sessionStorage.setItem(TOKEN, session.token);
      sessionStorage.setItem(WHO, JSON.stringify(session));
      location.hash = session.role === "dealer" ? "#/my-dealer" : "#/dashboard";
    } catch (err) {
      status.replaceChildren(problem(err));
    }
  });
  show(generation, h("div", { class: "card sign-in" }, h("h1", {}, "Sign in"), form));
}

async function campaignsPage() {
  const gen = generation;
  const campaigns = await api("GET", "/v1/admin/campaigns");
  const rows = campaigns.map((c) => h("tr", { "data-slug": c.slug },
    h("td", {}, h("a", { href: `#/campaigns/${c.slug}` }, c.name)),
    h("td", {}, c.slug),
    h("td", {}, h("span", { class: `status ${c.status}` }, c.status)),
    h("td", { class: "num" }, yuan(c.total_budget_fen)),
    h("td", { class: "num" }, c.prize_table.tiers.length),
    h("td", { class: "num" }, c.version)));
  const status = h("div");
  const form = h("form", { class: "row", id: "new-campaign" },
    h("label", {}, "Slug", h("input", { name: "slug", required: true, pattern: "[a-z0-9][a-z0-9-]{1,63}" })),
    h("label", {}, "Name", h("input", { name: "name", required: true })),
    h("label", {}, "Budget (¥)", h("input", { name: "budget", type: "number", min: "0", step: "0.01", required: true })),
    h("label", {}, "Red packet (¥)", h("input", { name: "amount", type: "number", min: "0.01", step: "0.01", required: true })),
    h("label", {}, "Probability", h("input", { name: "probability", type: "number", min: "0", max: "1", step: "any", required: true })),
    h("button", { type: "submit" }, "Create draft"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = Object.fromEntries(new FormData(form));
    const spec = {
      slug: f.slug, name: f.name, status: "draft", total_budget_fen: fen(f.budget),
      prize_table: { tiers: [{ key: "cash", kind: "cash", amount_fen: fen(f.amount), probability: parseFloat(f.probability) }] },
    };
    try {
      await api("POST", "/v1/admin/campaigns", spec);
      location.hash = `#/campaigns/${spec.slug}`;
    } catch (err) {
      status.replaceChildren(problem(err));
    }
  });
  show(gen, h("h1", {}, "Campaigns"),
    campaigns.length
      ? h("table", { id: "campaigns" },
        h("thead", {}, h("tr", {}, ["Name", "Slug", "Status"].map((t) => h("th", {}, t)),
          ["Budget ¥", "Tiers", "Version"].map((t) => h("th", { class: "num" }, t)))),
        h("tbody", {}, rows))
      : h("p", { class: "muted" }, "No campaigns yet."),
    h("h2", {}, "New campaign"), h("div", { class: "card" }, form, status));
}

async function campaignPage(slug) {
  const gen = generation;
  const c = await api("GET", `/v1/admin/campaigns/${encodeURIComponent(slug)}`);
  const { id, version, ...spec } = c;
  const status = h("div");
  const save = async (changed) => {
    try {
      await api("PUT", `/v1/admin/campaigns/${encodeURIComponent(slug)}`, { ...spec, ...changed });
      await campaignPage(slug);
    } catch (err) {
      status.replaceChildren(problem(err));
    }
  };
  const actions = {
    draft: [["Publish", "active"]],
    active: [["Pause", "paused"]],
    paused: [["Resume", "active"]],
    ended: [],
  }[c.status].map(([label, to]) => h("button", { type: "button", onclick: () => save({ status: to }) }, label));
  const tiers = c.prize_table.tiers.map((t, i) => h("tr", {},
    h("td", {}, t.key), h("td", {}, t.kind),
    h("td", { class: "num" }, t.kind === "cash" ? yuan(t.amount_fen) : t.points || ""),
    h("td", { class: "num" }, h("input", {
      type: "number", min: "0", max: "1", step: "any", value: t.probability, "data-tier": i,
      "aria-label": `probability of ${t.key}`,
    }))));
  const tuned = () => {
    const table = structuredClone(c.prize_table);
    for (const input of view.querySelectorAll("input[data-tier]")) {
      table.tiers[Number(input.dataset.tier)].probability = parseFloat(input.value);
    }
    return table;
  };
  const tune = h("button", { type: "button", id: "save-tiers", class: "plain", onclick: () => save({ prize_table: tuned() }) }, "Save probabilities");
  const tested = h("div", { id: "backtest" });
  const backtest = h("button", { type: "button", class: "plain", onclick: () =>
    runBacktest(slug, { ...spec, prize_table: tuned() }, tested).catch((err) => tested.replaceChildren(problem(err))) },
  "Back-test on the last 7 days");
  const f = await api("GET", `/v1/admin/campaigns/${encodeURIComponent(slug)}/forecast`);
  const preview = h("p", { id: "preview", class: "muted" });
  const runsOut = (costPer10k) => {
    const perHour = (costPer10k / 10000) * f.claims_per_hour;
    const hours = Math.max(0, f.budget_fen - f.spent_fen) / perHour;
    return perHour > 0 && hours < 24 * 3650
      ? new Date(Date.now() + hours * 3600e3).toLocaleDateString() : "not at this rate";
  };
  // The server's formula (rewards/forecast.py), redone here while probabilities are edited.
  const tierCost = (t) => (t.kind === "cash" ? t.amount_fen : t.voucher ? t.voucher.subsidy_fen : 0);
  const onTune = () => {
    let cost = 0;
    for (const input of view.querySelectorAll("input[data-tier]")) {
      cost += parseFloat(input.value || "0") * tierCost(c.prize_table.tiers[Number(input.dataset.tier)]) * 10000;
    }
    preview.textContent = `With these probabilities: ¥${yuan(Math.round(cost))} per 10,000 claims; the budget runs out ${runsOut(cost)}.`;
  };
  const forecastLine = h("p", { id: "forecast" },
    `Expected prize money ¥${yuan(f.cost_per_10k_scans_fen)} per 10,000 claims; `,
    `${f.claims_per_hour} claims an hour over the last day; spent ¥${yuan(f.spent_fen)} of ¥${yuan(f.budget_fen)}; `,
    `runs out ${f.runs_out_at ? new Date(f.runs_out_at).toLocaleString() : "not at this rate"}.`);
  show(gen, h("h1", {}, c.name, " ", h("span", { class: `status ${c.status}`, id: "status" }, c.status)),
    h("p", { class: "muted" }, `${c.slug} · version ${version} · budget ¥${yuan(c.total_budget_fen)}`),
    h("div", {}, actions), status,
    h("h2", {}, "Prize tiers"),
    h("table", { id: "tiers", oninput: onTune }, h("thead", {}, h("tr", {},
      h("th", {}, "Key"), h("th", {}, "Kind"), h("th", { class: "num" }, "Amount ¥ / points"),
      h("th", { class: "num" }, "Probability"))), h("tbody", {}, tiers)),
    forecastLine, preview,
    h("p", {}, tune, " ", backtest), tested,
    settingsForm(c, save),
    h("h2", {}, "Changes"), await changesTable(slug),
    version > 1 ? compareForm(slug, version) : null);
}

// Replays the campaign's recorded scans as it is and as proposed (a worker does it), then shows
// both side by side.
async function runBacktest(slug, proposal, box) {
  const started = await api("POST", `/v1/admin/campaigns/${encodeURIComponent(slug)}/backtests`, { proposal, days: 7 });
  for (;;) {
    const b = await api("GET", `/v1/admin/campaigns/backtests/${started.id}`);
    if (b.status === "failed") return box.replaceChildren(h("p", { class: "error", role: "alert" }, `back-test failed: ${b.error}`));
    if (b.status === "finished") return box.replaceChildren(backtestTable(b.result));
    box.replaceChildren(h("p", { class: "muted" }, `Back-test ${b.status} (a worker replays the scans: onecode worker)…`));
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function backtestTable(r) {
  const outcomes = [...new Set([...Object.keys(r.current.outcomes), ...Object.keys(r.proposed.outcomes)])].sort();
  const row = (label, f) => h("tr", {}, h("td", {}, label), h("td", { class: "num" }, f(r.current)), h("td", { class: "num" }, f(r.proposed)));
  return h("table", { id: "backtest-result" },
    h("thead", {}, h("tr", {}, h("th", {}, `${r.scans} scans of the last ${r.days} days${r.truncated ? " (the first 20,000)" : ""}`),
      h("th", { class: "num" }, "as it is"), h("th", { class: "num" }, "as proposed"))),
    h("tbody", {}, row("prize money ¥", (x) => yuan(x.awarded_fen)), outcomes.map((o) => row(o, (x) => x.outcomes[o] || 0)),
      row("budget left ¥", (x) => Object.values(x.budget_left_fen).map(yuan).join(", ") || "–")));
}

// A datetime-local input's value (local time) for an ISO instant, and back.
const localInput = (iso) => (iso ? new Date(new Date(iso).getTime() - new Date().getTimezoneOffset() * 60e3).toISOString().slice(0, 16) : "");
const instant = (local) => (local ? new Date(local).toISOString() : null);
const optionalFen = (text) => (text === "" ? null : fen(text));
const optionalInt = (text) => (text === "" ? null : Number(text));
const optionalShare = (text) => (text === "" ? null : parseFloat(text));

// Budgets, window, regions, limits and risk thresholds: saved as a new version (PUT), checked
// by the server; a cash tier can be added, any tier removed.
function settingsForm(c, save) {
  const p = c.risk_policy || {};
  const field = (label, name, value, attrs = {}) =>
    h("label", {}, label, h("input", { name, value: value ?? "", ...attrs }));
  const money = { type: "number", min: "0", step: "0.01" };
  const share = { type: "number", min: "0", max: "1", step: "any" };
  const form = h("form", { class: "row", id: "settings" },
    field("Name", "name", c.name, { required: true }),
    field("Budget (¥)", "budget", c.total_budget_fen / 100, { ...money, required: true }),
    field("Daily budget (¥)", "daily", c.daily_budget_fen === null ? "" : c.daily_budget_fen / 100, money),
    field("Starts", "starts", localInput(c.starts_at), { type: "datetime-local" }),
    field("Ends", "ends", localInput(c.ends_at), { type: "datetime-local" }),
    field("Regions (codes, comma-separated; empty: everywhere)", "regions", c.regions.join(","), { size: 30 }),
    field("Wins a consumer a day", "per_day", c.wins_per_consumer_per_day, { type: "number", min: "0" }),
    field("Hold for review at risk score", "hold", p.hold, share),
    field("Block at risk score", "block", p.block, share),
    h("button", { type: "submit", class: "plain" }, "Save settings"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const f = Object.fromEntries(new FormData(form));
    save({
      name: f.name, total_budget_fen: fen(f.budget), daily_budget_fen: optionalFen(f.daily),
      starts_at: instant(f.starts), ends_at: instant(f.ends),
      regions: f.regions.split(/[,\s]+/).filter(Boolean),
      wins_per_consumer_per_day: optionalInt(f.per_day),
      risk_policy: { ...p, hold: optionalShare(f.hold), block: optionalShare(f.block) },
    });
  });
  const tier = h("form", { class: "row", id: "add-tier" },
    field("Tier key", "key", "", { required: true, pattern: "[a-z0-9][a-z0-9-]*" }),
    field("Red packet (¥)", "amount", "", { type: "number", min: "0.01", step: "0.01", required: true }),
    field("Probability", "probability", "", { ...share, required: true }),
    h("button", { type: "submit", class: "plain" }, "Add cash tier"));
  tier.addEventListener("submit", (event) => {
    event.preventDefault();
    const f = Object.fromEntries(new FormData(tier));
    const table = structuredClone(c.prize_table);
    table.tiers.push({ key: f.key, kind: "cash", amount_fen: fen(f.amount), probability: parseFloat(f.probability) });
    save({ prize_table: table });
  });
  const remove = h("div", { class: "row" }, c.prize_table.tiers.map((t, i) =>
    h("button", { type: "button", class: "plain", onclick: () => {
      const table = structuredClone(c.prize_table);
      table.tiers.splice(i, 1);
      save({ prize_table: table });
    } }, `Remove ${t.key}`)));
  return h("section", { class: "card" }, h("h2", {}, "Settings"), form, h("h3", {}, "Prize tiers"), tier, remove);
}

function compareForm(slug, version) {
  const out = h("div", { id: "differences" });
  const form = h("form", { class: "row", id: "compare" },
    h("label", {}, "Version", h("input", { name: "a", type: "number", min: "1", max: String(version), value: String(version - 1) })),
    h("label", {}, "with version", h("input", { name: "b", type: "number", min: "1", max: String(version), value: String(version) })),
    h("button", { type: "submit", class: "plain" }, "Compare"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const q = new URLSearchParams(new FormData(form));
    try {
      const diffs = await api("GET", `/v1/admin/campaigns/${encodeURIComponent(slug)}/compare?${q}`);
      const cell = (v) => h("td", {}, h("code", {}, JSON.stringify(v)));
      out.replaceChildren(diffs.length
        ? h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Setting"), h("th", {}, `Version ${q.get("a")}`), h("th", {}, `Version ${q.get("b")}`))),
          h("tbody", {}, diffs.map((d) => h("tr", {}, h("td", {}, d.setting), cell(d.a), cell(d.b)))))
        : h("p", { class: "muted" }, "The same settings."));
    } catch (err) {
      out.replaceChildren(problem(err));
    }
  });
  return h("section", { class: "card" }, h("h2", {}, "Compare versions"), form, out);
}

async function changesTable(slug) {
  const changes = await api("GET", `/v1/admin/campaigns/${encodeURIComponent(slug)}/changes`);
  return h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "When"), h("th", {}, "Who"),
    h("th", {}, "What changed"))), h("tbody", {}, changes.map((ch) => h("tr", {},
    h("td", {}, new Date(ch.at).toLocaleString()), h("td", {}, ch.actor),
    h("td", {}, ch.before ? changedKeys(ch.before, ch.after).join(", ") : "created")))));
}

function changedKeys(before, after) {
  return Object.keys(after)
    .filter((k) => k !== "version" && JSON.stringify(before[k]) !== JSON.stringify(after[k]));
}

async function auditPage() {
  const gen = generation;
  const entries = await api("GET", "/v1/admin/audit");
  show(gen, h("h1", {}, "Audit log"), h("table", { id: "audit" },
    h("thead", {}, h("tr", {}, ["When", "Who", "Role", "Action", "Target"].map((t) => h("th", {}, t)))),
    h("tbody", {}, entries.map((e) => h("tr", {},
      h("td", {}, new Date(e.at).toLocaleString()), h("td", {}, e.actor), h("td", {}, e.role),
      h("td", {}, e.action), h("td", {}, JSON.stringify(e.target)))))));
}

// --- dashboard ---------------------------------------------------------------------------

let refreshTimer = null;
let chinaRegistered = false;
const charts = {};

// A chart in `el`, made once a page and resized with the window (ECharts, vendored).
function chart(el) {
  const c = echarts.getInstanceByDom(el) || echarts.init(el);
  charts[el.id] = c;
  return c;
}
window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));

// The map of China from vendor/china.json (ECharts' own map data, shipped with the console).
async function registerChina() {
  if (chinaRegistered) return;
  const response = await fetch("vendor/china.json");
  echarts.registerMap("china", await response.json());
  chinaRegistered = true;
}

// A tabular API answer as a CSV file: fetched with the bearer token (there is no cookie a plain
// link would carry), then handed to the browser as a download.
async function downloadCsv(path, params, filename) {
  const query = new URLSearchParams({ ...params, format: "csv" });
  const response = await fetch(`${path}?${query}`, {
    headers: { Authorization: "Bearer " + sessionStorage.getItem(TOKEN) },
  });
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  save(await response.blob(), filename);
}

function save(blob, filename) {
  const a = h("a", { href: URL.createObjectURL(blob), download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

function csvButton(path, params, filename) {
  return h("button", { type: "button", class: "plain csv", onclick: () => downloadCsv(path, params, filename) }, "CSV");
}

const KPIS = [
  ["scans", "Scans", (t) => t.scans.toLocaleString()],
  ["claims", "Claims", (t) => t.claims.toLocaleString()],
  ["wins", "Prizes won", (t) => t.wins.toLocaleString()],
  ["awarded", "Awarded ¥", (t) => yuan(t.awarded_fen)],
  ["redemptions", "Vouchers redeemed", (t) => t.redemptions.toLocaleString()],
  ["case_openings", "Cases opened", (t) => t.case_openings.toLocaleString()],
  ["stopped", "Stopped by risk", (t) => t.stopped.toLocaleString()],
  ["already_claimed", "Already claimed", (t) => t.already_claimed.toLocaleString()],
  ["held", "Held for review", (t) => `${t.held} · ¥${yuan(t.held_fen)}`],
];

async function dashboardPage() {
  const gen = generation;
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const period = { days: params.get("days") || "7" };
  if (params.get("campaign")) period.campaign = params.get("campaign");
  const campaigns = await api("GET", "/v1/admin/campaigns");
  const go = (changes) => {
    const next = new URLSearchParams({ ...period, ...changes });
    for (const [k, v] of [...next]) if (!v) next.delete(k);
    location.hash = `#/dashboard?${next}`;
  };
  const controls = h("div", { class: "row controls" },
    h("label", {}, "Period ", h("select", { id: "days", onchange: (e) => go({ days: e.target.value }) },
      [["1", "today"], ["7", "7 days"], ["30", "30 days"], ["90", "90 days"]].map(([v, t]) =>
        h("option", { value: v, selected: v === period.days }, t)))),
    h("label", {}, "Campaign ", h("select", { id: "campaign", onchange: (e) => go({ campaign: e.target.value }) },
      h("option", { value: "" }, "all"),
      campaigns.map((c) => h("option", { value: c.slug, selected: c.slug === period.campaign }, c.name)))));
  const tiles = h("div", { class: "tiles", id: "kpis" });
  const live = h("div", { class: "chart", id: "live-chart" });
  const days = h("div", { class: "chart", id: "days-chart" });
  const map = h("div", { class: "chart map", id: "map" });
  const provinces = h("table", { id: "provinces" });
  const budgets = h("table", { id: "budgets" });
  const payouts = h("table", { id: "payout-states" });
  const by = h("select", { id: "by" }, ["campaign", "product", "region", "province", "day"].map((b) => h("option", { value: b }, b)));
  const breakdown = h("table", { id: "breakdown" });
  by.addEventListener("change", () => loadBreakdown(breakdown, period, by.value));
  show(gen, h("h1", {}, "Dashboard"), controls, tiles,
    h("div", { class: "grid" },
      h("section", { class: "card" }, h("h2", {}, "Scans a minute, last hour"), live),
      h("section", { class: "card" }, h("h2", {}, "By day"), days)),
    h("div", { class: "grid map-row" },
      h("section", { class: "card" }, h("h2", {}, "Scans and diversion alerts by province"), map),
      h("section", { class: "card scroll" }, h("h2", {}, "Provinces ", csvButton("/v1/admin/dashboard/breakdown", { ...period, by: "province" }, "provinces.csv")), provinces)),
    h("div", { class: "grid" },
      h("section", { class: "card" }, h("h2", {}, "Budgets ", csvButton("/v1/admin/dashboard/budgets", {}, "budgets.csv")), budgets),
      h("section", { class: "card" }, h("h2", {}, "Payouts ", csvButton("/v1/admin/dashboard/payouts", {}, "payouts.csv")), payouts)),
    h("section", { class: "card" }, h("h2", {}, "Breakdown by ", by, " ",
      h("button", { type: "button", class: "plain csv", onclick: () => downloadCsv("/v1/admin/dashboard/breakdown", { ...period, by: by.value }, `breakdown-${by.value}.csv`) }, "CSV")),
    breakdown));
  await registerChina();
  const refresh = async () => {
    const q = new URLSearchParams(period);
    const [totals, minutes, byDay, geo, money, states] = await Promise.all([
      api("GET", `/v1/admin/dashboard/totals?${q}`),
      api("GET", `/v1/admin/dashboard/live?${new URLSearchParams(period.campaign ? { campaign: period.campaign } : {})}`),
      api("GET", `/v1/admin/dashboard/breakdown?${q}&by=day`),
      api("GET", `/v1/admin/dashboard/map?${q}`),
      api("GET", `/v1/admin/dashboard/budgets${period.campaign ? `?campaign=${period.campaign}` : ""}`),
      api("GET", `/v1/admin/dashboard/payouts${period.campaign ? `?campaign=${period.campaign}` : ""}`),
    ]);
    if (gen !== generation) return; // the user has moved on
    tiles.replaceChildren(...KPIS.map(([key, label, value]) =>
      h("div", { class: "tile", "data-kpi": key }, h("span", { class: "muted" }, label), h("strong", {}, value(totals)))));
    drawLive(chart(live), minutes);
    drawDays(chart(days), byDay);
    drawMap(chart(map), geo);
    provinces.replaceChildren(
      h("thead", {}, h("tr", {}, h("th", {}, "Province"), ["Scans", "Wins", "Awarded ¥", "Alerts"].map((t) => h("th", { class: "num" }, t)))),
      h("tbody", {}, geo.provinces.map((p) => h("tr", { "data-code": p.code },
        h("td", {}, p.name), h("td", { class: "num" }, p.scans), h("td", { class: "num" }, p.wins),
        h("td", { class: "num" }, yuan(p.awarded_fen)), h("td", { class: "num" }, p.alerts)))));
    budgets.replaceChildren(h("tbody", {}, money.map((b) => h("tr", { "data-slug": b.slug },
      h("td", {}, b.name), h("td", {}, h("span", { class: `status ${b.status}` }, b.status)),
      h("td", { class: "bar-cell" }, h("div", { class: "bar" }, h("span", { style: `width:${b.budget_fen ? Math.min(100, (100 * b.spent_fen) / b.budget_fen) : 0}%` }))),
      h("td", { class: "num" }, `¥${yuan(b.spent_fen)} of ¥${yuan(b.budget_fen)}`)))));
    payouts.replaceChildren(h("tbody", {}, states.map((s) => h("tr", { "data-state": s.state },
      h("td", {}, s.state), h("td", { class: "num" }, s.payouts), h("td", { class: "num" }, `¥${yuan(s.amount_fen)}`)))));
    await loadBreakdown(breakdown, period, by.value);
  };
  await refresh();
  if (gen === generation) refreshTimer = setInterval(() => refresh().catch(() => {}), 10_000);
}

async function loadBreakdown(table, period, by) {
  const rows = await api("GET", `/v1/admin/dashboard/breakdown?${new URLSearchParams({ ...period, by })}`);
  table.replaceChildren(
    h("thead", {}, h("tr", {}, h("th", {}, by), ["Scans", "Claims", "Wins", "Awarded ¥", "Redeemed", "Stopped", "Held"].map((t) => h("th", { class: "num" }, t)))),
    h("tbody", {}, rows.map((r) => h("tr", { "data-key": r.key }, h("td", {}, r.label),
      [r.scans, r.claims, r.wins, yuan(r.awarded_fen), r.redemptions, r.stopped, r.held].map((v) => h("td", { class: "num" }, v))))));
}

const ACCENT = "#b3261e";

function drawLive(c, minutes) {
  c.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 16, top: 30, bottom: 24 },
    xAxis: { type: "category", data: minutes.map((m) => new Date(m.minute).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })) },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: "scans", type: "line", showSymbol: false, areaStyle: { opacity: 0.15 }, data: minutes.map((m) => m.scans) },
      { name: "claims", type: "line", showSymbol: false, data: minutes.map((m) => m.claims) },
      { name: "stopped", type: "line", showSymbol: false, color: ACCENT, data: minutes.map((m) => m.stopped) },
    ],
  });
}

function drawDays(c, rows) {
  c.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 50, right: 50, top: 30, bottom: 24 },
    xAxis: { type: "category", data: rows.map((r) => r.key) },
    yAxis: [{ type: "value", minInterval: 1 }, { type: "value", name: "¥" }],
    series: [
      { name: "claims", type: "bar", stack: "s", data: rows.map((r) => r.claims) },
      { name: "stopped", type: "bar", stack: "s", color: ACCENT, data: rows.map((r) => r.stopped) },
      { name: "awarded ¥", type: "line", yAxisIndex: 1, data: rows.map((r) => r.awarded_fen / 100) },
    ],
  });
}

function drawMap(c, geo) {
  const top = Math.max(1, ...geo.provinces.map((p) => p.scans));
  const located = geo.places.filter((p) => p.latitude !== null);
  c.setOption({
    tooltip: { trigger: "item", formatter: (p) => (p.data && p.data.label ? `${p.data.label}: ${p.data.value} scans, ${p.data.alerts} alerts` : p.name) },
    visualMap: { min: 0, max: top, left: 8, bottom: 8, calculable: true, inRange: { color: ["#f3eef6", ACCENT] }, seriesIndex: 0 },
    geo: { map: "china", nameProperty: "id", roam: true, zoom: 1.15, itemStyle: { borderColor: "#bbb" } },
    series: [
      { name: "scans", type: "map", geoIndex: 0, nameProperty: "id", data: geo.provinces.map((p) => ({ name: p.code, value: p.scans, label: p.name, alerts: p.alerts })) },
      { name: "places", type: "scatter", coordinateSystem: "geo", symbolSize: (v) => 4 + Math.sqrt(v[2]),
        itemStyle: { color: "#5b4b8a" }, data: located.map((p) => ({ name: p.name, value: [p.longitude, p.latitude, p.scans] })) },
      { name: "diversion", type: "effectScatter", coordinateSystem: "geo", symbolSize: (v) => 8 + 2 * Math.sqrt(v[2]),
        itemStyle: { color: ACCENT }, data: located.filter((p) => p.alerts).map((p) => ({ name: `${p.name}: ${p.alerts} alerts`, value: [p.longitude, p.latitude, p.alerts] })) },
    ],
  });
}

// --- risk review -------------------------------------------------------------------------

// A section that loads on its own: a role that may not read it sees why, not a broken page.
async function section(title, load, ...extra) {
  const body = h("div");
  try {
    body.append(await load());
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    body.append(problem(err));
  }
  return h("section", { class: "card" }, h("h2", {}, title, ...extra), body);
}

const when = (iso) => (iso ? new Date(iso).toLocaleString() : "");

async function reviewPage() {
  const gen = generation;
  const reload = () => reviewPage();
  const act = (fn) => async () => {
    try {
      await fn();
      await reload();
    } catch (err) {
      view.prepend(problem(err));
    }
  };
  show(gen, h("h1", {}, "Risk review"),
    await section("Held wins", async () => {
      const held = await api("GET", "/v1/admin/held-awards");
      if (!held.length) return h("p", { class: "muted", id: "no-held" }, "Nothing waits for review.");
      return h("table", { id: "held" },
        h("thead", {}, h("tr", {}, ["When", "Account", "Code", "Device · network", "Score", "Reasons"].map((t) => h("th", {}, t)),
          h("th", { class: "num" }, "¥"), h("th", {}, ""))),
        h("tbody", {}, held.map((a) => {
          const reason = h("input", { placeholder: "why void", "aria-label": `reason to void ${a.award_id}`, size: 14 });
          return h("tr", { "data-award": a.award_id },
            h("td", {}, when(a.at)), h("td", {}, a.account), h("td", { class: "mono" }, a.code),
            h("td", {}, `${a.device_id || "–"} · ${a.ip || "–"}`),
            h("td", {}, a.score === null ? "" : a.score.toFixed(3)), h("td", {}, a.reasons.join(", ")),
            h("td", { class: "num" }, yuan(a.amount_fen)),
            h("td", { class: "actions" },
              h("button", { type: "button", onclick: act(() => api("POST", `/v1/admin/held-awards/${a.award_id}/release`)) }, "Release"),
              reason,
              h("button", { type: "button", class: "plain", onclick: act(() => api("POST", `/v1/admin/held-awards/${a.award_id}/void`, { reason: reason.value || "fraud" })) }, "Void")));
        })));
    }),
    await section("Rings", async () => {
      const rings = await api("GET", "/v1/admin/risk/rings?status=open");
      if (!rings.length) return h("p", { class: "muted" }, "No open rings.");
      return h("table", { id: "rings" },
        h("thead", {}, h("tr", {}, ["Found", "Accounts", "Devices", "Networks", "Density", "Evidence", ""].map((t) => h("th", {}, t)))),
        h("tbody", {}, rings.map((r) => h("tr", { "data-ring": r.id },
          h("td", {}, when(r.found_at)), h("td", {}, `${r.size}: ${r.accounts.slice(0, 4).join(", ")}${r.size > 4 ? "…" : ""}`),
          h("td", {}, r.devices.length), h("td", {}, r.networks.length), h("td", {}, r.density.toFixed(2)),
          h("td", { class: "small" }, JSON.stringify(r.evidence)),
          h("td", { class: "actions" },
            h("button", { type: "button", onclick: act(() => api("POST", `/v1/admin/risk/rings/${r.id}/review`, { verdict: "confirm" })) }, "Confirm and ban"),
            h("button", { type: "button", class: "plain", onclick: act(() => api("POST", `/v1/admin/risk/rings/${r.id}/review`, { verdict: "dismiss" })) }, "Dismiss"))))));
    }),
    await section("Diversion alerts", async () => {
      const alerts = await api("GET", "/v1/admin/risk/diversion/alerts");
      if (!alerts.length) return h("p", { class: "muted" }, "No diversion alerts.");
      return h("table", { id: "alerts" },
        h("thead", {}, h("tr", {}, ["Case", "Dealer", "Its regions", "Scanned outside in", "Outside / located", "Score", "Last seen", "Status"].map((t) => h("th", {}, t)))),
        h("tbody", {}, alerts.map((a) => h("tr", {},
          h("td", { class: "mono" }, a.case_code), h("td", {}, a.dealer_id), h("td", {}, a.expected_regions.join(", ")),
          h("td", {}, a.observed.map((o) => `${o.name || o.region} (${o.scans})`).join(", ")),
          h("td", {}, `${a.scans_outside} / ${a.scans_located}`), h("td", {}, a.score.toFixed(2)),
          h("td", {}, when(a.last_at)), h("td", {}, a.status)))));
    }, csvButton("/v1/admin/risk/diversion/alerts", {}, "diversion-alerts.csv")),
    await section("Dealers", async () => {
      const dealers = await api("GET", "/v1/admin/risk/diversion/dealers");
      if (!dealers.length) return h("p", { class: "muted" }, "No shipments yet.");
      const cols = Object.keys(dealers[0]);
      return h("table", { id: "dealers" }, h("thead", {}, h("tr", {}, cols.map((c) => h("th", {}, c.replaceAll("_", " "))))),
        h("tbody", {}, dealers.map((d) => h("tr", {}, cols.map((c) => h("td", {}, typeof d[c] === "object" ? JSON.stringify(d[c]) : d[c]))))));
    }, csvButton("/v1/admin/risk/diversion/dealers", {}, "dealers.csv")),
    await section("Model versions", async () => {
      const models = await api("GET", "/v1/admin/risk/models");
      if (!models.length) return h("p", { class: "muted" }, "No model trained yet (onecode risk train).");
      const metric = (m, k) => (m.metrics[k] === undefined ? "" : Number(m.metrics[k]).toFixed(3));
      return h("div", {}, h("table", { id: "models" },
        h("thead", {}, h("tr", {}, ["Version", "State", "Trained", "Precision", "Recall", "PR AUC", ""].map((t) => h("th", {}, t)))),
        h("tbody", {}, models.map((m) => h("tr", { "data-version": m.version },
          h("td", {}, m.version), h("td", {}, h("span", { class: `status ${m.state}` }, m.state)), h("td", {}, when(m.created_at)),
          h("td", {}, metric(m, "precision")), h("td", {}, metric(m, "recall")), h("td", {}, metric(m, "pr_auc")),
          h("td", {}, m.state === "active" ? "" : h("button", { type: "button", class: "plain", onclick: act(() => api("POST", `/v1/admin/risk/models/${m.version}/promote`)) }, "Promote")))))),
        h("p", {}, h("button", { type: "button", class: "plain", onclick: act(() => api("POST", "/v1/admin/risk/models/rollback")) }, "Roll back to the previous version")));
    }));
}

// --- codes -------------------------------------------------------------------------------

async function download(path, filename) {
  const response = await fetch(path, { headers: { Authorization: "Bearer " + sessionStorage.getItem(TOKEN) } });
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  save(await response.blob(), filename);
}

async function codesPage() {
  const gen = generation;
  const status = h("div");
  const issue = h("form", { class: "row", id: "issue-batch" },
    h("label", {}, "Kind", h("select", { name: "kind" }, ["cap", "bottle", "box", "case", "pallet"].map((k) => h("option", { value: k }, k)))),
    h("label", {}, "Codes", h("input", { name: "count", type: "number", min: "1", required: true })),
    h("label", {}, "Note", h("input", { name: "note", maxlength: "200" })),
    h("button", { type: "submit" }, "Issue batch"));
  issue.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = Object.fromEntries(new FormData(issue));
    try {
      await api("POST", "/v1/admin/batches", { kind: f.kind, count: Number(f.count), note: f.note });
      await codesPage();
    } catch (err) {
      status.replaceChildren(problem(err));
    }
  });
  const exportsBox = h("div", { id: "exports" });
  const batches = await api("GET", "/v1/admin/batches");
  const table = h("table", { id: "batches" },
    h("thead", {}, h("tr", {}, ["Batch", "Kind", "Codes", "Note", "Issued", ""].map((t) => h("th", {}, t)))),
    h("tbody", {}, batches.map((b) => h("tr", { "data-batch": b.id },
      h("td", {}, b.id), h("td", {}, b.kind), h("td", { class: "num" }, b.count.toLocaleString()), h("td", {}, b.note),
      h("td", {}, `${when(b.created_at)} · ${b.created_by}`),
      h("td", { class: "actions" },
        h("button", { type: "button", onclick: () => startExport(b, exportsBox).catch((err) => exportsBox.replaceChildren(problem(err))) }, "Print files"),
        h("button", { type: "button", class: "plain", onclick: () => showExports(b, exportsBox).catch((err) => exportsBox.replaceChildren(problem(err))) }, "Exports"),
        h("button", { type: "button", class: "plain", onclick: () => download(`/v1/admin/batches/${b.id}/labels?count=24&format=pdf`, `labels-${b.id}.pdf`).catch((err) => status.replaceChildren(problem(err))) }, "Label sheet"))))));
  const lookupResult = h("div", { id: "lookup-result" });
  const lookup = h("form", { class: "row", id: "lookup" },
    h("label", {}, "Code or scanned URL", h("input", { name: "code", required: true, size: 40 })),
    h("button", { type: "submit" }, "Look up"));
  lookup.addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = new FormData(lookup).get("code").trim();
    try {
      const [info, custody, past] = await Promise.all([
        api("GET", `/v1/admin/codes/${encodeURIComponent(code)}`),
        api("GET", `/v1/admin/codes/${encodeURIComponent(code)}/custody`).catch(() => null),
        api("GET", `/v1/admin/codes/${encodeURIComponent(code)}/history`),
      ]);
      lookupResult.replaceChildren(codeCard(info, custody),
        h("h3", {}, "Scans"),
        dataTable("code-scans", past.scans, [["at", "When", when], ["role", "Who"], ["outcome", "Outcome"],
          ["openid", "Account"], ["device_id", "Device"], ["ip", "Network"], ["region_code", "Region"],
          ["amount_fen", "¥", (v) => (v ? yuan(v) : "")], ["risk_action", "Risk", (v, r) => (v ? `${v} ${(r.risk_score ?? 0).toFixed(2)}` : "")]]),
        h("h3", {}, "Rewards"),
        dataTable("code-rewards", past.rewards, [["kind", "What"], ["at", "When", when], ["who", "Who"],
          ["tier", "Tier"], ["amount_fen", "¥", (v) => (v ? yuan(v) : "")], ["status", "Status"]]));
    } catch (err) {
      lookupResult.replaceChildren(problem(err));
    }
  });
  const range = (id, label, extra, submit) => {
    const form = h("form", { class: "row", id },
      h("label", {}, "Batch", h("input", { name: "batch_id", type: "number", min: "1", required: true })),
      h("label", {}, "From position", h("input", { name: "start", type: "number", min: "0", value: "0" })),
      h("label", {}, "Count", h("input", { name: "count", type: "number", min: "1" })),
      extra, h("button", { type: "submit" }, label));
    const out = h("span", { class: "muted" });
    form.append(out);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const f = Object.fromEntries(new FormData(form));
      const body = { batch_id: Number(f.batch_id), start: Number(f.start || 0) };
      if (f.count) body.count = Number(f.count);
      try {
        const r = await submit(body, f);
        out.textContent = `${r.changed} of ${r.count} codes changed`;
      } catch (err) {
        out.replaceChildren(problem(err));
      }
    });
    return form;
  };
  show(gen, h("h1", {}, "Codes"),
    h("section", { class: "card" }, h("h2", {}, "Batches ", csvButton("/v1/admin/batches", {}, "batches.csv")), table, exportsBox),
    h("section", { class: "card" }, h("h2", {}, "Issue a batch"), issue, status),
    h("section", { class: "card" }, h("h2", {}, "Activate (空码赋值)"),
      range("activate", "Activate", [
        h("label", {}, "Product SKU", h("input", { name: "product_sku", required: true })),
        h("label", {}, "Lot", h("input", { name: "lot" })),
        h("label", {}, "Campaign", h("input", { name: "campaign" }))],
      (body, f) => api("POST", "/v1/admin/activations", { ...body, product_sku: f.product_sku, lot: f.lot, campaign: f.campaign || null }))),
    h("section", { class: "card" }, h("h2", {}, "Void"),
      range("void", "Void", [h("label", {}, "Reason", h("input", { name: "reason", required: true }))],
        (body, f) => api("POST", "/v1/admin/voids", { ...body, reason: f.reason }))),
    h("section", { class: "card" }, h("h2", {}, "Look up a code"), lookup, lookupResult));
}

function codeCard(info, custody) {
  const refs = (list) => list.map((r) => `${r.kind} ${r.display || r.code}`).join(" → ") || "–";
  return h("dl", { class: "facts" },
    h("dt", {}, "Code"), h("dd", { class: "mono" }, info.display),
    h("dt", {}, "Kind · state"), h("dd", {}, `${info.kind} · ${info.state}${info.void_reason ? ` (${info.void_reason})` : ""}`),
    h("dt", {}, "Batch · position"), h("dd", {}, `${info.batch_id} · ${info.index}`),
    h("dt", {}, "Product"), h("dd", {}, info.product_sku ? `${info.product_name || ""} ${info.product_sku} lot ${info.lot || "–"}` : "–"),
    h("dt", {}, "Campaign"), h("dd", {}, info.campaign_slug || "–"),
    h("dt", {}, "Parents"), h("dd", {}, refs(info.parents)),
    h("dt", {}, "Children"), h("dd", {}, info.children.length ? `${info.children.length}: ${refs(info.children.slice(0, 6))}` : "–"),
    h("dt", {}, "Custody"), h("dd", {}, custody ? h("pre", {}, JSON.stringify(custody, null, 1)) : "–"));
}

async function startExport(batch, box) {
  const created = await api("POST", `/v1/admin/batches/${batch.id}/exports`, {});
  box.replaceChildren(h("p", { class: "card secret", id: "export-password" },
    "Password of these print files (shown once; send it apart from the files): ",
    h("strong", { class: "mono" }, created.password)));
  await followExport(created.id, box);
}

async function showExports(batch, box) {
  const exports = await api("GET", `/v1/admin/batches/${batch.id}/exports`);
  box.replaceChildren(h("h3", {}, `Exports of batch ${batch.id}`),
    exports.length ? h("div", {}, exports.map((e) => exportCard(e))) : h("p", { class: "muted" }, "None yet."));
}

async function followExport(id, box) {
  const card = h("div");
  box.append(card);
  for (;;) {
    const e = await api("GET", `/v1/admin/exports/${id}`);
    card.replaceChildren(exportCard(e));
    if (e.status !== "running") return;
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
}

function exportCard(e) {
  const files = (e.manifest && e.manifest.files) || [];
  return h("div", { class: "export", "data-export": e.id },
    h("p", {}, `Export ${e.id.slice(0, 8)} · ${e.status} · ${e.codes_done.toLocaleString()} of ${e.codes.toLocaleString()} codes · downloads ${e.downloads}/${e.max_downloads}`),
    h("progress", { max: e.codes, value: e.codes_done }),
    e.error ? h("p", { class: "error" }, e.error) : null,
    h("ul", {}, files.map((f) => h("li", {}, h("button", { type: "button", class: "plain", onclick: () => download(`/v1/admin/exports/${e.id}/files/${f.name}`, f.name) }, `Download ${f.name}`),
      ` ${f.codes ? f.codes.toLocaleString() + " codes" : ""}`))));
}

// --- channel -----------------------------------------------------------------------------

// rows as a table: columns are [key, heading, format?]; numbers right-aligned.
function dataTable(id, rows, columns) {
  if (!rows.length) return h("p", { class: "muted" }, "None yet.");
  return h("table", { id },
    h("thead", {}, h("tr", {}, columns.map(([key, label]) =>
      h("th", { class: typeof rows[0][key] === "number" ? "num" : "" }, label)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, columns.map(([key, , fmt]) =>
      h("td", { class: typeof r[key] === "number" ? "num" : "" }, fmt ? fmt(r[key], r) : r[key]))))));
}

async function channelPage() {
  const gen = generation;
  const list = (title, path, id, columns, params = {}) => section(title, async () =>
    dataTable(id, await api("GET", `${path}?${new URLSearchParams(params)}`), columns),
  csvButton(path, params, `${id}.csv`));
  const created = h("div", { id: "created" });
  const person = h("form", { class: "row", id: "new-person" },
    h("label", {}, "Role", h("select", { name: "role" }, h("option", { value: "guide" }, "guide"), h("option", { value: "salesperson" }, "salesperson"))),
    h("label", {}, "WeChat openid", h("input", { name: "openid", required: true })),
    h("label", {}, "Name", h("input", { name: "name" })),
    h("label", {}, "Store code (a guide's)", h("input", { name: "store_code" })),
    h("label", {}, "Dealer code (a salesperson's)", h("input", { name: "dealer_code" })),
    h("button", { type: "submit" }, "Add"));
  person.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = Object.fromEntries(new FormData(person));
    try {
      const a = await api("POST", "/v1/admin/field-accounts", {
        role: f.role, openid: f.openid, name: f.name, store_code: f.store_code || null, dealer_code: f.dealer_code || null,
      });
      created.replaceChildren(h("p", { class: "card secret" }, `${f.role} ${f.openid} added; their field token (shown once, for their mini-program): `, h("code", {}, a.token)));
    } catch (err) {
      created.replaceChildren(problem(err));
    }
  });
  const invite = h("form", { class: "row", id: "new-invite" },
    h("label", {}, "Salesperson id", h("input", { name: "salesperson_id", type: "number", min: "1" })),
    h("label", {}, "or dealer code", h("input", { name: "dealer_code" })),
    h("button", { type: "submit" }, "New invite code"));
  invite.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = Object.fromEntries(new FormData(invite));
    try {
      const i = await api("POST", "/v1/admin/invites", {
        salesperson_id: f.salesperson_id ? Number(f.salesperson_id) : null, dealer_code: f.dealer_code || null,
      });
      created.replaceChildren(h("p", { class: "card" }, "Invite code for stores to sign up with: ", h("strong", { class: "mono" }, i.code)));
    } catch (err) {
      created.replaceChildren(problem(err));
    }
  });
  show(gen, h("h1", {}, "Channel"),
    h("section", { class: "card" }, h("h2", {}, "Add a guide or salesperson"), person, h("h2", {}, "Invite stores"), invite, created),
    h("div", { class: "grid" },
      await list("Salespeople by stores signed up, 30 days", "/v1/admin/leaderboard", "top-sales",
        [["rank", "#"], ["name", "Salesperson"], ["registrations", "Stores"], ["redemptions", "Redeemed"]],
        { of: "salespeople", by: "registrations" }),
      await list("Stores by vouchers redeemed, 30 days", "/v1/admin/leaderboard", "top-stores",
        [["rank", "#"], ["name", "Store"], ["redemptions", "Redeemed"], ["case_openings", "Cases opened"]],
        { of: "stores", by: "redemptions" })),
    await list("Dealers", "/v1/admin/dealers", "dealer-list",
      [["code", "Code"], ["name", "Name"], ["region_names", "Authorized regions", (v) => v.join(", ")],
        ["stores", "Stores"], ["cases_in", "Cases in"], ["cases_out", "Cases out"]]),
    await list("Stores", "/v1/admin/stores", "store-list",
      [["code", "Code"], ["name", "Name"], ["region_name", "Region", (v, r) => v || r.region_code],
        ["dealer", "Dealer"], ["salesperson", "Salesperson"], ["latitude", "Position", (v, r) => (v === null ? "–" : `${v.toFixed(3)}, ${r.longitude.toFixed(3)}`)],
        ["redemptions", "Redeemed"], ["case_openings", "Cases opened"]]),
    await list("Guides, salespeople and store owners", "/v1/admin/field-accounts", "accounts",
      [["id", "Id"], ["role", "Role"], ["name", "Name"], ["openid", "openid"], ["store", "Store"], ["dealer", "Dealer"],
        ["created_at", "Since", when], ["revoked", "Revoked", (v) => (v ? "yes" : "")]]),
    await list("Invite codes", "/v1/admin/invites", "invites",
      [["code", "Code"], ["salesperson", "Salesperson"], ["dealer", "Dealer"], ["created_at", "Created", when]]),
    await list("Shipments", "/v1/admin/shipments", "shipments",
      [["at", "When", when], ["dealer", "Dealer"], ["direction", "In/out"], ["code", "Case or pallet"],
        ["to_store", "To store"], ["to_dealer", "To dealer"]]),
    h("p", { class: "muted" }, "Statements (CSV): ",
      h("button", { type: "button", class: "plain csv", onclick: () => download("/v1/admin/stores/statement.csv", "store-statements.csv") }, "stores"),
      h("button", { type: "button", class: "plain csv", onclick: () => download("/v1/admin/dealers/statement.csv", "dealer-statements.csv") }, "dealers")));
}

// --- a dealer's own page (role dealer) --------------------------------------------------

async function myDealerPage() {
  const gen = generation;
  const v = await api("GET", "/v1/admin/my-dealer");
  show(gen, h("h1", {}, v.dealer.name, " ", h("span", { class: "muted" }, v.dealer.code)),
    h("p", {}, `Authorized regions: ${v.dealer.region_names.join(", ") || "–"} · cases in ${v.dealer.cases_in} · out ${v.dealer.cases_out}`),
    h("section", { class: "card" }, h("h2", {}, "My stores"), dataTable("my-stores", v.stores,
      [["code", "Code"], ["name", "Name"], ["region_name", "Region"], ["salesperson", "Salesperson"],
        ["redemptions", "Redeemed"], ["case_openings", "Cases opened"]])),
    h("section", { class: "card" }, h("h2", {}, "My latest shipments"), dataTable("my-shipments", v.shipments,
      [["at", "When", when], ["direction", "In/out"], ["code", "Case or pallet"], ["to_store", "To store"], ["to_dealer", "To dealer"]])));
}

// --- routing -----------------------------------------------------------------------------

const routes = [
  [/^#\/dashboard(\?.*)?$/, dashboardPage],
  [/^#\/campaigns\/([^/]+)$/, (m) => campaignPage(decodeURIComponent(m[1]))],
  [/^#\/campaigns$/, campaignsPage],
  [/^#\/audit$/, auditPage],
  [/^#\/review$/, reviewPage],
  [/^#\/codes$/, codesPage],
  [/^#\/channel$/, channelPage],
  [/^#\/my-dealer$/, myDealerPage],
];

async function route() {
  const mine = ++generation;
  clearInterval(refreshTimer);
  for (const c of Object.values(charts)) c.dispose();
  for (const key of Object.keys(charts)) delete charts[key];
  const signedIn = Boolean(sessionStorage.getItem(TOKEN));
  const bar = document.getElementById("bar");
  bar.hidden = !signedIn;
  if (!signedIn) return signInPage();
  const who = JSON.parse(sessionStorage.getItem(WHO) || "{}");
  document.getElementById("who").textContent = `${who.username} · ${who.role} · ${who.brand}`;
  const dealer = who.role === "dealer"; // a dealer's user has its own page and nothing else
  for (const a of bar.querySelectorAll("nav a")) {
    a.hidden = dealer !== a.hasAttribute("data-dealer");
    a.classList.toggle("active", location.hash.startsWith(a.getAttribute("href")));
  }
  for (const [pattern, page] of routes) {
    const match = location.hash.match(pattern);
    if (match) {
      try {
        await page(match);
      } catch (err) {
        show(mine, h("h1", {}, "Could not load this page"), err instanceof ApiError ? problem(err) : h("p", { class: "error" }, String(err)));
      }
      return;
    }
  }
  location.hash = dealer ? "#/my-dealer" : "#/dashboard";
}

document.getElementById("sign-out").addEventListener("click", async () => {
  try {
    await api("DELETE", "/v1/admin/session");
  } finally {
    forget();
    location.hash = "#/sign-in";
    route();
  }
});
window.addEventListener("hashchange", route);
route();
