"""Slack's mrkdwn as safe HTML: everything escaped, mentions as names, dates in the reader's zone.

Slack's formatting reference: *bold*, _italic_, ~strike~, `code`, ```preformatted```, > quotes,
<@U…> mentions, <#C…|name> channels, <!here>, <url|text> links, <!date^…> dates, :emoji:.
Text from messages is never trusted: it is escaped before any markup is added, and links keep
only http(s) and mailto targets.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

# The emoji Rounds uses, and a few more people type; unknown names stay as :name:.
EMOJI = {
    "arrow_forward": "▶️",
    "bell": "🔔",
    "books": "📚",
    "busts_in_silhouette": "👥",
    "calendar": "📆",
    "clipboard": "📋",
    "dart": "🎯",
    "date": "📅",
    "eyes": "👀",
    "gift_heart": "💝",
    "handshake": "🤝",
    "heart": "❤️",
    "hourglass": "⌛",
    "inbox_tray": "📥",
    "information_source": "ℹ️",
    "memo": "📝",
    "mortar_board": "🎓",
    "no_entry": "⛔",
    "outbox_tray": "📤",
    "pause_button": "⏸️",
    "pencil": "📝",
    "raised_hands": "🙌",
    "seedling": "🌱",
    "smile": "😄",
    "snowflake": "❄️",
    "sparkles": "✨",
    "speech_balloon": "💬",
    "stethoscope": "🩺",
    "tada": "🎉",
    "thumbsup": "👍",
    "+1": "👍",
    "wave": "👋",
    "warning": "⚠️",
    "white_check_mark": "✅",
    "x": "❌",
    "zzz": "💤",
}

_ENTITY = re.compile(r"<([^<>\n]+)>")
_EMOJI = re.compile(r":([a-z0-9_+\-]+):")
_CODE_BLOCK = re.compile(r"```(.+?)```", re.DOTALL)
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
_SAFE_LINK = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)
_DATE_TOKEN = re.compile(r"\{(\w+)\}")
_HOLE = "\x00{}\x00"
_HOLE_PATTERN = re.compile("\x00(\\d+)\x00")


@dataclass
class Reader:
    """Who reads the text: names for mentions, and a zone and a "today" for dates."""

    names: Callable[[str], str] = str
    zone: str = "UTC"
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


def emoji(text: str) -> str:
    return _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)


def plain(text: str, *, with_emoji: bool = True) -> str:
    """A plain_text object: escaped, emoji names turned into emoji."""
    escaped = html.escape(text)
    return emoji(escaped) if with_emoji else escaped


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def format_date(timestamp: int, tokens: str, reader: Reader) -> str:
    """Slack's <!date^ts^tokens|fallback>, in the reader's own zone as Slack shows it."""
    zone = ZoneInfo(reader.zone)
    moment = datetime.fromtimestamp(timestamp, UTC).astimezone(zone)
    today = reader.now.astimezone(zone).date()

    def relative(day: date, otherwise: str) -> str:
        offset = (day - today).days
        return {0: "today", -1: "yesterday", 1: "tomorrow"}.get(offset, otherwise)

    long_date = f"{moment:%B} {_ordinal(moment.day)}, {moment.year}"
    values = {
        "date_num": moment.date().isoformat(),
        "date": long_date,
        "date_short": f"{moment:%b} {moment.day}, {moment.year}",
        "date_long": f"{moment:%A}, {long_date}",
        "time": moment.strftime("%-I:%M %p"),
        "time_secs": moment.strftime("%-I:%M:%S %p"),
    }
    values["date_pretty"] = relative(moment.date(), values["date"])
    values["date_short_pretty"] = relative(moment.date(), values["date_short"])
    values["date_long_pretty"] = relative(moment.date(), values["date_long"])
    return _DATE_TOKEN.sub(lambda m: values.get(m.group(1), m.group(0)), tokens)


def _entity(inner: str, reader: Reader) -> str:
    """HTML for one <…> entity; every piece of text in it is escaped."""
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return f'<span class="mention">@{html.escape(reader.names(target[1:]))}</span>'
    if target.startswith("#"):
        name = label or target[1:]
        return f'<span class="mention">#{html.escape(name)}</span>'
    if target.startswith("!date^"):
        parts = target.split("^")
        try:
            shown = format_date(int(parts[1]), parts[2] if len(parts) > 2 else "{date}", reader)
        except (ValueError, IndexError, OverflowError):
            shown = label
        return f'<time class="date">{html.escape(shown)}</time>'
    if target.startswith("!subteam^"):
        return f'<span class="mention">{html.escape(label or "@team")}</span>'
    if target.startswith("!"):
        return f'<span class="mention">@{html.escape(target[1:])}</span>'
    shown = html.escape(label or target)
    if _SAFE_LINK.match(target):
        href = html.escape(target, quote=True)
        return f'<a href="{href}" target="_blank" rel="noopener noreferrer">{shown}</a>'
    return shown


def _unescape_slack(text: str) -> str:
    # Slack's own escaping of the three control characters; html.escape redoes it for HTML.
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _inline(text: str, reader: Reader, holes: list[str]) -> str:
    """One stretch of text without code blocks: entities, escaping, then markup."""

    def hole(markup: str) -> str:
        holes.append(markup)
        return _HOLE.format(len(holes) - 1)

    text = _ENTITY.sub(lambda m: hole(_entity(m.group(1), reader)), text)
    text = html.escape(_unescape_slack(text), quote=True)
    text = _CODE_SPAN.sub(lambda m: hole(f"<code>{m.group(1)}</code>"), text)
    text = _BOLD.sub(r"<strong>\1</strong>", text)
    text = _ITALIC.sub(r"<em>\1</em>", text)
    text = _STRIKE.sub(r"<del>\1</del>", text)
    text = emoji(text)
    lines = text.split("\n")
    out: list[str] = []
    quote: list[str] = []
    for line in lines:
        if line.startswith("&gt;"):
            quote.append(line[len("&gt;") :].lstrip())
            continue
        if quote:
            out.append("<blockquote>" + "<br>".join(quote) + "</blockquote>")
            quote = []
        out.append(line)
    if quote:
        out.append("<blockquote>" + "<br>".join(quote) + "</blockquote>")
    joined = ""
    for index, piece in enumerate(out):
        if index and not joined.endswith("</blockquote>") and not piece.startswith("<blockquote>"):
            joined += "<br>"
        joined += piece
    return joined


def to_html(text: str, reader: Reader | None = None) -> str:
    """mrkdwn → HTML that is safe to put inside an element."""
    reader = reader or Reader()
    text = text.replace("\x00", "")
    holes: list[str] = []
    pieces: list[str] = []
    position = 0
    for match in _CODE_BLOCK.finditer(text):
        pieces.append(_inline(text[position : match.start()], reader, holes))
        code = html.escape(_unescape_slack(match.group(1).strip("\n")))
        pieces.append(f"<pre>{code}</pre>")
        position = match.end()
    pieces.append(_inline(text[position:], reader, holes))
    rendered = "".join(pieces)
    # Holes can nest (a code span inside a quote); fill until none is left.
    while _HOLE_PATTERN.search(rendered):
        rendered = _HOLE_PATTERN.sub(lambda m: holes[int(m.group(1))], rendered)
    return rendered


def as_plain_text(text: str, reader: Reader | None = None) -> str:
    """mrkdwn → readable plain text (for titles and the messages list): names, no markup."""
    reader = reader or Reader()

    def entity(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith("@"):
            return "@" + reader.names(target[1:])
        if target.startswith("!date^"):
            parts = target.split("^")
            try:
                return format_date(int(parts[1]), parts[2], reader)
            except (ValueError, IndexError, OverflowError):
                return label
        return label or target.lstrip("#!")

    return emoji(_unescape_slack(_ENTITY.sub(entity, text)))


def local_time(moment: datetime, zone: str) -> str:
    """'Tue 5 Jan 2027, 10:03' in a zone — the sandbox's own labels (not Slack's)."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M}"


def short_time(moment: datetime, zone: str, *, now: datetime) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    today = now.astimezone(ZoneInfo(zone)).date()
    if local.date() == today:
        return f"{local:%H:%M}"
    if today - timedelta(days=6) <= local.date() <= today + timedelta(days=6):
        return f"{local:%a %H:%M}"
    return f"{local:%a} {local.day} {local:%b %H:%M}"
