// The agent console (an ES module; the rules live in /static/console/core.js, Node-tested in
// tests/console/, and each part of the screen in /static/console/*.js). Everything a shopper wrote is
// inserted with textContent, never as HTML.
import {$, anyDialogOpen, api, core, initials, isTyping, state, stateBlock, toastError, wireDialogs as wireDialogClosing} from "./console/dom.js";
import {applyFilters, clearFilters, cursorTicketId, fillReasonFilter, goToPage, loadList, moveCursor, openAtCursor, readFilters, setView, tickList} from "./console/list.js";
import {claim, closeTicket, openTicket, tickConversation, unassign, watchCurveSize, wireOverview} from "./console/conversation.js";
import {loadCanned, wireComposer} from "./console/reply.js";
import {wirePanel} from "./console/panel.js";
import {fillKeysHelp, loadAgentNames, loadTags, openAssign, openCannedManager, openKeysHelp, openResolve, wireDialogs} from "./console/dialogs.js";
import {closeAlerts, connect, loadAlerts, wireLive} from "./console/live.js";

function wireHeader() {
  $("logout").addEventListener("click", async () => {
    try { await api("/api/logout", {method: "POST", body: {}}); } catch (error) { /* logged out either way */ }
    window.location = "/login";
  });
  $("keys").addEventListener("click", openKeysHelp);
}

function wireInbox() {
  for (const node of document.querySelectorAll("#views [data-view]")) {
    node.addEventListener("click", () => setView(node.dataset.view));
  }
  $("search").addEventListener("input", () => applyFilters(300));
  $("search").addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); applyFilters(0); }
    if (event.key === "ArrowDown") { event.preventDefault(); $("search").blur(); moveCursor("next"); }
  });
  for (const id of ["filter-reason", "filter-anger", "filter-sla", "filter-verified"]) $(id).addEventListener("change", () => applyFilters(0));
  $("filter-waiting").addEventListener("input", () => applyFilters(400));
  $("filters").addEventListener("submit", (event) => { event.preventDefault(); applyFilters(0); });
  $("filters-clear").addEventListener("click", clearFilters);
  $("page-prev").addEventListener("click", () => goToPage(-1));
  $("page-next").addEventListener("click", () => goToPage(1));
  $("ticket-list").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.matches("li[data-ticket]")) {
      event.preventDefault();
      event.stopPropagation();
      openTicket(Number(event.target.dataset.ticket));
    }
  });
}

function wireConversation() {
  $("claim").addEventListener("click", () => claim(null, {focusReply: true}));
  $("assign").addEventListener("click", openAssign);
  $("unassign").addEventListener("click", unassign);
  $("resolve").addEventListener("click", openResolve);
  $("back").addEventListener("click", closeTicket);
  $("toggle-side").addEventListener("click", () => {
    const open = $("layout").classList.toggle("side-open");
    $("toggle-side").setAttribute("aria-expanded", String(open));
    // The drawer takes the focus when it opens (its close button first) and gives it back when it closes.
    if (open) $("close-side").focus({preventScroll: true});
  });
  $("close-side").addEventListener("click", closeSide);
  $("canned-manage").addEventListener("click", openCannedManager);
  wireOverview();
}

/** Closes the customer drawer (narrow screens), the focus back on the button that opened it. */
function closeSide() {
  const hadFocus = $("side").contains(document.activeElement);
  $("layout").classList.remove("side-open");
  $("toggle-side").setAttribute("aria-expanded", "false");
  if (hadFocus || document.activeElement === document.body) $("toggle-side").focus();
}

// -- the keyboard ------------------------------------------------------------------------------------
function visible(id) { const node = $(id); return node && !node.hidden && !$("conversation").hidden; }

/** c, a and e act on the card the agent moved the cursor to with j/k since opening a conversation;
 *  otherwise on the open conversation (or, with none open, the card under the cursor). */
function keyTarget() {
  const id = cursorTicketId();
  if (id !== null && (state.cursorMoved || state.openId === null)) return id;
  return state.openId;
}

/** Opens the cursor's ticket first when it is not the open one, then acts. */
async function onTarget(action) {
  const id = keyTarget();
  if (id === null) return;
  if (id !== state.openId) await openTicket(id);
  action();
}

function onKey(event) {
  const typing = isTyping(event.target);
  const action = core.keyAction({key: event.key, ctrlKey: event.ctrlKey, metaKey: event.metaKey, altKey: event.altKey,
                                 typing, dialog: anyDialogOpen()});
  if (!action) return;
  if (action === "close") {
    if (closeAlerts()) { event.preventDefault(); return; }
    if (anyDialogOpen()) return;  // the dialog closes itself on Escape
    if ($("layout").classList.contains("side-open")) { closeSide(); return; }
    if (typing) event.target.blur();
    return;
  }
  // Enter on a button or link is that button's own business.
  if (action === "open" && event.target.closest && event.target.closest("button, a, summary")) return;
  event.preventDefault();
  switch (action) {
    case "next": case "prev": moveCursor(action); state.cursorMoved = true; break;
    case "open": openAtCursor(); break;
    case "claim": claim(keyTarget()); break;
    case "reply": if (visible("reply-box")) $("reply").focus(); break;
    case "note": if (state.ticket) $("note").focus(); break;
    case "assign": onTarget(() => { if (visible("assign")) openAssign(); }); break;
    case "resolve": onTarget(openResolve); break;
    case "search": $("search").focus(); $("search").select(); break;
    case "help": openKeysHelp(); break;
    default: break;
  }
}

// -- start -------------------------------------------------------------------------------------------
function showMe() {
  const me = state.me;
  $("me").textContent = me.name;
  $("me-role").textContent = me.role;
  $("me-avatar").textContent = initials(me.name);
  state.supervisor = me.role === "supervisor" || me.role === "admin";
  $("manage").hidden = !state.supervisor;
}

async function loadPolicies() {
  try {
    const body = await api("/api/sla/policies");
    state.warn = core.warnTimes(body.policies || []);
  } catch (error) { /* the server's own state of each clock stands */ }
}

async function start() {
  wireDialogClosing();
  wireHeader();
  wireInbox();
  wireConversation();
  wireComposer();
  wirePanel();
  wireDialogs();
  fillReasonFilter();
  fillKeysHelp();
  document.addEventListener("keydown", onKey);
  try {
    state.me = await api("/api/me");
  } catch (error) {
    $("ticket-list").replaceChildren();
    $("list-state").replaceChildren(stateBlock("error", "The console could not start", error.message,
                                               {label: "Reload", onClick: () => window.location.reload()}));
    $("list-state").hidden = false;
    return;
  }
  showMe();
  wireLive();
  readFilters();
  // Mine first when the agent holds anything, else Waiting (decided by the first answer's counts).
  state.view = "mine";
  state.booting = true;
  await loadList();
  connect();
  watchCurveSize();
  loadCanned();
  loadTags();
  loadAgentNames();
  loadPolicies();
  loadAlerts();
  setInterval(() => { tickList(); tickConversation(); }, 1000);
  const fromHash = /^#ticket-(\d+)$/.exec(window.location.hash);
  if (fromHash) openTicket(Number(fromHash[1]));
}

start().catch(toastError);
