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

function show(...nodes) {
  view.replaceChildren(...nodes);
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
      location.hash = "#/campaigns";
    } catch (err) {
      status.replaceChildren(problem(err));
    }
  });
  show(h("div", { class: "card sign-in" }, h("h1", {}, "Sign in"), form));
}

async function campaignsPage() {
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
  show(h("h1", {}, "Campaigns"),
    campaigns.length
      ? h("table", { id: "campaigns" },
        h("thead", {}, h("tr", {}, ["Name", "Slug", "Status"].map((t) => h("th", {}, t)),
          ["Budget ¥", "Tiers", "Version"].map((t) => h("th", { class: "num" }, t)))),
        h("tbody", {}, rows))
      : h("p", { class: "muted" }, "No campaigns yet."),
    h("h2", {}, "New campaign"), h("div", { class: "card" }, form, status));
}

async function campaignPage(slug) {
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
  const tune = h("button", { type: "button", id: "save-tiers", class: "plain", onclick: () => {
    const table = structuredClone(c.prize_table);
    for (const input of view.querySelectorAll("input[data-tier]")) {
      table.tiers[Number(input.dataset.tier)].probability = parseFloat(input.value);
    }
    save({ prize_table: table });
  } }, "Save probabilities");
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
  show(h("h1", {}, c.name, " ", h("span", { class: `status ${c.status}`, id: "status" }, c.status)),
    h("p", { class: "muted" }, `${c.slug} · version ${version} · budget ¥${yuan(c.total_budget_fen)}`),
    h("div", {}, actions), status,
    h("h2", {}, "Prize tiers"),
    h("table", { id: "tiers", oninput: onTune }, h("thead", {}, h("tr", {},
      h("th", {}, "Key"), h("th", {}, "Kind"), h("th", { class: "num" }, "Amount ¥ / points"),
      h("th", { class: "num" }, "Probability"))), h("tbody", {}, tiers)),
    forecastLine, preview,
    h("p", {}, tune),
    h("h2", {}, "Changes"), await changesTable(slug));
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
  const entries = await api("GET", "/v1/admin/audit");
  show(h("h1", {}, "Audit log"), h("table", { id: "audit" },
    h("thead", {}, h("tr", {}, ["When", "Who", "Role", "Action", "Target"].map((t) => h("th", {}, t)))),
    h("tbody", {}, entries.map((e) => h("tr", {},
      h("td", {}, new Date(e.at).toLocaleString()), h("td", {}, e.actor), h("td", {}, e.role),
      h("td", {}, e.action), h("td", {}, JSON.stringify(e.target)))))));
}

// --- routing -----------------------------------------------------------------------------

const routes = [
  [/^#\/campaigns\/([^/]+)$/, (m) => campaignPage(decodeURIComponent(m[1]))],
  [/^#\/campaigns$/, campaignsPage],
  [/^#\/audit$/, auditPage],
];

async function route() {
  const signedIn = Boolean(sessionStorage.getItem(TOKEN));
  const bar = document.getElementById("bar");
  bar.hidden = !signedIn;
  if (!signedIn) return signInPage();
  const who = JSON.parse(sessionStorage.getItem(WHO) || "{}");
  document.getElementById("who").textContent = `${who.username} · ${who.role} · ${who.brand}`;
  for (const a of bar.querySelectorAll("nav a")) {
    a.classList.toggle("active", location.hash.startsWith(a.getAttribute("href")));
  }
  for (const [pattern, page] of routes) {
    const match = location.hash.match(pattern);
    if (match) {
      try {
        await page(match);
      } catch (err) {
        show(h("h1", {}, "Could not load this page"), err instanceof ApiError ? problem(err) : h("p", { class: "error" }, String(err)));
      }
      return;
    }
  }
  location.hash = "#/campaigns";
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
