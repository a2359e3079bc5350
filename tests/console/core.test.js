// Unit tests of the agent console's core (bot/desk/static/console/core.js), run by `make test` with
// Node's own test runner: node --test tests/console/
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const core = require("../../bot/desk/static/console/core.js");

const NOW = Date.parse("2026-11-23T15:00:00Z");
const iso = (msAgo) => new Date(NOW - msAgo).toISOString();
const MIN = 60 * 1000;

function ticket(id, extra) {
  return Object.assign({id, status: "waiting", reason: "requested", priority: 0, created_at: iso(10 * MIN),
                        last_shopper_at: iso(10 * MIN), last_agent_at: null, assigned_agent_id: null,
                        assigned_agent: null, sla: null}, extra || {});
}

// -- words and times ------------------------------------------------------------------------------
test("the handoff reason reads as words, the API's own words first", () => {
  assert.equal(core.reasonText({reason: "requested"}), "Asked for a person");
  assert.equal(core.reasonText({reason: "offline_message"}), "Out of hours message");
  assert.equal(core.reasonText({reason: "repeated", reason_text: "Asked 3 times"}), "Asked 3 times");
  assert.equal(core.reasonText({reason: "brand_new_reason"}), "Brand new reason");
  assert.equal(core.reasonText({reason: "anger"}), "Anger detected");
});

test("the anger level comes from the API, else from the priority without the anger reason's bonus", () => {
  assert.equal(core.angerLevel({anger_level: "angry", priority: 0}), "angry");
  assert.equal(core.angerLevel({reason: "anger", priority: 4}), "furious");
  assert.equal(core.angerLevel({reason: "anger", priority: 3}), "angry");
  assert.equal(core.angerLevel({reason: "requested", priority: 1}), "annoyed");
  assert.equal(core.angerLevel({reason: "requested", priority: 0}), "none");
  assert.equal(core.angerLevel({reason: "anger", priority: 9}), "furious");
});

test("a claimed ticket reads as yours, someone else's by their name, never 'assigned' or 'waiting'", () => {
  assert.deepEqual(core.ticketState(ticket(1), 7), {key: "unassigned", text: "Unassigned"});
  const mine = core.claimed(ticket(1), {id: 7, name: "Alex"});
  assert.deepEqual(core.ticketState(mine, 7), {key: "mine", text: "Yours"});
  assert.deepEqual(core.ticketState(mine, 8), {key: "other", text: "Alex"});
  assert.equal(core.ticketState(ticket(1, {status: "abandoned"}), 7).text, "Abandoned");
});

test("times: naive API times are UTC, epoch seconds and milliseconds both read", () => {
  assert.equal(core.toMs("2026-11-23T15:00:00"), NOW);
  assert.equal(core.toMs("2026-11-23T15:00:00Z"), NOW);
  assert.equal(core.toMs(NOW / 1000), NOW);
  assert.equal(core.toMs(NOW), NOW);
  assert.ok(Number.isNaN(core.toMs(null)));
  assert.ok(Number.isNaN(core.toMs("soon")));
});

test("durations and clocks", () => {
  assert.equal(core.duration(42), "42 s");
  assert.equal(core.duration(12 * 60 + 59), "12 min");
  assert.equal(core.duration(2 * 3600 + 5 * 60), "2 h 05 min");
  assert.equal(core.duration(3 * 86400 + 4 * 3600), "3 d 4 h");
  assert.equal(core.duration(86400), "1 d");
  assert.equal(core.clock(245), "4:05");
  assert.equal(core.clock(0), "0:00");
  assert.equal(core.clock(3600 + 4 * 60 + 5), "1:04:05");
  assert.equal(core.clock(-75), "1:15");
  assert.equal(core.ago(iso(20 * 1000), NOW), "just now");
  assert.equal(core.ago(iso(4 * MIN), NOW), "4 min");
  assert.equal(core.ago(iso(3 * 60 * MIN), NOW), "3 h");
  assert.equal(core.ago(iso(50 * 60 * MIN), NOW), "2 d");
  assert.equal(core.ago(null, NOW), "");
});

test("the server's clock offset corrects the browser's", () => {
  assert.equal(core.clockOffset("2026-11-23T15:00:10Z", NOW), 10000);
  assert.equal(core.clockOffset(undefined, NOW), 0);
});

test("the line under a ticket says how long the shopper has waited for a person", () => {
  assert.equal(core.waitingText(ticket(1, {created_at: iso(12 * MIN)}), NOW), "waiting 12 min");
  const answered = ticket(1, {status: "assigned", last_shopper_at: iso(9 * MIN), last_agent_at: iso(3 * MIN)});
  assert.equal(core.waitingText(answered, NOW), "replied 3 min ago");
  const again = ticket(1, {status: "assigned", last_shopper_at: iso(2 * MIN), last_agent_at: iso(3 * MIN)});
  assert.equal(core.waitingText(again, NOW), "waiting 2 min");
  assert.equal(core.waitingText(ticket(1, {status: "resolved", resolved_at: iso(5 * MIN)}), NOW), "resolved 5 min ago");
  assert.equal(core.waitingText(ticket(1, {awaiting_reply: false, status: "assigned", last_agent_at: iso(MIN)}), NOW),
               "replied 1 min ago");
});

// -- SLA ------------------------------------------------------------------------------------------
test("an SLA chip counts down, turns due soon inside the warning and breached past due", () => {
  const sla = (secondsLeft, state) => ({clock: "first_reply", label: "First reply", state: state || "ok",
                                        due_at: new Date(NOW + secondsLeft * 1000).toISOString(), seconds_left: secondsLeft});
  assert.deepEqual(core.slaView(sla(600), NOW, 0, 120), {state: "ok", text: "First reply in 10 min", label: "First reply", left: 600});
  assert.equal(core.slaView(sla(90), NOW, 0, 120).state, "due_soon");
  assert.equal(core.slaView(sla(90), NOW, 0, 60).state, "ok");
  const late = core.slaView(sla(-75), NOW, 0, 120);
  assert.equal(late.state, "breached");
  assert.equal(late.text, "First reply overdue 1 min 15 s");
  // Ticking: the same answer 20 minutes later (browser clock), and with the server 5 minutes ahead.
  assert.equal(core.slaView(sla(600), NOW + 20 * MIN, 0, 120).state, "breached");
  assert.equal(core.slaView(sla(600), NOW, 5 * MIN, 120).text, "First reply in 5 min 00 s");
  assert.equal(core.slaView(sla(42), NOW, 0, 10).text, "First reply in 42 s");
  assert.equal(core.slaView(sla(-17 * 60 - 48), NOW, 0, 10).text, "First reply overdue 17 min");
  // The server's word counts when it knows better (e.g. a breach recorded while the clocks disagree).
  assert.equal(core.slaView(sla(30, "breached"), NOW, 0, 10).state, "breached");
  assert.equal(core.slaView(null, NOW, 0), null);
  assert.equal(core.slaView({clock: "resolution", seconds_left: 7200}, NOW, 0).text, "Resolution in 2 h 00 min");
  assert.equal(core.slaView(sla(-2 * 3600), NOW, 0).text, "First reply overdue 2 h 00 min");
  // The clock's own warning time, when the API sends it, decides "due soon".
  const warned = Object.assign(sla(600), {warn_at: new Date(NOW + 300 * 1000).toISOString()});
  assert.equal(core.slaView(warned, NOW, 0, 900).state, "ok");
  assert.equal(core.slaView(warned, NOW + 301 * 1000, 0).state, "due_soon");
});

test("warning times are read from the SLA policies in whichever unit they come", () => {
  assert.deepEqual(core.warnTimes([{clock: "first_reply", warn_before: "2m"}, {name: "resolution", warn_before: 60},
                                   {clock: "escalation", warn_before_seconds: 600}, {clock: "x"}]),
                   {first_reply: 120, resolution: 3600, escalation: 600});
  assert.equal(core.parseDuration("1 h 30 min"), 5400);
  assert.equal(core.parseDuration("90s"), 90);
  assert.ok(Number.isNaN(core.parseDuration("soon")));
});

// -- the inbox ------------------------------------------------------------------------------------
test("filters become the list's query string, empty ones left out", () => {
  assert.equal(core.queryFor("mine", {}, 1, 25), "view=mine&page=1&per_page=25");
  assert.equal(core.queryFor("open", {q: " late parcel & refund ", reason: "anger", anger: "", waiting_over: 10,
                                      verified: true, sla: "breached"}, 2, 25),
               "view=open&q=late%20parcel%20%26%20refund&reason=anger&waiting_over=10&verified=1&sla=breached&page=2&per_page=25");
  assert.equal(core.queryFor("resolved", {verified: false, q: "   "}), "view=resolved&page=1&per_page=25");
  assert.equal(core.activeFilters({q: "x", verified: false, sla: ""}), 1);
});

test("which view a ticket belongs to", () => {
  const waiting = ticket(1);
  const mine = core.claimed(ticket(2), {id: 7, name: "Alex"});
  const answered = Object.assign({}, mine, {last_agent_at: iso(MIN)});
  const resolved = ticket(3, {status: "resolved"});
  const views = (t) => core.TICKET_VIEWS.filter((v) => core.matchesView(t, v, 7));
  assert.deepEqual(views(waiting), ["waiting", "unassigned", "open"]);
  assert.deepEqual(views(mine), ["waiting", "mine", "open"]);
  assert.deepEqual(views(answered), ["mine", "open"]);
  assert.deepEqual(views(resolved), ["resolved"]);
  assert.deepEqual(core.TICKET_VIEWS.filter((v) => core.matchesView(mine, v, 8)), ["waiting", "open"]);
});

test("open lists are sorted by anger, then the SLA due soonest, then the longest wait", () => {
  const soon = {due_at: new Date(NOW + MIN).toISOString()};
  const later = {due_at: new Date(NOW + 9 * MIN).toISOString()};
  const list = [
    ticket(1, {last_shopper_at: iso(30 * MIN)}),
    ticket(2, {anger_level: "furious"}),
    ticket(3, {sla: later}),
    ticket(4, {sla: soon}),
    ticket(5, {anger_level: "annoyed"}),
    ticket(6, {last_shopper_at: iso(60 * MIN)}),
  ];
  assert.deepEqual(core.sortTickets(list, "open").map((t) => t.id), [2, 5, 4, 3, 6, 1]);
  const resolved = [ticket(1, {resolved_at: iso(60 * MIN)}), ticket(2, {resolved_at: iso(MIN)})];
  assert.deepEqual(core.sortTickets(resolved, "resolved").map((t) => t.id), [2, 1]);
});

test("a claim is merged at once: it leaves Unassigned and joins Mine", () => {
  const me = {id: 7, name: "Alex"};
  const list = [ticket(1), ticket(2, {anger_level: "angry"})];
  const taken = core.claimed(list[0], me);
  assert.deepEqual(core.mergeTicket(list, taken, "unassigned", 7).map((t) => t.id), [2]);
  const inOpen = core.mergeTicket(list, taken, "open", 7);
  assert.equal(inOpen.find((t) => t.id === 1).assigned_agent, "Alex");
  assert.deepEqual(core.mergeTicket([], taken, "mine", 7).map((t) => t.id), [1]);
  assert.deepEqual(core.mergeTicket([], taken, "mine", 8), []);
  const counts = core.adjustCounts({waiting: 2, mine: 0, unassigned: 2, open: 2, resolved: 5}, list[0], taken, 7);
  assert.deepEqual(counts, {waiting: 2, mine: 1, unassigned: 1, open: 2, resolved: 5});
  const resolved = Object.assign({}, taken, {status: "resolved"});
  assert.deepEqual(core.adjustCounts(counts, taken, resolved, 7), {waiting: 1, mine: 0, unassigned: 1, open: 1, resolved: 6});
});

test("the cursor stays on its ticket after a refresh, or on the same row when it left", () => {
  const list = [ticket(4), ticket(9), ticket(2)];
  assert.equal(core.cursorAfter(list, 2, 0), 2);
  assert.equal(core.cursorAfter(list, 5, 1), 1);
  assert.equal(core.cursorAfter(list, 5, 8), 2);
  assert.equal(core.cursorAfter([], 5, 1), -1);
  assert.equal(core.cursorAfter(list, null, -1), -1);  // no cursor until the agent moves: j starts on the first
  assert.equal(core.cursorAfter(list, 9, -1), 1);
  assert.equal(core.moveCursor(-1, 3, "next"), 0);
  assert.equal(core.moveCursor(2, 3, "next"), 2);
  assert.equal(core.moveCursor(0, 3, "prev"), 0);
  assert.equal(core.moveCursor(-1, 3, "prev"), 2);
  assert.equal(core.moveCursor(0, 0, "next"), -1);
});

test("the agent starts in Mine when they hold any conversation", () => {
  assert.equal(core.defaultView({mine: 2, waiting: 5}), "mine");
  assert.equal(core.defaultView({mine: 0, waiting: 5}), "waiting");
  assert.equal(core.defaultView(undefined), "waiting");
});

test("the title carries the unread count", () => {
  assert.equal(core.titleFor(0), "Agent console");
  assert.equal(core.titleFor(3), "(3) Agent console");
  assert.equal(core.titleFor(250), "(99+) Agent console");
  assert.equal(core.pageInfo(2, 25, 27), "26–27 of 27");
  assert.equal(core.pageInfo(1, 25, 0), "0 of 0");
});

test("live events: what to reload and what deserves a notification", () => {
  const context = {openId: 4, myIds: [4, 5]};
  const created = core.liveEvent({type: "ticket", data: {id: 9, kind: "created"}}, context);
  assert.equal(created.refreshList, true);
  assert.equal(created.refreshOpen, false);
  assert.match(created.notify.title, /New conversation/);
  const onMine = core.liveEvent({type: "message", data: {ticket_id: 5, from: "shopper"}}, context);
  assert.match(onMine.notify.body, /#5/);
  assert.equal(core.liveEvent({type: "message", data: {ticket_id: 6}}, context).notify, null);
  const openOne = core.liveEvent({type: "ticket", data: {id: 4, kind: "replied"}}, context);
  assert.equal(openOne.refreshOpen, true);
  assert.equal(openOne.notify, null);
  // A shopper's line on a ticket neither shown nor mine leaves the list alone, except in Waiting.
  const onScreen = {openId: null, myIds: [5], shownIds: [7, 8], view: "open"};
  assert.equal(core.liveEvent({type: "message", data: {ticket_id: 8}}, onScreen).refreshList, true);
  assert.equal(core.liveEvent({type: "message", data: {ticket_id: 5}}, onScreen).refreshList, true);
  assert.equal(core.liveEvent({type: "message", data: {ticket_id: 9}}, onScreen).refreshList, false);
  assert.equal(core.liveEvent({type: "message", data: {ticket_id: 9}}, {...onScreen, view: "waiting"}).refreshList, true);
  assert.equal(core.liveEvent({type: "ticket", data: {id: 9, kind: "claimed"}}, onScreen).refreshList, true);
  const alert = core.liveEvent({type: "alert", data: {id: 1, ticket_id: 3, text: "SLA breached"}}, context);
  assert.equal(alert.refreshAlerts, true);
  assert.equal(alert.refreshList, false);
  assert.equal(core.shouldNotify(created.notify, true, "granted", true), true);
  assert.equal(core.shouldNotify(created.notify, false, "granted", true), false);  // the tab is in front
  assert.equal(core.shouldNotify(created.notify, true, "default", true), false);
  assert.equal(core.shouldNotify(created.notify, true, "granted", false), false);
  assert.equal(core.shouldNotify(null, true, "granted", true), false);
});

// -- replies --------------------------------------------------------------------------------------
const REPLIES = [
  {id: 1, shortcode: "delay", title: "Late parcel: sorry", text: "Hi {first_name}, {order_number} is late with {carrier}."},
  {id: 2, shortcode: "delay-credit", title: "Late parcel: credit", text: "..."},
  {id: 3, shortcode: "refund", title: "Refund timing", text: "..."},
  {id: 4, shortcode: "angry-1", title: "Acknowledge the delay", text: "..."},
];

test("a /shortcode is found only where a word starts, with the caret at its end", () => {
  assert.deepEqual(core.shortcodeAt("/de", 3), {start: 0, end: 3, query: "de"});
  assert.deepEqual(core.shortcodeAt("Hi there /Del", 13), {start: 9, end: 13, query: "del"});
  assert.deepEqual(core.shortcodeAt("/", 1), {start: 0, end: 1, query: ""});
  assert.equal(core.shortcodeAt("and/or", 6), null);
  assert.equal(core.shortcodeAt("https://x.example/de", 20), null);
  assert.equal(core.shortcodeAt("/de later", 2), null);  // the caret inside the word
  assert.deepEqual(core.shortcodeAt("/de later", 3), {start: 0, end: 3, query: "de"});
  assert.equal(core.shortcodeAt("/de ", 4), null);
});

test("shortcodes match by prefix first, then anywhere in the code or the title", () => {
  // "Acknowledge the delay" matches by its title, after the codes that start with the words typed.
  assert.deepEqual(core.matchShortcodes(REPLIES, "de").map((r) => r.shortcode), ["delay", "delay-credit", "angry-1"]);
  assert.deepEqual(core.matchShortcodes(REPLIES, "lay").map((r) => r.shortcode), ["delay", "delay-credit", "angry-1"]);
  assert.deepEqual(core.matchShortcodes(REPLIES, "timing").map((r) => r.shortcode), ["refund"]);
  assert.deepEqual(core.matchShortcodes(REPLIES, "").map((r) => r.shortcode),
                   ["angry-1", "delay", "delay-credit", "refund"]);
  assert.equal(core.matchShortcodes(REPLIES, "", 2).length, 2);
  assert.equal(core.findShortcode(REPLIES, "DELAY").id, 1);
  assert.equal(core.findShortcode(REPLIES, "nope"), null);
});

test("variables are filled from the ticket; unknown or empty ones stay visible", () => {
  const out = core.expandVariables("Hi {first_name}, {ORDER_NUMBER} arrives {eta} by {carrier} ({eta}).",
                                   {first_name: "Mia", order_number: "TS100004", carrier: "", eta: null});
  assert.equal(out.text, "Hi Mia, TS100004 arrives {eta} by {carrier} ({eta}).");
  assert.deepEqual(out.missing, ["eta", "carrier"]);
  assert.deepEqual(core.expandVariables("{toString} {constructor}", {}).missing, ["tostring", "constructor"]);
  assert.deepEqual(core.placeholders("a {eta} b {x_1}"), [{name: "eta", start: 2, end: 7}, {name: "x_1", start: 10, end: 15}]);
  assert.deepEqual(core.segments("a {eta}!"), [{text: "a ", mark: false}, {text: "{eta}", mark: true}, {text: "!", mark: false}]);
  assert.deepEqual(core.segments("plain"), [{text: "plain", mark: false}]);
  assert.deepEqual(core.segments(""), []);
});

test("a canned reply replaces the typed /code and selects the first placeholder left to fill", () => {
  const vars = {first_name: "Mia", order_number: "TS100004"};
  const typed = "Thanks! /del";
  const out = core.insertReply(typed, 7, typed.length, REPLIES[0].text, vars);
  assert.equal(out.text, "Thanks! Hi Mia, TS100004 is late with {carrier}.");
  assert.deepEqual(out.missing, ["carrier"]);
  assert.equal(out.text.slice(out.select.start, out.select.end), "{carrier}");
  assert.equal(out.caret, out.text.length);
  const glued = core.insertReply("Hello", 5, 5, "All set.", {});
  assert.equal(glued.text, "Hello All set.");
  assert.equal(glued.select, null);
  assert.equal(core.insertReply("", 0, 0, "x", {}).text, "x");
});

// -- keys -----------------------------------------------------------------------------------------
test("the key map: single keys outside fields, only Escape while typing, nothing with modifiers", () => {
  assert.equal(core.keyAction({key: "j"}), "next");
  assert.equal(core.keyAction({key: "k"}), "prev");
  assert.equal(core.keyAction({key: "Enter"}), "open");
  assert.equal(core.keyAction({key: "c"}), "claim");
  assert.equal(core.keyAction({key: "r"}), "reply");
  assert.equal(core.keyAction({key: "e"}), "resolve");
  assert.equal(core.keyAction({key: "a"}), "assign");
  assert.equal(core.keyAction({key: "/"}), "search");
  assert.equal(core.keyAction({key: "?"}), "help");
  assert.equal(core.keyAction({key: "Escape"}), "close");
  assert.equal(core.keyAction({key: "j", typing: true}), null);
  assert.equal(core.keyAction({key: "Escape", typing: true}), "close");
  assert.equal(core.keyAction({key: "c", dialog: true}), null);
  assert.equal(core.keyAction({key: "c", ctrlKey: true}), null);
  assert.equal(core.keyAction({key: "r", metaKey: true}), null);
  assert.equal(core.keyAction({key: "x"}), null);
  for (const entry of core.KEYS) assert.ok(entry.help, entry.key);
});

// -- the anger curve ------------------------------------------------------------------------------
test("the anger curve spans the box, higher anger higher up, markers where they happened", () => {
  const t0 = NOW / 1000;
  const curve = core.angerCurve({
    anger: [{at: t0 + 60, score: 0.9, level: "furious"}, {at: t0, score: 0.1, level: "none"}, {at: t0 + 30, score: 0.5}],
    markers: [{kind: "handoff", at: t0 + 60}, {kind: "agent_joined", at: t0 + 120}, {kind: "unknown_kind", at: t0 + 90}],
  }, {width: 200, height: 40, pad: 4});
  assert.equal(curve.empty, false);
  assert.deepEqual(curve.points.map((p) => p.x), [4, 52, 100]);  // sorted by time over 0-120 s
  assert.deepEqual(curve.points.map((p) => p.y), [32.8, 20, 7.2]);
  assert.equal(curve.points[1].level, "annoyed");
  assert.equal(curve.line, "M4 32.8 L52 20 L100 7.2");
  assert.equal(curve.area, "M4 32.8 L52 20 L100 7.2 L100 36 L4 36 Z");
  assert.deepEqual(curve.markers.map((m) => [m.x, m.label]), [[100, "Handed off"], [148, "Unknown kind"], [196, "Agent joined"]]);
  assert.equal(curve.tail, "M100 7.2 L196 7.2");  // the anger as the last message left it, up to the latest marker
  // ISO times and epoch seconds mix.
  const mixed = core.angerCurve({anger: [{at: new Date(NOW).toISOString(), score: 0}, {at: t0 + 10, score: 1}], markers: []},
                                {width: 100, height: 20, pad: 0});
  assert.deepEqual(mixed.points.map((p) => [p.x, p.y]), [[0, 20], [100, 0]]);
});

test("a single point sits in the middle; no points is an empty curve", () => {
  const one = core.angerCurve({anger: [{at: 100, score: 0.5}], markers: []}, {width: 100, height: 20, pad: 0});
  assert.deepEqual(one.points.map((p) => [p.x, p.y]), [[50, 10]]);
  assert.equal(one.area, "");
  assert.equal(one.tail, "");
  assert.equal(core.angerCurve({anger: [], markers: [{kind: "handoff", at: 1}]}).empty, true);
  assert.equal(core.angerCurve(null).empty, true);
});

test("a timeline is read from the transcript when the API sends none", () => {
  const timeline = core.timelineFromTranscript([
    {from: "shopper", text: "where", at: 10, anger: "none"},
    {from: "bot", text: "..", at: 11},
    {from: "shopper", text: "!!", at: 20, anger: "furious"},
    {from: "system", event: "agent_joined", at: 30},
    {from: "shopper", text: "ok", at: 40},
    {from: "system", event: "handback", at: 50},
  ], {created_at: "2026-11-23T15:00:00"});
  assert.deepEqual(timeline.anger.map((p) => p.level), ["none", "furious", "none"]);
  assert.deepEqual(timeline.markers.map((m) => m.kind), ["handoff", "agent_joined", "resolved"]);
});

test("the summary's facts are in words and the order number appears once", () => {
  assert.deepEqual(core.summaryFacts({slots: {order_number: "TS100004", verified_order: "TS100004", order_verified: true,
                                              product: "Trail Runner"}}),
                   [{label: "Order", value: "TS100004 (verified)"}, {label: "Product", value: "Trail Runner"}]);
  assert.deepEqual(core.summaryFacts({slots: {order_number: "TS100009", order_verified: false}}),
                   [{label: "Order", value: "TS100009"}]);
  assert.deepEqual(core.summaryFacts({slots: {}}, {number: "TS1"}), [{label: "Order", value: "TS1 (verified)"}]);
  assert.deepEqual(core.summaryFacts({}), []);
});

test("what the desk did joins the transcript: emails, assignments with their note, breaches, the rating", () => {
  const events = [
    {kind: "created", actor: null, at: "2026-11-23T14:00:00Z", detail: {reason: "requested"}},
    {kind: "assigned", actor: null, at: "2026-11-23T14:01:00Z", detail: {to: 2, auto: true}},
    {kind: "transferred", actor: "Sam", at: "2026-11-23T14:02:00Z", detail: {from: 2, to: 3, note: "speaks French"}},
    {kind: "noted", actor: "Sam", at: "2026-11-23T14:02:00Z", detail: {}},
    {kind: "sla_breach", actor: null, at: "2026-11-23T14:05:00Z", detail: {clock: "first_reply", label: "First reply"}},
    {kind: "emailed", actor: "Ana", at: "2026-11-23T14:06:00Z", detail: {to: "j***@e***.com", text: "Hi Jane"}},
    {kind: "unassigned", actor: "Ana", at: "2026-11-23T14:07:00Z", detail: {from: 3}},
    {kind: "csat", actor: null, at: "2026-11-23T15:00:00Z", detail: {score: 4, comment: true}},
  ];
  const lines = core.historyLines(events, {2: "Sam", 3: "Ana"});
  assert.deepEqual(lines.map((l) => [l.from, l.text]), [
    ["desk", "Assigned automatically to Sam"],
    ["desk", "Sam transferred it to Ana: \u201cspeaks French\u201d"],
    ["desk", "First reply time breached: escalated to a supervisor"],
    ["email", "Hi Jane"],
    ["desk", "Ana put it back in the queue"],
    ["desk", "The shopper rated it 4/5"],
  ]);
  assert.equal(core.historyLines([{kind: "assigned", actor: "Sue", at: 0, detail: {to: 9}}], {})[0].text,
               "Sue assigned it to a teammate");
  const t0 = Date.parse("2026-11-23T14:00:00Z") / 1000;
  const merged = core.mergeByTime(
    [{from: "shopper", text: "a", at: t0}, {from: "bot", text: "b", at: null}, {from: "shopper", text: "c", at: t0 + 400}],
    lines.slice(0, 3));
  assert.deepEqual(merged.map((l) => l.text[0]), ["a", "b", "A", "S", "F", "c"]);
});
