// The right-hand panel: who the customer is, their orders and earlier conversations (each one click
// away), the satisfaction rating, internal notes, knowledge search and the photos they sent.
import {$, api, busy, button, core, el, icon, initials, serverNow, state, toast, toastError} from "./dom.js";
import {loadTicket, openTicket} from "./conversation.js";
import {insertText} from "./reply.js";

let customerRequest = 0;
let customerRoute = true;  // false once the desk answered 404 (the route is not there): the ticket's own facts

export async function loadCustomer(id) {
  const request = ++customerRequest;
  state.customer = null;
  if (!customerRoute) { renderPanel(); return; }
  try {
    const body = await api(`/api/tickets/${id}/customer`);
    if (request !== customerRequest || id !== state.openId) return;
    state.customer = body;
  } catch (error) {
    if (request !== customerRequest) return;
    if (error.status === 404 && !/ticket/i.test(error.message)) customerRoute = false;
    state.customer = {error};
  }
  renderPanel();
  // The header's name may come from here.
  if (state.ticket) $("customer-name").textContent = customerName();
}

/** The customer's name for the header and the transcript ("Shopper" when nothing is known). */
export function customerName(short) {
  const c = state.customer && !state.customer.error ? state.customer : null;
  const t = state.ticket || {};
  const vars = t.variables || {};
  const name = (c && c.name) || [vars.first_name, vars.last_name].filter(Boolean).join(" ");
  if (name) return short ? name.split(" ")[0] : name;
  if (short) return "Shopper";
  return (c && c.email) || t.customer_email || t.contact_email || "Website visitor";
}

const SOURCES = {order: "From a verified order", identity: "Signed in on the shop", contact: "Email not verified"};

/** The panel's customer came from an email the shopper only typed (the offline form): the desk says
 *  verified: false. Orders found for that email may be someone else's. */
// An email the shopper only typed: with no email known at all there is nothing to warn about.
function isUnverified(c) {
  return Boolean(c && c.email && (c.verified === false || (c.verified === undefined && c.source === "contact")));
}

/** A name or an email as text that wraps at sensible points (before the @, after a dot of the name part),
 *  never in the middle of a word; the whole of it in the tooltip when it is cut short. */
function showBreakable(node, text) {
  const value = String(text || "");
  const at = value.indexOf("@");
  if (at <= 0) node.replaceChildren(value);
  else {
    const parts = [];
    value.slice(0, at).split(/(?<=[._-])/).forEach((piece) => parts.push(piece, document.createElement("wbr")));
    node.replaceChildren(...parts, value.slice(at));
  }
  node.title = value;
}
const ORDER_STATUS = {
  delivered: "badge-success", in_transit: "badge-info", shipped: "badge-info", processing: "badge-warning",
  cancelled: "", returned: "", lost: "badge-danger", delayed: "badge-danger",
};

export function renderPanel() {
  const t = state.ticket;
  if (!t) return;
  const c = state.customer && !state.customer.error ? state.customer : null;
  const name = customerName();
  showBreakable($("customer-title"), name);
  $("customer-avatar").textContent = initials(name);
  const email = (c && c.email) || t.customer_email || t.contact_email || "";
  showBreakable($("customer-email"), email && email !== name ? email : (email ? "" : "No email known"));
  const source = $("customer-source");
  const sourceText = c && c.source ? SOURCES[c.source] : (t.order ? SOURCES.order : "");
  const unverified = isUnverified(c);
  source.hidden = !sourceText;
  source.replaceChildren(...(unverified ? [icon("alert"), sourceText] : [sourceText || ""]));
  source.title = unverified ? "The shopper typed this email; nothing proves it is theirs." : "";
  source.className = "badge " + (unverified ? "badge-warning" : c && c.source === "order" || !c && t.order ? "badge-success" : "badge-info");
  renderOrders(c, t);
  renderEarlier(c, t);
  renderCsat(t);
  renderNotes(t);
  renderAttachments(t);
}

const ORDERS_SHOWN = 3;
let allOrdersFor = null;  // the ticket whose every order is shown ("Show all")

function renderOrders(c, t) {
  const list = $("customer-orders");
  const more = $("orders-more");
  const loading = state.customer === null;
  let orders = c && Array.isArray(c.orders) ? c.orders.slice() : [];
  if (!orders.length && t.order) orders = [t.order];
  // The order the conversation is about first.
  const about = t.verified_order || (t.order && t.order.number);
  orders.sort((a, b) => (b.number === about) - (a.number === about));
  $("orders-count").textContent = orders.length > 1 ? String(orders.length) : "";
  const unverified = isUnverified(c) && orders.length > 0 && !t.verified_order;
  const warning = $("orders-unverified");
  warning.hidden = !unverified;
  if (unverified) {
    warning.replaceChildren(icon("alert"), el("div", null,
      el("strong", {text: "Not verified: don't discuss these orders yet."}),
      el("span", {text: "Found by an email the shopper typed; nothing proves it is theirs. " +
                        "Ask for an order number with its email or postcode, and check them, before sharing any order details."})));
  }
  list.classList.toggle("is-unverified", unverified);
  if (!orders.length) {
    more.hidden = true;
    list.replaceChildren(el("li", {className: "side-empty", text: loading ? "Loading…" : isUnverified(c)
      ? "Not shown: the email is not verified. Ask for an order number with its email or postcode, and check them, before discussing any order."
      : "No orders known for this shopper."}));
    return;
  }
  const showAll = allOrdersFor === t.id || orders.length <= ORDERS_SHOWN + 1;
  more.hidden = showAll && orders.length <= ORDERS_SHOWN + 1;
  more.textContent = showAll ? "Show fewer" : `Show all ${orders.length} orders`;
  more.onclick = () => { allOrdersFor = showAll ? null : t.id; renderOrders(c, t); };
  list.replaceChildren(...(showAll ? orders : orders.slice(0, ORDERS_SHOWN)).map((order) => {
    const status = String(order.status || "");
    const item = el("li", {className: order.number === about ? "is-current" : ""}, el("div", {className: "order-top"},
      el("span", {className: "mono", text: order.number}),
      order.number === about ? el("span", {className: "subtle", text: "this chat"}) : null,
      el("span", {className: "badge " + (ORDER_STATUS[status] || ""), text: core.humanize(status) || "Unknown"})));
    if (order.items && order.items.length) item.append(el("div", {className: "order-line", text: order.items.join(", ")}));
    if (order.carrier || order.tracking_number) {
      item.append(el("div", {className: "order-line"}, order.carrier ? el("strong", {text: order.carrier}) : "",
                     order.tracking_number ? ` ${order.tracking_number}` : ""));
    }
    if (order.estimated_delivery) item.append(el("div", {className: "order-line"}, "Estimate ", el("strong", {text: order.estimated_delivery})));
    if (order.latest_event) item.append(el("div", {className: "order-line", text: order.latest_event}));
    if (order.placed_at || order.total) {
      item.append(el("div", {className: "order-line subtle", text: [order.placed_at ? "Placed " + String(order.placed_at).slice(0, 10) : "", order.total || ""].filter(Boolean).join(" · ")}));
    }
    return item;
  }));
}

function renderEarlier(c, t) {
  const list = $("customer-tickets");
  const earlier = (c && Array.isArray(c.tickets) ? c.tickets : []).filter((other) => other.id !== t.id);
  if (!earlier.length) {
    list.replaceChildren(el("li", {className: "side-empty", text: state.customer === null ? "Loading…"
      : isUnverified(c) ? "Not shown for an email that is not verified." : "No earlier conversations."}));
    return;
  }
  list.replaceChildren(...earlier.map((other) => {
    const link = el("a", {attrs: {href: `#ticket-${other.id}`}, dataset: {ticket: String(other.id)}},
      el("span", {className: "mono subtle", text: "#" + other.id}),
      el("span", {className: "earlier-text", text: other.reason_text || core.reasonText(other)}),
      el("span", {className: "subtle", text: other.resolution_tag ? core.tagLabel(other.resolution_tag, state.tags)
                                                                 : core.humanize(other.status) + " · " + core.ago(other.created_at, serverNow())}));
    link.title = `Open #${other.id} from ${core.timeOfDay(other.created_at, serverNow())}`;
    link.addEventListener("click", (event) => { event.preventDefault(); openTicket(other.id); });
    return el("li", null, link);
  }));
}

function renderCsat(t) {
  const box = $("csat");
  const section = $("csat-section");
  const resolved = t.status === "resolved";
  section.hidden = !t.csat && !resolved;
  if (t.csat && t.csat.score) {
    const stars = el("span", {className: "stars", attrs: {role: "img", "aria-label": `${t.csat.score} out of 5`}});
    for (let i = 1; i <= 5; i++) stars.append(icon("star", i <= t.csat.score ? "" : "off"));
    const parts = [el("div", null, stars, ` ${t.csat.score}/5`, el("span", {className: "subtle", text: t.csat.at ? " · " + core.timeOfDay(t.csat.at, serverNow()) : ""}))];
    if (t.csat.comment) parts.push(el("blockquote", {text: t.csat.comment}));
    box.replaceChildren(...parts);
  } else {
    box.replaceChildren(el("span", {className: "side-empty", text: t.csat_skipped ? "The shopper skipped the rating." : "Not rated yet: the shopper is asked in the chat after a resolve."}));
  }
}

// -- notes -------------------------------------------------------------------------------------------
function renderNotes(t) {
  const notes = Array.isArray(t.notes) ? t.notes : [];
  $("notes").replaceChildren(...(notes.length ? notes.map((note) => el("li", null,
    el("div", {className: "note-meta"}, el("strong", {text: note.author || "Someone"}),
       el("time", {text: core.timeOfDay(note.at, serverNow()), attrs: {datetime: note.at || ""}})),
    el("div", {className: "note-text", text: note.text}))) : [el("li", {className: "side-empty", text: t.partial ? "Loading…" : "No notes yet."})]));
}

async function addNote() {
  const box = $("note");
  const text = box.value.trim();
  if (!text || !state.ticket) { box.focus(); return; }
  const id = state.ticket.id;
  await busy($("add-note"), async () => {
    try {
      await api(`/api/tickets/${id}/notes`, {method: "POST", body: {text}});
    } catch (error) {
      toastError(error);
      return;
    }
    box.value = "";
    toast("Note added. Only the team sees it.");
    await loadTicket();
  });
}

// -- knowledge ---------------------------------------------------------------------------------------
async function searchKnowledge(event) {
  if (event) event.preventDefault();
  const query = $("kb-query").value.trim();
  const results = $("kb-results");
  if (!query) { results.replaceChildren(); return; }
  results.replaceChildren(el("li", {className: "side-empty"}, el("span", {className: "spinner spinner-sm"}), " Searching…"));
  try {
    const body = await api(`/api/knowledge?q=${encodeURIComponent(query)}`);
    const answers = body.answers || [];
    if (!answers.length) {
      results.replaceChildren(el("li", {className: "side-empty", text: `Nothing found for "${query}".`}));
      return;
    }
    results.replaceChildren(...answers.map((answer) => {
      const item = el("li", null, el("div", {className: "kb-question", text: answer.question || answer.topic || "Answer"}),
                      el("div", {className: "kb-answer", text: answer.answer}));
      const actions = el("div", {className: "kb-actions"});
      actions.append(button("Insert in reply", {variant: "btn-sm", icon: "reply", onClick: () => {
        if (!insertText(answer.answer)) toast("Claim the conversation to reply with it.", "error");
      }}));
      actions.append(button("More", {variant: "btn-ghost btn-sm", onClick: (e) => {
        const open = item.classList.toggle("expanded");
        e.currentTarget.querySelector("span").textContent = open ? "Less" : "More";
      }}));
      item.append(actions);
      return item;
    }));
  } catch (error) {
    results.replaceChildren(el("li", {className: "side-empty error", text: error.message}));
  }
}

// -- photos ------------------------------------------------------------------------------------------
function kilobytes(size) {
  return size < 1024 * 1024 ? `${Math.ceil(size / 1024)} KB` : `${(size / 1024 / 1024).toFixed(1)} MB`;
}

function renderAttachments(t) {
  const photos = Array.isArray(t.attachments) ? t.attachments : [];
  $("attachments-section").hidden = !photos.length;
  $("attachments-title").textContent = `Photos (${photos.length})`;
  $("attachments").replaceChildren(...photos.map((photo) => {
    const url = photo.url || `/api/attachments/${encodeURIComponent(photo.id)}`;
    const when = core.timeOfDay(photo.created_at, serverNow());
    return el("li", null, el("a", {className: "photo", attrs: {href: url, target: "_blank", rel: "noopener"}},
      el("img", {attrs: {src: url, alt: `Photo sent ${when}`, loading: "lazy"}})), `${kilobytes(photo.size || 0)} · ${when}`);
  }));
}

export function wirePanel() {
  $("add-note").addEventListener("click", addNote);
  $("note").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); addNote(); }
  });
  $("kb-form").addEventListener("submit", searchKnowledge);
}
