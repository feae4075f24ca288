"""The sandbox's pages: act as anyone in the pretend school, see what Rounds shows them, move
the clock, and read every message Rounds sent, by role.

Server-rendered HTML; sandbox/static/sandbox.js adds the little that needs a browser (menus
that act on change, confirm dialogs, refreshing when something new arrives).
"""

from __future__ import annotations

import html
import json
import logging
import re
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sandbox import blockkit
from sandbox.blockkit import FormData, Surface, Upload
from sandbox.clock import ClockError
from sandbox.fake_slack import FakeSlack
from sandbox.mrkdwn import Reader, local_time, short_time, to_html
from sandbox.rehearsal import Jump, Rehearsal
from sandbox.school import ZONES, Member, Role, School, SchoolError
from sandbox.slack_side import MessageSource, SlackSide, ViewSource
from sandbox.web import (
    BadRequestError,
    Request,
    Response,
    StartResponse,
    local_path,
    page,
    redirect,
    text,
)

log = logging.getLogger("rounds.sandbox")

USER_COOKIE = "sandbox_user"
_MINUTE = timedelta(minutes=1)
_USER_PATH = re.compile(r"^/u/(?P<user>[A-Z0-9]+)(?P<rest>/.*)?$")
_STATIC = {
    "/static/sandbox.css": ("sandbox.css", "text/css; charset=utf-8"),
    "/static/sandbox.js": ("sandbox.js", "text/javascript; charset=utf-8"),
}
ROLE_TITLES = {
    Role.STUDENT: "Students",
    Role.MENTOR: "Mentors",
    Role.COORDINATOR: "Coordinators",
}


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


class Pages:
    def __init__(
        self, *, fake: FakeSlack, school: School, slack: SlackSide, rehearsal: Rehearsal
    ) -> None:
        self.fake = fake
        self.school = school
        self.slack = slack
        self.rehearsal = rehearsal
        self._notices: dict[str, list[str]] = {}

    # --- routing ---------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        request = Request.of(environ)
        try:
            response = self._route(request)
        except BadRequestError as problem:
            response = text("400 Bad Request", str(problem))
        except Exception:
            log.exception("sandbox page %s %s failed", request.method, request.path)
            response = text(
                "500 Internal Server Error",
                "The sandbox page failed; its terminal has the details.",
            )
        return response(start_response)

    def _route(self, request: Request) -> Response:
        path, method = request.path, request.method
        if path in _STATIC:
            name, content_type = _STATIC[path]
            body = resources.files("sandbox").joinpath("static", name).read_bytes()
            return Response("200 OK", body, content_type)
        if path == "/api/activity":
            body = json.dumps({"activity": self.fake.activity()}).encode()
            return Response("200 OK", body, "application/json")
        if path == "/":
            return redirect(f"/u/{self._current_user(request)}/")
        if path == "/switch":
            return self._switch(request)
        if path == "/messages" and method == "GET":
            return self._messages_page(request)
        if path == "/people":
            return self._people_post(request) if method == "POST" else self._people_page(request)
        if path in {"/clock/next", "/clock/to"} and method == "POST":
            return self._clock(request)
        match = _USER_PATH.match(path)
        if match is None or self.school.get(match["user"]) is None:
            return text("404 Not Found", "Nothing here. Start at /.")
        user, rest = match["user"], match["rest"] or "/"
        if method == "GET":
            return self._user_get(request, user, rest)
        if method == "POST":
            return self._user_post(request, user, rest)
        return text("405 Method Not Allowed", "GET or POST only.")

    def _current_user(self, request: Request) -> str:
        chosen = request.cookies.get(USER_COOKIE, "")
        if self.school.get(chosen) is not None:
            return chosen
        students = self.school.of_role(Role.STUDENT)
        return (students or self.school.members)[0].user_id

    def _switch(self, request: Request) -> Response:
        user = request.arg("user")
        if self.school.get(user) is None:
            return redirect("/")
        return redirect(f"/u/{user}/", cookie=(USER_COOKIE, user))

    # --- a person's views ------------------------------------------------------------------

    def _user_get(self, request: Request, user: str, rest: str) -> Response:
        if rest == "/":
            return redirect(f"/u/{user}/c/{self.fake.dm_channel(user)}")
        if rest == "/home":
            if request.arg("open"):
                # Opening the tab is an event for Rounds, as in Slack; reloading the page is not.
                self.slack.open_home(user)
                self.slack.settle()
                return redirect(f"/u/{user}/home", cookie=(USER_COOKIE, user))
            return self._home_page(request, user)
        if rest.startswith("/c/"):
            channel = rest[len("/c/") :]
            if not any(c["id"] == channel for c in self.fake.conversations_of(user)):
                return text("404 Not Found", "That conversation is not one of yours.")
            return self._conversation_page(request, user, channel)
        return text("404 Not Found", "Nothing here.")

    def _user_post(self, request: Request, user: str, rest: str) -> Response:
        form = request.form()
        back = local_path(form.first("back"), f"/u/{user}/")
        if rest == "/say":
            self._say(user, form)
        elif rest == "/reply":
            self._reply(user, form)
        elif rest == "/act":
            self._act(user, form)
        elif rest == "/modal":
            self._modal(user, form)
        else:
            return text("404 Not Found", "Nothing here.")
        self.slack.settle()
        return redirect(back, cookie=(USER_COOKIE, user))

    def _say(self, user: str, form: FormData) -> None:
        channel, typed = form.first("channel"), form.first("text").strip()
        if not typed or not self._is_member(user, channel):
            return
        if typed.startswith("/"):
            self.slack.command(user, channel, typed)
        else:
            self.slack.post(user, channel, typed)

    def _reply(self, user: str, form: FormData) -> None:
        channel, typed = form.first("channel"), form.first("text").strip()
        thread_ts = form.first("thread_ts")
        if not typed or not thread_ts or not self._is_member(user, channel):
            return
        try:
            self.slack.post(
                user, channel, typed, thread_ts=thread_ts, broadcast=bool(form.first("broadcast"))
            )
        except ValueError as problem:
            self._notice(user, f"That reply could not be posted: {problem}.")

    def _act(self, user: str, form: FormData) -> None:
        """A button or menu in a message, an ephemeral or the Home tab."""
        kind = form.first("source")
        source: MessageSource | ViewSource
        if kind == "view":
            view = self.fake.view(form.first("view_id"))
            if view is None:
                return
            blocks, source = view.get("blocks") or [], ViewSource(view["id"])
        elif kind == "ephemeral":
            found = next(
                (e for e in self.fake.ephemerals(user) if e["id"] == form.first("ephemeral_id")),
                None,
            )
            if found is None:
                return
            blocks = found["blocks"] or []
            source = MessageSource(found["channel"], found["ts"], ephemeral_id=found["id"])
        else:
            channel = form.first("channel")
            if not self._is_member(user, channel):
                return
            message = next(
                (m for m in self.fake.messages(channel) if m["ts"] == form.first("ts")), None
            )
            if message is None:
                return
            blocks, source = message["blocks"] or [], MessageSource(channel, message["ts"])
        zone = self._zone(user)
        action = blockkit.action_payload(blocks, self._pressed(form), form, zone=zone)
        if action is None:
            return
        state, _ = blockkit.state_values(blocks, form, zone=zone)
        self.slack.press(user, source, action, state)

    def _modal(self, user: str, form: FormData) -> None:
        view_id = form.first("view_id")
        stack = self.slack.modal_stack(user)
        if not stack or stack[-1]["id"] != view_id:
            return  # an old form, submitted twice or from another tab
        view = stack[-1]
        blocks = view.get("blocks") or []
        zone = self._zone(user)
        if form.first("_close"):
            self.slack.close(user, view_id)
            return

        def store(upload: Upload) -> dict[str, Any]:
            return self.fake.add_file(upload.filename, upload.content, user=user)

        if self._pressed(form):
            action = blockkit.action_payload(blocks, self._pressed(form), form, zone=zone)
            state, _ = blockkit.state_values(blocks, form, zone=zone)
            if action is not None:
                self.slack.press(user, ViewSource(view_id), action, state)
            return
        state, missing = blockkit.state_values(blocks, form, zone=zone, store_file=store)
        if missing:
            self.slack.show_errors(user, view_id, missing, state)
            return
        self.slack.submit(user, view_id, state)

    @staticmethod
    def _pressed(form: FormData) -> str:
        """The element acted on: a button's own `_action`, or the menu the script reported."""
        return (form.all("_action") or form.all("_changed") or [""])[0]

    def _is_member(self, user: str, channel: str) -> bool:
        return any(c["id"] == channel for c in self.fake.conversations_of(user))

    def _zone(self, user: str) -> str:
        member = self.school.get(user)
        return member.tz if member else "UTC"

    def _notice(self, user: str, message: str) -> None:
        self._notices.setdefault(user, []).append(message)

    # --- the clock -------------------------------------------------------------------------

    def _clock(self, request: Request) -> Response:
        form = request.form()
        user = form.first("user")
        if self.school.get(user) is None:
            user = self._current_user(request)
        back = local_path(form.first("back"), f"/u/{user}/")
        try:
            if request.path == "/clock/next":
                jump = self.rehearsal.next_nudge()
            else:
                jump = self.rehearsal.jump_to(self._chosen_moment(form, user))
            self._notice(user, self._jump_summary(jump, user))
        except ClockError as problem:
            self._notice(user, str(problem))
        self.slack.settle()
        return redirect(back, cookie=(USER_COOKIE, user))

    def _chosen_moment(self, form: FormData, user: str) -> datetime:
        try:
            day = date.fromisoformat(form.first("date"))
            clock = time.fromisoformat(form.first("time") or "09:00")
        except ValueError:
            raise ClockError("Pick a date (and a time) to move the clock to.") from None
        return datetime.combine(day, clock, ZoneInfo(self._zone(user))).astimezone(UTC)

    def _jump_summary(self, jump: Jump, user: str) -> str:
        zone = self._zone(user)
        moved = f"The clock is now {local_time(jump.ended, zone)} (your time)."
        if not jump.sent:
            if jump.ended - jump.started < _MINUTE:
                return "Nothing is scheduled yet: pair someone first (/mentor request @…)."
            return f"{moved} Rounds sent nothing on the way."
        where = sorted({self._conversation_label(str(m["channel"]), user) for m in jump.sent})
        count = len(jump.sent)
        noun = "message" if count == 1 else "messages"
        return f"{moved} Rounds sent {count} {noun}: to {', '.join(where)}."

    # --- rendering: shared -----------------------------------------------------------------

    def _reader(self, user: str) -> Reader:
        return Reader(names=self.school.name, zone=self._zone(user), now=self.rehearsal.clock.now())

    def _surface(self, user: str, errors: dict[str, str] | None = None) -> Surface:
        people = [(m.user_id, m.name) for m in self.school.members]
        conversations = [
            (c["id"], self._conversation_label(c["id"], user))
            for c in self.fake.conversations_of(user)
        ]
        return Surface(
            reader=self._reader(user),
            people=people,
            conversations=conversations,
            errors=errors or {},
        )

    def _conversation_label(self, channel: str, viewer: str) -> str:
        conversation = self._conversation(channel)
        if conversation is None:
            return channel
        members = [m for m in conversation["members"] if m != self.fake.bot_user_id]
        if conversation["is_im"]:
            member = members[0] if members else viewer
            return "your DM" if member == viewer else f"{self.school.name(member)}'s DM"
        return "the check-in space of " + " & ".join(self.school.name(m) for m in members)

    def _layout(self, request: Request, user: str, title: str, main: str) -> Response:
        member = self.school.get(user)
        assert member is not None
        now = self.rehearsal.clock.now()
        zone = member.tz
        options = "".join(
            f'<option value="{_e(m.user_id)}"{" selected" if m.user_id == user else ""}>'
            f"{_e(m.name)} — {_e(m.role)}, {_e(m.city)}</option>"
            for m in self.school.members
        )
        back = _e(request.path)
        notices = "".join(
            f'<div class="notice" role="status">{to_html(n, self._reader(user))}</div>'
            for n in self._notices.pop(user, [])
        )
        today = now.astimezone(ZoneInfo(zone)).date().isoformat()
        body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)} · Rounds sandbox</title>
<link rel="stylesheet" href="/static/sandbox.css"></head>
<body data-activity="{self.fake.activity()}">
<header class="topbar">
  <a class="brand" href="/">Rounds <span>sandbox</span></a>
  <form class="whoami" method="get" action="/switch">
    <label>You are <select name="user" id="whoami" data-navigate>{options}</select></label>
    <noscript><button>Switch</button></noscript>
  </form>
  <div class="clock">
    <span class="now" id="clock-now" title="The sandbox's clock">{_e(local_time(now, zone))}
      <small>your time ({_e(member.city)})</small></span>
    <form method="post" action="/clock/next">
      <input type="hidden" name="user" value="{_e(user)}">
      <input type="hidden" name="back" value="{back}">
      <button id="next-nudge" title="Move the clock to the next nudge and send it">
        Next nudge ⏭</button>
    </form>
    <form method="post" action="/clock/to" class="jump">
      <input type="hidden" name="user" value="{_e(user)}">
      <input type="hidden" name="back" value="{back}">
      <input type="date" name="date" min="{today}" required aria-label="Date">
      <input type="time" name="time" value="09:00" aria-label="Time">
      <button id="jump">Go</button>
    </form>
  </div>
  <nav><a href="/messages" id="nav-messages">Messages by role</a>
       <a href="/people" id="nav-people">People</a></nav>
</header>
{notices}
{main}
<script src="/static/sandbox.js"></script>
</body></html>"""
        return page(body)

    def _sidebar(self, user: str, active: str) -> str:
        dm = self.fake.dm_channel(user)
        links = [
            (f"/u/{user}/home?open=1", "Home", "home", "nav-home"),
            (f"/u/{user}/c/{dm}", "Messages", dm, "nav-dm"),
        ]
        spaces = [c for c in self.fake.conversations_of(user) if c["is_mpim"]]
        items = "".join(
            f'<a id="{css_id}" class="{"active" if key == active else ""}" href="{_e(href)}">'
            f"{_e(label)}</a>"
            for href, label, key, css_id in links
        )
        space_links = (
            "".join(
                f'<a class="space{" active" if c["id"] == active else ""}" '
                f'href="/u/{_e(user)}/c/{_e(c["id"])}">{_e(self._space_title(c, user))}</a>'
                for c in spaces
            )
            or '<p class="muted">None yet. A pair gets one when the mentor accepts.</p>'
        )
        handles = " ".join(
            f'<button type="button" class="handle" data-insert="@{_e(m.handle)} " '
            f'title="{_e(m.name)}, {_e(m.role)}">@{_e(m.handle)}</button>'
            for m in self.school.members
            if m.user_id != user
        )
        return f"""<aside class="sidebar">
  <h2>Rounds <span class="app">APP</span></h2>{items}
  <h2>Check-in spaces</h2>{space_links}
  <h2>People</h2><div class="handles">{handles}</div>
  <p class="muted">Type <code>/mentor help</code>, <code>/goal</code> or <code>/checkin</code>
  in Messages. Handles go into what you type.</p>
</aside>"""

    def _space_title(self, conversation: dict[str, Any], user: str) -> str:
        others = [
            self.school.name(m)
            for m in conversation["members"]
            if m not in (user, self.fake.bot_user_id)
        ]
        return "with " + " & ".join(others)

    def _modal_html(self, user: str, back: str) -> str:
        stack = self.slack.modal_stack(user)
        if not stack:
            return ""
        view = stack[-1]
        blocks = blockkit.with_values(
            view.get("blocks") or [], self.slack.modal_draft(user, view["id"])
        )
        errors = self.slack.modal_errors(user, view["id"])
        general = errors.pop("", "")
        surface = self._surface(user, errors)
        title = blockkit.text_html(view.get("title"), surface.reader)
        submit = (
            f'<button type="submit" name="_submit" value="1" class="btn primary" id="modal-submit">'
            f"{blockkit.text_html(view.get('submit'), surface.reader)}</button>"
            if view.get("submit")
            else ""
        )
        close_label = (
            blockkit.text_html(view.get("close"), surface.reader) if view.get("close") else "Close"
        )
        has_files = any(e.get("type") == "file_input" for _, _, e, _ in blockkit.elements(blocks))
        enctype = ' enctype="multipart/form-data"' if has_files else ""
        problem = f'<div class="error" role="alert">{_e(general)}</div>' if general else ""
        return f"""<div class="modal-backdrop">
<form class="modal" method="post" action="/u/{_e(user)}/modal"{enctype} id="modal"
      data-view-id="{_e(view["id"])}">
  <input type="hidden" name="view_id" value="{_e(view["id"])}">
  <input type="hidden" name="back" value="{_e(back)}">
  <input type="hidden" name="_changed" value="">
  <header><h2>{title}</h2>
    <button type="submit" name="_close" value="1" class="close" formnovalidate
            aria-label="Close">×</button></header>
  <div class="modal-body">{problem}{blockkit.blocks_html(blocks, surface)}</div>
  <footer><button type="submit" name="_close" value="1" class="btn" formnovalidate
          id="modal-close">{close_label}</button>{submit}</footer>
</form></div>"""

    # --- rendering: conversations ----------------------------------------------------------

    def _conversation_page(self, request: Request, user: str, channel: str) -> Response:
        surface = self._surface(user)
        now = self.rehearsal.clock.now()
        zone = self._zone(user)
        messages = self.fake.messages(channel)
        replies: dict[str, list[dict[str, Any]]] = {}
        top: list[dict[str, Any]] = []
        for message in messages:
            thread_ts = message["thread_ts"]
            if thread_ts and thread_ts != message["ts"]:
                replies.setdefault(thread_ts, []).append(message)
                if not message["reply_broadcast"]:
                    continue
            top.append(message)
        ephemerals = [e for e in self.fake.ephemerals(user) if e["channel"] == channel]
        timeline: list[tuple[float, str]] = []
        for message in top:
            thread = replies.get(message["ts"], []) if not message["thread_ts"] else []
            timeline.append(
                (
                    float(message["ts"]),
                    self._message_html(user, channel, message, thread, surface, now, zone),
                )
            )
        for ephemeral in ephemerals:
            timeline.append(
                (float(ephemeral["ts"]), self._ephemeral_html(user, ephemeral, surface, now, zone))
            )
        timeline.sort(key=lambda item: item[0])
        conversation = self._conversation(channel) or {"is_im": True, "members": []}
        is_dm = bool(conversation["is_im"])
        label = "Rounds" if is_dm else f"Check-in space {self._space_title(conversation, user)}"
        heading = (
            "Rounds <small>— your DM with the app: commands, answers and its messages to "
            "you</small>"
            if is_dm
            else f"Check-in space <small>{_e(self._space_title(conversation, user))}"
            " — you, your pair and Rounds</small>"
        )
        hint = (
            "Type /mentor help, /goal list, /checkin … or a message"
            if is_dm
            else "Type /checkin … here, or a message to your pair"
        )
        empty = '<p class="muted empty">Nothing here yet.</p>' if not timeline else ""
        main = f"""<div class="workspace">{self._sidebar(user, channel)}
<main class="conversation" data-channel="{_e(channel)}">
  <h1>{heading}</h1>
  <div class="timeline" id="timeline">{empty}{"".join(html_ for _, html_ in timeline)}</div>
  <form class="composer" method="post" action="/u/{_e(user)}/say" autocomplete="off">
    <input type="hidden" name="channel" value="{_e(channel)}">
    <input type="hidden" name="back" value="{_e(request.path)}">
    <input type="text" name="text" id="composer" placeholder="{_e(hint)}" required>
    <button class="btn primary" id="send">Send</button>
  </form>
</main></div>{self._modal_html(user, request.path)}"""
        return self._layout(request, user, label, main)

    def _conversation(self, channel: str) -> dict[str, Any] | None:
        return next(
            (c for c in self.fake.conversations_of(self.fake.bot_user_id) if c["id"] == channel),
            None,
        )

    def _author(self, user_id: str) -> str:
        if user_id == self.fake.bot_user_id:
            return 'Rounds <span class="app">APP</span>'
        return _e(self.school.name(user_id))

    def _body_html(
        self, message: dict[str, Any], surface: Surface, form_fields: str, user: str
    ) -> str:
        blocks = message.get("blocks")
        if blocks:
            inner = blockkit.blocks_html(blocks, surface)
        else:
            said = to_html(str(message.get("text") or ""), surface.reader)
            inner = f'<div class="mrkdwn">{said}</div>'
        has_controls = any(True for _ in blockkit.elements(blocks or []))
        if not has_controls:
            return f'<div class="content">{inner}</div>'
        return (
            f'<form class="content" method="post" action="/u/{_e(user)}/act">'
            f'{form_fields}<input type="hidden" name="_changed" value="">{inner}</form>'
        )

    def _message_html(
        self,
        user: str,
        channel: str,
        message: dict[str, Any],
        thread: list[dict[str, Any]],
        surface: Surface,
        now: datetime,
        zone: str,
    ) -> str:
        back = f"/u/{user}/c/{channel}"
        fields = self._message_fields(user, channel, message["ts"])
        when = datetime.fromtimestamp(float(message["ts"]), UTC)
        reactions = "".join(
            f'<span class="reaction" title="{_e(", ".join(self.school.name(u) for u in users))}">'
            f"{to_html(f':{name}:')} {len(users)}</span>"
            for name, users in (message.get("reactions") or {}).items()
        )
        thread_html = ""
        if not message["thread_ts"] or message["thread_ts"] == message["ts"]:
            replies_html = "".join(
                self._reply_html(user, reply, surface, now, zone) for reply in thread
            )
            count = len(thread)
            summary = f"{count} repl{'y' if count == 1 else 'ies'}" if count else "Reply in thread"
            thread_html = f"""<details class="thread"{" open" if count else ""}>
  <summary>{summary}</summary>{replies_html}
  <form class="reply-form" method="post" action="/u/{_e(user)}/reply" autocomplete="off">
    <input type="hidden" name="channel" value="{_e(channel)}">
    <input type="hidden" name="thread_ts" value="{_e(message["ts"])}">
    <input type="hidden" name="back" value="{_e(back)}">
    <input type="text" name="text" placeholder="Reply…" required>
    <label class="broadcast"><input type="checkbox" name="broadcast" value="1"> Also send to the
      conversation</label>
    <button class="btn">Reply</button>
  </form></details>"""
        broadcast = (
            '<div class="muted">replied to a thread:</div>' if message["reply_broadcast"] else ""
        )
        return f"""<article class="message" id="m-{_e(message["ts"].replace(".", "-"))}"
  data-ts="{_e(message["ts"])}" data-author="{_e(message["user"])}">
  <div class="meta"><strong>{self._author(message["user"])}</strong>
    <time title="{_e(local_time(when, zone))}">{_e(short_time(when, zone, now=now))}</time></div>
  {broadcast}{self._body_html(message, surface, fields, user)}
  <div class="reactions">{reactions}</div>{thread_html}
</article>"""

    @staticmethod
    def _message_fields(user: str, channel: str, ts: str) -> str:
        """Hidden fields naming the message a button or menu is in."""
        return (
            f'<input type="hidden" name="source" value="message">'
            f'<input type="hidden" name="channel" value="{_e(channel)}">'
            f'<input type="hidden" name="ts" value="{_e(ts)}">'
            f'<input type="hidden" name="back" value="/u/{_e(user)}/c/{_e(channel)}">'
        )

    def _reply_html(
        self, user: str, reply: dict[str, Any], surface: Surface, now: datetime, zone: str
    ) -> str:
        when = datetime.fromtimestamp(float(reply["ts"]), UTC)
        fields = self._message_fields(user, str(reply["channel"]), str(reply["ts"]))
        reactions = "".join(
            f'<span class="reaction">{to_html(f":{name}:")} {len(users)}</span>'
            for name, users in (reply.get("reactions") or {}).items()
        )
        return (
            f'<div class="reply" data-ts="{_e(reply["ts"])}" data-author="{_e(reply["user"])}">'
            f'<div class="meta"><strong>{self._author(reply["user"])}</strong> '
            f"<time>{_e(short_time(when, zone, now=now))}</time></div>"
            f"{self._body_html(reply, surface, fields, user)}"
            f'<div class="reactions">{reactions}</div></div>'
        )

    def _ephemeral_html(
        self, user: str, ephemeral: dict[str, Any], surface: Surface, now: datetime, zone: str
    ) -> str:
        fields = (
            f'<input type="hidden" name="source" value="ephemeral">'
            f'<input type="hidden" name="ephemeral_id" value="{_e(ephemeral["id"])}">'
            f'<input type="hidden" name="back" value="/u/{_e(user)}/c/{_e(ephemeral["channel"])}">'
        )
        when = datetime.fromtimestamp(float(ephemeral["ts"]), UTC)
        return f"""<article class="message ephemeral" data-ts="{_e(ephemeral["ts"])}">
  <div class="meta"><strong>Rounds <span class="app">APP</span></strong>
    <time>{_e(short_time(when, zone, now=now))}</time>
    <span class="only-you">Only visible to you</span></div>
  {self._body_html(ephemeral, surface, fields, user)}
</article>"""

    # --- rendering: Home tab ---------------------------------------------------------------

    def _home_page(self, request: Request, user: str) -> Response:
        view = self.fake.home_view(user)
        surface = self._surface(user)
        if view is None:
            inner = '<p class="muted">Rounds has not published a Home tab for you yet.</p>'
        else:
            fields = (
                f'<input type="hidden" name="source" value="view">'
                f'<input type="hidden" name="view_id" value="{_e(view["id"])}">'
                f'<input type="hidden" name="back" value="/u/{_e(user)}/home">'
            )
            inner = self._body_html(view, surface, fields, user)
        main = f"""<div class="workspace">{self._sidebar(user, "home")}
<main class="home"><h1>Home <small>— Rounds' App Home tab</small></h1>{inner}</main></div>
{self._modal_html(user, request.path)}"""
        return self._layout(request, user, "Home", main)

    # --- rendering: messages by role -------------------------------------------------------

    def _messages_page(self, request: Request) -> Response:
        viewer = self._current_user(request)
        by_role: dict[Role, list[str]] = {role: [] for role in Role}
        spaces: list[str] = []
        counts: dict[str, int] = {}
        for message in self._sent_messages():
            channel = str(message["channel"])
            conversation = self._conversation(channel)
            if conversation is None:
                continue
            members = [m for m in conversation["members"] if m != self.fake.bot_user_id]
            entry = self._catalogue_entry(message, members)
            if conversation["is_im"] and members:
                member = self.school.get(members[0])
                role = member.role if member else Role.STUDENT
                by_role[role].append(entry)
                counts[ROLE_TITLES[role].lower()] = counts.get(ROLE_TITLES[role].lower(), 0) + 1
            else:
                spaces.append(entry)
                counts["check-in spaces"] = counts.get("check-in spaces", 0) + 1
        private: dict[Role, list[str]] = {role: [] for role in Role}
        for ephemeral in self.fake.ephemerals():
            member = self.school.get(ephemeral["user"])
            if member is not None:
                private[member.role].append(self._catalogue_entry(ephemeral, [member.user_id]))
        sections = []
        for role in (Role.STUDENT, Role.MENTOR, Role.COORDINATOR):
            entries = "".join(by_role[role]) or '<p class="muted">None yet.</p>'
            answers = (
                f"<details><summary>{len(private[role])} private answers to their commands"
                f"</summary>{''.join(private[role])}</details>"
                if private[role]
                else ""
            )
            sections.append(
                f'<section class="role" id="role-{role.value}"><h2>To {ROLE_TITLES[role].lower()}'
                f" <small>(direct messages)</small></h2>{entries}{answers}</section>"
            )
        sections.append(
            '<section class="role" id="role-spaces"><h2>To check-in spaces '
            "<small>(the student, the mentor and Rounds)</small></h2>"
            + ("".join(spaces) or '<p class="muted">None yet.</p>')
            + "</section>"
        )
        total = sum(counts.values())
        summary = ", ".join(f"{n} to {what}" for what, n in counts.items()) or "nothing yet"
        main = f"""<main class="catalogue">
<h1>Every message Rounds sent, by who receives it</h1>
<p>Rounds has sent {total} message{"" if total == 1 else "s"} in this sandbox: {_e(summary)}.
Each shows the time in its recipient's own zone. Rehearse a term with <em>Next nudge</em> or
<em>Go</em> to fill this page, then print it for whoever approves what students and faculty
will receive.</p>
{"".join(sections)}</main>"""
        return self._layout(request, viewer, "Messages by role", main)

    def _sent_messages(self) -> list[dict[str, Any]]:
        """Every message Rounds posted, as it posted it (later edits, such as buttons that
        gave way to what happened, do not change what was sent)."""
        sent = []
        for call in self.fake.calls_to("chat.postMessage"):
            answer = call.answer or {}
            if not answer.get("ok"):
                continue
            blocks = call.args.get("blocks")
            if isinstance(blocks, str):
                try:
                    blocks = json.loads(blocks)
                except ValueError:
                    blocks = None
            sent.append(
                {
                    "channel": answer["channel"],
                    "ts": answer["ts"],
                    "text": str(call.args.get("text") or ""),
                    "blocks": blocks if isinstance(blocks, list) else None,
                    "thread_ts": call.args.get("thread_ts") or None,
                }
            )
        return sent

    def _catalogue_entry(self, message: dict[str, Any], recipients: list[str]) -> str:
        recipient = recipients[0] if recipients else self.fake.bot_user_id
        zone = self._zone(recipient)
        reader = Reader(names=self.school.name, zone=zone, now=self.rehearsal.clock.now())
        surface = Surface(reader=reader)
        when = datetime.fromtimestamp(float(message["ts"]), UTC)
        to = " & ".join(self.school.name(r) for r in recipients)
        blocks = message.get("blocks")
        inner = (
            blockkit.blocks_html(blocks, surface)
            if blocks
            else f'<div class="mrkdwn">{to_html(str(message.get("text") or ""), reader)}</div>'
        )
        thread = " · in a thread" if message.get("thread_ts") else ""
        return f"""<article class="message catalogued">
  <div class="meta">to <strong>{_e(to)}</strong> · {_e(local_time(when, zone))}
   ({_e(zone)}){thread}</div>
  <fieldset disabled class="content">{inner}</fieldset></article>"""

    # --- the people ------------------------------------------------------------------------

    def _people_page(self, request: Request) -> Response:
        viewer = self._current_user(request)
        rows = "".join(self._person_row(member) for member in self.school.members)
        zones = "".join(f'<option value="{_e(z)}">' for z in ZONES)
        roles = "".join(f'<option value="{r.value}">{r.value}</option>' for r in Role)
        main = f"""<main class="people">
<h1>The people of this pretend school</h1>
<p>They are users of the sandbox's Slack workspace. Rounds learns a person's time zone and
whether they are a coordinator (a workspace admin) from Slack the first time it meets them,
and refreshes that now and then, as it would in a real workspace.</p>
<datalist id="zones">{zones}</datalist>
<table><thead><tr><th>Name</th><th>Handle</th><th>Role</th><th>Time zone</th><th></th>
</tr></thead><tbody>{rows}</tbody></table>
<h2>Add a person</h2>
<form method="post" action="/people" class="add-person">
  <input type="hidden" name="op" value="add">
  <input name="name" placeholder="Full name" required>
  <input name="handle" placeholder="handle" required pattern="[a-z][a-z0-9._\\-]*">
  <select name="role">{roles}</select>
  <input name="tz" list="zones" value="America/New_York" required>
  <button class="btn primary">Add</button>
</form></main>"""
        return self._layout(request, viewer, "People", main)

    def _person_row(self, member: Member) -> str:
        roles = "".join(
            f'<option value="{r.value}"{" selected" if r is member.role else ""}>{r.value}</option>'
            for r in Role
        )
        form_id = f"edit-{member.user_id}"
        return f"""<tr>
<td><input form="{form_id}" name="name" value="{_e(member.name)}" required></td>
<td>@{_e(member.handle)}</td>
<td><select form="{form_id}" name="role">{roles}</select></td>
<td><input form="{form_id}" name="tz" list="zones" value="{_e(member.tz)}" required></td>
<td><form id="{form_id}" method="post" action="/people">
  <input type="hidden" name="op" value="edit">
  <input type="hidden" name="user_id" value="{_e(member.user_id)}">
  <button class="btn">Save</button> <a href="/switch?user={quote(member.user_id)}">Act as</a>
</form></td></tr>"""

    def _people_post(self, request: Request) -> Response:
        form = request.form()
        viewer = self._current_user(request)
        try:
            if form.first("op") == "add":
                added = self.school.add(
                    name=form.first("name"),
                    handle=form.first("handle"),
                    role=form.first("role"),
                    tz=form.first("tz"),
                )
                self._notice(viewer, f"Added {added.name} (@{added.handle}).")
            else:
                edited = self.school.edit(
                    form.first("user_id"),
                    name=form.first("name"),
                    role=form.first("role"),
                    tz=form.first("tz"),
                )
                self._notice(viewer, f"Saved {edited.name}.")
        except SchoolError as problem:
            self._notice(viewer, str(problem))
        return redirect("/people")
