// The console's shared state and its DOM helpers. Shopper text only ever goes in through textContent
// (el(..., {text}) and text children); nothing here builds HTML from strings.
export const core = window.ConsoleCore;

export const state = {
  me: null, supervisor: false,
  view: null, filters: {q: "", reason: "", anger: "", waiting_over: "", verified: false, sla: ""},
  page: 1, perPage: 25,
  list: [], total: 0, pages: 1, counts: null, unread: 0, cursor: -1, listLoaded: false, listError: null,
  followUps: null, followUpsError: null,
  openId: null, ticket: null, ticketError: null, customer: null,
  offset: 0, warn: {}, canned: [], variables: [], tags: core.RESOLUTION_TAGS,
  known: new Map(), alerts: [], live: "connecting", agentNames: {},
};

/** The server's clock now (the browser's corrected by the offset the last list answer gave). */
export const serverNow = () => Date.now() + state.offset;

export const $ = (id) => document.getElementById(id);

/** An element: el("span", {className, text, attrs, dataset, on: {click}}, ...children). */
export function el(tag, options, ...children) {
  const node = document.createElement(tag);
  const o = options || {};
  if (o.className) node.className = o.className;
  if (o.text !== undefined && o.text !== null) node.textContent = String(o.text);
  if (o.attrs) for (const [name, value] of Object.entries(o.attrs)) if (value !== null && value !== undefined) node.setAttribute(name, value);
  if (o.dataset) for (const [name, value] of Object.entries(o.dataset)) node.dataset[name] = value;
  if (o.on) for (const [name, handler] of Object.entries(o.on)) node.addEventListener(name, handler);
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

const SVG = "http://www.w3.org/2000/svg";

export function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  return node;
}

/** An icon from the page's sprite (#i-<name>). */
export function icon(name, className) {
  const node = svg("svg", {class: "icon" + (className ? " " + className : ""), "aria-hidden": "true"});
  node.append(svg("use", {href: "#i-" + name}));
  return node;
}

export function button(label, options) {
  const o = options || {};
  const node = el("button", {className: "btn " + (o.variant || ""), attrs: {type: "button", title: o.title, "aria-label": o.ariaLabel}});
  if (o.icon) node.append(icon(o.icon));
  if (label) node.append(el("span", {text: label}));
  if (o.onClick) node.addEventListener("click", (event) => { event.stopPropagation(); o.onClick(event); });
  return node;
}

export function initials(name) {
  const words = String(name || "").replace(/@.*/, "").split(/[\s._-]+/).filter(Boolean);
  if (!words.length) return "?";
  return (words[0][0] + (words.length > 1 ? words[words.length - 1][0] : "")).toUpperCase();
}

export class ApiError extends Error {
  constructor(message, status) { super(message); this.status = status; }
}

/** The desk's JSON API: the error text of a refusal, a redirect to the login page once logged out. */
export async function api(path, options) {
  const o = options || {};
  const init = {method: o.method || "GET", headers: {"X-Requested-With": "desk"}, credentials: "same-origin"};
  if (o.body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(o.body); }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError("The desk can't be reached: check the connection. Nothing was changed.", 0);
  }
  if (response.status === 401) {
    window.location = "/login";
    throw new ApiError("You are logged out.", 401);
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const text = body.error || (response.status >= 500 ? "The desk had a problem answering; try again in a moment."
                                                       : `The desk refused this (${response.status}).`);
    throw new ApiError(capitalise(text), response.status);
  }
  return body;
}

export function capitalise(text) {
  const words = String(text || "");
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : words;
}

/** A button that shows it is working while its action runs, and cannot be pressed twice meanwhile. */
export async function busy(node, action) {
  if (!node) return action();
  if (node.dataset.busy === "1") return undefined;
  node.dataset.busy = "1";
  node.disabled = true;
  node.setAttribute("aria-busy", "true");
  try { return await action(); } finally {
    delete node.dataset.busy;
    node.disabled = false;
    node.removeAttribute("aria-busy");
  }
}

// -- toast -------------------------------------------------------------------------------------------
let toastTimer = null;

/** Says what an action did (or why not); role=status reads it out. */
export function toast(message, kind) {
  const node = $("toast");
  node.textContent = message;
  node.dataset.kind = kind || "success";
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { node.hidden = true; }, kind === "error" ? 7000 : 4000);
}

export function toastError(error) { toast(error && error.message ? error.message : String(error), "error"); }

// -- dialogs -----------------------------------------------------------------------------------------
export function openDialog(dialog) {
  if (!dialog.open) dialog.showModal();
}

export function closeDialog(dialog) {
  if (dialog.open) dialog.close();
}

export function anyDialogOpen() { return Boolean(document.querySelector("dialog[open]")); }

/** Every .dialog-close closes its dialog. */
export function wireDialogs() {
  for (const close of document.querySelectorAll(".dialog-close")) {
    close.addEventListener("click", () => closeDialog(close.closest("dialog")));
  }
  for (const dialog of document.querySelectorAll("dialog")) {
    // A click on the backdrop (the dialog element itself, outside its content) closes it.
    dialog.addEventListener("click", (event) => { if (event.target === dialog) closeDialog(dialog); });
  }
}

/** A yes/no question in a dialog; resolves true for yes. */
export function confirmDialog(title, text, okLabel) {
  const dialog = $("confirm-dialog");
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  $("confirm-ok").textContent = okLabel || "Confirm";
  dialog.returnValue = "";
  openDialog(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), {once: true});
  });
}

// -- states ------------------------------------------------------------------------------------------
/** An empty, loading or error state: icon, title, text and an optional action button. */
export function stateBlock(kind, title, text, action) {
  const block = el("div", {className: "state state-" + kind + (action && action.compact ? " state-compact" : "")});
  if (kind === "loading") block.append(el("span", {className: "spinner"}));
  else block.append(el("span", {className: "state-icon"}, icon(kind === "error" ? "alert" : (action && action.icon) || "open")));
  block.append(el("p", {className: "state-title", text: title}));
  if (text) block.append(el("p", {text}));
  if (action && action.label) block.append(button(action.label, {onClick: action.onClick, variant: "btn-sm"}));
  return block;
}

export function showIn(container, block) {
  container.replaceChildren(block);
  container.hidden = false;
}

export function isTyping(target) {
  if (!target || !target.tagName) return false;
  const tag = target.tagName.toLowerCase();
  if (tag === "textarea" || tag === "select" || target.isContentEditable) return true;
  if (tag !== "input") return false;
  return !["checkbox", "radio", "button", "submit", "reset"].includes((target.type || "").toLowerCase());
}

export function localFlag(name, value) {
  try {
    if (value === undefined) return window.localStorage.getItem("console." + name) === "on";
    window.localStorage.setItem("console." + name, value ? "on" : "off");
  } catch (error) { /* storage refused (private mode): the setting lasts for this page only */ }
  return value;
}
