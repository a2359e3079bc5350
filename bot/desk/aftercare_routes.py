"""The agent console's routes after the conversation: the agent's reply by email, with the conversation's
transcript, to the address the shopper left (the offline form's, or one typed in the chat while waiting).
The shopper's side (the rating, the transcript they ask for) is with the widget's routes in
bot/desk/chat_routes.py; the work of both is in bot/desk/aftercare.py."""
import logging

from aiohttp import web

from bot.chat.events import transcript
from bot.chat.sessions import shopper_view
from bot.desk import aftercare, offline_messages
from bot.desk.blocking import in_session, in_thread
from bot.desk.context import ENGINE, KNOWLEDGE, RASA, USER, now
from bot.desk.hygiene import BadRequest, error, json_object, row_id, text_field
from bot.desk.rasa_client import RasaUnavailable
from bot.desk.routing import STAFF, Routes
from bot.mail import MailUnavailable
from bot.settings import get_settings

logger = logging.getLogger(__name__)
NO_MAIL_SERVER = "Email is not set up on this desk (SMTP_URL); nothing was sent."
MAIL_DOWN = ("The mail server is not answering, so nothing was sent; your reply is still here. "
             "Please try again in a few minutes.")

routes = Routes()


@routes.post("/api/tickets/{ticket_id}/email", roles=STAFF)
async def api_email(request: web.Request):
    """{"text"}: the reply of the agent holding the ticket, mailed with the transcript to the shopper."""
    text = text_field(json_object(request), "text", limit=10 * aftercare.MAX_REPLY).strip()
    if not text or len(text) > aftercare.MAX_REPLY:
        raise BadRequest(f"an email reply needs 1 to {aftercare.MAX_REPLY} characters")
    engine, user, moment = request.app[ENGINE], request[USER], now(request)
    try:
        target = await in_session(engine, aftercare.reply_target, ticket_id=row_id(request.match_info["ticket_id"],
                                                                                     "a ticket id"),
                                  agent_id=user["id"])
    except aftercare.Refused as refusal:
        return error(refusal.status, str(refusal))
    try:
        lines = shopper_view(transcript(await in_thread(request.app[RASA].tracker, target.conversation_id)))
    except RasaUnavailable:
        return error(503, "the assistant's server is not answering, so the transcript can't be read; nothing was sent")
    lines = aftercare.with_offline_lines(lines, target.offline)
    email = target.contact_email or aftercare.email_left_in_chat(lines, since=target.since)
    if email is None:
        return error(409, aftercare.NO_CONTACT)
    mailer = offline_messages.mailer_of(request.app)
    if mailer is None:
        return error(503, NO_MAIL_SERVER)
    try:
        mail_id = await in_thread(aftercare.claim_mail_committed, engine, kind="reply", ticket_id=target.ticket_id,
                                  conversation_id=target.conversation_id, email=email, now=moment)
    except aftercare.Refused as refusal:
        return error(refusal.status, str(refusal))
    store = request.app[KNOWLEDGE].kb.store
    message = aftercare.reply_mail(to=email, text=text, agent=user["name"], ticket_id=target.ticket_id, lines=lines,
                                   language=target.language, sender=get_settings().mail_from, store=store.name,
                                   support_email=store.support.email, time_zone=store.support.schedule.timezone)
    try:
        await in_thread(mailer.send, message)
    except MailUnavailable as problem:
        logger.warning("could not mail the reply on ticket %s: %s", target.ticket_id, problem)
        await in_session(engine, aftercare.release_mail, mail_id)
        return error(503, MAIL_DOWN)
    await in_session(engine, aftercare.record_emailed, ticket_id=target.ticket_id, agent_id=user["id"], email=email,
                     text=text, now=moment)
    return web.json_response({"ok": True, "to": email, "sent_at": moment.isoformat() + "Z"})
