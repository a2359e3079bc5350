// The inbox: views with counts, filters, the ticket list with its keyboard cursor, pagination, and the
// follow-up tasks view.
import {$, api, core, el, initials, serverNow, showIn, state, stateBlock, toast, toastError, button, busy} from "./dom.js";
import {openTicket} from "./conversation.js";

const FOLLOW_UPS = "follow-ups";
let listRequest = 0;
let followUpsFetchedAt = 0;

export function viewLabel(view) {
  const found = core.VIEWS.find((v) => v.id === view);
  return found ? found.label : view;
}

// -- views -------------------------------------------------------------------------------------------
export function renderViews() {
  for (const node of document.querySelectorAll("#views [data-view]")) {
    const view = node.dataset.view;
    node.setAttribute("aria-current", String(view === state.view));
    const count = node.querySelector(".count");
    let value = null;
    if (view === FOLLOW_UPS) value = state.followUps ? pendingFollowUps().length : null;
    else if (state.counts && typeof state.counts[view] === "number") value = state.counts[view];
    count.textContent = value === null ? "–" : value > 999 ? "999+" : String(value);
    count.classList.toggle("has-items", Boolean(value));
    const hint = core.VIEWS.find((v) => v.id === view);
    node.title = hint ? hint.hint : "";
    node.setAttribute("aria-label", `${viewLabel(view)}${value === null ? "" : ", " + value}`);
  }
  const total = state.view === FOLLOW_UPS ? (state.followUps ? pendingFollowUps().length : null) : state.total;
  $("list-title").textContent = viewLabel(state.view);
  $("list-total").textContent = total === null || !state.listLoaded && state.view !== FOLLOW_UPS ? "" : `${total} ${total === 1 ? "conversation" : "conversations"}`;
  if (state.view === FOLLOW_UPS && total !== null) $("list-total").textContent = `${total} due`;
}

export function setView(view) {
  // The agent's choice wins over the start-up pick (Mine or Waiting) of a first load still under way.
  state.booting = false;
  if (view === state.view && state.listLoaded) return loadList();
  state.view = view;
  state.page = 1;
  state.cursor = -1;
  state.cursorId = undefined;
  state.listLoaded = false;
  state.list = [];
  renderViews();
  renderList();
  return loadList();
}

// -- filters -----------------------------------------------------------------------------------------
export function readFilters() {
  const minutes = $("filter-waiting").value.trim();
  state.filters = {
    q: $("search").value.trim(), reason: $("filter-reason").value, anger: $("filter-anger").value,
    waiting_over: /^\d+$/.test(minutes) && Number(minutes) > 0 ? minutes : "", verified: $("filter-verified").checked,
    sla: $("filter-sla").value,
  };
  const active = core.activeFilters(Object.assign({}, state.filters, {q: ""}));
  $("filters-clear").hidden = active === 0;
  $("filter-waiting").setAttribute("aria-invalid", String(Boolean(minutes) && !state.filters.waiting_over));
}

export function clearFilters() {
  for (const id of ["filter-reason", "filter-anger", "filter-sla"]) $(id).value = "";
  $("filter-waiting").value = "";
  $("filter-verified").checked = false;
  applyFilters();
}

let filterTimer = null;

/** Filters and search apply as they change (typing waits a moment). The old list goes at once: no
 *  card that does not match the new filters stays on screen while the new list loads. */
export function applyFilters(delay) {
  clearTimeout(filterTimer);
  const apply = () => {
    readFilters();
    state.page = 1;
    state.cursor = -1;
    state.cursorId = undefined;
    if (state.view === FOLLOW_UPS) state.view = core.defaultView(state.counts);
    forgetList();
    loadList();
  };
  if (delay) filterTimer = setTimeout(apply, delay);
  else apply();
}

/** The list as "loading" (skeleton cards) until the next answer. */
function forgetList() {
  state.listLoaded = false;
  state.listError = null;
  state.list = [];
  renderViews();
  renderList();
}

export function fillReasonFilter() {
  const select = $("filter-reason");
  for (const [value, label] of Object.entries(core.REASONS)) select.append(new Option(label, value));
}

// -- loading -----------------------------------------------------------------------------------------
export async function loadList() {
  if (state.view === FOLLOW_UPS) return loadFollowUps();
  const request = ++listRequest;
  $("list-spinner").hidden = false;
  if (!state.listLoaded) renderList();
  try {
    const body = await api("/api/tickets?" + core.queryFor(state.view, state.filters, state.page, state.perPage));
    if (request !== listRequest) return;
    state.offset = core.clockOffset(body.now, Date.now());
    state.list = body.tickets || [];
    state.total = typeof body.total === "number" ? body.total : state.list.length;
    state.pages = body.pages || 1;
    if (body.counts) state.counts = body.counts;
    if (typeof body.unread === "number") state.unread = body.unread;
    for (const ticket of state.list) state.known.set(ticket.id, ticket);
    state.listError = null;
    if (state.booting) {
      state.booting = false;
      const start = core.defaultView(state.counts);
      if (start !== state.view) { state.view = start; return loadList(); }
    }
    state.listLoaded = true;
    if (state.page > state.pages) { state.page = state.pages; return loadList(); }
    state.cursor = core.cursorAfter(state.list, state.cursorId !== undefined ? state.cursorId : state.openId, state.cursor);
    state.cursorId = state.cursor >= 0 ? state.list[state.cursor].id : undefined;
  } catch (error) {
    if (request !== listRequest) return;
    state.listError = error;
    state.booting = false;
  } finally {
    if (request === listRequest) $("list-spinner").hidden = true;
  }
  renderViews();
  renderList();
  document.title = core.titleFor(state.unread);
  if (Date.now() - followUpsFetchedAt > 30000) loadFollowUps({countOnly: true});
}

// -- the list ----------------------------------------------------------------------------------------
function customerLabel(ticket) {
  return ticket.customer_name || ticket.customer_email || ticket.contact_email ||
    (ticket.verified_order ? "Order " + ticket.verified_order : "Website visitor");
}

export function slaChip(sla, className) {
  const chip = el("span", {className: "chip sla-clock" + (className ? " " + className : "")});
  updateSlaChip(chip, sla);
  return chip;
}

/** The countdown's text and colour now (called every second). */
export function updateSlaChip(chip, sla) {
  const view = core.slaView(sla, Date.now(), state.offset, sla ? state.warn[sla.clock] : undefined);
  chip.hidden = !view;
  if (!view) return;
  chip.dataset.state = view.state;
  chip.textContent = view.text;
  chip.title = view.state === "breached" ? `${view.label}: past due` : `${view.label} due ${core.timeOfDay(sla.due_at, Date.now())}`;
}

function ticketItem(ticket, index) {
  const who = core.ticketState(ticket, state.me.id);
  const level = core.angerLevel(ticket);
  const isOpen = ticket.id === state.openId;
  const item = el("li", {
    className: "ticket" + (ticket.unread ? " is-unread" : "") + (index === state.cursor ? " current" : "") +
               (isOpen ? " is-open" : "") + (ticket.flagged ? " is-flagged" : ""),
    attrs: {role: "option", "aria-selected": String(index === state.cursor), "aria-current": isOpen ? "true" : null,
            tabindex: index === state.cursor || (state.cursor < 0 && index === 0) ? "0" : "-1"},
    dataset: {ticket: String(ticket.id), status: ticket.status, index: String(index), flagged: String(Boolean(ticket.flagged))},
  });
  if (ticket.unread) item.append(el("span", {className: "dot unread-dot", attrs: {title: "New messages", "aria-label": "New messages"}}));
  const waiting = core.awaitingReply(ticket);
  item.append(el("div", {className: "ticket-top"},
    el("span", {className: "ticket-who", text: customerLabel(ticket), attrs: {title: customerLabel(ticket)}}),
    el("span", {className: "ticket-id", text: "#" + ticket.id}),
    el("span", {className: "ticket-age" + (waiting ? " is-waiting" : ""), text: core.waitingText(ticket, serverNow())})));
  const tags = el("div", {className: "ticket-tags"}, el("span", {className: "chip", text: core.reasonText(ticket)}));
  if (level !== "none") tags.append(el("span", {className: "badge anger anger-" + level, text: core.ANGER_WORDS[level]}));
  if (ticket.resolution_tag) tags.append(el("span", {className: "badge badge-success", text: core.tagLabel(ticket.resolution_tag, state.tags)}));
  if (ticket.csat && ticket.csat.score) tags.append(el("span", {className: "badge", text: `★ ${ticket.csat.score}/5`}));
  item.append(tags);
  const preview = ticket.preview || lastAsked(ticket);
  if (preview) item.append(el("p", {className: "ticket-preview", text: preview}));
  const assignee = el("span", {className: "assignee is-" + (who.key === "unassigned" ? "nobody" : who.key)});
  const holder = ticket.assigned_agent_id === state.me.id ? "you" : ticket.assigned_agent;
  // Initials drawn by CSS (data-initials), so that the card's text reads "Yours", not "AYours".
  if (ticket.assigned_agent) assignee.append(el("span", {className: "avatar avatar-sm", attrs: {"aria-hidden": "true"}, dataset: {initials: initials(ticket.assigned_agent)}}));
  const words = who.key === "resolved" || who.key === "abandoned" ? (holder ? `${who.text} by ${holder}` : who.text) : who.text;
  assignee.append(el("span", {className: "assignee-name", text: words}));
  const foot = el("div", {className: "ticket-foot"}, assignee);
  if (ticket.sla && core.isOpen(ticket)) foot.append(slaChip(ticket.sla));
  item.append(foot);
  item.addEventListener("click", () => { setCursor(index); openTicket(ticket.id); });
  return item;
}

function lastAsked(ticket) {
  const asked = (ticket.summary && ticket.summary.asked) || [];
  return asked.length ? asked[asked.length - 1] : "";
}

const EMPTY = {
  mine: ["Nothing on your plate", "Conversations you claim or are given appear here."],
  waiting: ["Nobody is waiting", "Every shopper has had an answer. New conversations arrive here live."],
  unassigned: ["The queue is empty", "Every conversation has someone on it."],
  open: ["No open conversations", "New handoffs appear here as they arrive."],
  resolved: ["Nothing resolved yet", "Resolved and abandoned conversations are kept here."],
};

export function renderList() {
  const list = $("ticket-list");
  const stateBox = $("list-state");
  renderPager();
  if (state.view === FOLLOW_UPS) return renderFollowUps();
  if (!state.listLoaded && !state.listError) {
    list.replaceChildren(...[0, 1, 2, 3, 4].map(() => el("li", {className: "ticket", attrs: {"aria-hidden": "true"}},
      el("span", {className: "skeleton"}), el("span", {className: "skeleton"}), el("span", {className: "skeleton"}))));
    stateBox.hidden = true;
    return;
  }
  if (state.listError && !state.list.length) {
    list.replaceChildren();
    showIn(stateBox, stateBlock("error", "The list could not be loaded", state.listError.message,
                                {label: "Try again", onClick: () => loadList()}));
    return;
  }
  if (!state.list.length) {
    list.replaceChildren();
    const filtered = core.activeFilters(state.filters) > 0;
    const [title, text] = filtered ? ["No conversations match", "Change the search or clear the filters."] : EMPTY[state.view] || ["Nothing here", ""];
    const action = filtered ? {label: "Clear filters", icon: "search", onClick: () => { $("search").value = ""; clearFilters(); }} : {icon: "resolved"};
    showIn(stateBox, stateBlock("empty", title, text, action));
    return;
  }
  stateBox.hidden = true;
  list.replaceChildren(...state.list.map(ticketItem));
}

function renderPager() {
  const followUps = state.view === FOLLOW_UPS;
  const known = state.listLoaded && !(state.listError && !state.list.length);
  $("page-info").textContent = followUps || !known ? "" : core.pageInfo(state.page, state.perPage, state.total);
  $("page-prev").disabled = followUps || state.page <= 1;
  $("page-next").disabled = followUps || state.page >= state.pages;
}

export function goToPage(delta) {
  const next = Math.max(1, Math.min(state.pages, state.page + delta));
  if (next === state.page) return;
  state.page = next;
  state.cursor = -1;
  state.cursorId = undefined;
  forgetList();
  loadList().then(() => { const list = $("ticket-list"); list.scrollTop = 0; });
}

// -- keyboard cursor ---------------------------------------------------------------------------------
function listItems() { return [...$("ticket-list").querySelectorAll("li[data-ticket]")]; }

/** The keyboard cursor on the index-th card (the listbox's selected option). */
export function setCursor(index) {
  const items = listItems();
  state.cursor = index;
  state.cursorId = index >= 0 && items[index] ? Number(items[index].dataset.ticket) : undefined;
  items.forEach((item, i) => {
    item.classList.toggle("current", i === index);
    item.setAttribute("aria-selected", String(i === index));
    item.tabIndex = i === index ? 0 : -1;
  });
  return items[index];
}

export function moveCursor(action) {
  const items = listItems();
  if (!items.length) return;
  const current = setCursor(core.moveCursor(state.cursor, items.length, action));
  current.focus({preventScroll: true});
  current.scrollIntoView({block: "nearest"});
}

/** The ticket under the keyboard cursor (list JSON; follow-up tasks: their ticket id), or null. */
export function cursorTicketId() {
  const item = listItems()[state.cursor];
  return item ? Number(item.dataset.ticket) : null;
}

export function openAtCursor() {
  const items = listItems();
  if (state.cursor < 0 && items.length) setCursor(0);
  const current = items[state.cursor];
  if (current) openTicket(Number(current.dataset.ticket));
}

/** Marks the open ticket in the list without drawing it again. */
export function markSelected() {
  for (const item of listItems()) {
    const open = Number(item.dataset.ticket) === state.openId;
    item.classList.toggle("is-open", open);
    if (open) item.setAttribute("aria-current", "true");
    else item.removeAttribute("aria-current");
  }
}

/** A change made here (claim, resolve...) shown at once in the list and the counts. */
export function applyLocalChange(before, after) {
  if (state.view !== FOLLOW_UPS && state.view) {
    state.list = core.mergeTicket(state.list, after, state.view, state.me.id);
    state.cursor = core.cursorAfter(state.list, state.cursorId, state.cursor);
  }
  state.counts = core.adjustCounts(state.counts, before, after, state.me.id);
  state.known.set(after.id, after);
  renderViews();
  renderList();
}

/** Every second: the countdowns and waiting times in the list. */
export function tickList() {
  for (const item of $("ticket-list").querySelectorAll("li[data-ticket]")) {
    const ticket = state.known.get(Number(item.dataset.ticket));
    if (!ticket) continue;
    const chip = item.querySelector(".sla-clock");
    if (chip) updateSlaChip(chip, ticket.sla);
    const age = item.querySelector(".ticket-age");
    if (age && state.view !== FOLLOW_UPS) age.textContent = core.waitingText(ticket, serverNow());
  }
}

// -- follow-ups ---------------------------------------------------------------------------------------
function pendingFollowUps() {
  return (state.followUps || []).filter((task) => !["done", "sent", "emailed", "cancelled"].includes(task.state));
}

export async function loadFollowUps(options) {
  const countOnly = options && options.countOnly;
  followUpsFetchedAt = Date.now();
  const request = countOnly ? listRequest : ++listRequest;
  try {
    const body = await api("/api/follow-ups");
    state.followUps = body.follow_ups || [];
    state.followUpsError = null;
  } catch (error) {
    if (error.status === 404) {
      document.querySelector('#views [data-view="follow-ups"]').closest("li").hidden = true;
      state.followUps = null;
      return;
    }
    state.followUpsError = error;
  }
  if (!countOnly && request !== listRequest) return;
  renderViews();
  if (state.view === FOLLOW_UPS) renderList();
}

function renderFollowUps() {
  const list = $("ticket-list");
  const stateBox = $("list-state");
  if (state.followUpsError && !state.followUps) {
    list.replaceChildren();
    showIn(stateBox, stateBlock("error", "Follow-ups could not be loaded", state.followUpsError.message,
                                {label: "Try again", onClick: () => loadFollowUps()}));
    return;
  }
  if (!state.followUps) { list.replaceChildren(); showIn(stateBox, stateBlock("loading", "Loading follow-ups…")); return; }
  const tasks = pendingFollowUps();
  if (!tasks.length) {
    list.replaceChildren();
    showIn(stateBox, stateBlock("empty", "No follow-ups due", "Satisfaction follow-ups appear here 72 hours after a resolve.", {icon: "follow-ups"}));
    return;
  }
  stateBox.hidden = true;
  list.replaceChildren(...tasks.map((task, index) => {
    const due = core.toMs(task.due_at);
    const overdue = due < serverNow();
    const item = el("li", {
      className: "ticket follow-up-item" + (index === state.cursor ? " current" : "") + (task.ticket_id === state.openId ? " is-open" : ""),
      attrs: {role: "option", "aria-selected": String(index === state.cursor), tabindex: index === Math.max(0, state.cursor) ? "0" : "-1"},
      dataset: {ticket: String(task.ticket_id), followUp: String(task.id), index: String(index)},
    });
    item.append(el("div", {className: "ticket-top"},
      el("span", {className: "ticket-who", text: task.customer_email || task.contact_email || task.title || "Satisfaction follow-up"}),
      el("span", {className: "ticket-id", text: "#" + task.ticket_id}),
      el("span", {className: "ticket-age" + (overdue ? " is-waiting" : ""),
                  text: (overdue ? "due " + core.ago(task.due_at, serverNow()) + " ago" : "due " + core.timeOfDay(task.due_at, serverNow()))})));
    if (task.text || task.reason_text) item.append(el("p", {className: "ticket-preview", text: task.text || task.reason_text}));
    const done = button("Done", {variant: "btn-sm", icon: "check", onClick: () => busy(done, async () => {
      try {
        await api(`/api/follow-ups/${task.id}/done`, {method: "POST", body: {}});
        toast(`Follow-up on #${task.ticket_id} marked done`);
        await loadFollowUps();
      } catch (error) { toastError(error); }
    })});
    item.append(el("div", {className: "ticket-foot"}, el("span", {className: "badge", text: core.humanize(task.state || "due")}), done));
    item.addEventListener("click", () => { setCursor(index); openTicket(task.ticket_id); });
    return item;
  }));
}
