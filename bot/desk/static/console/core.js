/*
 * The agent console's core: state rules and pure logic without any DOM, so that Node's test runner
 * checks them (tests/console/) and console.js only draws. Loaded in the browser as window.ConsoleCore;
 * require()-able in Node.
 *
 * - words: handoff reasons, anger levels, ticket states, durations and countdowns;
 * - SLA chips: the state (ok / due soon / breached) and the text of a ticket's next due clock, ticking
 *   on the browser's clock corrected by the server's;
 * - the inbox: views, filters -> query string, which view a ticket belongs to, ordering, merging an
 *   update (a claim shows as yours at once), the cursor after a refresh, the title with the unread count,
 *   which live events deserve a desktop notification;
 * - replies: `/shortcode` detection and matching, {variable} expansion (unknown ones stay visible),
 *   placeholder segments for highlighting;
 * - the keyboard map (and the keys help drawn from it);
 * - the anger curve's geometry (points and markers in an SVG box).
 */
(function (root, factory) {
  if (typeof module === "object" && module.exports) module.exports = factory();
  else root.ConsoleCore = factory();
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  // -- words ----------------------------------------------------------------------------------
  var VIEWS = [
    {id: "mine", label: "Mine", hint: "Conversations you hold"},
    {id: "waiting", label: "Waiting", hint: "Shoppers waiting for a person's reply"},
    {id: "unassigned", label: "Unassigned", hint: "Nobody holds them yet"},
    {id: "open", label: "All open", hint: "Every open conversation"},
    {id: "resolved", label: "Resolved", hint: "Resolved and abandoned, newest first"},
    {id: "follow-ups", label: "Follow-ups", hint: "Satisfaction follow-ups due"}
  ];
  var TICKET_VIEWS = ["waiting", "mine", "unassigned", "open", "resolved"];
  var REASONS = {
    requested: "Asked for a person", anger: "Anger detected", repeated: "Asked several times",
    verification: "Could not verify the order", late_order: "Late order", offline_message: "Out of hours message"
  };
  var ANGER_LEVELS = ["none", "annoyed", "angry", "furious"];
  var ANGER_WORDS = {none: "Calm", annoyed: "Annoyed", angry: "Angry", furious: "Furious"};
  var ANGER_SCORES = {none: 0.05, annoyed: 0.4, angry: 0.7, furious: 0.95};
  var RESOLUTION_TAGS = [
    {value: "answered", label: "Answered"}, {value: "refund_arranged", label: "Refund arranged"},
    {value: "exchange", label: "Exchange"}, {value: "escalated", label: "Escalated"}, {value: "spam", label: "Spam"}
  ];
  var MARKER_WORDS = {
    handoff: "Handed off", agent_joined: "Agent joined", transfer: "Transferred", resolved: "Resolved",
    sla_breach: "SLA breached"
  };
  var SLOT_LABELS = {order_number: "Order", verified_order: "Order", product: "Product"};
  var SLA_LABELS = {first_reply: "First reply", escalation: "Escalation", resolution: "Resolution",
                    follow_up: "Follow-up"};
  var DEFAULT_WARN_SECONDS = 120;

  function humanize(name) {
    var words = String(name || "").replace(/[_-]+/g, " ").trim();
    return words ? words.charAt(0).toUpperCase() + words.slice(1) : "";
  }

  function reasonText(ticket) {
    if (ticket.reason_text) return ticket.reason_text;
    return REASONS[ticket.reason] || humanize(ticket.reason) || "Handed off";
  }

  /** The ticket's peak anger level: the API's anger_level, else read back from its priority. */
  function angerLevel(ticket) {
    if (ANGER_LEVELS.indexOf(ticket.anger_level) >= 0) return ticket.anger_level;
    var index = (ticket.priority || 0) - (ticket.reason === "anger" ? 1 : 0);
    return ANGER_LEVELS[Math.max(0, Math.min(ANGER_LEVELS.length - 1, index))];
  }

  function angerRank(ticket) { return ANGER_LEVELS.indexOf(angerLevel(ticket)); }

  function isOpen(ticket) { return ticket.status === "waiting" || ticket.status === "assigned"; }

  /** {key, text}: who has the ticket, in words an agent reads at a glance ("Yours", not "assigned"). */
  function ticketState(ticket, meId) {
    if (ticket.status === "waiting") return {key: "unassigned", text: "Unassigned"};
    if (ticket.status === "assigned") {
      if (meId !== undefined && meId !== null && ticket.assigned_agent_id === meId) return {key: "mine", text: "Yours"};
      return {key: "other", text: ticket.assigned_agent || "Assigned"};
    }
    if (ticket.status === "resolved") return {key: "resolved", text: "Resolved"};
    if (ticket.status === "abandoned") return {key: "abandoned", text: "Abandoned"};
    return {key: "other", text: humanize(ticket.status)};
  }

  /** The shopper waits for a person: the API's awaiting_reply, else no agent answer since their last line. */
  function awaitingReply(ticket) {
    if (!isOpen(ticket)) return false;
    if (typeof ticket.awaiting_reply === "boolean") return ticket.awaiting_reply;
    if (!ticket.last_agent_at) return true;
    return toMs(ticket.last_shopper_at) > toMs(ticket.last_agent_at);
  }

  function tagLabel(value, tags) {
    var list = tags && tags.length ? tags : RESOLUTION_TAGS;
    for (var i = 0; i < list.length; i++) if (list[i].value === value) return list[i].label;
    return humanize(value);
  }

  // -- times ----------------------------------------------------------------------------------
  /** Milliseconds since the epoch from an ISO string or epoch seconds (or milliseconds); NaN if neither. */
  function toMs(at) {
    if (at === null || at === undefined || at === "") return NaN;
    if (typeof at === "number") return at < 1e11 ? at * 1000 : at;
    var text = String(at);
    if (/^\d{4}-\d\d-\d\dT[\d:.]+$/.test(text)) text += "Z"; // naive times from the API are UTC
    return Date.parse(text);
  }

  /** "45 s", "12 min", "2 h 05 min", "3 d 4 h" (always positive). */
  function duration(seconds) {
    var s = Math.max(0, Math.floor(Math.abs(seconds)));
    if (s < 60) return s + " s";
    var m = Math.floor(s / 60);
    if (m < 60) return m + " min";
    var h = Math.floor(m / 60);
    if (h < 24) return h + " h " + pad2(m % 60) + " min";
    var d = Math.floor(h / 24);
    return d + " d" + (h % 24 ? " " + (h % 24) + " h" : "");
  }

  /** A running clock: "4:05" under an hour, "1:04:05" under a day, else the duration in words. */
  function clock(seconds) {
    var s = Math.max(0, Math.floor(Math.abs(seconds)));
    if (s >= 86400) return duration(s);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), rest = s % 60;
    return h ? h + ":" + pad2(m) + ":" + pad2(rest) : m + ":" + pad2(rest);
  }

  /** An SLA countdown that cannot be read as a time of day: "45 s", "4 min 05 s" (under 10 min, it
   *  ticks), "42 min", "2 h 05 min". */
  function countdown(seconds) {
    var s = Math.max(0, Math.floor(Math.abs(seconds)));
    if (s >= 60 && s < 600) return Math.floor(s / 60) + " min " + pad2(s % 60) + " s";
    return duration(s);
  }

  function pad2(n) { return (n < 10 ? "0" : "") + n; }

  /** How long ago, short: "just now", "4 min", "2 h", "3 d". */
  function ago(at, nowMs) {
    var ms = toMs(at);
    if (isNaN(ms)) return "";
    var s = Math.max(0, Math.floor((nowMs - ms) / 1000));
    if (s < 45) return "just now";
    if (s < 3600) return Math.max(1, Math.round(s / 60)) + " min";
    if (s < 86400) return Math.floor(s / 3600) + " h";
    return Math.floor(s / 86400) + " d";
  }

  /** "14:05" for today, "23 Nov 14:05" otherwise (the browser's time zone). */
  function timeOfDay(at, nowMs) {
    var ms = toMs(at);
    if (isNaN(ms)) return "";
    var date = new Date(ms), today = new Date(nowMs === undefined ? Date.now() : nowMs);
    var hm = pad2(date.getHours()) + ":" + pad2(date.getMinutes());
    if (date.toDateString() === today.toDateString()) return hm;
    var months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    return date.getDate() + " " + months[date.getMonth()] + " " + hm;
  }

  /** The server's clock minus the browser's, from a response's "now" (0 when it has none). */
  function clockOffset(serverNow, browserNowMs) {
    var ms = toMs(serverNow);
    return isNaN(ms) ? 0 : ms - browserNowMs;
  }

  /** The line under a ticket: how long the shopper has waited for a person, or what happened last. */
  function waitingText(ticket, nowMs) {
    if (ticket.status === "resolved" || ticket.status === "abandoned") {
      var end = ticket.resolved_at || ticket.created_at;
      var word = ticket.status === "resolved" ? "resolved " : "abandoned ";
      var when = ago(end, nowMs);
      return word + (when === "just now" ? when : when + " ago");
    }
    if (awaitingReply(ticket)) {
      var since = ticket.last_agent_at ? (ticket.last_shopper_at || ticket.created_at)
                                       : (ticket.created_at || ticket.last_shopper_at);
      var waited = ago(since, nowMs);
      return waited === "just now" ? "waiting just now" : "waiting " + waited;
    }
    var replied = ago(ticket.last_agent_at, nowMs);
    return replied ? "replied " + (replied === "just now" ? replied : replied + " ago") : "";
  }

  // -- SLA clocks -----------------------------------------------------------------------------
  /**
   * {state, text, label, left} of the ticket's next due clock at nowMs (browser clock + offset), or null.
   * Due soon from the clock's warn_at when the API gives it, else within warnSeconds of due_at.
   */
  function slaView(sla, nowMs, offsetMs, warnSeconds) {
    if (!sla) return null;
    var due = toMs(sla.due_at);
    var left = isNaN(due) ? Number(sla.seconds_left) : Math.round((due - (nowMs + (offsetMs || 0))) / 1000);
    if (isNaN(left)) return null;
    var warnAt = toMs(sla.warn_at);
    var warn = typeof warnSeconds === "number" ? warnSeconds : null;
    var close;
    if (!isNaN(warnAt)) close = nowMs + (offsetMs || 0) >= warnAt;
    else close = left <= (warn === null ? DEFAULT_WARN_SECONDS : warn);
    var state;
    if (left < 0 || sla.state === "breached") state = "breached";
    else if (sla.state === "due_soon" || close) state = "due_soon";
    else state = "ok";
    var label = sla.label || SLA_LABELS[sla.clock] || humanize(sla.clock) || "Due";
    var text = state === "breached" ? label + " overdue " + (left < 0 ? countdown(-left) : "")
                                     : label + " in " + countdown(left);
    return {state: state, text: text.trim(), label: label, left: left};
  }

  /** warn_before (seconds) per clock name from GET /api/sla/policies (tolerant of its exact shape). */
  function warnTimes(policies) {
    var out = {};
    (policies || []).forEach(function (policy) {
      var name = policy.clock || policy.name || policy.id;
      var warn = policy.warn_before_seconds !== undefined ? policy.warn_before_seconds : policy.warn_before;
      if (typeof warn === "string") warn = parseDuration(warn);
      else if (typeof warn === "number" && policy.warn_before_seconds === undefined && warn < 60 * 24) warn = warn * 60;
      if (name && typeof warn === "number" && !isNaN(warn)) out[name] = warn;
    });
    return out;
  }

  /** "90s", "2m", "2 min", "1h", "1 h 30 min" -> seconds; NaN when unreadable. */
  function parseDuration(text) {
    var total = 0, found = false, re = /(\d+(?:\.\d+)?)\s*(d|h|m|min|s|sec)?/gi, match;
    while ((match = re.exec(String(text))) !== null) {
      if (!match[0].trim()) break;
      var n = parseFloat(match[1]), unit = (match[2] || "m").toLowerCase();
      total += n * (unit === "d" ? 86400 : unit === "h" ? 3600 : unit === "s" || unit === "sec" ? 1 : 60);
      found = true;
    }
    return found ? Math.round(total) : NaN;
  }

  // -- the inbox ------------------------------------------------------------------------------
  var FILTERS = ["q", "reason", "anger", "waiting_over", "verified", "sla"];

  /** The list's query string for a view, filters and page (empty filters left out). */
  function queryFor(view, filters, page, perPage) {
    var parts = ["view=" + encodeURIComponent(view)];
    filters = filters || {};
    FILTERS.forEach(function (name) {
      var value = filters[name];
      if (value === true) value = "1";
      if (value === false || value === null || value === undefined) return;
      value = String(value).trim();
      if (!value) return;
      parts.push(name + "=" + encodeURIComponent(value));
    });
    parts.push("page=" + (page || 1));
    parts.push("per_page=" + (perPage || 25));
    return parts.join("&");
  }

  function activeFilters(filters) {
    return FILTERS.filter(function (name) {
      var value = filters && filters[name];
      return value !== undefined && value !== null && value !== false && String(value).trim() !== "";
    }).length;
  }

  /** Whether the ticket belongs in the view, for updates made here before the server is asked again. */
  function matchesView(ticket, view, meId) {
    switch (view) {
      case "mine": return ticket.status === "assigned" && ticket.assigned_agent_id === meId;
      case "unassigned": return ticket.status === "waiting";
      case "waiting": return isOpen(ticket) && awaitingReply(ticket);
      case "open": return isOpen(ticket);
      case "resolved": return ticket.status === "resolved" || ticket.status === "abandoned";
      default: return false;
    }
  }

  /** Open views: anger first, then the SLA clock due soonest, then waiting longest. Resolved: newest first. */
  function compareTickets(view) {
    if (view === "resolved") {
      return function (a, b) {
        return (toMs(b.resolved_at || b.created_at) || 0) - (toMs(a.resolved_at || a.created_at) || 0) || b.id - a.id;
      };
    }
    return function (a, b) {
      var anger = angerRank(b) - angerRank(a);
      if (anger) return anger;
      var dueA = a.sla ? toMs(a.sla.due_at) : NaN, dueB = b.sla ? toMs(b.sla.due_at) : NaN;
      if (!isNaN(dueA) || !isNaN(dueB)) {
        if (isNaN(dueA)) return 1;
        if (isNaN(dueB)) return -1;
        if (dueA !== dueB) return dueA - dueB;
      }
      var waitA = toMs(a.last_shopper_at || a.created_at), waitB = toMs(b.last_shopper_at || b.created_at);
      return (waitA || 0) - (waitB || 0) || a.id - b.id;
    };
  }

  function sortTickets(list, view) { return list.slice().sort(compareTickets(view)); }

  /** The list after one ticket changed: replaced (fields merged), dropped when it left the view, sorted. */
  function mergeTicket(list, changed, view, meId) {
    var found = false;
    var next = [];
    list.forEach(function (ticket) {
      if (ticket.id !== changed.id) { next.push(ticket); return; }
      found = true;
      var merged = Object.assign({}, ticket, changed);
      if (matchesView(merged, view, meId)) next.push(merged);
    });
    if (!found && matchesView(changed, view, meId)) next.push(changed);
    return sortTickets(next, view);
  }

  /** The ticket as it is once I claimed it (shown at once, before the list is asked again). */
  function claimed(ticket, me) {
    return Object.assign({}, ticket, {status: "assigned", assigned_agent_id: me.id, assigned_agent: me.name,
                                      unread: false});
  }

  /** Counts after a ticket moved from one state to another (each view it left -1, each it joined +1). */
  function adjustCounts(counts, before, after, meId) {
    if (!counts) return counts;
    var next = Object.assign({}, counts);
    TICKET_VIEWS.forEach(function (view) {
      if (typeof next[view] !== "number") return;
      var was = before ? matchesView(before, view, meId) : false;
      var is = after ? matchesView(after, view, meId) : false;
      if (was && !is) next[view] = Math.max(0, next[view] - 1);
      if (!was && is) next[view] += 1;
    });
    return next;
  }

  /**
   * Where the keyboard cursor goes after the list was reloaded: on the same ticket if it is still there,
   * else on the same row; nowhere (-1) until the agent first moves it.
   */
  function cursorAfter(list, currentId, oldIndex) {
    for (var i = 0; i < list.length; i++) if (list[i].id === currentId) return i;
    if (!list.length || oldIndex === undefined || oldIndex === null || oldIndex < 0) return -1;
    return Math.min(oldIndex, list.length - 1);
  }

  /** The view to start in: Mine when the agent holds anything, else Waiting. */
  function defaultView(counts) { return counts && counts.mine > 0 ? "mine" : "waiting"; }

  function titleFor(unread, base) {
    var words = base || "Agent console";
    return unread > 0 ? "(" + (unread > 99 ? "99+" : unread) + ") " + words : words;
  }

  /** "1–25 of 27" for the pager. */
  function pageInfo(page, perPage, total) {
    if (!total) return "0 of 0";
    var first = (page - 1) * perPage + 1, last = Math.min(total, page * perPage);
    return first + "–" + last + " of " + total;
  }

  /**
   * What a live event means for this agent: {refreshList, refreshOpen, notify: null | {title, body, ticketId}}.
   * event = {type: "ticket" | "message" | "alert", data}; context = {openId, myIds (array), role}.
   */
  function liveEvent(event, context) {
    var data = event.data || {};
    var ticketId = event.type === "message" ? data.ticket_id : event.type === "ticket" ? data.id : data.ticket_id;
    var mine = (context.myIds || []).indexOf(ticketId) >= 0;
    // A shopper's new line changes the list only where it shows: a card on screen (its preview), one of
    // the agent's own (the unread dot and count) or the Waiting view (the ticket may join it). Every
    // console fetching on every line was most of the desk's load with fifty agents.
    var shown = context.shownIds === undefined || context.shownIds.indexOf(ticketId) >= 0;
    var listChanges = event.type === "ticket" || (event.type === "message" && (shown || mine || context.view === "waiting"));
    var result = {refreshList: listChanges, refreshOpen: ticketId !== undefined && ticketId === context.openId,
                  refreshAlerts: event.type === "alert", notify: null, ticketId: ticketId};
    if (event.type === "ticket" && data.kind === "created") {
      result.notify = {title: "New conversation waiting", body: "Ticket #" + ticketId + " needs a person.", ticketId: ticketId};
    } else if (event.type === "ticket" && (data.kind === "assigned" || data.kind === "transferred") && mine) {
      result.notify = {title: "A conversation was given to you", body: "Ticket #" + ticketId, ticketId: ticketId};
    } else if (event.type === "message" && mine) {
      result.notify = {title: "New message from a shopper", body: "On your ticket #" + ticketId, ticketId: ticketId};
    } else if (event.type === "alert") {
      result.notify = {title: "Supervisor alert", body: String(data.text || ""), ticketId: ticketId};
    }
    return result;
  }

  /** A desktop notification only when the tab is in the background, allowed and switched on. */
  function shouldNotify(notify, hidden, permission, enabled) {
    return Boolean(notify && hidden && permission === "granted" && enabled);
  }

  // -- replies --------------------------------------------------------------------------------
  var SHORTCODE_AT = /(^|\s)\/([a-z0-9_-]{0,30})$/i;
  var VARIABLE = /\{([a-z_][a-z0-9_]*)\}/gi;

  /** The `/shortcode` being typed just before the caret: {start, end, query}, or null. */
  function shortcodeAt(text, caret) {
    var before = text.slice(0, caret);
    var match = SHORTCODE_AT.exec(before);
    if (!match) return null;
    var after = text.charAt(caret);
    if (after && !/\s/.test(after)) return null;
    var start = caret - match[2].length - 1;
    return {start: start, end: caret, query: match[2].toLowerCase()};
  }

  /** Canned replies for a typed query: shortcode prefix first, then a shortcode or title containing it. */
  function matchShortcodes(replies, query, limit) {
    var q = String(query || "").toLowerCase();
    var ranked = [];
    (replies || []).forEach(function (reply) {
      var code = String(reply.shortcode || "").toLowerCase();
      var title = String(reply.title || reply.topic || "").toLowerCase();
      var rank = code.indexOf(q) === 0 ? 0 : code.indexOf(q) > 0 ? 1 : q && title.indexOf(q) >= 0 ? 2 : -1;
      if (rank >= 0 && code) ranked.push({rank: rank, reply: reply, code: code});
    });
    ranked.sort(function (a, b) { return a.rank - b.rank || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0); });
    return ranked.slice(0, limit || 8).map(function (item) { return item.reply; });
  }

  function findShortcode(replies, code) {
    var wanted = String(code || "").toLowerCase();
    for (var i = 0; i < (replies || []).length; i++) {
      if (String(replies[i].shortcode || "").toLowerCase() === wanted) return replies[i];
    }
    return null;
  }

  /** {text, missing}: {name} filled from variables (non-empty values only); the others stay as typed. */
  function expandVariables(text, variables) {
    var missing = [];
    var vars = variables || {};
    var out = String(text).replace(VARIABLE, function (whole, name) {
      var key = name.toLowerCase();
      var value = Object.prototype.hasOwnProperty.call(vars, key) ? vars[key] : undefined;
      if (value === null || value === undefined || String(value).trim() === "") {
        if (missing.indexOf(key) < 0) missing.push(key);
        return whole;
      }
      return String(value);
    });
    return {text: out, missing: missing};
  }

  /** Every {placeholder} left in the text: [{name, start, end}]. */
  function placeholders(text) {
    var found = [], re = new RegExp(VARIABLE.source, "gi"), match;
    while ((match = re.exec(String(text))) !== null) {
      found.push({name: match[1].toLowerCase(), start: match.index, end: match.index + match[0].length});
    }
    return found;
  }

  /** The text cut into [{text, mark}] pieces, mark = a placeholder still to fill (for the highlight layer). */
  function segments(text) {
    var out = [], last = 0;
    placeholders(text).forEach(function (p) {
      if (p.start > last) out.push({text: text.slice(last, p.start), mark: false});
      out.push({text: text.slice(p.start, p.end), mark: true});
      last = p.end;
    });
    if (last < text.length) out.push({text: text.slice(last), mark: false});
    return out;
  }

  /**
   * A canned reply put into the reply text between start and end (a typed `/code`, or the selection):
   * {text, caret, select: {start, end} | null (the first placeholder left to fill), missing}.
   */
  function insertReply(text, start, end, replyText, variables) {
    var expanded = expandVariables(replyText, variables);
    var before = text.slice(0, start), after = text.slice(end);
    var joiner = before && !/\s$/.test(before) ? " " : "";
    var inserted = joiner + expanded.text;
    var next = before + inserted + after;
    var from = before.length + joiner.length;
    var first = placeholders(expanded.text)[0];
    return {
      text: next, caret: before.length + inserted.length, missing: expanded.missing,
      select: first ? {start: from + first.start, end: from + first.end} : null
    };
  }

  // -- the keyboard ---------------------------------------------------------------------------
  var KEYS = [
    {key: "j", action: "next", help: "Next conversation in the list"},
    {key: "k", action: "prev", help: "Previous conversation in the list"},
    {key: "Enter", action: "open", help: "Open the highlighted conversation"},
    {key: "c", action: "claim", help: "Claim (the card you moved to, else the open conversation)"},
    {key: "r", action: "reply", help: "Write a reply"},
    {key: "a", action: "assign", help: "Assign or transfer it"},
    {key: "e", action: "resolve", help: "Resolve it (asks for the resolution tag)"},
    {key: "n", action: "note", help: "Write an internal note"},
    {key: "/", action: "search", help: "Search conversations"},
    {key: "?", action: "help", help: "Show these keys"},
    {key: "Escape", action: "close", help: "Close a dialog or leave a field"}
  ];
  var REPLY_KEYS = [
    {key: "Enter", help: "Send the reply"}, {key: "Shift+Enter", help: "New line"},
    {key: "/code", help: "Insert a canned reply by its shortcode (Tab or Enter picks)"}
  ];

  /**
   * The action of a key press, or null. key = {key, ctrlKey, metaKey, altKey, typing} where typing
   * says the focus is in a text field (only Escape acts there) and dialog says a dialog is open.
   */
  function keyAction(press) {
    if (press.ctrlKey || press.metaKey || press.altKey) return null;
    if (press.key === "Escape") return "close";
    if (press.typing || press.dialog) return null;
    if (press.key === "ArrowDown") return "next";
    if (press.key === "ArrowUp") return "prev";
    for (var i = 0; i < KEYS.length; i++) if (KEYS[i].key === press.key) return KEYS[i].action;
    return null;
  }

  /** The next cursor position in a list of `length` items after "next" / "prev". */
  function moveCursor(index, length, action) {
    if (!length) return -1;
    if (index < 0) return action === "prev" ? length - 1 : 0;
    return action === "prev" ? Math.max(0, index - 1) : Math.min(length - 1, index + 1);
  }

  // -- the anger curve ------------------------------------------------------------------------
  /**
   * The anger over the conversation in an SVG box: {points: [{x, y, score, level, at}], line, area,
   * tail (flat from the last message to the latest marker), markers: [{x, kind, label, at}], empty}. timeline = {anger: [{at, score, level}], markers: [{kind, at}]}.
   */
  function angerCurve(timeline, box) {
    var width = box && box.width || 240, height = box && box.height || 48, pad = box && box.pad !== undefined ? box.pad : 4;
    var anger = ((timeline && timeline.anger) || []).filter(function (p) { return !isNaN(toMs(p.at)); });
    var marks = ((timeline && timeline.markers) || []).filter(function (m) { return !isNaN(toMs(m.at)); });
    var times = anger.map(function (p) { return toMs(p.at); }).concat(marks.map(function (m) { return toMs(m.at); }));
    if (!anger.length) return {points: [], line: "", area: "", tail: "", markers: [], empty: true, width: width, height: height};
    var lo = Math.min.apply(null, times), hi = Math.max.apply(null, times);
    var span = hi - lo;
    var xOf = function (ms) {
      return span > 0 ? pad + (ms - lo) / span * (width - 2 * pad) : width / 2;
    };
    var yOf = function (score) {
      var s = Math.max(0, Math.min(1, Number(score) || 0));
      return pad + (1 - s) * (height - 2 * pad);
    };
    var sorted = anger.slice().sort(function (a, b) { return toMs(a.at) - toMs(b.at); });
    var points = sorted.map(function (p) {
      var score = typeof p.score === "number" ? p.score : ANGER_SCORES[p.level] || 0;
      return {x: round1(xOf(toMs(p.at))), y: round1(yOf(score)), score: score,
              level: p.level || levelOf(score), at: p.at};
    });
    var line = points.map(function (p, i) { return (i ? "L" : "M") + p.x + " " + p.y; }).join(" ");
    var base = round1(height - pad);
    var area = points.length > 1
      ? line + " L" + points[points.length - 1].x + " " + base + " L" + points[0].x + " " + base + " Z" : "";
    // After the last shopper message the anger is as it was left: a flat tail to the latest marker.
    var last = points[points.length - 1];
    var end = round1(span > 0 ? width - pad : last.x);
    var tail = end > last.x ? "M" + last.x + " " + last.y + " L" + end + " " + last.y : "";
    var markers = marks.map(function (m) {
      return {x: round1(xOf(toMs(m.at))), kind: m.kind, label: MARKER_WORDS[m.kind] || humanize(m.kind), at: m.at};
    }).sort(function (a, b) { return a.x - b.x; });
    return {points: points, line: line, area: area, tail: tail, markers: markers, empty: false, width: width, height: height};
  }

  function levelOf(score) {
    return score >= 0.85 ? "furious" : score >= 0.6 ? "angry" : score >= 0.3 ? "annoyed" : "none";
  }

  function round1(n) { return Math.round(n * 10) / 10; }

  /** A timeline read from the transcript, for a ticket whose API answer has none. */
  function timelineFromTranscript(transcript, ticket) {
    var anger = [], markers = [];
    if (ticket && ticket.created_at) markers.push({kind: "handoff", at: ticket.created_at});
    (transcript || []).forEach(function (line) {
      if (line.from === "shopper" && line.at !== undefined && line.at !== null) {
        var level = ANGER_LEVELS.indexOf(line.anger) >= 0 ? line.anger : "none";
        anger.push({at: line.at, score: ANGER_SCORES[level], level: level});
      } else if (line.from === "system" && line.event === "agent_joined") {
        markers.push({kind: "agent_joined", at: line.at});
      } else if (line.from === "system" && line.event === "handback") {
        markers.push({kind: "resolved", at: line.at});
      }
    });
    return {anger: anger, markers: markers};
  }

  // -- the ticket's history in the transcript -------------------------------------------------
  /**
   * What the desk did that the shopper's transcript does not show, as lines for it: replies sent by
   * email ({from: "email", text, to}), assignments, transfers (with their note), unassignments, SLA
   * breaches and the rating. names: agent id -> name. Other kinds (claimed, noted...) are left out: the
   * transcript or the notes already show them.
   */
  function historyLines(events, names) {
    var who = function (id) { return (names && names[id]) || "a teammate"; };
    var out = [];
    (events || []).forEach(function (event) {
      var d = event.detail || {}, actor = event.actor || "The desk", text = null, from = "desk";
      switch (event.kind) {
        case "emailed":
          from = "email";
          text = String(d.text || "");
          break;
        case "assigned":
          text = d.auto ? "Assigned automatically to " + who(d.to) : actor + " assigned it to " + who(d.to);
          if (d.note) text += ": \u201c" + d.note + "\u201d";
          break;
        case "transferred":
          text = actor + " transferred it to " + who(d.to) + (d.note ? ": \u201c" + d.note + "\u201d" : "");
          break;
        case "unassigned":
          text = actor + " put it back in the queue";
          break;
        case "sla_breach":
          text = (d.label || SLA_LABELS[d.clock] || "SLA") + " time breached: escalated to a supervisor";
          break;
        case "csat":
          text = d.skipped ? "The shopper skipped the rating" : "The shopper rated it " + d.score + "/5";
          break;
        default:
          return;
      }
      out.push({from: from, kind: event.kind, text: text, at: event.at, actor: event.actor, to: d.to});
    });
    return out;
  }

  /** Transcript lines and history lines in one list by time (each kept in its own order on a tie). */
  function mergeByTime(lines, extra) {
    var all = [];
    (lines || []).forEach(function (line, i) { all.push({item: line, ms: toMs(line.at), order: i}); });
    (extra || []).forEach(function (line, i) { all.push({item: line, ms: toMs(line.at), order: 100000 + i}); });
    var last = -Infinity;
    all.forEach(function (entry) {  // a line without a time stays after the one before it
      if (isNaN(entry.ms)) entry.ms = last; else last = entry.ms;
    });
    all.sort(function (a, b) { return a.ms - b.ms || a.order - b.order; });
    return all.map(function (entry) { return entry.item; });
  }

  // -- the summary ----------------------------------------------------------------------------
  /** The facts the bot collected, in words and once each: [{label, value}]. */
  function summaryFacts(summary, order) {
    var slots = (summary && summary.slots) || {};
    var facts = [];
    var verified = slots.order_verified && slots.verified_order;
    var number = verified ? slots.verified_order : slots.order_number;
    if (order && order.number) number = order.number;
    if (number) facts.push({label: "Order", value: number + (verified || (order && order.number) ? " (verified)" : "")});
    Object.keys(slots).forEach(function (name) {
      var value = slots[name];
      if (name === "order_number" || name === "verified_order" || name === "order_verified") return;
      if (value === null || value === undefined || value === "" || typeof value === "boolean") return;
      facts.push({label: SLOT_LABELS[name] || humanize(name), value: String(value)});
    });
    return facts;
  }

  return {
    VIEWS: VIEWS, TICKET_VIEWS: TICKET_VIEWS, REASONS: REASONS, ANGER_LEVELS: ANGER_LEVELS, ANGER_WORDS: ANGER_WORDS,
    RESOLUTION_TAGS: RESOLUTION_TAGS, MARKER_WORDS: MARKER_WORDS, KEYS: KEYS, REPLY_KEYS: REPLY_KEYS, FILTERS: FILTERS,
    humanize: humanize, reasonText: reasonText, angerLevel: angerLevel, ticketState: ticketState,
    awaitingReply: awaitingReply, tagLabel: tagLabel, isOpen: isOpen,
    toMs: toMs, duration: duration, clock: clock, countdown: countdown, ago: ago, timeOfDay: timeOfDay, clockOffset: clockOffset,
    waitingText: waitingText, slaView: slaView, warnTimes: warnTimes, parseDuration: parseDuration,
    queryFor: queryFor, activeFilters: activeFilters, matchesView: matchesView, compareTickets: compareTickets,
    sortTickets: sortTickets, mergeTicket: mergeTicket, claimed: claimed, adjustCounts: adjustCounts,
    cursorAfter: cursorAfter, defaultView: defaultView, titleFor: titleFor, pageInfo: pageInfo,
    liveEvent: liveEvent, shouldNotify: shouldNotify,
    shortcodeAt: shortcodeAt, matchShortcodes: matchShortcodes, findShortcode: findShortcode,
    expandVariables: expandVariables, placeholders: placeholders, segments: segments, insertReply: insertReply,
    keyAction: keyAction, moveCursor: moveCursor,
    angerCurve: angerCurve, timelineFromTranscript: timelineFromTranscript, levelOf: levelOf,
    summaryFacts: summaryFacts, historyLines: historyLines, mergeByTime: mergeByTime
  };
});
