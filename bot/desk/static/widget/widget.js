/*
 * Storefront Assistant chat widget.
 *
 * Embed on any page with one tag (the config may also be set as window.StorefrontChatConfig first):
 *   <script src="https://DESK/static/widget/widget.js" defer
 *           data-config='{"rasaUrl": "https://RASA", "title": "Help", "language": "de",
 *                         "colors": {"primary": "#1f4e3d"}, "identityToken": "...",
 *                         "context": {"product": "TS-SNK-001"}, "layout": "dock"}'></script>
 *
 * Talks to Rasa's socket.io channel with a persistent session id kept in localStorage, reads the
 * conversation back from the desk after a reload or a dropped connection, and keeps unsent messages
 * in an outbox until they are acknowledged. After an agent hands the conversation back it asks once for a
 * rating (1-5, an optional comment, skippable); the shopper can have the conversation emailed to them.
 * The words and the rules live in core.js (loaded first);
 * this file draws. Every piece of message text is inserted with textContent or text nodes: markup that
 * came from a message is shown, never executed.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__storefrontChatLoaded) return;
  window.__storefrontChatLoaded = true;
  var scriptUrl = new URL(script.src, document.baseURI);
  var assetBase = new URL(".", scriptUrl).href;

  if (window.StorefrontChatCore) {
    main(window.StorefrontChatCore);
  } else {
    var coreTag = document.createElement("script");
    coreTag.src = assetBase + "core.js";
    coreTag.onload = function () { main(window.StorefrontChatCore); };
    coreTag.onerror = function () { console.error("storefront chat: could not load " + coreTag.src); };
    document.head.appendChild(coreTag);
  }

  function main(core) {
    var ACK_TIMEOUT_MS = 30000;
    var CAMERA_ICON = "M9 3 7.2 5H4a2 2 0 0 0-2 2v11a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2h-3.2L15 3H9zm3 " +
                      "5a4.5 4.5 0 1 1 0 9 4.5 4.5 0 0 1 0-9zm0 2a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5z";
    var CHAT_ICON = "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6a1.25 1.25 0 1 0 " +
                    "0 2.5A1.25 1.25 0 0 0 7 9zm5 0a1.25 1.25 0 1 0 0 2.5A1.25 1.25 0 0 0 12 9zm5 0a1.25 1.25 0 1 0 0 2.5A1.25 " +
                    "1.25 0 0 0 17 9z";
    var STAR_ICON = "M12 2.5l2.9 6.1 6.6.8-4.9 4.6 1.3 6.6L12 17.3l-5.9 3.3 1.3-6.6-4.9-4.6 6.6-.8z";
    var MAIL_ICON = "M3 5h18a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1zm1 2.2V17h16V7.2l-8 5.3-8-5.3zM5.6 " +
                    "7 12 11.2 18.4 7H5.6z";
    var STATUS_POLL_MS = 4000;
    // Status polls after a hand-back, to learn whether the desk wants a rating (the ticket is resolved
    // just after the hand-back message is sent).
    var CSAT_POLLS = 4;
    var CACHE_LIMIT = 200;
    // Wide enough that the page keeps a readable column beside the docked chat.
    var DOCK_MEDIA = "(min-width: 1024px)";
    var DOCK_WIDTH = "400px";

    // -- configuration -----------------------------------------------------------------------
    function readConfig() {
      var fromTag = {};
      try {
        fromTag = JSON.parse(script.getAttribute("data-config") || "{}");
      } catch (error) {
        console.error("storefront chat: data-config is not valid JSON", error);
      }
      var config = Object.assign({}, window.StorefrontChatConfig || {}, fromTag);
      var browserLanguages = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
      return {
        rasaUrl: String(config.rasaUrl || "http://127.0.0.1:5005").replace(/\/$/, ""),
        deskUrl: String(config.deskUrl || scriptUrl.origin).replace(/\/$/, ""),
        title: String(config.title || "Help"),
        language: core.pickLanguage(config.language, browserLanguages),
        colors: config.colors || {},
        identityToken: typeof config.identityToken === "string" ? config.identityToken : null,
        context: config.context && typeof config.context === "object" ? config.context : null,
        socketPath: String(config.socketPath || "/socket.io"),
        dock: config.layout !== "float"
      };
    }

    var config = readConfig();
    var t = core.wordsFor(config.language);
    var say = core.format;

    // -- persistence -------------------------------------------------------------------------
    var storageKey = "storefront-chat:v1:" + config.rasaUrl;
    function load() {
      try { return JSON.parse(localStorage.getItem(storageKey) || "{}") || {}; } catch (error) { return {}; }
    }
    var stored = load();

    function randomBytes(n) {
      var bytes = new Uint8Array(n);
      crypto.getRandomValues(bytes);
      return bytes;
    }

    function randomSessionId() {
      return "web-" + Array.prototype.map.call(randomBytes(16), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
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
      messages: Array.isArray(stored.messages) ? core.restoreOutbox(stored.messages) : [],
      handoff: stored.handoff || {status: "none"},
      offlineSent: !!stored.offlineSent,
      csat: stored.csat && typeof stored.csat === "object" ? stored.csat : {}  // ticket -> "rated" | "skipped"
    };
    // Any change of identity (another customer, signing out, or an anonymous shopper signing in) starts a
    // new conversation: what was verified before belongs to whoever was at the keyboard then.
    if (!/^web-[0-9a-f]{32}$/.test(state.sessionId || "") || state.identity !== identity) {
      state = {sessionId: randomSessionId(), identity: identity, open: state.open, messages: [],
               handoff: {status: "none"}, offlineSent: false, csat: {}};
    }
    state.identity = identity;
    var seenUntil = null;       // the server's time up to which the agent has read the shopper's messages
    var clockSkew = 0;          // server time minus this browser's time, from the status route

    function serverNow() { return Date.now() / 1000 + clockSkew; }

    function save() {
      try {
        localStorage.setItem(storageKey, JSON.stringify({
          sessionId: state.sessionId, identity: state.identity, open: state.open, handoff: state.handoff,
          offlineSent: state.offlineSent, csat: state.csat, messages: state.messages.slice(-CACHE_LIMIT)
        }));
      } catch (error) { /* storage full or blocked: the conversation still lives on the server */ }
    }

    // -- DOM ---------------------------------------------------------------------------------
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

    var host = el("div", {id: "storefront-chat", lang: config.language});
    var root = host.attachShadow ? host.attachShadow({mode: "open"}) : host;
    applyColors(host, config.colors);

    var launcher = el("button", {className: "launcher", type: "button", "aria-expanded": "false",
                                 "aria-controls": "sfc-panel", "aria-label": t.open + ": " + config.title}, [
      el("span", {className: "launcher-icon"}, [icon(CHAT_ICON)]),
      el("span", {className: "launcher-text", text: t.open}),
      el("span", {className: "unread", hidden: "", "aria-hidden": "true"})
    ]);
    var unread = launcher.querySelector(".unread");
    var closeButton = el("button", {className: "close", type: "button", "aria-label": t.close, text: "\u00D7"});
    // "Email me this conversation": a small form under the header, opened from an envelope beside the close.
    var transcriptToggle = el("button", {className: "transcript-toggle", type: "button", "aria-label": t.transcript,
                                         title: t.transcript, "aria-expanded": "false",
                                         "aria-controls": "sfc-transcript-form", hidden: ""}, [icon(MAIL_ICON)]);
    var transcriptEmail = el("input", {id: "sfc-transcript-email", type: "email", autocomplete: "email", maxlength: "254",
                                       "aria-describedby": "sfc-transcript-help"});
    var transcriptHelp = el("p", {id: "sfc-transcript-help", className: "form-help", role: "alert"});
    var transcriptForm = el("form", {id: "sfc-transcript-form", className: "transcript-form", hidden: "", novalidate: "",
                                     "aria-label": t.transcript}, [
      el("label", {"for": "sfc-transcript-email", text: t.transcript + ": " + t.email}),
      el("div", {className: "transcript-row"}, [transcriptEmail,
        el("button", {type: "submit", className: "transcript-send", text: t.transcriptSend})]),
      transcriptHelp
    ]);
    var banner = el("p", {className: "banner", role: "status", hidden: ""});
    var connection = el("p", {className: "connection", role: "alert", hidden: ""});
    var log = el("ol", {className: "log", "aria-label": t.conversation, tabindex: "0"});
    var pill = el("button", {className: "new-messages", type: "button", hidden: ""});
    var logArea = el("div", {className: "log-area"}, [log, pill]);
    var typing = el("p", {className: "typing", hidden: ""}, [
      el("span", {className: "sr-only", text: t.typing}),
      el("span", {className: "dots", "aria-hidden": "true"}, [el("span"), el("span"), el("span")])
    ]);
    var announcer = el("div", {className: "sr-only", "aria-live": "polite", "aria-atomic": "false"});

    var offlineEmail = el("input", {id: "sfc-offline-email", type: "email", autocomplete: "email", maxlength: "254",
                                    "aria-describedby": "sfc-offline-help"});
    var offlineText = el("textarea", {id: "sfc-offline-text", rows: "3", maxlength: String(core.MAX_MESSAGE),
                                      "aria-describedby": "sfc-offline-help"});
    var offlineHelp = el("p", {id: "sfc-offline-help", className: "form-help", role: "alert"});
    // Out of hours: a button that opens the form, so the form takes the screen only when the shopper wants it.
    var offlineToggle = el("button", {className: "offline-toggle", type: "button", "aria-expanded": "false",
                                      "aria-controls": "sfc-offline-form", text: t.offlineTitle});
    var offlineForm = el("form", {id: "sfc-offline-form", className: "offline-form", hidden: "", novalidate: "",
                                  "aria-label": t.offlineTitle}, [
      el("p", {className: "form-intro", text: t.offlineIntro}),
      el("label", {"for": "sfc-offline-email", text: t.email}), offlineEmail,
      el("label", {"for": "sfc-offline-text", text: t.messageForTeam}), offlineText,
      offlineHelp,
      el("button", {className: "offline-send", type: "submit", text: t.offlineSend})
    ]);

    var offlineArea = el("div", {className: "offline", hidden: ""}, [offlineToggle, offlineForm]);
    var input = el("textarea", {id: "sfc-input", rows: "1", maxlength: String(core.MAX_MESSAGE), placeholder: t.placeholder,
                                "aria-describedby": "sfc-input-help"});
    var inputHelp = el("p", {id: "sfc-input-help", className: "input-help", "aria-live": "polite"});
    var fileInput = el("input", {type: "file", className: "sr-only", tabindex: "-1", "aria-hidden": "true",
                                 accept: core.PHOTO_TYPES.join(",") + ",.heic,.heif"});
    var attachButton = el("button", {className: "attach", type: "button", "aria-label": t.attach, title: t.attach},
                          [icon(CAMERA_ICON)]);
    var sendButton = el("button", {className: "send", type: "submit", text: t.send});
    var form = el("form", {className: "composer"}, [
      el("label", {className: "sr-only", "for": "sfc-input", text: t.inputLabel}), attachButton, fileInput, input, sendButton
    ]);
    var titleId = "sfc-title";
    var panel = el("section", {id: "sfc-panel", className: "panel", role: "dialog", "aria-labelledby": titleId,
                               hidden: ""}, [
      el("header", {className: "panel-header"}, [el("h2", {id: titleId, text: config.title}),
        el("div", {className: "header-actions"}, [transcriptToggle, closeButton])]),
      banner, connection, transcriptForm, logArea, typing, offlineArea, form,
      inputHelp
    ]);

    var stylesheet = el("link", {rel: "stylesheet", href: assetBase + "widget.css"});
    root.appendChild(stylesheet);
    root.appendChild(launcher);
    root.appendChild(panel);
    root.appendChild(announcer);  // outside the panel: replies are read out while the chat is closed too
    document.body.appendChild(host);

    // Icons are drawn, so they look the same on every system (an emoji needs a font the page may lack).
    function icon(path) {
      var ns = "http://www.w3.org/2000/svg";
      var svg = document.createElementNS(ns, "svg");
      svg.setAttribute("viewBox", "0 0 24 24");
      svg.setAttribute("width", "22");
      svg.setAttribute("height", "22");
      svg.setAttribute("aria-hidden", "true");
      svg.setAttribute("focusable", "false");
      var shape = document.createElementNS(ns, "path");
      shape.setAttribute("fill", "currentColor");
      shape.setAttribute("d", path);
      svg.appendChild(shape);
      return svg;
    }

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

    // -- formatting: **bold**, links, line breaks; always as text nodes ----------------------
    // Bold needs ** with no further * on either side and no space just inside, as in Markdown: a masked
    // email such as a***@e***.com stays text.
    var TOKEN = /((?<!\*)\*\*(?![\s*])[^*]+?(?<![\s*])\*\*(?!\*)|\[[^\]]+\]\(https?:\/\/[^)\s]+\)|https?:\/\/[^\s<>"')]+)/g;

    function safeUrl(url) {
      var parsed;
      try { parsed = new URL(url, config.deskUrl + "/"); } catch (error) { return null; }
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed : null;
    }

    function safeLink(url, label) {
      var parsed = /^https?:\/\//i.test(url) ? safeUrl(url) : null;
      if (!parsed) return document.createTextNode(label);
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

    var timeFormat = new Intl.DateTimeFormat(config.language, {hour: "numeric", minute: "2-digit"});

    function senderName(message) {
      if (message.from === "shopper") return t.you;
      if (message.from === "agent") return (message.agent_name || "") + " (" + t.team + ")";
      if (message.from === "system") return "";
      return t.assistant;
    }

    function image(src, alt) {
      var url = safeUrl(src);
      if (!url) return null;
      var img = el("img", {src: url.href, alt: alt, loading: "lazy"});
      img.addEventListener("load", function () { if (following) toBottom(); });
      // An image that cannot be loaded leaves a link, not an empty bubble.
      img.addEventListener("error", function () { img.replaceWith(safeLink(url.href, alt || url.href)); });
      return img;
    }

    var MARK_WORDS = {seen: "seen", passed_on: "passedOn", pending: "pending", sending: "sending", failed: "failed"};

    function messageItem(message, mark, showButtons) {
      if (message.csat) return csatItem(message.csat);
      var item = el("li", {className: "message from-" + message.from});
      var name = senderName(message);
      var meta = el("p", {className: "meta"});
      if (name) meta.appendChild(el("span", {className: "sender", text: name}));
      if (message.at) {
        // Times are the server's (the read-back gives no other); shown in this browser's clock.
        var when = new Date((message.at - clockSkew) * 1000);
        meta.appendChild(el("time", {datetime: when.toISOString(), text: timeFormat.format(when)}));
      }
      item.appendChild(meta);
      var bubble = el("div", {className: "bubble"});
      var photos = message.attachments || [];
      // A photo sent without words needs no "Photo" above it.
      if (!(photos.length && message.text === t.photo)) bubble.appendChild(formatted(message.text || ""));
      if (message.image) bubble.appendChild(image(message.image, ""));
      photos.forEach(function (attachment) {
        var url = safeUrl(attachment.url);
        if (!url) return;
        bubble.appendChild(el("a", {className: "photo", href: url.href, target: "_blank", rel: "noopener noreferrer",
                                    "aria-label": t.openPhoto}, [image(url.href, t.photo)]));
      });
      if (photos.length) bubble.classList.add("with-photo");
      item.appendChild(bubble);
      if (mark) {
        var status = el("p", {className: "delivery " + mark.replace("_", "-")});
        status.appendChild(document.createTextNode(t[MARK_WORDS[mark]] + (mark === "failed" ? " " : "")));
        if (mark === "failed") {
          var retry = el("button", {type: "button", className: "retry", text: t.retry});
          retry.addEventListener("click", function () { message.status = "pending"; render(); flush(); input.focus(); });
          status.appendChild(retry);
        }
        item.appendChild(status);
      }
      if (showButtons && message.buttons && message.buttons.length) {
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

    // The welcome stays at the top of every conversation; its quick replies are the widget's own entry
    // points, which the assistant accepts at any time, so they stay too.
    function welcome() {
      return {from: "bot", text: t.welcome, welcome: true, buttons: [
        {title: t.quickOrder, payload: "/order_status"}, {title: t.quickReturns, payload: "/ask_return_policy"},
        {title: t.quickShipping, payload: "/ask_shipping"}, {title: t.quickSizing, payload: "/ask_sizing"}
      ]};
    }

    // -- scrolling: follow new messages while the shopper is at the bottom ------------------
    var following = true;
    var missed = 0;

    function toBottom() {
      log.scrollTop = log.scrollHeight;
    }

    function showPill() {
      pill.replaceChildren(document.createTextNode(t.newMessages + (missed > 1 ? " (" + missed + ")" : "")),
                           el("span", {"aria-hidden": "true", text: " \u2193"}));
      pill.hidden = missed === 0;
    }

    log.addEventListener("scroll", function () {
      following = core.isAtBottom(log.scrollTop, log.clientHeight, log.scrollHeight);
      if (following && missed) { missed = 0; showPill(); }
    });
    pill.addEventListener("click", function () {
      following = true;
      missed = 0;
      showPill();
      toBottom();
      log.focus();
    });
    // The list changes size when the stylesheet arrives, the panel opens, a photo loads or the screen
    // turns: stay at the latest message through all of them while following.
    if (window.ResizeObserver) {
      new ResizeObserver(function () { if (following) toBottom(); }).observe(log);
    }
    stylesheet.addEventListener("load", function () { if (following) toBottom(); });

    // What is drawn, per message: a message is drawn anew only when what it shows changed, so the rest of
    // the list (and the focus on a quick reply, and a screen reader's place) is left alone.
    var drawn = [];
    var welcomeMessage = welcome();

    function drawingKey(message, mark, buttons) {
      return JSON.stringify([message.from, message.text, message.status, Math.round((message.at || 0) - clockSkew),
                             message.csat ? state.csat[message.csat] || "asking" : null,
                             mark, buttons, message.image, message.agent_name,
                             (message.attachments || []).map(function (a) { return a.url; })]);
    }

    function render() {
      var shown = [welcomeMessage].concat(state.messages);
      var marks = [null].concat(core.marks(state.messages, seenUntil));
      var lastIndex = shown.length - 1;
      var items = shown.map(function (message, index) {
        // Quick replies belong to the latest thing the assistant said, and only until the shopper answers.
        var buttons = message.welcome ? botIsAnswering() : index === lastIndex && message.from !== "shopper";
        var key = drawingKey(message, marks[index], buttons);
        var before = drawn[index];
        if (before && before.message === message && before.key === key) return before;
        return {message: message, key: key, node: messageItem(message, marks[index], buttons)};
      });
      items.forEach(function (item, index) {
        var current = log.children[index];
        if (current === item.node) return;
        if (current) log.replaceChild(item.node, current);
        else log.appendChild(item.node);
      });
      while (log.children.length > items.length) log.removeChild(log.lastChild);
      drawn = items;
      if (following) toBottom();
      renderBanner();
      renderOfflineForm();
      transcriptToggle.hidden = !core.hasConversation(state.messages);
      if (transcriptToggle.hidden) showTranscriptForm(false);
      save();
    }

    function renderBanner() {
      var handoff = state.handoff || {status: "none"};
      var text = "";
      var place = handoff.position ? " " + say(handoff.position === 1 ? t.next : t.place, {n: handoff.position}) : "";
      if (handoff.status === "waiting") {
        text = t.waiting + place;
      } else if (handoff.status === "offline") {
        text = t.offline;  // no queue place: nobody is answering until the team is back
      } else if (handoff.status === "with_agent") {
        text = say(t.withAgent, {name: handoff.agent_name || t.team});
      } else if (handoff.status === "back") {
        text = t.back;
      }
      if (banner.textContent !== text) banner.textContent = text;
      banner.hidden = !text;
      banner.className = "banner " + handoff.status;
    }

    function renderOfflineForm() {
      var wanted = state.handoff.status === "offline" && !state.offlineSent;
      offlineToggle.hidden = !wanted;
      offlineArea.hidden = !wanted;
      if (!wanted) showOfflineForm(false);
    }

    function showOfflineForm(open) {
      offlineForm.hidden = !open;
      offlineToggle.setAttribute("aria-expanded", String(open));
      offlineToggle.classList.toggle("open", open);
    }

    offlineToggle.addEventListener("click", function () {
      var open = offlineForm.hidden;
      showOfflineForm(open);
      if (open) offlineEmail.focus();
    });

    function announce(message) {
      var name = senderName(message);
      announcer.appendChild(el("p", {text: (name ? name + ": " : "") + (message.text || "")}));
      while (announcer.childNodes.length > 5) announcer.removeChild(announcer.firstChild);
    }

    function add(message) {
      message.at = message.at || serverNow();
      state.messages.push(message);
      if (message.from === "shopper") {
        // The shopper's own message always shows: they expect to see what they just sent.
        following = true;
        missed = 0;
      } else {
        announce(message);
        if (!state.open) {
          unreadCount += 1;
          unread.textContent = say(t.unread, {n: unreadCount});
          unread.hidden = false;
          launcher.setAttribute("aria-label", t.open + ": " + config.title + " (" + unread.textContent + ")");
        } else if (!following) {
          missed += 1;
        }
      }
      if (syncing) arrivedWhileSyncing.push(message);
      render();
      showPill();
    }

    // -- open and close; docking; keyboard ---------------------------------------------------
    var unreadCount = 0;
    // A mouse or trackpad: the message box may take the focus; on a touch screen that raises the keyboard.
    var finePointer = !window.matchMedia || !window.matchMedia("(pointer: coarse)").matches;
    var dockQuery = window.matchMedia ? window.matchMedia(DOCK_MEDIA) : null;
    var pageMargin = null;

    // On a wide screen the open chat sits beside the page instead of over its text: the page gives up
    // the chat's width on the right (set through the CSSOM, which a strict CSP allows) and gets it back
    // when the chat closes.
    function applyDock() {
      var docked = config.dock && state.open && !!dockQuery && dockQuery.matches;
      host.classList.toggle("docked", docked);
      var html = document.documentElement;
      if (docked && pageMargin === null) {
        pageMargin = html.style.getPropertyValue("margin-right");
        html.style.setProperty("margin-right", DOCK_WIDTH);
      } else if (!docked && pageMargin !== null) {
        if (pageMargin) html.style.setProperty("margin-right", pageMargin);
        else html.style.removeProperty("margin-right");
        pageMargin = null;
      }
    }
    if (dockQuery) {
      if (dockQuery.addEventListener) dockQuery.addEventListener("change", applyDock);
      else if (dockQuery.addListener) dockQuery.addListener(applyDock);
    }

    function setOpen(open, focusInput) {
      state.open = open;
      panel.hidden = !open;
      launcher.setAttribute("aria-expanded", String(open));
      host.classList.toggle("is-open", open);
      applyDock();
      if (open) {
        unreadCount = 0;
        unread.hidden = true;
        launcher.setAttribute("aria-label", t.open + ": " + config.title);
        following = true;
        missed = 0;
        showPill();
        toBottom();
        if (focusInput && finePointer) input.focus();
        else if (focusInput) log.focus();
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
    input.addEventListener("input", function () { setHelp(""); fitInput(); });

    function fitInput() {
      input.style.height = "auto";
      input.style.height = Math.min(input.scrollHeight + 2, 120) + "px";
    }
    form.addEventListener("submit", function (event) { event.preventDefault(); submit(); });

    function setHelp(text, isProgress) {
      inputHelp.textContent = text;
      inputHelp.classList.toggle("progress", !!isProgress);
    }

    function submit() {
      var text = input.value.trim();
      if (!text) return;
      if (text.length > core.MAX_MESSAGE) { setHelp(say(t.tooLong, {n: core.MAX_MESSAGE})); return; }
      input.value = "";
      fitInput();
      send(text, null);
    }

    // -- photos ------------------------------------------------------------------------------
    var uploading = false;
    // aria-disabled rather than disabled while a photo goes up: a disabled button would drop the focus.
    attachButton.addEventListener("click", function () { if (!uploading) fileInput.click(); });
    fileInput.addEventListener("change", function () {
      var file = fileInput.files && fileInput.files[0];
      fileInput.value = "";
      if (!file) return;
      var problem = core.photoProblem(file);
      if (problem) { setHelp(t[problem]); return; }
      upload(file);
    });

    function upload(file) {
      setHelp(t.uploading, true);
      uploading = true;
      attachButton.setAttribute("aria-disabled", "true");
      fetch(config.deskUrl + "/chat/" + state.sessionId + "/attachments", {
        method: "POST", body: file, credentials: "omit", headers: {"Content-Type": core.uploadType(file)}
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (response.status === 413) throw new Error(t.photoTooBig);
          if (response.status === 415) throw new Error(t.photoType);
          if (!response.ok || !body.id) throw new Error(t.uploadFailed);
          return body;
        });
      }).then(function (body) {
        setHelp("");
        var caption = input.value.trim().slice(0, core.MAX_MESSAGE);
        input.value = "";
        send(caption || t.photo, null, [{id: String(body.id), url: config.deskUrl + String(body.url)}]);
      }, function (error) {
        setHelp(error && error.message && error.message.indexOf("fetch") < 0 ? error.message : t.uploadFailed);
      }).then(function () {
        uploading = false;
        attachButton.removeAttribute("aria-disabled");
        input.focus();
      });
    }

    // -- the offline form --------------------------------------------------------------------
    offlineForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var problem = core.offlineFormProblem(offlineEmail.value, offlineText.value);
      offlineEmail.removeAttribute("aria-invalid");
      offlineText.removeAttribute("aria-invalid");
      if (problem) {
        var field = problem === "emailInvalid" ? offlineEmail : offlineText;
        offlineHelp.textContent = say(t[problem], {n: core.MAX_MESSAGE});
        field.setAttribute("aria-invalid", "true");
        field.focus();
        return;
      }
      offlineHelp.textContent = "";
      var email = offlineEmail.value.trim();
      fetch(config.deskUrl + "/chat/" + state.sessionId + "/offline-message", {
        method: "POST", credentials: "omit", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({email: email, message: offlineText.value.trim(), language: config.language})
      }).then(function (response) {
        if (!response.ok) throw new Error("offline message " + response.status);
        state.offlineSent = true;
        // Kept by this browser only (the message lives in the ticket, not in the conversation).
        add({from: "shopper", text: offlineText.value.trim(), status: "sent", local: true});
        offlineText.value = "";
        add({from: "system", text: say(t.offlineSent, {email: email}), local: true});
        input.focus();
      }).catch(function () {
        offlineHelp.textContent = t.offlineFailed;
      });
    });

    // -- the rating card, after an agent handed the conversation back -----------------------
    // One card per ticket, made once and kept (a redraw of the list never loses the shopper's choice or
    // the focus); its state lives in state.csat, so a reload shows the thanks, or nothing after a skip.
    var csatCards = {};

    function csatItem(ticket) {
      var card = csatCards[ticket] || (csatCards[ticket] = csatCard(ticket));
      card.update();
      return card.node;
    }

    function csatCard(ticket) {
      var id = "sfc-csat-" + ticket;
      var chosen = null;
      var busy = false;
      var node = el("li", {className: "message csat"});
      var comment = el("textarea", {id: id + "-comment", rows: "2", maxlength: String(core.MAX_COMMENT),
                                    "aria-describedby": id + "-help"});
      var help = el("p", {id: id + "-help", className: "form-help", role: "alert"});
      var picked = el("p", {className: "csat-picked", "aria-live": "polite"});
      var scale = el("div", {className: "csat-scale", role: "group", "aria-label": t.csatScale});
      var buttons = core.SCORES.map(function (score) {
        var label = core.csatLabel(t, score);
        var button = el("button", {type: "button", className: "csat-score", "aria-pressed": "false", "data-score": String(score),
                                   "aria-label": score + " \u2013 " + label, title: label},
                        [icon(STAR_ICON), el("span", {text: String(score), "aria-hidden": "true"})]);
        button.addEventListener("click", function () { choose(score); });
        // Arrow keys move along the scale as well as Tab.
        button.addEventListener("keydown", function (event) {
          var next = buttons[score - 1 + (event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0)];
          if (next && next !== button) { event.preventDefault(); next.focus(); }
        });
        scale.appendChild(button);
        return button;
      });
      var send = el("button", {type: "submit", className: "csat-send", text: t.csatSend});
      var skip = el("button", {type: "button", className: "csat-skip", text: t.csatSkip});
      var cardForm = el("form", {className: "csat-card", "aria-labelledby": id, novalidate: ""}, [
        el("p", {id: id, className: "csat-question", text: t.csatQuestion}), scale, picked,
        el("label", {"for": id + "-comment", text: t.csatComment}), comment, help,
        el("div", {className: "csat-actions"}, [skip, send])
      ]);
      var thanks = el("p", {className: "csat-thanks", role: "status", tabindex: "-1", text: t.csatThanks});

      function choose(score) {
        chosen = score;
        buttons.forEach(function (button, index) {
          button.setAttribute("aria-pressed", String(index + 1 === score));
          button.classList.toggle("on", index < score);
        });
        picked.textContent = core.csatLabel(t, score);
        help.textContent = "";
      }

      function answer(score) {
        if (busy) return;
        busy = true;
        help.textContent = "";
        fetch(config.deskUrl + "/chat/" + state.sessionId + "/csat", {
          method: "POST", credentials: "omit", headers: {"Content-Type": "application/json"},
          body: JSON.stringify(core.csatBody(ticket, score, comment.value))
        }).then(function (response) { return response.status; }, function () { return 0; }).then(function (status) {
          busy = false;
          var outcome = core.csatOutcome(status);
          if (outcome === "failed") { help.textContent = t.csatFailed; return; }
          state.csat[ticket] = score === null || outcome === "gone" ? "skipped" : "rated";
          if (state.csat[ticket] === "skipped") {
            state.messages = state.messages.filter(function (m) { return m.csat !== ticket; });
            delete csatCards[ticket];
            render();
            if (finePointer) input.focus(); else log.focus();
            return;
          }
          render();
          thanks.focus();
        });
      }

      cardForm.addEventListener("submit", function (event) {
        event.preventDefault();
        var problem = core.csatProblem(chosen, comment.value);
        if (problem) {
          help.textContent = say(t[problem], {n: core.MAX_COMMENT});
          (problem === "csatPick" ? buttons[0] : comment).focus();
          return;
        }
        answer(chosen);
      });
      skip.addEventListener("click", function () { answer(null); });
      comment.addEventListener("input", function () { help.textContent = ""; });

      return {node: node, update: function () {
        var shown = state.csat[ticket] === "rated" ? thanks : cardForm;
        if (node.firstChild !== shown) node.replaceChildren(shown);
      }};
    }

    // -- the conversation by email -----------------------------------------------------------
    var mailing = false;

    function showTranscriptForm(open) {
      transcriptForm.hidden = !open;
      transcriptToggle.setAttribute("aria-expanded", String(open));
    }

    transcriptEmail.addEventListener("input", function () {
      transcriptHelp.textContent = "";
      transcriptEmail.removeAttribute("aria-invalid");
    });
    transcriptToggle.addEventListener("click", function () {
      var open = transcriptForm.hidden;
      showTranscriptForm(open);
      if (open) transcriptEmail.focus();
    });

    transcriptForm.addEventListener("submit", function (event) {
      event.preventDefault();
      if (mailing) return;
      var email = transcriptEmail.value.trim();
      if (core.emailProblem(email)) {
        transcriptHelp.textContent = t.emailInvalid;
        transcriptEmail.setAttribute("aria-invalid", "true");
        transcriptEmail.focus();
        return;
      }
      transcriptEmail.removeAttribute("aria-invalid");
      transcriptHelp.textContent = "";
      mailing = true;
      fetch(config.deskUrl + "/chat/" + state.sessionId + "/transcript", {
        method: "POST", credentials: "omit", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({email: email, language: config.language})
      }).then(function (response) { return response.status; }, function () { return 0; }).then(function (status) {
        mailing = false;
        var problem = core.transcriptOutcome(status);
        if (problem) { transcriptHelp.textContent = t[problem]; return; }
        showTranscriptForm(false);
        add({from: "system", text: say(t.transcriptSent, {email: email}), local: true});
        transcriptToggle.focus();
      });
    });

    // -- the connection ----------------------------------------------------------------------
    var socket = null;
    var ready = false;          // connected and the session confirmed
    var everConnected = false;
    var inFlight = null;        // the message waiting for its acknowledgement
    var syncing = false;
    var arrivedWhileSyncing = [];
    var statusTimer = null;

    function send(payload, displayText, attachments) {
      var message = core.shopperMessage({id: core.newMessageId(randomBytes), payload: payload, displayText: displayText,
                                         attachments: attachments, whileWaiting: core.isWaiting(state.handoff)});
      add(message);
      if (state.handoff.status === "back") { state.handoff = {status: "none"}; renderBanner(); }
      start();
      flush();
    }

    function botIsAnswering() {
      return state.handoff.status === "none" || state.handoff.status === "back";
    }

    // One message at a time, in order: the next goes when Rasa has acknowledged the previous one. Each
    // carries its key, so one sent again after a lost acknowledgement is not taken twice.
    function flush() {
      // Not while the conversation is being read back: a message acknowledged meanwhile would be in
      // neither the history fetched before it nor the outbox, and vanish from the screen.
      if (!ready || inFlight || syncing) return;
      var next = core.nextToSend(state.messages);
      if (!next) return;
      inFlight = next;
      next.status = "sending";
      typing.hidden = !botIsAnswering();
      render();
      socket.timeout(ACK_TIMEOUT_MS).emit("user_uttered",
        {message: next.payload, session_id: state.sessionId, metadata: core.metadataFor(next, config)},
        function (error) {
          inFlight = null;
          next.status = error ? "failed" : "sent";
          // Only what was written while waiting: the message that asked for a person was answered by the bot.
          if (!error && next.whileWaiting) next.passedOn = true;
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
      starting = loadScript(assetBase + "socket.io.min.js").then(connect, function () {
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
      socket.on("bot_uttered", onServerMessage);
    }

    function onServerMessage(data) {
      var received = core.fromServer(data);
      if (received.kind === "ignore") return;
      typing.hidden = true;
      if (received.kind === "passed_on") {
        state.messages.forEach(function (m) { if (m.from === "shopper" && m.id === received.messageId) m.passedOn = true; });
        if (data && typeof data.text === "string" && data.text) add({from: "system", event: "passed_on", text: data.text});
        else render();
        return;
      }
      if (received.message) add(received.message);
      if (received.handoff && !(received.keepHandoff && state.handoff.status === "with_agent")) {
        if (received.handoff.status === "offline" || received.handoff.status === "waiting") state.offlineSent = false;
        setHandoff(received.handoff);
      }
    }

    var csatPolls = 0;

    function setHandoff(handoff) {
      if (handoff.status === "back" && state.handoff.status !== "back") csatPolls = CSAT_POLLS;
      state.handoff = handoff;
      renderBanner();
      renderOfflineForm();
      save();
      var live = core.isWaiting(handoff) || handoff.status === "with_agent" || csatPolls > 0;
      if (live && !statusTimer) {
        statusTimer = setInterval(pollStatus, STATUS_POLL_MS);
        pollStatus();
      } else if (!live && statusTimer) {
        clearInterval(statusTimer);
        statusTimer = null;
      }
    }

    function pollStatus() {
      var asked = Date.now() / 1000;
      fetch(config.deskUrl + "/chat/" + state.sessionId + "/status", {credentials: "omit"})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (!body) return;
          if (typeof body.now === "number") clockSkew = body.now - (asked + Date.now() / 1000) / 2;
          var seen = typeof body.seen_until === "number" ? body.seen_until : null;
          var changed = seen !== seenUntil;
          seenUntil = seen;
          if (!core.isWaiting(state.handoff) && state.handoff.status !== "with_agent" && csatPolls > 0) csatPolls -= 1;
          var ask = core.csatToAsk(body.csat, state.messages, state.csat);
          if (ask) {
            csatPolls = 0;
            add({from: "system", csat: ask, text: t.csatQuestion, local: true});
          }
          setHandoff(core.handoffFromPoll(state.handoff, body.handoff));
          if (changed) render();
        })
        .catch(function () { /* the next poll tries again */ });
    }

    function absolute(attachments) {
      return (attachments || []).map(function (a) {
        return typeof a === "object" && a ? {id: String(a.id), url: config.deskUrl + String(a.url)} : null;
      }).filter(Boolean);
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
          var lines = (body.messages || []).map(function (line) {
            var copy = Object.assign({}, line);
            if (line.attachments) copy.attachments = absolute(line.attachments);
            return copy;
          });
          state.messages = core.mergeHistory(lines, state.messages, arrivedWhileSyncing);
          setHandoff(core.handoffFromStatus(state.handoff, body.handoff));
          render();
        })
        .catch(function () {
          if (state.messages.length) setHelp(t.historyFailed);
        })
        .then(function () { syncing = false; });
    }

    // -- go ----------------------------------------------------------------------------------
    render();
    setOpen(state.open, false);
    // Back from a person before this page loaded: ask the desk a few times whether a rating is wanted.
    if (state.handoff.status === "back") csatPolls = CSAT_POLLS;
    setHandoff(state.handoff);
    // A conversation already under way reconnects at once, so agent replies arrive even while closed.
    if (state.messages.length) start();
  }
})();
