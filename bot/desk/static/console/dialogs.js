// Dialogs: assign / transfer, resolve with a tag, the keys help, and the supervisors' canned replies.
import {$, api, busy, closeDialog, confirmDialog, core, el, openDialog, state, toast, toastError} from "./dom.js";
import {canAct, loadTicket, renderTicket} from "./conversation.js";
import {applyLocalChange, loadList} from "./list.js";
import {loadCanned} from "./reply.js";

// -- assign and transfer -----------------------------------------------------------------------------
export async function openAssign() {
  const t = state.ticket;
  if (!t || !canAct(t).assign) return;
  const transfer = t.status === "assigned";
  $("assign-title").textContent = transfer ? `Transfer #${t.id}` : `Assign #${t.id}`;
  $("assign-intro").textContent = transfer
    ? "Hand it to a teammate with a note; it moves to their Mine view and the shopper is told who joined."
    : "Give it to a teammate. It moves to their Mine view and the shopper is told who joined.";
  $("assign-submit").textContent = transfer ? "Transfer" : "Assign";
  $("assign-note").value = "";
  $("assign-error").textContent = "";
  const select = $("assign-agent");
  select.replaceChildren(new Option("Loading the team…", ""));
  select.disabled = true;
  $("assign-agent-hint").textContent = "";
  openDialog($("assign-dialog"));
  try {
    const body = await api("/api/agents");
    for (const agent of body.agents || []) state.agentNames[agent.id] = agent.name;
    const agents = (body.agents || []).filter((agent) => agent.id !== t.assigned_agent_id);
    agents.sort((a, b) => (a.availability === "away") - (b.availability === "away") || (a.open_count || 0) - (b.open_count || 0) ||
                          String(a.name).localeCompare(String(b.name)));
    select.replaceChildren(new Option("Choose a teammate", ""), ...agents.map((agent) => {
      const you = agent.id === state.me.id ? " (you)" : "";
      const open = typeof agent.open_count === "number" ? ` · ${agent.open_count} open` : "";
      const option = new Option(`${agent.name}${you} — ${agent.availability === "away" ? "away" : "available"}${open}`, String(agent.id));
      return option;
    }));
    const first = agents.find((agent) => agent.availability !== "away" && agent.id !== state.me.id) || agents[0];
    if (first) select.value = String(first.id);
    select.disabled = false;
    $("assign-agent-hint").textContent = agents.length ? "Available teammates first, fewest open conversations first." : "Nobody else is on the team.";
    select.focus();
  } catch (error) {
    select.replaceChildren(new Option("The team could not be loaded", ""));
    $("assign-error").textContent = error.message;
  }
}

async function submitAssign(event) {
  event.preventDefault();
  const t = state.ticket;
  const agentId = Number($("assign-agent").value);
  if (!t || !agentId) { $("assign-error").textContent = "Choose a teammate."; return; }
  const note = $("assign-note").value.trim();
  // Who this screen shows holding it: if that changed meanwhile, the desk refuses instead of taking it.
  const body = {agent_id: agentId, from_agent_id: t.status === "assigned" ? t.assigned_agent_id : null};
  if (note) body.note = note;
  await busy($("assign-submit"), async () => {
    let answer;
    try {
      answer = await api(`/api/tickets/${t.id}/assign`, {method: "POST", body});
    } catch (error) {
      $("assign-error").textContent = error.message;
      return;
    }
    closeDialog($("assign-dialog"));
    const name = (answer.agent && answer.agent.name) || $("assign-agent").selectedOptions[0].textContent.split(" — ")[0];
    const after = Object.assign({}, t, {status: "assigned", assigned_agent_id: agentId, assigned_agent: name});
    applyLocalChange(state.known.get(t.id) || t, after);
    state.ticket = Object.assign({}, state.ticket, after);
    renderTicket();
    toast(`${t.status === "assigned" ? "Transferred" : "Assigned"} #${t.id} to ${name}.`);
    await Promise.all([loadList(), loadTicket()]);
  });
}

/** The team's names, for the history lines in transcripts ("Sam transferred it to Ana"). */
export async function loadAgentNames() {
  try {
    const body = await api("/api/agents");
    for (const agent of body.agents || []) state.agentNames[agent.id] = agent.name;
  } catch (error) { /* "a teammate" stands in */ }
}

// -- resolve -----------------------------------------------------------------------------------------
export async function loadTags() {
  try {
    const body = await api("/api/resolution-tags");
    if (Array.isArray(body.tags) && body.tags.length) state.tags = body.tags;
  } catch (error) { /* the built-in list stands */ }
  $("resolve-tag").replaceChildren(...state.tags.map((tag) => new Option(tag.label, tag.value)));
}

export function openResolve() {
  const t = state.ticket;
  if (!t) return;
  if (!canAct(t).resolve) {
    toast(t.status === "assigned" ? "Only the agent holding it can resolve it." : "Claim the conversation first.", "error");
    return;
  }
  $("resolve-title").textContent = `Resolve #${t.id}?`;
  $("resolve-error").textContent = "";
  $("resolve-tag").value = state.tags.some((tag) => tag.value === "answered") ? "answered" : state.tags[0].value;
  openDialog($("resolve-dialog"));
  $("resolve-tag").focus();
}

async function submitResolve(event) {
  event.preventDefault();
  const t = state.ticket;
  const tag = $("resolve-tag").value;
  if (!t || !tag) return;
  await busy($("resolve-confirm"), async () => {
    let answer;
    try {
      answer = await api(`/api/tickets/${t.id}/resolve`, {method: "POST", body: {tag}});
    } catch (error) {
      $("resolve-error").textContent = error.message;
      return;
    }
    closeDialog($("resolve-dialog"));
    const after = Object.assign({}, t, {status: "resolved", resolution_tag: tag, resolved_at: new Date(Date.now() + state.offset).toISOString()},
                                answer && answer.ticket ? answer.ticket : {});
    applyLocalChange(state.known.get(t.id) || t, after);
    state.ticket = Object.assign({}, state.ticket, after);
    renderTicket();
    toast(`Resolved #${t.id} as ${core.tagLabel(tag, state.tags)}. It is in Resolved now; the shopper is back with the assistant.`);
    await Promise.all([loadList(), loadTicket()]);
  });
}

// -- keys help ---------------------------------------------------------------------------------------
export function fillKeysHelp() {
  const pair = (key, help) => [el("dt", null, ...String(key).split("+").flatMap((k, i) => (i ? ["+", el("kbd", {text: k})] : [el("kbd", {text: k})]))),
                               el("dd", {text: help})];
  $("keys-list").replaceChildren(...core.KEYS.flatMap((k) => pair(k.key === "Escape" ? "Esc" : k.key, k.help)));
  $("reply-keys-list").replaceChildren(...core.REPLY_KEYS.flatMap((k) => pair(k.key, k.help)));
}

export function openKeysHelp() { openDialog($("keys-help")); }

// -- canned replies (supervisors) --------------------------------------------------------------------
let editing = null;  // the reply being edited, {} for a new one, null when the form is closed

export async function openCannedManager() {
  await loadCanned();
  editing = null;
  $("canned-filter").value = "";
  drawCannedList();
  showForm(null);
  openDialog($("canned-dialog"));
  $("canned-filter").focus();
}

function drawCannedList() {
  const filter = $("canned-filter").value.trim().toLowerCase();
  const replies = state.canned.filter((r) => !filter ||
    [r.shortcode, r.title, r.topic, r.text].some((v) => String(v || "").toLowerCase().includes(filter)));
  const list = $("canned-list");
  if (!replies.length) {
    list.replaceChildren(el("li", {className: "side-empty", text: state.canned.length ? "No reply matches." : "No canned replies yet."}));
    return;
  }
  list.replaceChildren(...replies.map((reply) => el("li", {
    attrs: {tabindex: "0", role: "button", "aria-selected": String(Boolean(editing && editing.id === reply.id))},
    dataset: {reply: String(reply.id)},
    on: {click: () => showForm(reply), keydown: (e) => { if (e.key === "Enter") { e.preventDefault(); showForm(reply); } }},
  }, el("div", {className: "canned-row-top"}, el("span", {className: "code", text: "/" + reply.shortcode}),
        el("span", {className: "canned-row-title", text: reply.title || ""}),
        reply.topic ? el("span", {className: "badge", text: reply.topic}) : null),
     el("div", {className: "canned-row-text", text: reply.text}))));
}

function showForm(reply) {
  editing = reply;
  const form = $("canned-form");
  form.hidden = !reply;
  form.closest(".canned-manager").classList.toggle("no-form", !reply);
  drawCannedList();
  if (!reply) return;
  const isNew = reply.id === undefined;
  $("canned-form-title").textContent = isNew ? "New reply" : `Edit /${reply.shortcode}`;
  $("canned-shortcode").value = reply.shortcode || "";
  $("canned-topic").value = reply.topic || "";
  $("canned-title-input").value = reply.title || "";
  $("canned-text").value = reply.text || "";
  $("canned-error").textContent = "";
  $("canned-delete").hidden = isNew;
  const names = state.variables.length ? state.variables : ["first_name", "order_number", "carrier", "eta"];
  $("canned-variables").textContent = "Variables filled from the ticket: " + names.map((n) => `{${n}}`).join(" ");
  $(isNew ? "canned-shortcode" : "canned-text").focus();
}

async function saveCanned(event) {
  event.preventDefault();
  if (!editing) return;
  const fields = {shortcode: $("canned-shortcode").value.trim().toLowerCase(), title: $("canned-title-input").value.trim(),
                  topic: $("canned-topic").value.trim(), text: $("canned-text").value.trim()};
  if (!/^[a-z0-9_-]{2,30}$/.test(fields.shortcode)) {
    $("canned-error").textContent = "The shortcode needs 2 to 30 characters: a-z, 0-9, - and _.";
    $("canned-shortcode").focus();
    return;
  }
  if (!fields.text) { $("canned-error").textContent = "Write the reply's text."; $("canned-text").focus(); return; }
  const isNew = editing.id === undefined;
  await busy($("canned-save"), async () => {
    let answer;
    try {
      answer = await api(isNew ? "/api/canned-replies" : `/api/canned-replies/${editing.id}`,
                         {method: isNew ? "POST" : "PUT", body: fields});
    } catch (error) {
      $("canned-error").textContent = error.message;
      return;
    }
    await loadCanned();
    const saved = answer && answer.reply ? state.canned.find((r) => r.id === answer.reply.id) : null;
    toast(isNew ? `Added /${fields.shortcode}.` : `Saved /${fields.shortcode}.`);
    showForm(saved || null);
  });
}

async function deleteCanned() {
  if (!editing || editing.id === undefined) return;
  const reply = editing;
  const dialog = $("canned-dialog");
  const sure = await confirmDialog(`Delete /${reply.shortcode}?`, "Agents will no longer be able to insert it. This can't be undone.", "Delete");
  if (!dialog.open) openDialog(dialog);
  if (!sure) return;
  try {
    await api(`/api/canned-replies/${reply.id}`, {method: "DELETE", body: {}});
  } catch (error) {
    toastError(error);
    return;
  }
  await loadCanned();
  toast(`Deleted /${reply.shortcode}.`);
  showForm(null);
}

export function wireDialogs() {
  $("assign-form").addEventListener("submit", submitAssign);
  $("resolve-form").addEventListener("submit", submitResolve);
  $("resolve-cancel").addEventListener("click", () => closeDialog($("resolve-dialog")));
  $("canned-filter").addEventListener("input", drawCannedList);
  $("canned-add").addEventListener("click", () => showForm({}));
  $("canned-cancel").addEventListener("click", () => showForm(null));
  $("canned-form").addEventListener("submit", saveCanned);
  $("canned-delete").addEventListener("click", deleteCanned);
}
