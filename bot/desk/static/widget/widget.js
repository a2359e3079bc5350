/*
 * Storefront Assistant chat widget.
 *
 * Embed on any page with one tag (the config may also be set as window.StorefrontChatConfig first):
 *   <script src="https://DESK/static/widget/widget.js" defer
 *           data-config='{"rasaUrl": "https://RASA", "title": "Help", "language": "en",
 *                         "colors": {"primary": "#1f4e3d"}, "identityToken": "...",
 *                         "context": {"product": "TS-SNK-001"}}'></script>
 *
 * Talks to Rasa's socket.io channel with a persistent session id kept in localStorage, reads the
 * conversation back from the desk after a reload or a dropped connection, and keeps unsent messages
 * in an outbox until they are acknowledged. Every piece of message text is inserted with
 * textContent or text nodes: markup that came from a message is shown, never executed.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__storefrontChatLoaded) return;
  window.__storefrontChatLoaded = true;

  var ACK_TIMEOUT_MS = 30000;
  var STATUS_POLL_MS = 4000;
  var CACHE_LIMIT = 200;

  var STRINGS = {
    en: {
      open: "Chat with us", close: "Close chat", send: "Send", placeholder: "Type your question",
      inputLabel: "Your message", conversation: "Conversation",
      welcome: "Hi! I can help with returns, shipping, sizing and where your order is. What can I do for you?",
      you: "You", assistant: "Assistant", team: "team",
      typing: "The assistant is typing", waiting: "Connecting you to a person.",
      place: "You're number {n} in the queue.",
      offline: "Our team is offline right now; someone will answer here when they're back.",
      withAgent: "You're chatting with {name} from our team.", back: "You're back with the assistant.",
      reconnecting: "Connection lost. Reconnecting... Messages you write now are kept and sent when the connection is back.",
      unavailable: "The chat can't connect right now. Messages you write are kept and sent when it can.",
      pending: "Not sent yet: waiting for the connection", sending: "Sending", failed: "Not sent.",
      retry: "Retry", historyFailed: "Earlier messages couldn't be loaded; they are not lost.",
      tooLong: "Messages can be up to {n} characters.", unread: "{n} new",
      suggestions: "Suggested replies", quickOrder: "Where is my order?", quickReturns: "Returns", quickShipping: "Shipping", quickSizing: "Sizing"
    },
    de: {
      open: "Chat starten", close: "Chat schließen", send: "Senden", placeholder: "Ihre Frage",
      inputLabel: "Ihre Nachricht", conversation: "Unterhaltung",
      welcome: "Hallo! Ich helfe bei Rücksendungen, Versand, Größen und Ihrer Bestellung. Was kann ich für Sie tun?",
      you: "Sie", assistant: "Assistent", team: "Team",
      typing: "Der Assistent schreibt", waiting: "Wir verbinden Sie mit einer Person.",
      place: "Sie sind Nummer {n} in der Warteschlange.",
      offline: "Unser Team ist gerade nicht erreichbar; jemand antwortet hier, sobald es zurück ist.",
      withAgent: "Sie chatten mit {name} aus unserem Team.", back: "Sie sind wieder beim Assistenten.",
      reconnecting: "Verbindung unterbrochen. Neuer Versuch... Was Sie jetzt schreiben, wird gesendet, sobald die Verbindung steht.",
      unavailable: "Der Chat kann sich gerade nicht verbinden. Ihre Nachrichten werden gesendet, sobald es geht.",
      pending: "Noch nicht gesendet: wartet auf die Verbindung", sending: "Wird gesendet", failed: "Nicht gesendet.",
      retry: "Erneut senden", historyFailed: "Frühere Nachrichten konnten nicht geladen werden; sie sind nicht verloren.",
      tooLong: "Nachrichten dürfen höchstens {n} Zeichen haben.", unread: "{n} neu",
      suggestions: "Antwortvorschläge", quickOrder: "Wo ist meine Bestellung?", quickReturns: "Rücksendung", quickShipping: "Versand", quickSizing: "Größen"
    }
  };
  var MAX_MESSAGE = 2000;

  // -- configuration -------------------------------------------------------------------------
  function readConfig() {
    var fromTag = {};
    try {
      fromTag = JSON.parse(script.getAttribute("data-config") || "{}");
    } catch (error) {
      console.error("storefront chat: data-config is not valid JSON", error);
    }
    var config = Object.assign({}, window.StorefrontChatConfig || {}, fromTag);
    var scriptUrl = new URL(script.src, document.baseURI);
    var language = String(config.language || navigator.language || "en").slice(0, 2).toLowerCase();
    return {
      rasaUrl: String(config.rasaUrl || "http://127.0.0.1:5005").replace(/\/$/, ""),
      deskUrl: String(config.deskUrl || scriptUrl.origin).replace(/\/$/, ""),
      assetBase: new URL(".", scriptUrl).href,
      title: String(config.title || "Help"),
      language: STRINGS[language] ? language : "en",
      colors: config.colors || {},
      identityToken: typeof config.identityToken === "string" ? config.identityToken : null,
      context: config.context && typeof config.context === "object" ? config.context : null,
      socketPath: String(config.socketPath || "/socket.io")
    };
  }

  var config = readConfig();
  var t = STRINGS[config.language];
  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return String(values[key]); });
  }

  // -- persistence ---------------------------------------------------------------------------
  var storageKey = "storefront-chat:v1:" + config.rasaUrl;
  function load() {
    try { return JSON.parse(localStorage.getItem(storageKey) || "{}") || {}; } catch (error) { return {}; }
  }
  var stored = load();

  function randomSessionId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return "web-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // Who the shop says the customer is (read from the token, unverified: only to decide whether this
  // browser's conversation belongs to someone else). The assistant verifies the signature itself.
  function identityOf(token) {
    if (!token) return "";
    try {
      var part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return String(JSON.parse(atob(part)).email || "");
    } catch (error) { return ""; }
  }

  var identity = identityOf(config.identityToken);
  var state = {
    sessionId: stored.sessionId,
    identity: stored.identity || "",
    open: !!stored.open,
    messages: Array.isArray(stored.messages) ? stored.messages : [],
    handoff: stored.handoff || {status: "none"}
  };
  // Any change of identity (another customer, signing out, or an anonymous shopper signing in) starts a
  // new conversation: what was verified before belongs to whoever was at the keyboard then.
  var switchedCustomer = state.identity !== identity;
  if (!/^web-[0-9a-f]{32}$/.test(state.sessionId || "") || switchedCustomer) {
    state = {sessionId: randomSessionId(), identity: identity, open: state.open, messages: [], handoff: {status: "none"}};
  }
  state.identity = identity;
  // A message that was on its way when the page went away may not have arrived: say so.
  state.messages.forEach(function (m) { if (m.status === "sending") m.status = "failed"; });

  function save() {
    try {
      localStorage.setItem(storageKey, JSON.stringify({
        sessionId: state.sessionId, identity: state.identity, open: state.open, handoff: state.handoff,
        messages: state.messages.slice(-CACHE_LIMIT)
      }));
    } catch (error) { /* storage full or blocked: the conversation still lives on the server */ }
  }

  // -- DOM -----------------------------------------------------------------------------------
  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      if (name === "text") node.textContent = attributes[name];
      else if (name === "className") node.className = attributes[name];
      else node.setAttribute(name, attributes[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  var host = el("div", {id: "storefront-chat"});
  var root = host.attachShadow ? host.attachShadow({mode: "open"}) : host;
  applyColors(host, config.colors);

  var launcher = el("button", {className: "launcher", type: "button", "aria-expanded": "false",
                               "aria-controls": "sfc-panel", "aria-label": t.open + ": " + config.title}, [
    el("span", {className: "launcher-icon", "aria-hidden": "true", text: "\uD83D\uDCAC"}),
    el("span", {className: "launcher-text", text: t.open}),
    el("span", {className: "unread", hidden: "", "aria-hidden": "true"})
  ]);
  var unread = launcher.querySelector(".unread");
  var closeButton = el("button", {className: "close", type: "button", "aria-label": t.close, text: "\u00D7"});
  var banner = el("p", {className: "banner", role: "status", hidden: ""});
  var connection = el("p", {className: "connection", role: "alert", hidden: ""});
  var log = el("ol", {className: "log", "aria-label": t.conversation, tabindex: "0"});
  var typing = el("p", {className: "typing", hidden: ""}, [
    el("span", {className: "sr-only", text: t.typing}),
    el("span", {className: "dots", "aria-hidden": "true"}, [el("span"), el("span"), el("span")])
  ]);
  var announcer = el("div", {className: "sr-only", "aria-live": "polite", "aria-atomic": "false"});
  var input = el("textarea", {id: "sfc-input", rows: "1", maxlength: String(MAX_MESSAGE), placeholder: t.placeholder,
                              "aria-describedby": "sfc-input-help"});
  var inputHelp = el("p", {id: "sfc-input-help", className: "input-help", "aria-live": "polite"});
  var sendButton = el("button", {className: "send", type: "submit", text: t.send});
  var form = el("form", {className: "composer"}, [
    el("label", {className: "sr-only", "for": "sfc-input", text: t.inputLabel}), input, sendButton
  ]);
  var titleId = "sfc-title";
  var panel = el("section", {id: "sfc-panel", className: "panel", role: "dialog", "aria-labelledby": titleId,
                             hidden: ""}, [
    el("header", {className: "panel-header"}, [el("h2", {id: titleId, text: config.title}), closeButton]),
    banner, connection, log, typing, form, inputHelp, announcer
  ]);

  var stylesheet = el("link", {rel: "stylesheet", href: config.assetBase + "widget.css"});
  root.appendChild(stylesheet);
  root.appendChild(launcher);
  root.appendChild(panel);
  document.body.appendChild(host);

  function applyColors(target, colors) {
    var primary = validColor(colors.primary) || "#1f4e3d";
    var onPrimary = validColor(colors.onPrimary) || "#ffffff";
    // Keep text on the brand colour readable (WCAG AA, 4.5:1) whatever the shop configured.
    if (contrast(primary, onPrimary) < 4.5) {
      onPrimary = contrast(primary, "#000000") >= contrast(primary, "#ffffff") ? "#000000" : "#ffffff";
    }
    target.style.setProperty("--sfc-primary", primary);
    target.style.setProperty("--sfc-on-primary", onPrimary);
  }

  function validColor(value) {
    return typeof value === "string" && /^#[0-9a-fA-F]{6}$/.test(value) ? value : null;
  }

  function luminance(hex) {
    var channels = [1, 3, 5].map(function (i) {
      var c = parseInt(hex.substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
  }

  function contrast(a, b) {
    var la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }

  // -- formatting: **bold**, links, line breaks; always as text nodes ------------------------
  // Bold needs ** with no further * on either side and no space just inside, as in Markdown: a masked
  // email such as a***@e***.com stays text.
  var TOKEN = /((?<!\*)\*\*(?![\s*])[^*]+?(?<![\s*])\*\*(?!\*)|\[[^\]]+\]\(https?:\/\/[^)\s]+\)|https?:\/\/[^\s<>"')]+)/g;

  function safeLink(url, label) {
    var parsed;
    try { parsed = new URL(url); } catch (error) { return document.createTextNode(label); }
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return document.createTextNode(label);
    return el("a", {href: parsed.href, target: "_blank", rel: "noopener noreferrer nofollow", text: label});
  }

  function formatted(text) {
    var fragment = document.createDocumentFragment();
    String(text).split("\n").forEach(function (line, index) {
      if (index > 0) fragment.appendChild(el("br"));
      var last = 0;
      line.replace(TOKEN, function (match, _group, offset) {
        if (offset > last) fragment.appendChild(document.createTextNode(line.slice(last, offset)));
        if (match.indexOf("**") === 0) {
          fragment.appendChild(el("strong", {text: match.slice(2, -2)}));
        } else if (match.charAt(0) === "[") {
          var split = match.indexOf("](");
          fragment.appendChild(safeLink(match.slice(split + 2, -1), match.slice(1, split)));
        } else {
          fragment.appendChild(safeLink(match, match));
        }
        last = offset + match.length;
        return match;
      });
      if (last < line.length) fragment.appendChild(document.createTextNode(line.slice(last)));
    });
    return fragment;
  }

  var timeFormat = new Intl.DateTimeFormat(config.language, {hour: "2-digit", minute: "2-digit"});

  function senderName(message) {
    if (message.from === "shopper") return t.you;
    if (message.from === "agent") return (message.agent_name || "") + " (" + t.team + ")";
    if (message.from === "system") return "";
    return t.assistant;
  }

  function messageItem(message, isLast) {
    var item = el("li", {className: "message from-" + message.from});
    var name = senderName(message);
    var meta = el("p", {className: "meta"});
    if (name) meta.appendChild(el("span", {className: "sender", text: name}));
    if (message.at) {
      var when = new Date(message.at * 1000);
      meta.appendChild(el("time", {datetime: when.toISOString(), text: timeFormat.format(when)}));
    }
    item.appendChild(meta);
    var bubble = el("div", {className: "bubble"});
    bubble.appendChild(formatted(message.text || ""));
    if (message.image) {
      var src = null;
      try { src = new URL(message.image); } catch (error) { src = null; }
      if (src && (src.protocol === "https:" || src.protocol === "http:")) {
        bubble.appendChild(el("img", {src: src.href, alt: "", loading: "lazy"}));
      }
    }
    item.appendChild(bubble);
    if (message.from === "shopper" && message.status && message.status !== "sent") {
      var status = el("p", {className: "delivery " + message.status});
      status.appendChild(document.createTextNode(
        message.status === "failed" ? t.failed + " " : message.status === "sending" ? t.sending : t.pending));
      if (message.status === "failed") {
        var retry = el("button", {type: "button", className: "retry", text: t.retry});
        retry.addEventListener("click", function () { message.status = "pending"; render(); flush(); input.focus(); });
        status.appendChild(retry);
      }
      item.appendChild(status);
    }
    if (isLast && message.buttons && message.buttons.length) {
      var group = el("div", {className: "quick-replies", role: "group", "aria-label": t.suggestions});
      message.buttons.forEach(function (button) {
        var quick = el("button", {type: "button", className: "quick-reply", text: button.title});
        quick.addEventListener("click", function () { send(button.payload, button.title); input.focus(); });
        group.appendChild(quick);
      });
      item.appendChild(group);
    }
    return item;
  }

  function welcome() {
    return {from: "bot", text: t.welcome, buttons: [
      {title: t.quickOrder, payload: "/order_status"}, {title: t.quickReturns, payload: "/ask_return_policy"},
      {title: t.quickShipping, payload: "/ask_shipping"}, {title: t.quickSizing, payload: "/ask_sizing"}
    ]};
  }

  function render() {
    var shown = state.messages.length ? state.messages : [welcome()];
    // Quick replies belong to the latest thing the assistant said, and only until the shopper answers.
    var lastIndex = shown.length - 1;
    var atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
    log.replaceChildren.apply(log, shown.map(function (message, index) {
      return messageItem(message, index === lastIndex && message.from !== "shopper");
    }));
    if (atBottom || !state.open) log.scrollTop = log.scrollHeight;
    renderBanner();
    save();
  }

  function renderBanner() {
    var handoff = state.handoff || {status: "none"};
    var text = "";
    var place = handoff.position ? " " + say(t.place, {n: handoff.position}) : "";
    if (handoff.status === "waiting") {
      text = t.waiting + place;
    } else if (handoff.status === "offline") {
      text = t.offline + place;
    } else if (handoff.status === "with_agent") {
      text = say(t.withAgent, {name: handoff.agent_name || t.team});
    } else if (handoff.status === "back") {
      text = t.back;
    }
    banner.textContent = text;
    banner.hidden = !text;
    banner.className = "banner " + handoff.status;
  }

  function announce(message) {
    var name = senderName(message);
    announcer.appendChild(el("p", {text: (name ? name + ": " : "") + (message.text || "")}));
    while (announcer.childNodes.length > 5) announcer.removeChild(announcer.firstChild);
  }

  function add(message) {
    message.at = message.at || Date.now() / 1000;
    state.messages.push(message);
    if (message.from !== "shopper") {
      announce(message);
      if (!state.open) {
        unreadCount += 1;
        unread.textContent = say(t.unread, {n: unreadCount});
        unread.hidden = false;
      }
    }
    if (syncing) arrivedWhileSyncing.push(message);
    render();
  }

  // -- open and close; keyboard --------------------------------------------------------------
  var unreadCount = 0;
  function setOpen(open, focusInput) {
    state.open = open;
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    host.classList.toggle("is-open", open);
    if (open) {
      unreadCount = 0;
      unread.hidden = true;
      log.scrollTop = log.scrollHeight;
      if (focusInput) input.focus();
      start();
    }
    save();
  }

  launcher.addEventListener("click", function () { setOpen(!state.open, true); if (!state.open) launcher.focus(); });
  closeButton.addEventListener("click", function () { setOpen(false); launcher.focus(); });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { setOpen(false); launcher.focus(); }
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : submit();
    }
  });
  input.addEventListener("input", function () { inputHelp.textContent = ""; });
  form.addEventListener("submit", function (event) { event.preventDefault(); submit(); });

  function submit() {
    var text = input.value.trim();
    if (!text) return;
    if (text.length > MAX_MESSAGE) { inputHelp.textContent = say(t.tooLong, {n: MAX_MESSAGE}); return; }
    input.value = "";
    send(text, null);
  }

  // -- the connection ------------------------------------------------------------------------
  var socket = null;
  var ready = false;          // connected and the session confirmed
  var everConnected = false;
  var inFlight = null;        // the message waiting for its acknowledgement
  var syncing = false;
  var arrivedWhileSyncing = [];
  var statusTimer = null;

  function send(payload, displayText) {
    add({id: "m" + Date.now() + Math.random().toString(16).slice(2), from: "shopper", text: displayText || payload,
         payload: payload, display: displayText, status: "pending"});
    if (state.handoff.status === "back") { state.handoff = {status: "none"}; renderBanner(); }
    start();
    flush();
  }

  function metadataFor(message) {
    var metadata = {};
    if (config.identityToken) metadata.identity = config.identityToken;
    if (config.context && config.context.product) metadata.page = {product: String(config.context.product)};
    if (message.display) metadata.display_text = message.display;
    metadata.language = config.language;
    return metadata;
  }

  function botIsAnswering() {
    return state.handoff.status === "none" || state.handoff.status === "back";
  }

  // One message at a time, in order: the next goes when Rasa has acknowledged the previous one.
  function flush() {
    // Not while the conversation is being read back: a message acknowledged meanwhile would be in
    // neither the history fetched before it nor the outbox, and vanish from the screen.
    if (!ready || inFlight || syncing) return;
    var next = state.messages.filter(function (m) { return m.from === "shopper" && m.status === "pending"; })[0];
    if (!next) return;
    inFlight = next;
    next.status = "sending";
    typing.hidden = !botIsAnswering();
    render();
    socket.timeout(ACK_TIMEOUT_MS).emit("user_uttered",
      {message: next.payload, session_id: state.sessionId, metadata: metadataFor(next)},
      function (error) {
        inFlight = null;
        next.status = error ? "failed" : "sent";
        typing.hidden = true;
        render();
        flush();
      });
  }

  function showConnection(text) {
    connection.textContent = text || "";
    connection.hidden = !text;
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      if (window.io) { resolve(); return; }
      var tag = document.createElement("script");
      tag.src = src;
      tag.async = true;
      tag.onload = function () { resolve(); };
      tag.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(tag);
    });
  }

  var starting = null;
  function start() {
    if (starting) return starting;
    starting = loadScript(config.assetBase + "socket.io.min.js").then(connect, function () {
      showConnection(t.unavailable);
      starting = null;
    });
    return starting;
  }

  function connect() {
    socket = window.io(config.rasaUrl, {path: config.socketPath, transports: ["websocket"],
                                        reconnectionDelay: 500, reconnectionDelayMax: 4000});
    socket.on("connect", function () {
      socket.emit("session_request", {session_id: state.sessionId});
    });
    socket.on("session_confirm", function () {
      ready = true;
      showConnection("");
      // After a reload or a dropped connection, catch up with what was said meanwhile, then send
      // what the shopper wrote while offline. A conversation that has not begun has nothing to read.
      var begun = everConnected || state.messages.some(function (m) { return m.status === "sent" || m.from !== "shopper"; });
      (begun ? syncHistory() : Promise.resolve()).then(flush);
      everConnected = true;
    });
    socket.on("disconnect", function () {
      ready = false;
      showConnection(t.reconnecting);
    });
    socket.on("connect_error", function () {
      ready = false;
      showConnection(everConnected ? t.reconnecting : t.unavailable);
    });
    socket.on("bot_uttered", onBotMessage);
  }

  function onBotMessage(data) {
    if (!data || typeof data !== "object") return;
    typing.hidden = true;
    if (data.event === "handoff") {
      setHandoff({status: data.status === "offline" ? "offline" : "waiting", position: data.position});
      return;
    }
    if (data.event === "agent_joined") {
      add({from: "system", text: String(data.text || ""), agent_name: data.agent_name});
      setHandoff({status: "with_agent", agent_name: data.agent_name});
      return;
    }
    if (data.event === "handback") {
      add({from: "system", text: String(data.text || "")});
      setHandoff({status: "back"});
      return;
    }
    if (data.sender === "agent") {
      add({from: "agent", text: String(data.text || ""), agent_name: data.agent_name});
      if (state.handoff.status !== "with_agent") setHandoff({status: "with_agent", agent_name: data.agent_name});
      return;
    }
    var message = {from: "bot", text: typeof data.text === "string" ? data.text : ""};
    if (Array.isArray(data.quick_replies)) {
      message.buttons = data.quick_replies.map(function (q) { return {title: String(q.title), payload: String(q.payload)}; });
    }
    var attachment = data.attachment;
    if (attachment && attachment.type === "image" && attachment.payload && attachment.payload.src) {
      message.image = String(attachment.payload.src);
    }
    if (message.text || message.image) add(message);
  }

  function setHandoff(handoff) {
    state.handoff = handoff;
    renderBanner();
    save();
    var live = handoff.status === "waiting" || handoff.status === "offline" || handoff.status === "with_agent";
    if (live && !statusTimer) {
      statusTimer = setInterval(pollStatus, STATUS_POLL_MS);
    } else if (!live && statusTimer) {
      clearInterval(statusTimer);
      statusTimer = null;
    }
  }

  function fromServer(handoff) {
    if (!handoff || handoff.status === "none") {
      // An ended hand-over keeps its "back with the assistant" note until the shopper writes.
      return state.handoff.status === "back" ? state.handoff : {status: "none"};
    }
    // The server knows the queue, the assistant knew whether the team is on duty.
    if (handoff.status === "waiting" && state.handoff.status === "offline") {
      return {status: "offline", position: handoff.position};
    }
    return handoff;
  }

  function pollStatus() {
    fetch(config.deskUrl + "/chat/" + state.sessionId + "/status", {credentials: "omit"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) { if (body) setHandoff(fromServer(body.handoff)); })
      .catch(function () { /* the next poll tries again */ });
  }

  function sameMessage(a, b) {
    return a.from === b.from && (a.text || "") === (b.text || "");
  }

  function syncHistory() {
    syncing = true;
    arrivedWhileSyncing = [];
    return fetch(config.deskUrl + "/chat/" + state.sessionId + "/history", {credentials: "omit"})
      .then(function (response) {
        if (!response.ok) throw new Error("history " + response.status);
        return response.json();
      })
      .then(function (body) {
        var server = (body.messages || []).map(function (m) {
          return {from: m.from, text: m.text, at: m.at, agent_name: m.agent_name, buttons: m.buttons, status: "sent"};
        });
        var unsent = state.messages.filter(function (m) {
          return m.from === "shopper" && m.status && m.status !== "sent";
        });
        var tail = server.slice(-8);
        var live = arrivedWhileSyncing.filter(function (m) {
          return m.from !== "shopper" && !tail.some(function (s) { return sameMessage(s, m); });
        });
        state.messages = server.concat(live, unsent);
        setHandoff(fromServer(body.handoff));
        render();
      })
      .catch(function () {
        if (state.messages.length) inputHelp.textContent = t.historyFailed;
      })
      .then(function () { syncing = false; });
  }


  // -- go --------------------------------------------------------------------------------------
  render();
  setOpen(state.open, false);
  setHandoff(state.handoff);
  // A conversation already under way reconnects at once, so agent replies arrive even while closed.
  if (state.messages.length) start();
})();
