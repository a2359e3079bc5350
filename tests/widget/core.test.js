// Unit tests of the chat widget's core (bot/desk/static/widget/core.js), run by `make test` with Node's
// own test runner: node --test tests/widget/
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const core = require("../../bot/desk/static/widget/core.js");

const random = (n) => crypto.randomBytes(n);

function shopper(id, status, extra) {
  return Object.assign({id, from: "shopper", text: "text " + id, payload: "text " + id, status}, extra || {});
}

test("every language has every word the English widget has", () => {
  const keys = Object.keys(core.STRINGS.en).sort();
  assert.deepEqual(core.LANGUAGES.sort(), ["de", "en", "es", "fr", "zh"]);
  for (const language of core.LANGUAGES) {
    assert.deepEqual(Object.keys(core.STRINGS[language]).sort(), keys, language);
    for (const key of keys) assert.ok(core.STRINGS[language][key].trim(), `${language}.${key} is empty`);
  }
});

test("placeholders survive translation", () => {
  for (const key of Object.keys(core.STRINGS.en)) {
    const wanted = (core.STRINGS.en[key].match(/\{\w+\}/g) || []).sort();
    for (const language of core.LANGUAGES) {
      assert.deepEqual((core.STRINGS[language][key].match(/\{\w+\}/g) || []).sort(), wanted, `${language}.${key}`);
    }
  }
});

test("the language is the shop's if the widget speaks it, else the browser's, else English", () => {
  assert.equal(core.pickLanguage("de", ["fr-FR"]), "de");
  assert.equal(core.pickLanguage(null, ["fr-FR", "en"]), "fr");
  assert.equal(core.pickLanguage("pt", ["pt-BR", "es-MX"]), "es");
  assert.equal(core.pickLanguage(undefined, ["zh-CN"]), "zh");
  assert.equal(core.pickLanguage(undefined, ["zh-Hans-CN"]), "zh");
  // Traditional Chinese readers are not shown Simplified characters.
  assert.equal(core.pickLanguage(undefined, ["zh-TW", "ja"]), "en");
  assert.equal(core.pickLanguage(undefined, []), "en");
  assert.equal(core.format(core.STRINGS.de.place, {n: 3}), "Sie sind Nummer 3 in der Warteschlange.");
});

test("message keys are random and of the form the channel accepts", () => {
  const a = core.newMessageId(random), b = core.newMessageId(random);
  assert.notEqual(a, b);
  assert.match(a, /^[A-Za-z0-9_-]{8,64}$/);
});

test("the outbox sends the oldest pending message first, one at a time", () => {
  const messages = [shopper("m1aaaaaaaa", "sent"), {from: "bot", text: "hi"}, shopper("m2aaaaaaaa", "pending"),
                    shopper("m3aaaaaaaa", "pending")];
  assert.equal(core.nextToSend(messages).id, "m2aaaaaaaa");
  messages[2].status = "sending";
  assert.equal(core.nextToSend(messages).id, "m3aaaaaaaa");
  assert.equal(core.nextToSend([shopper("m1aaaaaaaa", "failed")]), null);
});

test("after a reload a message that was on its way goes again with the same key", () => {
  const [restored] = core.restoreOutbox([shopper("m1aaaaaaaa", "sending")]);
  assert.equal(restored.status, "pending");
  assert.equal(restored.id, "m1aaaaaaaa");
  // One stored by an older widget has no key: resending could deliver it twice, so the shopper decides.
  assert.equal(core.restoreOutbox([shopper("old", "sending")])[0].status, "failed");
});

test("the metadata carries the key, identity, page and photos", () => {
  const message = core.shopperMessage({id: "m0123456789", payload: "/order_status", displayText: "Where is my order?",
                                       attachments: [{id: "abcdefghijklmnop", url: "/x"}]});
  const metadata = core.metadataFor(message, {language: "de", identityToken: "t.o.k", context: {product: "TS-1"}});
  assert.deepEqual(metadata, {language: "de", message_id: "m0123456789", identity: "t.o.k", page: {product: "TS-1"},
                              display_text: "Where is my order?", attachments: ["abcdefghijklmnop"]});
});

test("a message the server already holds is not sent again after a read-back", () => {
  const local = [shopper("m1aaaaaaaa", "sent"), shopper("m2aaaaaaaa", "pending", {whileWaiting: true}),
                 shopper("m3aaaaaaaa", "failed")];
  const server = [{from: "shopper", text: "text m1aaaaaaaa", at: 1, message_id: "m1aaaaaaaa"},
                  {from: "bot", text: "answer", at: 2},
                  // The acknowledgement of m2 was lost, but the server has it.
                  {from: "shopper", text: "text m2aaaaaaaa", at: 3, message_id: "m2aaaaaaaa"}];
  const merged = core.mergeHistory(server, local, []);
  assert.deepEqual(merged.map((m) => [m.id || m.text, m.status]),
                   [["m1aaaaaaaa", "sent"], ["answer", "sent"], ["m2aaaaaaaa", "sent"], ["m3aaaaaaaa", "failed"]]);
  assert.equal(merged[2].whileWaiting, true, "what the widget knew about the message is kept");
  assert.equal(core.nextToSend(merged), null);
});

test("messages that arrived during the read-back are kept once", () => {
  const server = [{from: "bot", text: "one"}, {from: "agent", text: "two", agent_name: "Sam"}];
  const live = [{from: "agent", text: "two", agent_name: "Sam"}, {from: "agent", text: "three", agent_name: "Sam"}];
  const merged = core.mergeHistory(server, [], live);
  assert.deepEqual(merged.map((m) => m.text), ["one", "two", "three"]);
});

test("read-back keeps photos on the shopper's lines", () => {
  const merged = core.mergeHistory([{from: "shopper", text: "Photo", message_id: "m1aaaaaaaa",
                                     attachments: [{id: "abcdefghijklmnop", url: "/chat/x/attachments/abc"}]}], [], []);
  assert.equal(merged[0].attachments[0].id, "abcdefghijklmnop");
});

test("agent and hand-over messages are text with our data alongside", () => {
  const joined = core.fromServer({text: "Sam from our team has joined the chat.",
                                  metadata: {storefront: {event: "agent_joined", agent_name: "Sam"}}});
  assert.equal(joined.kind, "message");
  assert.deepEqual(joined.message, {from: "system", event: "agent_joined", text: "Sam from our team has joined the chat.",
                                    agent_name: "Sam"});
  assert.deepEqual(joined.handoff, {status: "with_agent", agent_name: "Sam"});

  const reply = core.fromServer({text: "Here is your label", metadata: {storefront: {event: "agent_message", agent_name: "Sam"}}});
  assert.equal(reply.message.from, "agent");
  assert.equal(reply.message.text, "Here is your label");

  const queued = core.fromServer({text: "You're number 2 in the queue.",
                                  metadata: {storefront: {event: "handoff", status: "waiting", position: 2}}});
  assert.deepEqual(queued.handoff, {status: "waiting", position: 2});
  assert.equal(queued.message.text, "You're number 2 in the queue.");

  const back = core.fromServer({text: "You're back", metadata: {storefront: {event: "handback"}}});
  assert.deepEqual(back.handoff, {status: "back"});
});

test("the older shape of stored conversations is still read", () => {
  assert.equal(core.fromServer({sender: "agent", text: "hello", agent_name: "Sam"}).message.from, "agent");
  const handoff = core.fromServer({event: "handoff", status: "offline", position: 1});
  assert.deepEqual(handoff.handoff, {status: "offline", position: 1});
  assert.equal(handoff.message, null);
});

test("passed-on notices mark the shopper's message; junk is ignored", () => {
  assert.deepEqual(core.fromServer({text: "Thanks, passed on", metadata: {storefront: {event: "passed_on", message_id: "m1aaaaaaaa"}}}),
                   {kind: "passed_on", messageId: "m1aaaaaaaa"});
  assert.equal(core.fromServer({text: "x", metadata: {storefront: {event: "passed_on", message_id: "<b>"}}}).messageId, null);
  for (const junk of [null, "text", 42, {}, {text: 5}, {quick_replies: "no"}]) {
    assert.equal(core.fromServer(junk).kind, "ignore", JSON.stringify(junk));
  }
  const buttons = core.fromServer({text: "Pick", quick_replies: [{title: "A", payload: "/a"}, null]});
  assert.deepEqual(buttons.message.buttons, [{title: "A", payload: "/a"}]);
});

test("the queue status keeps what only the widget knew", () => {
  assert.deepEqual(core.handoffFromStatus({status: "offline"}, {status: "waiting", position: 3}), {status: "offline", position: 3});
  assert.deepEqual(core.handoffFromStatus({status: "back"}, {status: "none"}), {status: "back"});
  assert.deepEqual(core.handoffFromStatus({status: "waiting"}, {status: "none"}), {status: "none"});
  assert.deepEqual(core.handoffFromStatus({status: "waiting"}, {status: "with_agent", agent_name: "Sam"}),
                   {status: "with_agent", agent_name: "Sam"});
});

test("marks: trouble first, the newest seen message, every message passed on", () => {
  const messages = [shopper("a", "sent", {at: 10}), shopper("b", "sent", {at: 20}), {from: "agent", text: "hi", at: 25},
                    shopper("c", "sent", {at: 30, passedOn: true}), shopper("d", "pending", {at: 40})];
  assert.deepEqual(core.marks(messages, 20.5), [null, "seen", null, "passed_on", "pending"]);
  assert.deepEqual(core.marks(messages, null), [null, null, null, "passed_on", "pending"]);
  assert.deepEqual(core.marks(messages, 35), [null, null, null, "seen", "pending"]);
});

test("photos: images up to 10 MB; anything else gets a reason", () => {
  assert.equal(core.photoProblem({type: "image/jpeg", size: 1000, name: "a.jpg"}), null);
  assert.equal(core.photoProblem({type: "image/heic", size: 1000, name: "a.heic"}), null);
  assert.equal(core.photoProblem({type: "", size: 1000, name: "IMG_1.HEIC"}), null);
  assert.equal(core.uploadType({type: "", name: "IMG_1.HEIC"}), "image/heic");
  assert.equal(core.photoProblem({type: "application/pdf", size: 1000, name: "a.pdf"}), "photoType");
  assert.equal(core.photoProblem({type: "image/svg+xml", size: 1000, name: "a.svg"}), "photoType");
  assert.equal(core.photoProblem({type: "image/gif", size: 1000, name: "a.gif"}), "photoType");
  assert.equal(core.photoProblem({type: "image/png", size: 0, name: "a.png"}), "photoType");
  assert.equal(core.photoProblem({type: "image/png", size: 10 * 1024 * 1024 + 1, name: "a.png"}), "photoTooBig");
  assert.equal(core.photoProblem(null), "photoType");
});

test("the offline form needs an email and a message", () => {
  assert.equal(core.offlineFormProblem("ana@example.com", "My parcel is damaged"), null);
  assert.equal(core.offlineFormProblem("ana@", "x"), "emailInvalid");
  assert.equal(core.offlineFormProblem("ana example.com", "x"), "emailInvalid");
  assert.equal(core.offlineFormProblem("ana@example.com", "   "), "messageEmpty");
  assert.equal(core.offlineFormProblem("ana@example.com", "x".repeat(2001)), "tooLong");
});

test("the list follows new messages only when the shopper is at the bottom", () => {
  assert.equal(core.isAtBottom(600, 400, 1000), true);
  assert.equal(core.isAtBottom(590, 400, 1000), true);
  assert.equal(core.isAtBottom(0, 400, 1000), false);
});

test("a read-back acknowledgement marks the message it answers and shows as the team's notice", () => {
  const merged = core.mergeHistory([
    {from: "shopper", text: "anyone there?", at: 1, message_id: "m1aaaaaaaa"},
    {from: "bot", event: "passed_on", text: "Thanks, I've passed this on to the team", at: 2, message_id: "m1aaaaaaaa"}], [], []);
  assert.equal(merged[0].passedOn, true);
  assert.equal(merged[1].from, "system");
  assert.deepEqual(core.marks(merged, null), ["passed_on", null]);
});

test("what only this browser holds stays through a read-back, in time order", () => {
  const local = [{from: "shopper", text: "the belt is missing", status: "sent", local: true, at: 15},
                 {from: "system", text: "Thanks! Your message has reached our team", local: true, at: 15.1}];
  const server = [{from: "bot", text: "offline", at: 10}, {from: "shopper", text: "later", at: 20, message_id: "m1aaaaaaaa"}];
  assert.deepEqual(core.mergeHistory(server, local, []).map((m) => m.text),
                   ["offline", "the belt is missing", "Thanks! Your message has reached our team", "later"]);
});

test("a rating card is added once per ticket: not again after an answer, a reload or another poll", () => {
  const messages = [{from: "system", event: "handback", text: "You're back", status: "sent"}];
  assert.equal(core.csatToAsk({ticket: 7}, messages, {}), 7);
  assert.equal(core.csatToAsk(null, messages, {}), null);
  assert.equal(core.csatToAsk({ticket: "7"}, messages, {}), null);
  assert.equal(core.csatToAsk({ticket: 7.5}, messages, {}), null);
  assert.equal(core.csatToAsk({ticket: 7}, messages.concat([{from: "system", csat: 7, local: true}]), {}), null);
  assert.equal(core.csatToAsk({ticket: 7}, messages, {7: "rated"}), null);
  assert.equal(core.csatToAsk({ticket: 7}, messages, {7: "skipped"}), null);
  // A later ticket of the same conversation is asked about.
  assert.equal(core.csatToAsk({ticket: 9}, messages.concat([{from: "system", csat: 7, local: true}]), {7: "rated"}), 9);
});

test("a rating needs a score of 1 to 5; the comment is optional and bounded", () => {
  assert.equal(core.csatProblem(null, ""), "csatPick");
  assert.equal(core.csatProblem(0, ""), "csatPick");
  assert.equal(core.csatProblem("5", ""), "csatPick");
  assert.equal(core.csatProblem(5, ""), null);
  assert.equal(core.csatProblem(1, "x".repeat(1000)), null);
  assert.equal(core.csatProblem(1, "x".repeat(1001)), "csatTooLong");
  assert.deepEqual(core.csatBody(3, 4, "  kind and quick  "), {ticket: 3, score: 4, comment: "kind and quick"});
  assert.deepEqual(core.csatBody(3, 4, "   "), {ticket: 3, score: 4});
  assert.deepEqual(core.csatBody(3, null, "ignored"), {ticket: 3, skip: true});
});

test("the desk's answers to a rating and a transcript request", () => {
  assert.equal(core.csatOutcome(200), "done");
  assert.equal(core.csatOutcome(409), "done");  // already answered (another tab): stop asking
  assert.equal(core.csatOutcome(404), "gone");
  assert.equal(core.csatOutcome(503), "failed");
  assert.equal(core.csatOutcome(0), "failed");
  assert.equal(core.transcriptOutcome(201), null);
  assert.equal(core.transcriptOutcome(400), "emailInvalid");
  assert.equal(core.transcriptOutcome(409), "transcriptEmpty");
  assert.equal(core.transcriptOutcome(429), "transcriptLimit");
  assert.equal(core.transcriptOutcome(503), "transcriptFailed");
});

test("every language names the five scores", () => {
  for (const language of core.LANGUAGES) {
    const words = core.STRINGS[language];
    const labels = core.SCORES.map((score) => core.csatLabel(words, score));
    assert.equal(new Set(labels).size, 5, language);
    for (const label of labels) assert.ok(label.trim() && !/^\d$/.test(label), `${language}: ${label}`);
  }
});

test("after a hand-back a poll that still sees the agent does not undo it", () => {
  assert.deepEqual(core.handoffFromPoll({status: "back"}, {status: "with_agent", agent_name: "Ana"}), {status: "back"});
  assert.deepEqual(core.handoffFromPoll({status: "back"}, {status: "waiting", position: 1}), {status: "waiting", position: 1});
  assert.deepEqual(core.handoffFromPoll({status: "back"}, {status: "none"}), {status: "back"});
  assert.deepEqual(core.handoffFromPoll({status: "waiting"}, {status: "with_agent", agent_name: "Ana"}),
                   {status: "with_agent", agent_name: "Ana"});
});

test("there is a conversation to email once the server holds a message", () => {
  assert.equal(core.hasConversation([]), false);
  assert.equal(core.hasConversation([{from: "shopper", status: "pending"}]), false);
  assert.equal(core.hasConversation([{from: "shopper", text: "x", status: "sent", local: true}]), false);
  assert.equal(core.hasConversation([{from: "system", csat: 3, local: true}]), false);
  assert.equal(core.hasConversation([{from: "shopper", status: "sent"}]), true);
  assert.equal(core.hasConversation([{from: "bot", text: "hi"}]), true);
});

test("an email address is checked the same way for the offline form and the transcript", () => {
  assert.equal(core.emailProblem(" jo@example.com "), null);
  assert.equal(core.emailProblem("jo@"), "emailInvalid");
  assert.equal(core.emailProblem("jo@example.com\nBcc: x@y.z"), "emailInvalid");
  assert.equal(core.emailProblem("x".repeat(250) + "@example.com"), "emailInvalid");
});
