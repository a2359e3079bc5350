// Live updates: the desk's event stream (/api/live) refreshes the list, the counts and the open ticket
// within a second; while the stream is down the header says "Reconnecting…" and a slow poll (30 s)
// stands in. Also: the title badge, the optional sound, desktop notifications (asked for on a click,
// only shown while the tab is in the background), availability and the supervisors' alerts.
import {$, api, busy, core, el, localFlag, serverNow, state, toast, toastError} from "./dom.js";
import {loadTicket, openTicket} from "./conversation.js";
import {loadFollowUps, loadList} from "./list.js";

const POLL_MS = 30000;
const FLUSH_MS = 150;
// Every open console hears the same event at the same moment: each waits a random part of this longer
// before fetching, so that fifty consoles do not reach the desk in the same few milliseconds (the
// change is still on screen within a second).
const SPREAD_MS = 400;
let source = null;
let retryMs = 1000;
let retryTimer = null;
let pollTimer = null;
let flushTimer = null;
let flushing = false;
let pending = {list: false, open: false, alerts: false, events: []};

function setLive(value) {
  state.live = value;
  const node = $("live-status");
  node.dataset.state = value;
  const words = {connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", offline: "Offline"};
  $("live-text").textContent = words[value];
  node.title = value === "live" ? "New conversations and messages arrive as they happen"
    : value === "reconnecting" ? "The live connection dropped: reconnecting; the list refreshes every 30 seconds meanwhile"
    : value === "offline" ? "No network connection" : "";
}

function startPoll() {
  if (pollTimer) return;
  pollTimer = setInterval(() => { pending.list = true; pending.open = true; pending.alerts = state.supervisor; flush(); }, POLL_MS);
}

function stopPoll() {
  clearInterval(pollTimer);
  pollTimer = null;
}

export function connect() {
  clearTimeout(retryTimer);
  if (source) source.close();
  if (!window.EventSource) { setLive("reconnecting"); startPoll(); return; }
  source = new EventSource("/api/live");
  let wasDown = state.live !== "connecting";
  source.addEventListener("open", () => {
    setLive("live");
    retryMs = 1000;
    stopPoll();
    if (wasDown) { pending.list = true; pending.open = true; pending.alerts = state.supervisor; schedule(); }
    wasDown = false;
  });
  for (const type of ["ticket", "message", "alert"]) {
    source.addEventListener(type, (event) => receive(type, event));
  }
  source.addEventListener("error", () => {
    if (!navigator.onLine) setLive("offline");
    else setLive("reconnecting");
    wasDown = true;
    startPoll();
    if (source.readyState === EventSource.CLOSED) {
      // The browser gave up (e.g. the desk answered with an error): try again, more slowly each time.
      source.close();
      retryTimer = setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, POLL_MS);
    }
  });
}

function myIds() {
  const ids = [];
  for (const ticket of state.known.values()) {
    if (ticket.status === "assigned" && ticket.assigned_agent_id === state.me.id) ids.push(ticket.id);
  }
  return ids;
}

function receive(type, event) {
  let data;
  try { data = JSON.parse(event.data); } catch (error) { return; }
  const meaning = core.liveEvent({type, data}, {openId: state.openId, myIds: myIds(), view: state.view,
                                               shownIds: state.list.map((ticket) => ticket.id)});
  pending.list = pending.list || meaning.refreshList;
  pending.open = pending.open || meaning.refreshOpen;
  pending.alerts = pending.alerts || (meaning.refreshAlerts && state.supervisor);
  pending.events.push({type, data});
  schedule();
}

function schedule() {
  if (flushTimer || flushing) return;
  flushTimer = setTimeout(flush, FLUSH_MS + Math.random() * SPREAD_MS);
}

/** One refresh for every event that arrived meanwhile; then the notifications they deserve. */
async function flush() {
  flushTimer = null;
  if (flushing) return;
  flushing = true;
  const work = pending;
  pending = {list: false, open: false, alerts: false, events: []};
  try {
    await Promise.all([
      work.list ? loadList() : null,
      work.open ? loadTicket() : null,
      work.alerts ? loadAlerts() : null,
    ]);
    announce(work.events);
  } finally {
    flushing = false;
    if (pending.list || pending.open || pending.alerts || pending.events.length) schedule();
  }
}

function announce(events) {
  const context = {openId: state.openId, myIds: myIds()};
  const notices = events.map((event) => core.liveEvent(event, context).notify).filter(Boolean);
  if (!notices.length) return;
  // The open ticket in a visible tab needs no sound: the agent is looking at it.
  const unseen = notices.filter((n) => document.hidden || n.ticketId !== state.openId);
  if (unseen.length && localFlag("sound")) beep();
  const permission = window.Notification ? Notification.permission : "denied";
  const first = unseen[0];
  if (first && core.shouldNotify(first, document.hidden, permission, localFlag("notifications"))) {
    const more = unseen.length > 1 ? ` (+${unseen.length - 1} more)` : "";
    const notice = new Notification(first.title + more, {body: first.body, tag: "desk-" + (first.ticketId || "alert")});
    notice.addEventListener("click", () => {
      window.focus();
      if (first.ticketId) openTicket(first.ticketId);
      notice.close();
    });
  }
}

// -- sound -------------------------------------------------------------------------------------------
let audio = null;

function beep() {
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.type = "sine";
    oscillator.frequency.setValueAtTime(880, audio.currentTime);
    oscillator.frequency.setValueAtTime(1175, audio.currentTime + 0.09);
    gain.gain.setValueAtTime(0.0001, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.18, audio.currentTime + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.3);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start();
    oscillator.stop(audio.currentTime + 0.32);
  } catch (error) { /* no audio here: the title badge and the list still say it */ }
}

function drawToggles() {
  const sound = localFlag("sound");
  $("sound").setAttribute("aria-pressed", String(sound));
  $("sound").title = sound ? "Sound on: a chime for new conversations and messages (click to mute)" : "Sound off (click for a chime on new conversations and messages)";
  const permission = window.Notification ? Notification.permission : "unsupported";
  const on = localFlag("notifications") && permission === "granted";
  $("notifications").setAttribute("aria-pressed", String(on));
  $("notifications").title = permission === "denied" ? "Desktop notifications are blocked in this browser's site settings"
    : on ? "Desktop notifications on while this tab is in the background (click to turn off)"
    : "Desktop notifications are off (click to turn them on)";
}

async function toggleNotifications() {
  if (!window.Notification) { toast("This browser can't show desktop notifications.", "error"); return; }
  if (localFlag("notifications") && Notification.permission === "granted") {
    localFlag("notifications", false);
    toast("Desktop notifications off.");
  } else {
    const permission = Notification.permission === "default" ? await Notification.requestPermission() : Notification.permission;
    if (permission === "granted") {
      localFlag("notifications", true);
      toast("Desktop notifications on: you are told about new conversations while this tab is in the background.");
    } else {
      localFlag("notifications", false);
      toast("Notifications are blocked for this site: allow them in the browser's site settings.", "error");
    }
  }
  drawToggles();
}

function toggleSound() {
  const on = !localFlag("sound");
  localFlag("sound", on);
  if (on) beep();
  toast(on ? "Sound on." : "Sound off.");
  drawToggles();
}

// -- availability ------------------------------------------------------------------------------------
function drawAvailability() {
  const available = (state.me.availability || "available") !== "away";
  $("availability").setAttribute("aria-pressed", String(available));
  $("availability-text").textContent = available ? "Available" : "Away";
  $("availability").title = available ? "Available: new conversations can be assigned to you (click to go away)"
                                      : "Away: automatic assignment skips you (click to be available)";
}

async function toggleAvailability() {
  const next = (state.me.availability || "available") === "away" ? "available" : "away";
  await busy($("availability"), async () => {
    try {
      await api("/api/me/availability", {method: "POST", body: {availability: next}});
    } catch (error) {
      toastError(error);
      return;
    }
    state.me.availability = next;
    drawAvailability();
    toast(next === "away" ? "You are away: no new conversations are assigned to you." : "You are available for new conversations.");
    loadList();
  });
}

// -- supervisors' alerts -----------------------------------------------------------------------------
export async function loadAlerts() {
  if (!state.supervisor) return;
  try {
    const body = await api("/api/alerts");
    state.alerts = body.alerts || [];
  } catch (error) {
    if (error.status === 404 || error.status === 403) { $("alerts").hidden = true; return; }
    return;
  }
  $("alerts").hidden = false;
  drawAlerts();
}

function drawAlerts() {
  const open = state.alerts.filter((a) => !a.acknowledged);
  $("alerts-count").textContent = String(open.length);
  $("alerts").classList.toggle("has-alerts", open.length > 0);
  $("alerts-toggle").setAttribute("aria-label", `Supervisor alerts, ${open.length} new`);
  $("alerts-summary").textContent = open.length ? `${open.length} to look at` : "all acknowledged";
  const list = $("alerts-list");
  if (!state.alerts.length) {
    list.replaceChildren(el("li", {className: "side-empty", text: "No alerts. SLA breaches and escalations appear here."}));
    return;
  }
  list.replaceChildren(...state.alerts.slice(0, 50).map((alert) => {
    const item = el("li", {className: alert.acknowledged ? "acknowledged" : "", dataset: {alert: String(alert.id)}});
    item.append(el("div", {className: "alert-text", text: alert.text}));
    const foot = el("div", {className: "alert-foot"}, el("span", {text: core.ago(alert.created_at, serverNow()) + " ago"}));
    if (alert.ticket_id) {
      const link = el("a", {attrs: {href: `#ticket-${alert.ticket_id}`}, text: `Open #${alert.ticket_id}`});
      link.addEventListener("click", (event) => { event.preventDefault(); closeAlerts(); openTicket(alert.ticket_id); });
      foot.append(link);
    }
    if (!alert.acknowledged) {
      const ack = el("button", {className: "btn btn-sm", text: "Acknowledge", attrs: {type: "button"}});
      ack.addEventListener("click", () => busy(ack, async () => {
        try {
          await api(`/api/alerts/${alert.id}/acknowledge`, {method: "POST", body: {}});
          alert.acknowledged = true;
          drawAlerts();
          toast("Alert acknowledged.");
        } catch (error) { toastError(error); }
      }));
      foot.append(ack);
    }
    item.append(foot);
    return item;
  }));
}

function toggleAlerts() {
  const panel = $("alerts-panel");
  panel.hidden = !panel.hidden;
  $("alerts-toggle").setAttribute("aria-expanded", String(!panel.hidden));
}

export function closeAlerts() {
  if ($("alerts-panel").hidden) return false;
  $("alerts-panel").hidden = true;
  $("alerts-toggle").setAttribute("aria-expanded", "false");
  return true;
}

export function wireLive() {
  drawToggles();
  drawAvailability();
  $("notifications").addEventListener("click", toggleNotifications);
  $("sound").addEventListener("click", toggleSound);
  $("availability").addEventListener("click", toggleAvailability);
  $("alerts-toggle").addEventListener("click", toggleAlerts);
  document.addEventListener("click", (event) => { if (!$("alerts").contains(event.target)) closeAlerts(); });
  window.addEventListener("offline", () => { setLive("offline"); $("offline-banner").hidden = false; startPoll(); });
  window.addEventListener("online", () => {
    $("offline-banner").hidden = true;
    setLive("reconnecting");
    connect();
    pending.list = true; pending.open = true; pending.alerts = state.supervisor;
    schedule();
  });
  if (!navigator.onLine) { $("offline-banner").hidden = false; setLive("offline"); }
  document.addEventListener("visibilitychange", () => {
    // Back in front: the open ticket's messages now count as seen, and the unread badge follows.
    if (!document.hidden && state.openId !== null) { pending.open = true; pending.list = true; schedule(); }
  });
  setInterval(() => { if (state.followUps !== null) loadFollowUps({countOnly: true}); }, 5 * 60 * 1000);
}
