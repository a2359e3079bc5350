// The open conversation: header with status, reason, anger and the SLA clock; claim / assign / unassign /
// resolve; the anger curve with its markers; the summary; the transcript with a time on every line.
import {$, api, busy, button, core, el, localFlag, serverNow, state, stateBlock, svg, toast, toastError} from "./dom.js";
import {applyLocalChange, loadList, markSelected, updateSlaChip} from "./list.js";
import {renderComposer, saveDraft} from "./reply.js";
import {customerName, loadCustomer, renderPanel} from "./panel.js";

let ticketRequest = 0;
let scrollToEnd = false;

function layout() { return $("layout"); }

export function canAct(ticket) {
  const t = ticket || state.ticket;
  if (!t || !state.me) return {};
  const mine = t.status === "assigned" && t.assigned_agent_id === state.me.id;
  const open = core.isOpen(t);
  return {
    mine, open,
    claim: t.status === "waiting",
    assign: t.status === "waiting" || (t.status === "assigned" && (mine || state.supervisor)),
    unassign: t.status === "assigned" && (mine || state.supervisor),
    resolve: mine,
    reply: mine,
  };
}

/** Opens a conversation: what the list knows at once, then the full ticket. */
export async function openTicket(id) {
  state.cursorMoved = false;  // the keys act on this conversation until j/k move the cursor again
  if (state.openId !== id) {
    saveDraft();
    state.customer = null;
    const known = state.known.get(id);
    state.ticket = known ? Object.assign({}, known, {partial: true}) : null;
    state.ticketError = null;
    scrollToEnd = true;
  }
  state.openId = id;
  layout().classList.remove("no-ticket");
  layout().classList.add("has-open");
  markSelected();
  $("empty").hidden = true;
  if (state.ticket) renderTicket();
  else {
    $("conversation").hidden = true;
    const box = $("conversation-state");
    box.replaceChildren(el("span", {className: "spinner"}), el("p", {className: "state-title", text: "Opening the conversation…"}));
    box.hidden = false;
  }
  loadCustomer(id);
  await loadTicket();
}

export function closeTicket() {
  saveDraft();
  state.openId = null;
  state.ticket = null;
  layout().classList.add("no-ticket");
  layout().classList.remove("has-open", "side-open");
  $("conversation").hidden = true;
  $("conversation-state").hidden = true;
  $("empty").hidden = false;
  markSelected();
}

export async function loadTicket() {
  const id = state.openId;
  if (id === null) return;
  const request = ++ticketRequest;
  try {
    // A hidden tab's reload does not count as the agent having seen the shopper's messages.
    const body = await api(`/api/tickets/${id}${document.hidden ? "?seen=0" : ""}`);
    if (request !== ticketRequest || id !== state.openId) return;
    state.ticket = body;
    state.ticketError = null;
    const listed = state.known.get(id);
    state.known.set(id, Object.assign({}, listed || {}, body, {unread: false}));
    renderTicket();
  } catch (error) {
    if (request !== ticketRequest || id !== state.openId) return;
    state.ticketError = error;
    if (state.ticket && !state.ticket.partial && error.status !== 404) {
      $("error").textContent = `Could not refresh this conversation: ${error.message}`;
      return;
    }
    $("conversation").hidden = true;
    const box = $("conversation-state");
    box.replaceChildren(error.status === 404
      ? stateBlock("empty", "This conversation no longer exists", "It may have been removed. Pick another one from the list.")
      : stateBlock("error", "The conversation could not be opened", error.message, {label: "Try again", onClick: () => loadTicket()}));
    box.hidden = false;
  }
}

// -- drawing -----------------------------------------------------------------------------------------
export function renderTicket() {
  const t = state.ticket;
  if (!t) return;
  $("conversation-state").hidden = true;
  $("conversation").hidden = false;
  const who = core.ticketState(t, state.me.id);
  $("customer-name").textContent = customerName();
  $("ticket-number").textContent = "#" + t.id;
  const status = $("status");
  status.className = "badge status-" + who.key;
  status.textContent = who.key === "other" ? "With " + who.text : who.text;
  $("reason").textContent = core.reasonText(t);
  $("reason").title = "Why the assistant handed this conversation over";
  const level = core.angerLevel(t);
  const anger = $("anger");
  anger.className = "badge anger anger-" + level;
  anger.textContent = level === "none" ? "Calm" : core.ANGER_WORDS[level] + " at peak";
  updateSlaChip($("sla-clock"), core.isOpen(t) ? t.sla : null);
  $("flagged").hidden = !t.flagged;
  const resolution = $("resolution");
  resolution.hidden = !t.resolution_tag;
  if (t.resolution_tag) {
    resolution.textContent = core.tagLabel(t.resolution_tag, state.tags) +
      (t.handle_seconds ? " · handled in " + core.duration(t.handle_seconds) : "");
  }
  const can = canAct(t);
  $("claim").hidden = !can.claim;
  $("assign").hidden = !can.assign;
  $("assign-label").textContent = t.status === "assigned" ? "Transfer" : "Assign";
  $("unassign").hidden = !can.unassign;
  $("resolve").hidden = !can.resolve;
  $("error").textContent = t.rasa_unavailable
    ? "The assistant's server is not answering: the transcript can't be read and replies can't be sent right now." : "";
  renderSummary(t);
  renderTranscript(t);
  renderCurve(t);
  renderComposer(t, can);
  renderPanel();
}

function renderSummary(t) {
  const box = $("summary");
  const facts = core.summaryFacts(t.summary, t.order);
  const parts = [];
  if (facts.length) {
    parts.push(el("dl", {className: "facts"}, ...facts.map((fact) =>
      el("div", null, el("dt", {text: fact.label}), el("dd", {text: fact.value})))));
  }
  const asked = ((t.summary && t.summary.asked) || []).slice(-3);
  if (asked.length) {
    parts.push(el("h3", {text: "Asked the assistant"}),
               el("ol", {className: "asked"}, ...asked.map((text) => el("li", {text}))));
  }
  if (typeof t.summary_text === "string" && t.summary_text) parts.unshift(el("p", {text: t.summary_text}));
  if (!parts.length) parts.push(el("p", {className: "subtle", text: "The assistant collected nothing before the handoff."}));
  box.replaceChildren(el("h3", {text: "Summary"}), ...parts);
  const left = (t.summary && t.summary.offline_messages) || [];
  $("offline").hidden = left.length === 0;
  $("offline-messages").replaceChildren(...left.map((m) => el("li", null,
    el("strong", {text: m.email || ""}), ` · ${core.timeOfDay(m.at, serverNow())}${m.language ? " · " + m.language : ""}\n`,
    el("span", {text: m.message || ""}))));
}

// -- the transcript ----------------------------------------------------------------------------------
function lineWho(line) {
  if (line.from === "shopper") return customerName(true);
  if (line.from === "bot") return "Assistant";
  if (line.from === "agent") return line.agent || line.agent_name || "Agent";
  return "";
}

function photo(id, label) {
  const url = `/api/attachments/${encodeURIComponent(id)}`;
  return el("a", {className: "photo", attrs: {href: url, target: "_blank", rel: "noopener", title: "Open the photo full size"}},
            el("img", {attrs: {src: url, alt: label, loading: "lazy"}}));
}

function timeNode(at) {
  const ms = core.toMs(at);
  if (isNaN(ms)) return el("time", {text: ""});
  return el("time", {text: core.timeOfDay(at, Date.now()), attrs: {datetime: new Date(ms).toISOString(), title: new Date(ms).toLocaleString()}});
}

function lineNode(line) {
  const from = ["shopper", "bot", "agent", "system", "desk", "email"].includes(line.from) ? line.from : "bot";
  if (from === "email") {
    // A reply that went by email: the agent's words, marked as sent by email and to whom.
    const node = el("div", {className: "line agent emailed", dataset: {from}});
    node.append(el("div", {className: "line-meta"}, el("span", {className: "who", text: line.actor || "Agent"}),
                   el("span", {className: "badge badge-info", text: `Email to ${line.to || "the shopper"}`}), timeNode(line.at)),
                el("div", {className: "bubble", text: line.text || ""}));
    return node;
  }
  const node = el("div", {className: `line ${from}`, dataset: {from}});
  if (from === "system" || from === "desk") {
    node.append(el("span", {className: "bubble", text: line.text || ""}), timeNode(line.at));
    return node;
  }
  const meta = el("div", {className: "line-meta"}, el("span", {className: "who", text: lineWho(line)}), timeNode(line.at));
  if (from === "shopper" && line.anger && line.anger !== "none" && core.ANGER_WORDS[line.anger]) {
    const badge = el("span", {className: "badge anger anger-" + line.anger, text: core.ANGER_WORDS[line.anger]});
    if (Array.isArray(line.cues) && line.cues.length) badge.title = "Cues: " + line.cues.join(", ");
    meta.append(badge);
  }
  node.append(meta, el("div", {className: "bubble", text: line.text || ""}));
  if (from === "shopper" && Array.isArray(line.attachments) && line.attachments.length) {
    node.append(el("div", {className: "photos"}, ...line.attachments.map((id) => photo(id, "Photo sent by the shopper"))));
  }
  return node;
}

function renderTranscript(t) {
  const box = $("transcript");
  const scroller = $("conv-scroll");
  if (!Array.isArray(t.transcript)) {
    box.replaceChildren(...[0, 1, 2].map(() => el("div", {className: "line shopper"}, el("span", {className: "skeleton"}))));
    return;
  }
  const atEnd = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 40;
  const nodes = [];
  let day = "";
  const lines = core.mergeByTime(t.transcript, core.historyLines(t.events, state.agentNames));
  for (const line of lines) {
    const ms = core.toMs(line.at);
    if (!isNaN(ms)) {
      const date = new Date(ms).toDateString();
      if (date !== day) {
        if (day || date !== new Date().toDateString()) nodes.push(el("div", {className: "day-divider", text: new Date(ms).toLocaleDateString(undefined, {weekday: "short", day: "numeric", month: "short"})}));
        day = date;
      }
    }
    nodes.push(lineNode(line));
  }
  if (!nodes.length) nodes.push(el("p", {className: "subtle", text: t.rasa_unavailable ? "The transcript can't be read right now." : "No messages in this conversation."}));
  box.replaceChildren(...nodes);
  if (scrollToEnd || atEnd) {
    scroller.scrollTop = scroller.scrollHeight;
    scrollToEnd = false;
  }
}

// -- the anger curve ---------------------------------------------------------------------------------
const CURVE_HEIGHT = 48;

export function renderCurve(t) {
  const node = $("anger-curve");
  const legend = $("curve-legend");
  if (!t || !Array.isArray(t.transcript) && !(t.timeline && t.timeline.anger)) { node.replaceChildren(); legend.replaceChildren(); return; }
  const width = Math.max(120, Math.round(node.getBoundingClientRect().width || 240));
  const fromApi = t.timeline && Array.isArray(t.timeline.anger) && t.timeline.anger.length;
  const timeline = fromApi ? t.timeline : core.timelineFromTranscript(t.transcript, t);
  const curve = core.angerCurve(timeline, {width, height: CURVE_HEIGHT, pad: 6});
  node.setAttribute("viewBox", `0 0 ${width} ${CURVE_HEIGHT}`);
  const parts = [];
  const angryY = 6 + (1 - 0.6) * (CURVE_HEIGHT - 12);
  parts.push(svg("line", {class: "grid", x1: 0, x2: width, y1: angryY, y2: angryY}));
  parts.push(svg("line", {class: "grid", x1: 0, x2: width, y1: CURVE_HEIGHT - 6, y2: CURVE_HEIGHT - 6}));
  for (const marker of curve.markers) {
    const line = svg("line", {class: "marker marker-" + marker.kind, x1: marker.x, x2: marker.x, y1: 0, y2: CURVE_HEIGHT});
    const title = svg("title");
    title.textContent = `${marker.label} · ${core.timeOfDay(marker.at, Date.now())}`;
    line.append(title);
    parts.push(line);
  }
  if (curve.area) parts.push(svg("path", {class: "area", d: curve.area}));
  if (curve.tail) parts.push(svg("path", {class: "tail", d: curve.tail}));
  if (curve.line) parts.push(svg("path", {class: "line", d: curve.line}));
  for (const point of curve.points) {
    const dot = svg("circle", {class: "point point-" + point.level, cx: point.x, cy: point.y, r: 3.5});
    const title = svg("title");
    title.textContent = `${core.ANGER_WORDS[point.level] || point.level} · ${core.timeOfDay(point.at, Date.now())}`;
    dot.append(title);
    parts.push(dot);
  }
  node.replaceChildren(...parts);
  const peak = curve.points.reduce((best, p) => (best && best.score >= p.score ? best : p), null);
  const words = curve.empty ? "No shopper messages to score yet"
    : `Anger per shopper message, peak ${core.ANGER_WORDS[peak.level] || peak.level} at ${core.timeOfDay(peak.at, Date.now())}`;
  const seen = new Set();
  const keys = curve.markers.filter((m) => !seen.has(m.kind) && seen.add(m.kind))
    .map((m) => el("span", {className: "key key-" + m.kind}, el("span", {className: "swatch"}), m.label));
  node.setAttribute("aria-label", words + (curve.markers.length ? "; " + curve.markers.map((m) => `${m.label} ${core.timeOfDay(m.at, Date.now())}`).join(", ") : ""));
  legend.replaceChildren(el("span", {className: curve.empty ? "curve-empty" : "", text: curve.empty ? words : "Anger per message"}), ...keys);
}

// -- actions -----------------------------------------------------------------------------------------
export function refreshAll() {
  return Promise.all([loadList(), loadTicket()]);
}

/**
 * Claims the open ticket, or (from the keyboard) the one under the list's cursor, which then opens.
 * A click puts the caret in the reply box; from the keyboard the keys keep working (r replies).
 */
export async function claim(ticketId, options) {
  const focusReply = Boolean(options && options.focusReply);
  const id = ticketId === undefined || ticketId === null ? state.openId : ticketId;
  const t = id === state.openId ? state.ticket : state.known.get(id);
  if (!t) return;
  if (!canAct(t).claim) {
    toast(t.status === "assigned" ? `#${t.id} is already ${t.assigned_agent_id === state.me.id ? "yours" : "with " + t.assigned_agent}.`
                                  : `#${t.id} can't be claimed: it is ${t.status}.`, "error");
    return;
  }
  await busy(id === state.openId ? $("claim") : null, async () => {
    try {
      await api(`/api/tickets/${t.id}/claim`, {method: "POST", body: {}});
    } catch (error) {
      toastError(error);
      refreshAll();
      return;
    }
    // Yours at once: the header, the list and the counts, before the server is asked again.
    const after = core.claimed(t, state.me);
    applyLocalChange(state.known.get(t.id) || t, after);
    toast(`#${t.id} is yours. The shopper was told you joined.`);
    if (id === state.openId) {
      state.ticket = Object.assign({}, state.ticket, after);
      renderTicket();
      refreshAll();
    } else {
      await openTicket(id);
      loadList();
    }
    if (focusReply) $("reply").focus();
  });
}

export async function unassign() {
  const t = state.ticket;
  if (!t || !canAct(t).unassign) return;
  await busy($("unassign"), async () => {
    try {
      await api(`/api/tickets/${t.id}/unassign`, {method: "POST", body: {}});
    } catch (error) {
      toastError(error);
      return;
    }
    const after = Object.assign({}, t, {status: "waiting", assigned_agent_id: null, assigned_agent: null});
    applyLocalChange(state.known.get(t.id) || t, after);
    state.ticket = Object.assign({}, state.ticket, after);
    renderTicket();
    toast(`#${t.id} is back in the queue, unassigned.`);
    refreshAll();
  });
}

export function lockedReason(t, can) {
  if (can.reply) return "";
  if (t.status === "waiting") return "claim";
  if (t.status === "assigned") return `${t.assigned_agent || "A teammate"} is handling this conversation.`;
  if (t.status === "resolved") return "Resolved: the shopper is back with the assistant.";
  if (t.status === "abandoned") return "The shopper left before anyone answered.";
  return "";
}

export function lockedBar(t, can) {
  const reason = lockedReason(t, can);
  const bar = $("composer-locked");
  bar.hidden = !reason;
  if (!reason) return;
  if (reason === "claim") {
    bar.replaceChildren(el("span", {text: "Claim this conversation to reply."}),
                        button("Claim and reply", {variant: "btn-primary btn-sm", icon: "claim", onClick: () => claim(null, {focusReply: true})}));
  } else {
    bar.replaceChildren(el("span", {text: reason}));
  }
}

/** Every second: the SLA clock in the header. */
export function tickConversation() {
  if (state.ticket && !$("conversation").hidden) updateSlaChip($("sla-clock"), core.isOpen(state.ticket) ? state.ticket.sla : null);
}

let resizeTimer = null;
export function watchCurveSize() {
  if (!window.ResizeObserver) return;
  new ResizeObserver(() => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => { if (state.ticket) renderCurve(state.ticket); }, 100);
  }).observe($("anger-curve"));
}

// -- the summary strip: folded away on request (remembered), folded by default on small screens --------
function foldOverview(folded) {
  $("overview").classList.toggle("is-folded", folded);
  $("overview-body").hidden = folded;
  $("overview-toggle").setAttribute("aria-expanded", String(!folded));
  $("overview-toggle-text").textContent = folded ? "Show the summary and anger curve" : "Hide the summary and anger curve";
  $("overview-toggle").title = folded ? "" : "Hide the summary and anger curve";
}

export function wireOverview() {
  let stored = null;
  try { stored = window.localStorage.getItem("console.summary-folded"); } catch (error) { /* storage refused */ }
  foldOverview(stored === null ? window.innerWidth < 600 || window.innerHeight < 600 : stored === "on");
  $("overview-toggle").addEventListener("click", () => {
    const folded = !$("overview").classList.contains("is-folded");
    foldOverview(folded);
    localFlag("summary-folded", folded);
    if (!folded && state.ticket) renderCurve(state.ticket);
  });
}
