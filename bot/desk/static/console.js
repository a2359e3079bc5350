// Everything that came from a shopper is inserted with textContent, never as HTML.
const $ = (id) => document.getElementById(id);
let selected = null;
let me = null;

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: {"Content-Type": "application/json", "X-Requested-With": "desk", ...(options.headers || {})},
  });
  if (response.status === 401) { window.location = "/login"; throw new Error("logged out"); }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || `request failed (${response.status})`);
  return body;
}

function minutes(seconds) {
  const m = Math.floor(seconds / 60);
  return m < 1 ? `${seconds}s` : `${m} min`;
}

function ticketItem(ticket) {
  const item = document.createElement("li");
  item.dataset.ticket = ticket.id;
  if (ticket.long_wait) item.classList.add("long-wait");
  if (ticket.id === selected) item.classList.add("selected");
  const asked = (ticket.summary.asked || []).slice(-1)[0] || "";
  item.textContent = `#${ticket.id} ${ticket.reason} - waiting ${minutes(ticket.waiting_seconds)} - "${asked}"`;
  item.tabIndex = 0;
  item.addEventListener("click", () => open(ticket.id));
  item.addEventListener("keydown", (event) => { if (event.key === "Enter") open(ticket.id); });
  return item;
}

async function refreshQueue() {
  const [waiting, mine] = await Promise.all([api("/api/tickets?status=waiting"), api("/api/tickets?status=mine")]);
  $("queue").replaceChildren(...waiting.tickets.map(ticketItem));
  $("mine").replaceChildren(...mine.tickets.map(ticketItem));
}

const photoUrl = (id) => `/api/attachments/${encodeURIComponent(id)}`;

// A photo the shopper sent: the image (from the staff URL) opening full size in a new tab.
function photo(id, label) {
  const link = document.createElement("a");
  link.href = photoUrl(id);
  link.target = "_blank";
  link.rel = "noopener";
  link.className = "photo";
  const img = document.createElement("img");
  img.src = photoUrl(id);
  img.alt = label;
  img.loading = "lazy";
  // Thumbnail size set through the CSSOM (the page's CSP forbids style attributes, not this).
  Object.assign(img.style, {maxWidth: "12rem", maxHeight: "9rem", margin: ".3rem .3rem 0 0",
                            borderRadius: "4px", border: "1px solid #e3e6ea", verticalAlign: "top"});
  link.append(img);
  return link;
}

function kilobytes(size) {
  return size < 1024 * 1024 ? `${Math.ceil(size / 1024)} KB` : `${(size / 1024 / 1024).toFixed(1)} MB`;
}

function line(entry) {
  const div = document.createElement("div");
  div.className = `line ${entry.from}`;
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = entry.from === "agent" ? (entry.agent_name || "agent") : entry.from;
  const text = document.createElement("span");
  text.textContent = entry.text;
  div.append(who, text);
  if (entry.from === "shopper" && entry.anger && entry.anger !== "none") {
    const badge = document.createElement("span");
    badge.className = `badge ${entry.anger}`;
    badge.textContent = entry.anger;
    badge.title = (entry.cues || []).join(", ");
    div.append(" ", badge);
  }
  if (entry.from === "shopper" && Array.isArray(entry.attachments)) {
    const photos = document.createElement("div");
    photos.className = "photos";
    photos.append(...entry.attachments.map((id) => photo(id, "Photo sent by the shopper")));
    div.append(photos);
  }
  return div;
}

function attachmentItem(attachment) {
  const li = document.createElement("li");
  const when = new Date(attachment.created_at).toLocaleString();
  li.append(photo(attachment.id, `Photo sent ${when}`), ` ${kilobytes(attachment.size)}, ${when}`);
  return li;
}

async function open(ticketId) {
  selected = ticketId;
  await render();
}

async function render() {
  if (selected === null) return;
  // A hidden tab's reload does not count as the agent having seen the shopper's messages.
  const ticket = await api(`/api/tickets/${selected}${document.hidden ? "?seen=0" : ""}`);
  $("empty").hidden = true;
  $("conversation").hidden = false;
  $("reason").textContent = `handed off: ${ticket.reason}`;
  $("anger").textContent = `peak anger ${ticket.peak_anger}`;
  $("status").textContent = ticket.assigned_agent ? `${ticket.status} (${ticket.assigned_agent})` : ticket.status;
  const slots = ticket.summary.slots || {};
  const facts = Object.entries(slots).map(([k, v]) => `${k}: ${v}`);
  if (ticket.order) {
    const o = ticket.order;
    facts.push(`verified order ${o.number}: ${o.status}; ${o.items.join(", ")}; ${o.carrier || ""} ` +
               `${o.tracking_number || ""}; estimate ${o.estimated_delivery || "-"}; ${o.latest_event || ""}`);
  }
  if (ticket.contact_email) facts.push(`contact: ${ticket.contact_email}`);
  $("facts").textContent = facts.join(" | ");
  const left = ticket.summary.offline_messages || [];
  $("offline").hidden = left.length === 0;
  $("offline-messages").replaceChildren(...left.map((m) => {
    const li = document.createElement("li");
    li.textContent = `${m.email} (${m.language}, ${new Date(m.at).toLocaleString()}): ${m.message}`;
    return li;
  }));
  const photos = ticket.attachments || [];
  $("attachments-title").textContent = `Attachments (${photos.length})`;
  $("attachments").replaceChildren(...photos.map(attachmentItem));
  const box = $("transcript");
  const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 5;
  box.replaceChildren(...(ticket.transcript || []).map(line));
  if (atBottom) box.scrollTop = box.scrollHeight;
  const mine = ticket.status === "assigned" && me && ticket.assigned_agent_id === me.id;
  $("claim").hidden = ticket.status !== "waiting";
  $("reply-box").hidden = !mine;
  $("notes").replaceChildren(...ticket.notes.map((n) => {
    const li = document.createElement("li");
    li.textContent = `${n.author}: ${n.text}`;
    return li;
  }));
  if (ticket.rasa_unavailable) $("error").textContent = "The assistant's server is not answering.";
}

async function act(action) {
  $("error").textContent = "";
  try { await action(); await render(); await refreshQueue(); } catch (error) { $("error").textContent = error.message; }
}

$("claim").addEventListener("click", () => act(() => api(`/api/tickets/${selected}/claim`, {method: "POST"})));
$("send").addEventListener("click", () => act(async () => {
  await api(`/api/tickets/${selected}/messages`, {method: "POST", body: JSON.stringify({text: $("reply").value})});
  $("reply").value = "";
}));
$("resolve").addEventListener("click", () => act(() => api(`/api/tickets/${selected}/resolve`, {method: "POST"})));
$("add-note").addEventListener("click", () => act(async () => {
  await api(`/api/tickets/${selected}/notes`, {method: "POST", body: JSON.stringify({text: $("note").value})});
  $("note").value = "";
}));
$("canned").addEventListener("change", () => { $("reply").value = $("canned").value; $("reply").focus(); });
$("kb-search").addEventListener("click", async () => {
  const body = await api(`/api/knowledge?q=${encodeURIComponent($("kb-query").value)}`);
  $("kb-results").replaceChildren(...body.answers.map((a) => {
    const li = document.createElement("li");
    const use = document.createElement("button");
    use.textContent = "Use";
    use.addEventListener("click", () => { $("reply").value = a.answer; $("reply").focus(); });
    li.append(a.answer, " ", use);
    return li;
  }));
});
$("logout").addEventListener("click", async () => {
  await api("/api/logout", {method: "POST"});
  window.location = "/login";
});

(async () => {
  me = await api("/api/me");
  $("me").textContent = `${me.name} (${me.role})`;
  const canned = await api("/api/canned-replies");
  for (const reply of canned.replies) {
    const option = document.createElement("option");
    option.value = reply.text;
    option.textContent = reply.topic;
    $("canned").append(option);
  }
  await refreshQueue();
  // New shopper messages and queue changes appear without reloading.
  setInterval(() => { refreshQueue().catch(() => {}); render().catch(() => {}); }, 2000);
})();
