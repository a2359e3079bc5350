/*
 * The chat widget's core: its words in five languages and the rules that decide what the shopper
 * sees, without any DOM, so that Node's test runner checks them (tests/widget/) and widget.js only
 * draws. Loaded by widget.js in the browser (window.StorefrontChatCore); require()-able in Node.
 *
 * - the outbox: one message in flight at a time, each with an idempotency key (message_id) so that a
 *   message sent again after a lost acknowledgement is recognised by the server and never delivered twice;
 * - the merge of the conversation read back from the desk with the messages the widget holds;
 * - what a message from the server means (rasa-webchat's text shape with our data in metadata.storefront,
 *   and the older shape of conversations stored before it);
 * - the marks under the shopper's messages (not sent, seen, passed on to the team);
 * - photo checks before an upload; whether the message list should follow new messages;
 * - after the conversation: when to ask for a rating (once per ticket, across reloads), and what the
 *   desk's answers to a rating or a transcript request mean.
 */
(function (root, factory) {
  if (typeof module === "object" && module.exports) module.exports = factory();
  else root.StorefrontChatCore = factory();
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var STRINGS = {
    en: {
      open: "Chat with us", close: "Close chat", send: "Send", placeholder: "Type your question",
      inputLabel: "Your message", conversation: "Conversation",
      welcome: "Hi! I can help with returns, shipping, sizing and where your order is. What can I do for you?",
      you: "You", assistant: "Assistant", team: "team",
      typing: "The assistant is typing", waiting: "Connecting you to a person.",
      place: "You're number {n} in the queue.", next: "You're next in the queue.",
      offline: "Our team is offline right now. We'll answer here, or by email if you leave us your address, when we're back.",
      withAgent: "You're chatting with {name} from our team.", back: "You're back with the assistant.",
      reconnecting: "Reconnecting… Messages you write now are sent when the connection is back.",
      unavailable: "The chat can't connect right now. Messages you write are kept and sent when it can.",
      pending: "Not sent yet: waiting for the connection", sending: "Sending…", failed: "Not sent.",
      retry: "Retry", historyFailed: "Earlier messages couldn't be loaded; they are not lost.",
      tooLong: "Messages can be up to {n} characters.", unread: "{n} new",
      suggestions: "Suggested replies", quickOrder: "Where is my order?", quickReturns: "Returns",
      quickShipping: "Shipping", quickSizing: "Sizing",
      newMessages: "New messages", seen: "Seen", passedOn: "Passed on to the team",
      attach: "Send a photo", photo: "Photo", photoTooBig: "Photos can be up to 10 MB.",
      photoType: "Only photos (JPEG, PNG, WebP or HEIC) can be sent.", uploading: "Sending the photo…", openPhoto: "Open the photo",
      uploadFailed: "The photo couldn't be sent.",
      offlineTitle: "Leave us a message",
      offlineIntro: "Our team is offline. Leave your email and a message and we'll answer by email.",
      email: "Your email", messageForTeam: "Your message for the team", offlineSend: "Send message",
      offlineSent: "Thanks! Your message has reached our team; we'll reply to {email}.",
      offlineFailed: "Your message couldn't be sent. Please try again.",
      emailInvalid: "Please enter a valid email address.", messageEmpty: "Please write a message.",
      csatQuestion: "How did our team do?", csatScale: "Your rating, from 1 (very poor) to 5 (excellent)",
      csatLabels: "Very poor|Poor|OK|Good|Excellent", csatComment: "Anything you'd like to add? (optional)",
      csatSend: "Send rating", csatSkip: "Skip", csatThanks: "Thank you for your rating!",
      csatPick: "Please choose a rating from 1 to 5.", csatTooLong: "Comments can be up to {n} characters.",
      csatFailed: "Your rating couldn't be sent. Please try again.",
      transcript: "Email me this conversation", transcriptSend: "Send",
      transcriptSent: "We've sent this conversation to {email}.",
      transcriptFailed: "The conversation couldn't be sent. Please try again later.",
      transcriptLimit: "This conversation has been emailed often enough today. Please try again tomorrow.",
      transcriptEmpty: "There's nothing to send yet."
    },
    de: {
      open: "Chat starten", close: "Chat schließen", send: "Senden", placeholder: "Ihre Frage",
      inputLabel: "Ihre Nachricht", conversation: "Unterhaltung",
      welcome: "Hallo! Ich helfe bei Rücksendungen, Versand, Größen und Ihrer Bestellung; bitte schreiben Sie mir auf Englisch. Was kann ich für Sie tun?",
      you: "Sie", assistant: "Assistent", team: "Team",
      typing: "Der Assistent schreibt", waiting: "Wir verbinden Sie mit einer Person.",
      place: "Sie sind Nummer {n} in der Warteschlange.", next: "Sie sind als Nächstes an der Reihe.",
      offline: "Unser Team ist gerade nicht erreichbar. Wir antworten hier, oder per E-Mail, wenn Sie uns Ihre Adresse hinterlassen, sobald wir wieder da sind.",
      withAgent: "Sie chatten mit {name} aus unserem Team.", back: "Sie sind wieder beim Assistenten.",
      reconnecting: "Verbindung wird wiederhergestellt… Was Sie jetzt schreiben, wird gesendet, sobald die Verbindung steht.",
      unavailable: "Der Chat kann sich gerade nicht verbinden. Ihre Nachrichten werden gesendet, sobald es geht.",
      pending: "Noch nicht gesendet: wartet auf die Verbindung", sending: "Wird gesendet…", failed: "Nicht gesendet.",
      retry: "Erneut senden", historyFailed: "Frühere Nachrichten konnten nicht geladen werden; sie sind nicht verloren.",
      tooLong: "Nachrichten dürfen höchstens {n} Zeichen haben.", unread: "{n} neu",
      suggestions: "Antwortvorschläge", quickOrder: "Wo ist meine Bestellung?", quickReturns: "Rücksendung",
      quickShipping: "Versand", quickSizing: "Größen",
      newMessages: "Neue Nachrichten", seen: "Gelesen", passedOn: "An das Team weitergegeben",
      attach: "Foto senden", photo: "Foto", photoTooBig: "Fotos dürfen höchstens 10 MB groß sein.",
      photoType: "Es können nur Fotos (JPEG, PNG, WebP oder HEIC) gesendet werden.", uploading: "Foto wird gesendet…", openPhoto: "Foto öffnen",
      uploadFailed: "Das Foto konnte nicht gesendet werden.",
      offlineTitle: "Hinterlassen Sie uns eine Nachricht",
      offlineIntro: "Unser Team ist gerade nicht erreichbar. Hinterlassen Sie Ihre E-Mail-Adresse und eine Nachricht, wir antworten per E-Mail.",
      email: "Ihre E-Mail-Adresse", messageForTeam: "Ihre Nachricht an das Team", offlineSend: "Nachricht senden",
      offlineSent: "Danke! Ihre Nachricht ist bei unserem Team angekommen; wir antworten an {email}.",
      offlineFailed: "Ihre Nachricht konnte nicht gesendet werden. Bitte versuchen Sie es noch einmal.",
      emailInvalid: "Bitte geben Sie eine gültige E-Mail-Adresse ein.", messageEmpty: "Bitte schreiben Sie eine Nachricht.",
      csatQuestion: "Wie zufrieden waren Sie mit unserem Team?", csatScale: "Ihre Bewertung, von 1 (sehr schlecht) bis 5 (ausgezeichnet)",
      csatLabels: "Sehr schlecht|Schlecht|In Ordnung|Gut|Ausgezeichnet", csatComment: "Möchten Sie noch etwas hinzufügen? (optional)",
      csatSend: "Bewertung senden", csatSkip: "Überspringen", csatThanks: "Vielen Dank für Ihre Bewertung!",
      csatPick: "Bitte wählen Sie eine Bewertung von 1 bis 5.", csatTooLong: "Kommentare dürfen höchstens {n} Zeichen haben.",
      csatFailed: "Ihre Bewertung konnte nicht gesendet werden. Bitte versuchen Sie es noch einmal.",
      transcript: "Diese Unterhaltung per E-Mail senden", transcriptSend: "Senden",
      transcriptSent: "Wir haben diese Unterhaltung an {email} gesendet.",
      transcriptFailed: "Die Unterhaltung konnte nicht gesendet werden. Bitte versuchen Sie es später noch einmal.",
      transcriptLimit: "Diese Unterhaltung wurde heute schon oft genug gesendet. Bitte versuchen Sie es morgen wieder.",
      transcriptEmpty: "Es gibt noch nichts zu senden."
    },
    fr: {
      open: "Discuter avec nous", close: "Fermer la discussion", send: "Envoyer", placeholder: "Posez votre question",
      inputLabel: "Votre message", conversation: "Conversation",
      welcome: "Bonjour ! Je peux vous aider pour les retours, la livraison, les tailles et le suivi de votre commande ; écrivez-moi en anglais, s'il vous plaît. Que puis-je faire pour vous ?",
      you: "Vous", assistant: "Assistant", team: "équipe",
      typing: "L'assistant écrit", waiting: "Nous vous mettons en relation avec un membre de notre équipe.",
      place: "Vous êtes numéro {n} dans la file d'attente.", next: "Vous êtes le prochain dans la file d'attente.",
      offline: "Notre équipe n'est pas disponible pour le moment. Nous vous répondrons ici, ou par e-mail si vous nous laissez votre adresse, à notre retour.",
      withAgent: "Vous discutez avec {name} de notre équipe.", back: "L'assistant reprend la conversation.",
      reconnecting: "Reconnexion… Les messages écrits maintenant seront envoyés dès le retour de la connexion.",
      unavailable: "La discussion ne peut pas se connecter pour le moment. Vos messages seront envoyés dès que possible.",
      pending: "Pas encore envoyé : en attente de connexion", sending: "Envoi en cours…", failed: "Non envoyé.",
      retry: "Réessayer", historyFailed: "Les messages précédents n'ont pas pu être chargés ; ils ne sont pas perdus.",
      tooLong: "Les messages peuvent contenir jusqu'à {n} caractères.", unread: "Nouveaux : {n}",
      suggestions: "Réponses suggérées", quickOrder: "Où est ma commande ?", quickReturns: "Retours",
      quickShipping: "Livraison", quickSizing: "Tailles",
      newMessages: "Nouveaux messages", seen: "Vu", passedOn: "Transmis à l'équipe",
      attach: "Envoyer une photo", photo: "Photo", photoTooBig: "Les photos peuvent faire jusqu'à 10 Mo.",
      photoType: "Seules les photos (JPEG, PNG, WebP ou HEIC) peuvent être envoyées.", uploading: "Envoi de la photo…", openPhoto: "Ouvrir la photo",
      uploadFailed: "La photo n'a pas pu être envoyée.",
      offlineTitle: "Laissez-nous un message",
      offlineIntro: "Notre équipe est hors ligne. Laissez votre e-mail et un message, nous vous répondrons par e-mail.",
      email: "Votre e-mail", messageForTeam: "Votre message pour l'équipe", offlineSend: "Envoyer le message",
      offlineSent: "Merci ! Votre message est bien parvenu à notre équipe ; nous répondrons à {email}.",
      offlineFailed: "Votre message n'a pas pu être envoyé. Veuillez réessayer.",
      emailInvalid: "Veuillez saisir une adresse e-mail valide.", messageEmpty: "Veuillez écrire un message.",
      csatQuestion: "Comment notre équipe s'en est-elle sortie ?", csatScale: "Votre note, de 1 (très mauvais) à 5 (excellent)",
      csatLabels: "Très mauvais|Mauvais|Correct|Bien|Excellent", csatComment: "Autre chose à ajouter ? (facultatif)",
      csatSend: "Envoyer la note", csatSkip: "Passer", csatThanks: "Merci pour votre note !",
      csatPick: "Veuillez choisir une note de 1 à 5.", csatTooLong: "Les commentaires peuvent contenir jusqu'à {n} caractères.",
      csatFailed: "Votre note n'a pas pu être envoyée. Veuillez réessayer.",
      transcript: "Recevoir cette conversation par e-mail", transcriptSend: "Envoyer",
      transcriptSent: "Nous avons envoyé cette conversation à {email}.",
      transcriptFailed: "La conversation n'a pas pu être envoyée. Veuillez réessayer plus tard.",
      transcriptLimit: "Cette conversation a déjà été envoyée assez souvent aujourd'hui. Veuillez réessayer demain.",
      transcriptEmpty: "Il n'y a encore rien à envoyer."
    },
    es: {
      open: "Chatea con nosotros", close: "Cerrar el chat", send: "Enviar", placeholder: "Escribe tu pregunta",
      inputLabel: "Tu mensaje", conversation: "Conversación",
      welcome: "¡Hola! Puedo ayudarte con devoluciones, envíos, tallas y el estado de tu pedido; escríbeme en inglés, por favor. ¿En qué puedo ayudarte?",
      you: "Tú", assistant: "Asistente", team: "equipo",
      typing: "El asistente está escribiendo", waiting: "Te estamos conectando con una persona.",
      place: "Eres el número {n} en la cola.", next: "Eres el siguiente en la cola.",
      offline: "Nuestro equipo no está disponible ahora. Te responderemos aquí, o por correo si nos dejas tu dirección, cuando volvamos.",
      withAgent: "Estás chateando con {name} de nuestro equipo.", back: "Vuelves a hablar con el asistente.",
      reconnecting: "Reconectando… Lo que escribas ahora se enviará cuando vuelva la conexión.",
      unavailable: "El chat no puede conectarse ahora. Tus mensajes se enviarán en cuanto sea posible.",
      pending: "Aún no enviado: esperando la conexión", sending: "Enviando…", failed: "No enviado.",
      retry: "Reintentar", historyFailed: "No se pudieron cargar los mensajes anteriores; no se han perdido.",
      tooLong: "Los mensajes pueden tener hasta {n} caracteres.", unread: "Nuevos: {n}",
      suggestions: "Respuestas sugeridas", quickOrder: "¿Dónde está mi pedido?", quickReturns: "Devoluciones",
      quickShipping: "Envíos", quickSizing: "Tallas",
      newMessages: "Mensajes nuevos", seen: "Visto", passedOn: "Transferido al equipo",
      attach: "Enviar una foto", photo: "Foto", photoTooBig: "Las fotos pueden ocupar hasta 10 MB.",
      photoType: "Solo se pueden enviar fotos (JPEG, PNG, WebP o HEIC).", uploading: "Enviando la foto…", openPhoto: "Abrir la foto",
      uploadFailed: "No se pudo enviar la foto.",
      offlineTitle: "Déjanos un mensaje",
      offlineIntro: "Nuestro equipo no está conectado. Deja tu correo y un mensaje y te responderemos por correo.",
      email: "Tu correo electrónico", messageForTeam: "Tu mensaje para el equipo", offlineSend: "Enviar mensaje",
      offlineSent: "¡Gracias! Tu mensaje ha llegado a nuestro equipo; responderemos a {email}.",
      offlineFailed: "No se pudo enviar tu mensaje. Inténtalo de nuevo.",
      emailInvalid: "Introduce una dirección de correo válida.", messageEmpty: "Escribe un mensaje.",
      csatQuestion: "¿Qué tal te ha atendido nuestro equipo?", csatScale: "Tu valoración, de 1 (muy mala) a 5 (excelente)",
      csatLabels: "Muy mala|Mala|Normal|Buena|Excelente", csatComment: "¿Quieres añadir algo? (opcional)",
      csatSend: "Enviar valoración", csatSkip: "Omitir", csatThanks: "¡Gracias por tu valoración!",
      csatPick: "Elige una valoración del 1 al 5.", csatTooLong: "Los comentarios pueden tener hasta {n} caracteres.",
      csatFailed: "No se pudo enviar tu valoración. Inténtalo de nuevo.",
      transcript: "Enviarme esta conversación por correo", transcriptSend: "Enviar",
      transcriptSent: "Hemos enviado esta conversación a {email}.",
      transcriptFailed: "No se pudo enviar la conversación. Inténtalo más tarde.",
      transcriptLimit: "Esta conversación ya se ha enviado bastantes veces hoy. Inténtalo mañana.",
      transcriptEmpty: "Todavía no hay nada que enviar."
    },
    zh: {
      open: "联系我们", close: "关闭聊天", send: "发送", placeholder: "请输入您的问题",
      inputLabel: "您的消息", conversation: "对话",
      welcome: "您好！我可以帮您解答退货、配送、尺码和订单状态的问题（请用英文提问）。请问有什么可以帮您？",
      you: "我", assistant: "助手", team: "团队",
      typing: "助手正在输入", waiting: "正在为您转接人工客服。",
      place: "您在队列中排第 {n} 位。", next: "下一位就是您。",
      offline: "客服目前不在线，上线后会在这里回复您；留下邮箱也可以通过邮件回复。",
      withAgent: "客服 {name} 正在为您服务。", back: "已为您切换回智能助手。",
      reconnecting: "连接已断开，正在重新连接……您现在写的消息会在连接恢复后发送。",
      unavailable: "暂时无法连接，恢复后将自动发送您的消息。",
      pending: "尚未发送：等待连接", sending: "正在发送…", failed: "未发送。",
      retry: "重试", historyFailed: "无法加载之前的消息；它们没有丢失。",
      tooLong: "消息最多 {n} 个字符。", unread: "{n} 条新消息",
      suggestions: "推荐回复", quickOrder: "我的订单在哪里？", quickReturns: "退货",
      quickShipping: "配送", quickSizing: "尺码",
      newMessages: "新消息", seen: "已读", passedOn: "已转交给团队",
      attach: "发送照片", photo: "照片", photoTooBig: "照片最大 10 MB。",
      photoType: "只能发送照片（JPEG、PNG、WebP 或 HEIC）。", uploading: "正在发送照片……", openPhoto: "查看照片",
      uploadFailed: "照片发送失败。",
      offlineTitle: "给我们留言",
      offlineIntro: "我们的团队目前不在线。请留下您的邮箱和留言，我们会通过邮件回复您。",
      email: "您的邮箱", messageForTeam: "给客服的留言", offlineSend: "发送留言",
      offlineSent: "谢谢！您的留言已送达我们的团队，我们会回复到 {email}。",
      offlineFailed: "留言发送失败，请重试。",
      emailInvalid: "请输入有效的邮箱地址。", messageEmpty: "请填写留言内容。",
      csatQuestion: "您对我们团队的服务满意吗？", csatScale: "您的评分：1（很差）到 5（非常好）",
      csatLabels: "很差|较差|一般|满意|非常好", csatComment: "还有什么想补充的吗？（可选）",
      csatSend: "提交评分", csatSkip: "跳过", csatThanks: "感谢您的评分！",
      csatPick: "请选择 1 到 5 分。", csatTooLong: "评论最多 {n} 个字符。",
      csatFailed: "评分提交失败，请重试。",
      transcript: "将此对话发送到我的邮箱", transcriptSend: "发送",
      transcriptSent: "我们已将此对话发送到 {email}。",
      transcriptFailed: "对话发送失败，请稍后重试。",
      transcriptLimit: "此对话今天已发送多次，请明天再试。",
      transcriptEmpty: "目前还没有可发送的内容。"
    }
  };
  var LANGUAGES = Object.keys(STRINGS);
  var MAX_MESSAGE = 2000;
  var MAX_PHOTO_BYTES = 10 * 1024 * 1024;
  var PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"];
  var PHOTO_EXTENSIONS = /\.(jpe?g|png|webp|heic|heif)$/i;
  var MESSAGE_ID = /^[A-Za-z0-9_-]{8,64}$/;
  // The last few messages read back are compared with those that arrived live during the read-back.
  var LIVE_OVERLAP = 8;

  // -- words ---------------------------------------------------------------------------------
  /** The shop's configured language if the widget speaks it, else the first of the browser's languages
   *  it speaks (zh-CN, zh-Hans and zh-SG are Simplified Chinese; zh-TW and zh-HK are not), else English. */
  function pickLanguage(configured, browserLanguages) {
    var candidates = [];
    if (configured) candidates.push(configured);
    candidates = candidates.concat(browserLanguages || []);
    for (var i = 0; i < candidates.length; i++) {
      var tag = String(candidates[i] || "").toLowerCase().replace(/_/g, "-");
      var base = tag.split("-")[0];
      if (base === "zh") {
        if (/^zh(-hans|-cn|-sg|$)/.test(tag)) return "zh";
        continue;
      }
      if (STRINGS[base]) return base;
    }
    return "en";
  }

  function wordsFor(language) {
    return STRINGS[language] || STRINGS.en;
  }

  function format(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (_, key) {
      return values && values[key] !== undefined ? String(values[key]) : "";
    });
  }

  // -- the outbox ----------------------------------------------------------------------------
  function newMessageId(randomBytes) {
    var bytes = randomBytes(12);
    return "m" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function shopperMessage(options) {
    return {id: options.id, from: "shopper", text: options.displayText || options.payload, payload: options.payload,
            display: options.displayText || null, status: "pending", at: options.at,
            attachments: options.attachments || undefined,
            // Written while the conversation waits for a person: marked "passed on" once delivered.
            whileWaiting: !!options.whileWaiting};
  }

  /** After a reload: a message that was on its way when the page went away goes again with the same
   *  key (the server drops it if it had arrived); everything else keeps its state. */
  function restoreOutbox(messages) {
    return (messages || []).map(function (m) {
      if (m.from === "shopper" && m.status === "sending") {
        var copy = Object.assign({}, m);
        copy.status = MESSAGE_ID.test(m.id || "") ? "pending" : "failed";
        return copy;
      }
      return m;
    });
  }

  function nextToSend(messages) {
    for (var i = 0; i < messages.length; i++) {
      if (messages[i].from === "shopper" && messages[i].status === "pending") return messages[i];
    }
    return null;
  }

  /** What the widget sends with a message (contract with the channel, README "rasa-webchat"). */
  function metadataFor(message, config) {
    var metadata = {language: config.language};
    if (MESSAGE_ID.test(message.id || "")) metadata.message_id = message.id;
    if (config.identityToken) metadata.identity = config.identityToken;
    if (config.context && config.context.product) metadata.page = {product: String(config.context.product)};
    if (message.display) metadata.display_text = message.display;
    if (message.attachments && message.attachments.length) {
      metadata.attachments = message.attachments.map(function (a) { return a.id; });
    }
    return metadata;
  }

  // -- read-back -----------------------------------------------------------------------------
  function sameMessage(a, b) {
    return a.from === b.from && (a.text || "") === (b.text || "");
  }

  /** The conversation after a read-back: what the server holds, then what arrived live while it was
   *  being read (unless the read-back already has it), then the shopper's messages the server does not
   *  have yet. A message whose key the server holds counts as delivered: its acknowledgement was lost. */
  function mergeHistory(serverLines, local, arrivedWhileSyncing) {
    var known = {};
    var localById = {};
    (local || []).forEach(function (m) { if (m.id) localById[m.id] = m; });
    var server = (serverLines || []).map(function (line) {
      var message = {from: line.from, text: line.text || "", at: line.at, agent_name: line.agent_name,
                     buttons: line.buttons, event: line.event, status: "sent"};
      if (line.attachments && line.attachments.length) message.attachments = line.attachments;
      if (line.message_id) {
        message.id = line.message_id;
        known[line.message_id] = true;
        var mine = localById[line.message_id];
        if (mine) {
          message.whileWaiting = mine.whileWaiting;
          message.passedOn = mine.passedOn;
          if (!message.attachments && mine.attachments) message.attachments = mine.attachments;
        }
      }
      return message;
    });
    // An acknowledgement read back is the team's notice (a system line) and marks the message it answers.
    server.forEach(function (message, index) {
      if (message.event !== "passed_on") return;
      message.from = "system";
      var answered = (serverLines[index] || {}).message_id;
      server.forEach(function (m) { if (answered && m.from === "shopper" && m.id === answered) m.passedOn = true; });
    });
    var tail = server.slice(-LIVE_OVERLAP);
    var live = (arrivedWhileSyncing || []).filter(function (m) {
      return m.from !== "shopper" && !tail.some(function (s) { return sameMessage(s, m); });
    });
    var unsent = (local || []).filter(function (m) {
      return m.from === "shopper" && m.status && m.status !== "sent" && !(m.id && known[m.id]);
    });
    // What only this browser holds (the offline form's message and its confirmation) stays, in time order.
    var merged = server.concat(live);
    (local || []).filter(function (m) { return m.local; }).forEach(function (m) {
      var at = typeof m.at === "number" ? m.at : Infinity;
      var index = merged.length;
      while (index > 0 && typeof merged[index - 1].at === "number" && merged[index - 1].at > at) index -= 1;
      merged.splice(index, 0, m);
    });
    return merged.concat(unsent);
  }

  // -- messages from the server --------------------------------------------------------------
  function text(value) {
    return typeof value === "string" ? value : "";
  }

  /** A bot_uttered payload as {kind, ...}: "message" (add message), "handoff" (state), "passed_on"
   *  (mark the shopper's message), or "ignore". Reads the text-with-metadata shape any Rasa client can
   *  show, and the older text-less custom shape. */
  function fromServer(data) {
    if (!data || typeof data !== "object") return {kind: "ignore"};
    var ours = data.metadata && typeof data.metadata === "object" ? data.metadata.storefront : null;
    var info = ours && typeof ours === "object" ? ours : null;
    var event = info ? info.event : data.event;
    var agentName = text((info || data).agent_name);
    if (event === "handoff") {
      var state = {status: (info || data).status === "offline" ? "offline" : "waiting",
                   position: Number((info || data).position) || undefined};
      return {kind: "handoff", handoff: state,
              message: text(data.text) ? {from: "bot", text: data.text} : null};
    }
    if (event === "agent_joined") {
      return {kind: "message", message: {from: "system", event: "agent_joined", text: text(data.text), agent_name: agentName},
              handoff: {status: "with_agent", agent_name: agentName}};
    }
    if (event === "handback") {
      return {kind: "message", message: {from: "system", event: "handback", text: text(data.text)},
              handoff: {status: "back"}};
    }
    if (event === "agent_message" || data.sender === "agent") {
      return {kind: "message", message: {from: "agent", text: text(data.text), agent_name: agentName},
              handoff: {status: "with_agent", agent_name: agentName}, keepHandoff: true};
    }
    if (event === "passed_on") {
      return {kind: "passed_on", messageId: info && MESSAGE_ID.test(info.message_id || "") ? info.message_id : null};
    }
    var message = {from: "bot", text: text(data.text)};
    var buttons = Array.isArray(data.quick_replies) ? data.quick_replies : Array.isArray(data.buttons) ? data.buttons : null;
    if (buttons) {
      message.buttons = buttons.filter(function (b) { return b && typeof b === "object"; })
        .map(function (b) { return {title: String(b.title), payload: String(b.payload)}; });
    }
    var attachment = data.attachment;
    if (attachment && attachment.type === "image" && attachment.payload && attachment.payload.src) {
      message.image = String(attachment.payload.src);
    }
    return message.text || message.image ? {kind: "message", message: message} : {kind: "ignore"};
  }

  /** The hand-over state after a status poll: the server knows the queue; the assistant knew whether
   *  the team is on duty; an ended hand-over keeps its "back with the assistant" note until the shopper writes. */
  function handoffFromStatus(current, fromDesk) {
    current = current || {status: "none"};
    if (!fromDesk || fromDesk.status === "none") return current.status === "back" ? current : {status: "none"};
    if (fromDesk.status === "waiting" && current.status === "offline") return {status: "offline", position: fromDesk.position};
    return fromDesk;
  }

  /** The same after a status poll, which the widget also makes for a while after a hand-back (to learn
   *  that a rating is wanted): the desk may still hold the ticket for a moment then, so "with an agent"
   *  does not undo the hand-back (an agent who joins again says so in the conversation). */
  function handoffFromPoll(current, fromDesk) {
    if (current && current.status === "back" && fromDesk && fromDesk.status === "with_agent") return current;
    return handoffFromStatus(current, fromDesk);
  }

  function isWaiting(handoff) {
    return !!handoff && (handoff.status === "waiting" || handoff.status === "offline");
  }

  // -- marks ---------------------------------------------------------------------------------
  /** The mark under a shopper's message: its delivery trouble first, then "seen" once an agent has read
   *  it (seenUntil is the server's time; the message's time is the server's too), then "passed on". */
  function markFor(message, seenUntil) {
    if (message.from !== "shopper") return null;
    if (message.status && message.status !== "sent") return message.status;
    if (typeof seenUntil === "number" && typeof message.at === "number" && message.at <= seenUntil + 1) return "seen";
    if (message.passedOn) return "passed_on";
    return null;
  }

  /** Marks only where they tell something: the newest "seen" (like a messenger), every "passed on". */
  function marks(messages, seenUntil) {
    var result = messages.map(function (m) { return markFor(m, seenUntil); });
    var lastSeen = result.lastIndexOf("seen");
    return result.map(function (mark, index) { return mark === "seen" && index !== lastSeen ? null : mark; });
  }

  // -- photos --------------------------------------------------------------------------------
  /** Why a file cannot be sent as a photo ("photoType", "photoTooBig"), or null. The desk decodes and
   *  checks it again: this only spares the shopper an upload that would be refused. */
  function photoProblem(file) {
    if (!file) return "photoType";
    var type = String(file.type || "").toLowerCase();
    var typed = PHOTO_TYPES.indexOf(type) >= 0;
    // Some browsers give HEIC files no type at all.
    if (!typed && !(type === "" && PHOTO_EXTENSIONS.test(String(file.name || "")))) return "photoType";
    if (typeof file.size !== "number" || file.size <= 0) return "photoType";
    if (file.size > MAX_PHOTO_BYTES) return "photoTooBig";
    return null;
  }

  function uploadType(file) {
    var type = String(file.type || "").toLowerCase();
    if (PHOTO_TYPES.indexOf(type) >= 0) return type;
    return /\.heif$/i.test(file.name || "") ? "image/heif" : "image/heic";
  }

  // -- the offline form ----------------------------------------------------------------------
  function emailProblem(email) {
    var address = String(email || "").trim();
    return /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/.test(address) && address.length <= 254 ? null : "emailInvalid";
  }

  function offlineFormProblem(email, message) {
    if (emailProblem(email)) return "emailInvalid";
    var words = String(message || "").trim();
    if (!words) return "messageEmpty";
    if (words.length > MAX_MESSAGE) return "tooLong";
    return null;
  }

  // -- after the conversation: the rating card and the transcript by email ------------------
  var MAX_COMMENT = 1000;
  var SCORES = [1, 2, 3, 4, 5];

  /** The ticket whose rating card to add now, or null: the desk asks for one (the status route's
   *  "csat") and this browser holds neither a card for it nor an answer to it, so that a reload or
   *  another poll never asks twice. */
  function csatToAsk(fromStatus, messages, answered) {
    var ticket = fromStatus && typeof fromStatus === "object" ? fromStatus.ticket : null;
    if (typeof ticket !== "number" || ticket % 1 !== 0 || ticket < 1) return null;
    if (answered && answered[ticket]) return null;
    return (messages || []).some(function (m) { return m.csat === ticket; }) ? null : ticket;
  }

  function csatProblem(score, comment) {
    if (SCORES.indexOf(score) < 0) return "csatPick";
    if (String(comment || "").trim().length > MAX_COMMENT) return "csatTooLong";
    return null;
  }

  /** The body of POST /chat/{session}/csat: a score with its comment (if any), or a skip (score null). */
  function csatBody(ticket, score, comment) {
    if (score === null) return {ticket: ticket, skip: true};
    var words = String(comment || "").trim();
    return words ? {ticket: ticket, score: score, comment: words} : {ticket: ticket, score: score};
  }

  /** What the desk's answer (an HTTP status) means for the card: "done" (stored, or it already had an
   *  answer), "gone" (not this conversation's to rate: drop the card) or "failed" (the shopper may retry). */
  function csatOutcome(status) {
    if ((status >= 200 && status < 300) || status === 409) return "done";
    return status === 404 ? "gone" : "failed";
  }

  function csatLabel(words, score) {
    return String(words.csatLabels).split("|")[score - 1] || String(score);
  }

  /** The words for a transcript request's answer (an HTTP status), or null when it was sent. */
  function transcriptOutcome(status) {
    if (status >= 200 && status < 300) return null;
    return {400: "emailInvalid", 409: "transcriptEmpty", 429: "transcriptLimit"}[status] || "transcriptFailed";
  }

  /** Whether there is a conversation to email: something the server holds, not only this browser. */
  function hasConversation(messages) {
    return (messages || []).some(function (m) {
      return !m.local && !m.csat && (m.from !== "shopper" || m.status === "sent");
    });
  }

  // -- scrolling -----------------------------------------------------------------------------
  function isAtBottom(scrollTop, clientHeight, scrollHeight) {
    return scrollTop + clientHeight >= scrollHeight - 24;
  }

  return {
    STRINGS: STRINGS, LANGUAGES: LANGUAGES, MAX_MESSAGE: MAX_MESSAGE, MAX_PHOTO_BYTES: MAX_PHOTO_BYTES,
    PHOTO_TYPES: PHOTO_TYPES,
    pickLanguage: pickLanguage, wordsFor: wordsFor, format: format,
    newMessageId: newMessageId, shopperMessage: shopperMessage, restoreOutbox: restoreOutbox,
    nextToSend: nextToSend, metadataFor: metadataFor,
    mergeHistory: mergeHistory, fromServer: fromServer, handoffFromStatus: handoffFromStatus,
    handoffFromPoll: handoffFromPoll, isWaiting: isWaiting,
    markFor: markFor, marks: marks, photoProblem: photoProblem, uploadType: uploadType,
    emailProblem: emailProblem, offlineFormProblem: offlineFormProblem, isAtBottom: isAtBottom,
    MAX_COMMENT: MAX_COMMENT, SCORES: SCORES, csatToAsk: csatToAsk, csatProblem: csatProblem, csatBody: csatBody,
    csatOutcome: csatOutcome, csatLabel: csatLabel, transcriptOutcome: transcriptOutcome, hasConversation: hasConversation
  };
});
