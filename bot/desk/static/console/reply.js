// The reply box: Enter sends, Shift+Enter is a new line; `/shortcode` offers and expands canned replies;
// {variables} are filled from the ticket and the unknown ones stay highlighted; the reply can go by email.
import {$, api, busy, core, el, state, toast, toastError} from "./dom.js";
import {lockedBar, loadTicket} from "./conversation.js";
import {loadList} from "./list.js";

const drafts = new Map();
let menu = {open: false, items: [], index: 0, range: null};
let warnedFor = null;  // the text the agent was warned about ({placeholders} left): a second send sends it

// -- drafts: switching tickets keeps what was typed --------------------------------------------------
export function saveDraft() {
  if (state.openId !== null) drafts.set(state.openId, $("reply").value);
}

function restoreDraft(id) {
  const reply = $("reply");
  reply.value = drafts.get(id) || "";
  afterChange();
}

let composerFor = null;

export function renderComposer(t, can) {
  $("reply-box").hidden = !can.reply;
  lockedBar(t, can);
  if (composerFor !== t.id) {
    composerFor = t.id;
    warnedFor = null;
    closeMenu();
    $("reply-email").checked = false;
    restoreDraft(t.id);
  }
  const email = t.contact_email || "";
  $("reply-email-wrap").hidden = !email;
  $("reply-email-to").textContent = email;
  if (!email) $("reply-email").checked = false;
  emailMode();
}

function emailMode() {
  const on = $("reply-email").checked && !$("reply-email-wrap").hidden;
  $("composer-field").classList.toggle("is-email", on);
  $("send-label").textContent = on ? "Send email" : "Send";
  $("reply").placeholder = on ? "Write the email… the conversation's transcript is attached below it"
                              : "Write a reply… type / for canned replies";
}

// -- canned replies ----------------------------------------------------------------------------------
export async function loadCanned() {
  try {
    const body = await api("/api/canned-replies");
    state.canned = body.replies || [];
    state.variables = body.variables || [];
  } catch (error) {
    state.canned = [];
  }
  fillPicker();
}

function fillPicker() {
  const picker = $("canned");
  const topics = new Map();
  for (const reply of state.canned) {
    const topic = reply.topic || "Other";
    if (!topics.has(topic)) topics.set(topic, []);
    topics.get(topic).push(reply);
  }
  const groups = [...topics.entries()].map(([topic, replies]) => {
    const group = el("optgroup", {attrs: {label: core.humanize(topic)}});
    for (const reply of replies) {
      const label = reply.shortcode ? `/${reply.shortcode} · ${reply.title || reply.topic || ""}` : (reply.title || reply.topic || "Reply");
      group.append(new Option(label, String(reply.id !== undefined ? reply.id : reply.shortcode || label)));
    }
    return group;
  });
  picker.replaceChildren(new Option(state.canned.length ? "Canned replies…" : "No canned replies", ""), ...groups);
  picker.disabled = !state.canned.length;
}

function variables() { return (state.ticket && state.ticket.variables) || {}; }

/** The reply put in place of [start, end): expanded, the first placeholder left selected for typing over. */
function insert(reply, start, end) {
  const box = $("reply");
  const out = core.insertReply(box.value, start, end, reply.text || "", variables());
  box.value = out.text.slice(0, 2000);
  box.focus();
  if (out.select) box.setSelectionRange(out.select.start, out.select.end);
  else box.setSelectionRange(out.caret, out.caret);
  afterChange();
}

function pickFromSelect() {
  const picker = $("canned");
  const reply = state.canned.find((r) => String(r.id !== undefined ? r.id : r.shortcode) === picker.value);
  picker.value = "";  // the picker is ready for the next one
  if (!reply) return;
  const box = $("reply");
  insert(reply, box.selectionStart, box.selectionEnd);
}

// -- the /shortcode menu -----------------------------------------------------------------------------
function updateMenu() {
  const box = $("reply");
  const found = box.selectionStart === box.selectionEnd ? core.shortcodeAt(box.value, box.selectionStart) : null;
  const items = found ? core.matchShortcodes(state.canned, found.query, 8) : [];
  if (!found || !items.length) { closeMenu(); return; }
  menu = {open: true, items, index: Math.min(menu.open ? menu.index : 0, items.length - 1), range: found};
  drawMenu();
}

function drawMenu() {
  const list = $("shortcode-menu");
  list.replaceChildren(...menu.items.map((reply, index) => el("li", {
    className: "menu-item", attrs: {role: "option", id: "shortcode-" + index, "aria-selected": String(index === menu.index)},
    on: {mousedown: (event) => { event.preventDefault(); pick(index); }},
  }, el("span", {className: "code", text: "/" + reply.shortcode}), el("span", {className: "title", text: reply.title || reply.topic || ""}),
     el("span", {className: "text", text: core.expandVariables(reply.text || "", variables()).text}))));
  list.hidden = false;
  $("reply").setAttribute("aria-expanded", "true");
  $("reply").setAttribute("aria-activedescendant", "shortcode-" + menu.index);
  const active = list.children[menu.index];
  if (active) active.scrollIntoView({block: "nearest"});
}

function closeMenu() {
  menu = {open: false, items: [], index: 0, range: null};
  $("shortcode-menu").hidden = true;
  $("reply").setAttribute("aria-expanded", "false");
  $("reply").removeAttribute("aria-activedescendant");
}

function pick(index) {
  const reply = menu.items[index];
  const range = menu.range;
  closeMenu();
  if (reply && range) insert(reply, range.start, range.end);
}

/** "/delay " typed in full (a space after an exact shortcode) expands without the menu. */
function expandTypedShortcode(box) {
  const caret = box.selectionStart;
  if (caret < 2 || box.value.charAt(caret - 1) !== " ") return false;
  const found = core.shortcodeAt(box.value, caret - 1);
  const reply = found && core.findShortcode(state.canned, found.query);
  if (!reply) return false;
  closeMenu();
  insert(reply, found.start, caret);
  return true;
}

// -- typing ------------------------------------------------------------------------------------------
function afterChange() {
  const box = $("reply");
  box.style.height = "auto";
  box.style.height = Math.min(220, Math.max(44, box.scrollHeight + 2)) + "px";
  const layer = $("reply-highlights");
  layer.replaceChildren(...core.segments(box.value).map((part) => part.mark ? el("mark", {text: part.text}) : document.createTextNode(part.text)),
                        document.createTextNode("\n"));
  layer.scrollTop = box.scrollTop;
  const left = core.placeholders(box.value);
  const warning = $("reply-missing");
  warning.hidden = !left.length;
  if (left.length) {
    const names = [...new Set(left.map((p) => p.name))];
    warning.replaceChildren(el("span", {text: names.length === 1 ? "Fill in before sending:" : "Fill in before sending:"}),
      ...names.map((name) => el("button", {text: `{${name}}`, attrs: {type: "button", title: "Select it in the reply"},
                                           on: {click: () => selectPlaceholder(name)}})));
  }
  const count = $("reply-count");
  const length = box.value.length;
  count.textContent = length > 1500 ? `${length}/2000` : "";
  count.classList.toggle("is-near", length > 1900);
  if (warnedFor !== null && warnedFor !== box.value) warnedFor = null;
}

function selectPlaceholder(name) {
  const box = $("reply");
  const found = core.placeholders(box.value).find((p) => p.name === name);
  if (!found) return;
  box.focus();
  box.setSelectionRange(found.start, found.end);
}

function onKeydown(event) {
  if (event.isComposing) return;
  if (menu.open) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      menu.index = (menu.index + (event.key === "ArrowDown" ? 1 : -1) + menu.items.length) % menu.items.length;
      drawMenu();
      return;
    }
    if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault();
      pick(menu.index);
      return;
    }
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      closeMenu();
      return;
    }
  }
  if (event.key === "Enter" && !event.shiftKey && !event.ctrlKey && !event.altKey && !event.metaKey) {
    event.preventDefault();
    send();
  }
}

// -- sending -----------------------------------------------------------------------------------------
export async function send() {
  const box = $("reply");
  const t = state.ticket;
  if (!t) return;
  const text = box.value.trim();
  if (!text) {
    box.focus();
    toast("Write a reply first.", "error");
    return;
  }
  const left = core.placeholders(text);
  if (left.length && warnedFor !== box.value) {
    warnedFor = box.value;
    selectPlaceholder(left[0].name);
    toast(`{${left[0].name}} is still in the reply: fill it in, or press Enter again to send it as it is.`, "error");
    return;
  }
  const byEmail = $("reply-email").checked && !$("reply-email-wrap").hidden;
  await busy($("send"), async () => {
    try {
      await api(`/api/tickets/${t.id}/${byEmail ? "email" : "messages"}`, {method: "POST", body: {text}});
    } catch (error) {
      toastError(error);
      return;
    }
    box.value = "";
    drafts.delete(t.id);
    warnedFor = null;
    $("reply-email").checked = false;
    emailMode();
    afterChange();
    toast(byEmail ? `Emailed to ${t.contact_email}, with the conversation's transcript.` : "Reply sent.");
    box.focus();
    await Promise.all([loadTicket(), loadList()]);
  });
}

export function wireComposer() {
  const box = $("reply");
  box.addEventListener("input", () => {
    if (!expandTypedShortcode(box)) updateMenu();
    afterChange();
  });
  box.addEventListener("keydown", onKeydown);
  box.addEventListener("click", updateMenu);
  box.addEventListener("blur", () => setTimeout(closeMenu, 100));
  box.addEventListener("scroll", () => { $("reply-highlights").scrollTop = box.scrollTop; });
  $("send").addEventListener("click", () => send());
  $("canned").addEventListener("change", pickFromSelect);
  $("reply-email").addEventListener("change", emailMode);
}

/** Text from the knowledge panel, put where the caret is. */
export function insertText(text) {
  if ($("reply-box").hidden) return false;
  insert({text}, $("reply").selectionStart, $("reply").selectionEnd);
  return true;
}
