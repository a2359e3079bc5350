// The trainer workbench. Shopper text is inserted with textContent only, never as HTML.
const $ = (id) => document.getElementById(id);
const state = {rows: [], current: 0, selected: new Set(), page: 0, total: 0, pageSize: 50, skipped: 0, intents: [], me: null};

async function api(path, options = {}) {
  const headers = {"X-Requested-With": "desk", ...(options.headers || {})};
  if (!(options.body instanceof FormData)) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {...options, headers});
  if (response.status === 401) { window.location = "/login"; throw new Error("logged out"); }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || `request failed (${response.status})`);
  return body;
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function button(text, action, title) {
  const node = el("button", text);
  node.type = "button";
  if (title) node.title = title;
  node.addEventListener("click", (event) => { event.stopPropagation(); action(); });
  return node;
}

function showError(error) { $("error").textContent = error ? error.message || String(error) : ""; }

function filters() {
  const params = new URLSearchParams();
  for (const id of ["status", "order", "intent", "since", "until", "q"]) {
    if ($(id).value) params.set(id, $(id).value);
  }
  for (const id of ["not_understood", "handed_off"]) if ($(id).checked) params.set(id, "1");
  params.set("page", String(state.page));
  return params;
}

// Only the newest request's answer is shown: a search typed while the first page is still loading
// must not be overwritten by that page arriving late.
let newestLoad = 0;

async function load() {
  const ticket = ++newestLoad;
  showError(null);
  try {
    const body = await api(`/api/inbox?${filters()}`);
    if (ticket !== newestLoad) return;
    state.rows = body.rows;
    state.total = body.total;
    state.pageSize = body.page_size;
    state.skipped = body.skipped || 0;
    state.current = Math.min(state.current, Math.max(state.rows.length - 1, 0));
    render();
  } catch (error) { if (ticket === newestLoad) showError(error); }
}

function labelsCell(row) {
  const cell = el("td");
  for (const label of row.labels) {
    const parts = [label.spam ? "spam" : (label.intent || "no intent")];
    if (label.angry === true) parts.push("angry");
    if (label.angry === false) parts.push("not angry");
    if (label.entities.length) parts.push(label.entities.map((e) => `${e.entity}: ${e.value}`).join(", "));
    const line = el("span", `${label.trainer}: ${parts.join("; ")}`, "label-by");
    line.title = `labelled ${label.at}`;
    cell.append(line);
  }
  if (row.disagreement) cell.append(el("span", "trainers disagree", "disagree"));
  return cell;
}

function selectionIn(cell) {
  const selection = window.getSelection();
  if (!selection || selection.isCollapsed || !cell.contains(selection.anchorNode)) return "";
  return selection.toString().trim();
}

function rowElement(row, index) {
  const tr = el("tr");
  tr.dataset.key = row.key;
  if (index === state.current) tr.classList.add("current");
  if (state.selected.has(row.key)) tr.classList.add("selected");
  tr.addEventListener("click", () => { state.current = index; highlight(); });

  const pick = el("td");
  const box = document.createElement("input");
  box.type = "checkbox";
  box.checked = state.selected.has(row.key);
  box.setAttribute("aria-label", "Select this message");
  box.addEventListener("change", () => toggle(row.key));
  pick.append(box);

  const message = el("td");
  const words = el("div", row.text, "message-text");
  message.append(words);
  const facts = el("div");
  if (row.count > 1) facts.append(el("span", `x${row.count}`, "count"), " ");
  if (row.handed_off) facts.append(el("span", "handed off", "handed"), " ");
  facts.append(el("small", `${row.source}, last ${row.last_seen.slice(0, 16).replace("T", " ")}`));
  if (row.conversation) {
    facts.append(" ", button("Conversation", () => openConversation(row.conversation)));
  }
  message.append(facts);

  const prediction = el("td");
  const confidence = row.confidence === null ? "not predicted yet" : `${Math.round(row.confidence * 100)}%`;
  prediction.append(el("div", row.predicted_intent || "-"),
                    el("div", confidence, row.confidence !== null && row.confidence < 0.5 ? "low" : ""));
  if (row.entities.length) prediction.append(el("small", row.entities.map((e) => `${e.entity}: ${e.value}`).join(", ")));

  const anger = el("td", row.anger.level === "none" ? "-" : `${row.anger.level} (${row.anger.score.toFixed(2)})`);
  if (row.anger.cues.length) anger.append(el("small", ` ${row.anger.cues.join(", ")}`));

  const actions = el("td", null, "row-actions");
  if (row.predicted_intent && state.intents.includes(row.predicted_intent)) {
    actions.append(button(`Confirm ${row.predicted_intent}`, () => label([row.key], {intent: row.predicted_intent})));
  }
  const correct = document.createElement("select");
  correct.setAttribute("aria-label", "Correct the intent");
  correct.append(new Option("Correct to...", ""));
  for (const intent of state.intents) correct.append(new Option(intent, intent));
  correct.addEventListener("change", () => { if (correct.value) label([row.key], {intent: correct.value}); });
  actions.append(correct, el("br"));
  actions.append(button("Angry", () => label([row.key], {angry: true})),
                 button("Not angry", () => label([row.key], {angry: false})),
                 button("Ignore (spam)", () => label([row.key], {spam: true})));
  const entities = (row.mine && row.mine.entities) || [];
  for (const type of ["product", "category"]) {
    actions.append(button(`Mark ${type}`, () => {
      const value = selectionIn(words);
      if (!value) { showError(new Error(`Select the ${type} in the message text first.`)); return; }
      label([row.key], {entities: [...entities.filter((e) => e.value !== value), {entity: type, value}]});
    }, `Select words in the message, then mark them as a ${type}`));
  }
  if (entities.length) actions.append(button("Clear entities", () => label([row.key], {entities: []})));

  tr.append(pick, message, prediction, anger, labelsCell(row), actions);
  return tr;
}

function render() {
  $("rows").replaceChildren(...state.rows.map(rowElement));
  const skipped = state.skipped ? `; ${state.skipped} unreadable chat messages skipped (see the desk log)` : "";
  $("total").textContent = `(${state.total} distinct messages${skipped})`;
  const pages = Math.max(Math.ceil(state.total / state.pageSize), 1);
  $("page").textContent = `page ${state.page + 1} of ${pages}`;
  $("prev").disabled = state.page === 0;
  $("next").disabled = state.page + 1 >= pages;
  $("bulk").hidden = state.selected.size === 0;
  $("selected-count").textContent = `${state.selected.size} selected`;
}

function highlight() {
  [...$("rows").children].forEach((tr, index) => tr.classList.toggle("current", index === state.current));
  const row = $("rows").children[state.current];
  if (row) row.scrollIntoView({block: "nearest"});
}

function toggle(key) {
  if (state.selected.has(key)) state.selected.delete(key); else state.selected.add(key);
  render();
}

async function label(keys, changes) {
  showError(null);
  try {
    await api("/api/labels", {method: "POST", body: JSON.stringify({keys, ...changes})});
    keys.forEach((key) => state.selected.delete(key));
    await load();
  } catch (error) { showError(error); }
}

function targets() {
  if (state.selected.size) return [...state.selected];
  const row = state.rows[state.current];
  return row ? [row.key] : [];
}

document.addEventListener("keydown", (event) => {
  if (event.target.closest("input, select, textarea") || event.ctrlKey || event.metaKey || event.altKey) return;
  const row = state.rows[state.current];
  const keys = targets();
  if (event.key === "j" || event.key === "ArrowDown") {
    state.current = Math.min(state.current + 1, state.rows.length - 1); highlight();
  } else if (event.key === "k" || event.key === "ArrowUp") {
    state.current = Math.max(state.current - 1, 0); highlight();
  } else if (event.key === "Enter" && row && row.predicted_intent && state.intents.includes(row.predicted_intent)) {
    if (event.target.closest("button")) return;
    label(keys, {intent: row.predicted_intent});
  } else if (/^[1-9]$/.test(event.key) && state.intents[Number(event.key) - 1]) {
    label(keys, {intent: state.intents[Number(event.key) - 1]});
  } else if (event.key === "a") {
    label(keys, {angry: true});
  } else if (event.key === "n") {
    label(keys, {angry: false});
  } else if (event.key === "s") {
    label(keys, {spam: true});
  } else if (event.key === "x" && row) {
    toggle(row.key);
  } else if (event.key === "v" && row && row.conversation) {
    openConversation(row.conversation);
  } else {
    return;
  }
  event.preventDefault();
});

// `reference` is an opaque name the desk gives the conversation: the shopper's session id never reaches this page.
async function openConversation(reference) {
  try {
    const body = await api(`/api/inbox/conversations/${encodeURIComponent(reference)}`);
    $("conversation").replaceChildren(...body.transcript.map((line) => {
      const div = el("div", null, `line ${line.from}`);
      div.append(el("span", line.from === "agent" ? (line.agent_name || "agent") : line.from, "who"), el("span", line.text));
      if (line.anger && line.anger !== "none") div.append(" ", el("span", line.anger, `badge ${line.anger}`));
      return div;
    }));
    $("conversation-panel").hidden = false;
    $("conversation-panel").scrollIntoView({block: "nearest"});
  } catch (error) { showError(error); }
}

function figures(section, title) {
  const box = el("div");
  box.append(el("h3", title));
  if (!section) { box.append(el("p", "No examples yet.")); return box; }
  box.append(el("p", `${section.examples} examples: accuracy ${(section.accuracy * 100).toFixed(1)}%, ` +
                     `macro F1 ${section.macro_f1.toFixed(3)}`));
  const table = el("table", null, "report-figures");
  const head = el("tr");
  for (const name of ["intent", "precision", "recall", "F1"]) head.append(el("th", name));
  table.append(head);
  for (const [intent, v] of Object.entries(section.per_intent)) {
    const tr = el("tr");
    tr.append(el("td", intent), el("td", v.precision.toFixed(3)), el("td", v.recall.toFixed(3)), el("td", v.f1.toFixed(3)));
    table.append(tr);
  }
  box.append(table, el("p", "Most confused (expected -> predicted):"));
  const list = el("ul");
  for (const pair of section.confused) list.append(el("li", `${pair.expected} -> ${pair.predicted}: ${pair.count}`));
  if (!section.confused.length) list.append(el("li", "none"));
  box.append(list);
  return box;
}

function trendChart(trend) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 400 120");
  svg.setAttribute("width", "400");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "Test-set accuracy across model versions");
  const points = trend.map((run, index) => {
    const x = trend.length === 1 ? 200 : 10 + (380 * index) / (trend.length - 1);
    return `${x},${110 - run.test_accuracy * 100}`;
  });
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", points.join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "#1f4e3d");
  line.setAttribute("stroke-width", "2");
  svg.append(line);
  return svg;
}

async function loadReports() {
  const body = await api("/api/reports");
  const box = $("report");
  if (!body.latest) { box.replaceChildren(el("p", "No evaluation yet: run make evaluate.")); return; }
  const latest = body.latest;
  const parts = [el("p", `Model ${latest.model}, evaluated ${latest.at}.`),
                 figures(latest.test_set, "Held-out test set"), figures(latest.labelled, "Labelled messages not trained on")];
  const image = document.createElement("img");
  image.src = `/api/reports/${encodeURIComponent(latest.folder)}/test_set_confusion.png`;
  image.alt = "Confusion matrix of the held-out test set";
  parts.push(image, el("h3", "Trend across model versions"), trendChart(body.trend));
  const table = el("table", null, "report-figures");
  const head = el("tr");
  for (const name of ["evaluated", "model", "test accuracy", "macro F1", "labelled accuracy (examples)"]) head.append(el("th", name));
  table.append(head);
  for (const run of body.trend.slice().reverse()) {
    const tr = el("tr");
    const labelled = run.labelled_accuracy === null ? "-" : `${(run.labelled_accuracy * 100).toFixed(1)}% (${run.labelled_examples})`;
    tr.append(el("td", run.at), el("td", run.model), el("td", `${(run.test_accuracy * 100).toFixed(1)}%`),
              el("td", run.test_macro_f1.toFixed(3)), el("td", labelled));
    table.append(tr);
  }
  parts.push(table);
  box.replaceChildren(...parts);
}

$("filters").addEventListener("submit", (event) => { event.preventDefault(); state.page = 0; load(); });
$("prev").addEventListener("click", () => { state.page = Math.max(state.page - 1, 0); load(); });
$("next").addEventListener("click", () => { state.page += 1; load(); });
$("close-conversation").addEventListener("click", () => { $("conversation-panel").hidden = true; });
$("bulk-label").addEventListener("click", () => { if ($("bulk-intent").value) label(targets(), {intent: $("bulk-intent").value}); });
$("bulk-angry").addEventListener("click", () => label(targets(), {angry: true}));
$("bulk-calm").addEventListener("click", () => label(targets(), {angry: false}));
$("bulk-spam").addEventListener("click", () => label(targets(), {spam: true}));
$("bulk-clear").addEventListener("click", () => { state.selected.clear(); render(); });
$("import-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = $("import-file").files[0];
  if (!file) return;
  const data = new FormData();
  data.append("file", file);
  $("import-result").textContent = "Importing...";
  try {
    const report = await api("/api/inbox/import", {method: "POST", body: data});
    const lines = [`${report.imported} imported, ${report.already_there} already there, ${report.errors.length + report.more_errors} bad rows.`];
    if (report.not_predicted) lines.push(`${report.not_predicted} wait for a prediction (the assistant is not answering).`);
    for (const error of report.errors.slice(0, 20)) lines.push(`line ${error.line}: ${error.error}`);
    $("import-result").replaceChildren(...lines.map((line) => el("div", line)));
    await load();
  } catch (error) { $("import-result").textContent = error.message; }
});
$("export").addEventListener("click", async () => {
  try {
    const report = await api("/api/export", {method: "POST"});
    const lines = [`${report.exported} examples written to ${report.path}; ${report.duplicates_dropped} duplicates dropped; ` +
                   `${report.in_test_set} left out because they are in the test set.`];
    for (const conflict of report.conflicts) lines.push(`not exported: "${conflict.text}" (${conflict.intents.join(" / ")}: ${conflict.why})`);
    lines.push("Run make train, then make evaluate, to see the effect.");
    $("export-result").replaceChildren(...lines.map((line) => el("div", line)));
  } catch (error) { $("export-result").textContent = error.message; }
});
$("logout").addEventListener("click", async () => {
  await api("/api/logout", {method: "POST"});
  window.location = "/login";
});

(async () => {
  state.me = await api("/api/me");
  $("me").textContent = `${state.me.name} (${state.me.role})`;
  if (state.me.role !== "trainer" && state.me.role !== "admin") {
    showError(new Error("The workbench is for trainers."));
    return;
  }
  $("console-link").hidden = state.me.role !== "admin";
  state.intents = (await api("/api/intents")).intents;
  for (const intent of state.intents) {
    $("intent").append(new Option(intent, intent));
    $("bulk-intent").append(new Option(intent, intent));
  }
  state.intents.slice(0, 9).forEach((intent) => $("intent-keys").append(el("li", intent)));
  await load();
  loadReports().catch(() => {});
})();
