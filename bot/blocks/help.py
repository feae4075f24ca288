"""The usage text of every command — the single place commands are documented."""

from __future__ import annotations

from dataclasses import dataclass

from bot.blocks.common import SECTION_TEXT_LIMIT, Block, context, divider, header, section


@dataclass(frozen=True)
class Usage:
    command: str  # "/mentor"
    subcommand: str  # "request"; "" for the bare command
    syntax: str
    what: str
    example: str
    who: str = ""


USAGES: tuple[Usage, ...] = (
    Usage("/mentor", "help", "/mentor help", "this list of commands", "/mentor help"),
    Usage(
        "/mentor",
        "request",
        "/mentor request @mentor [note]",
        "ask someone to mentor you; they get your note with Accept / Decline buttons",
        "/mentor request @Dr. Patel I'd love guidance on surgical residencies",
        who="students",
    ),
    Usage(
        "/mentor",
        "pair",
        "/mentor pair @mentee @mentor",
        "pair two people at once; both are told",
        "/mentor pair @Sam Lee @Dr. Patel",
        who="coordinators",
    ),
    Usage(
        "/mentor",
        "list",
        "/mentor list",
        "your pairs, as mentee and as mentor: state, rhythm, last check-in, next nudge",
        "/mentor list",
    ),
    Usage(
        "/mentor",
        "cadence",
        "/mentor cadence @other weekly|every N weeks|monthly [on <weekday>] [at <time>]",
        "change how often the two of you check in (weekly up to every 8 weeks)",
        "/mentor cadence @Dr. Patel every 3 weeks on Thursday at 16:00",
    ),
    Usage(
        "/mentor",
        "pause",
        "/mentor pause @other until YYYY-MM-DD  ·  /mentor pause @other for N weeks [— reason]",
        "no nudges until then; the other person is told (with your reason, which Rounds "
        "does not keep)",
        "/mentor pause @Dr. Patel for 3 weeks — ICU nights",
    ),
    Usage(
        "/mentor",
        "resume",
        "/mentor resume @other",
        "nudges start again",
        "/mentor resume @Dr. Patel",
    ),
    Usage(
        "/mentor",
        "end",
        "/mentor end @other",
        "end the pair after you confirm; history is kept, and both of you get a wrap-up with "
        '"Keep in touch" (a catch-up every 6 months when both choose it; `end` again stops it)',
        "/mentor end @Dr. Patel",
    ),
    Usage(
        "/mentor",
        "offer",
        "/mentor offer [topics]  ·  /mentor offer off",
        "join the mentor directory with topics in your own words (shown only in this "
        "workspace), change them, or leave",
        "/mentor offer surgery research Match advice",
    ),
    Usage(
        "/mentor",
        "find",
        "/mentor find [words]",
        "mentors in the directory with an open seat whose topics match, each with a Request button",
        "/mentor find surgery",
    ),
    Usage(
        "/mentor",
        "record",
        "/mentor record",
        "your mentoring record for a promotion dossier: every mentee past and present, months, "
        "check-ins completed, thanks received — with a CSV file in your DM",
        "/mentor record",
        who="mentors",
    ),
    Usage(
        "/mentor",
        "hours",
        "/mentor hours HH:MM-HH:MM  ·  /mentor hours default",
        "your own working hours, in your time zone; nudges to you stay inside them",
        "/mentor hours 07:00-15:00",
    ),
    Usage(
        "/mentor",
        "capacity",
        "/mentor capacity @mentor N",
        "how many active mentees a mentor takes (1 to 50); mentors set their own",
        "/mentor capacity @Dr. Patel 3",
        who="the mentor or a coordinator",
    ),
    Usage(
        "/mentor",
        "coordinator",
        "/mentor coordinator add @user",
        "make someone a program coordinator",
        "/mentor coordinator add @Alex Kim",
        who="coordinators",
    ),
    Usage(
        "/mentor",
        "import",
        "/mentor import",
        "import a cohort from a CSV (mentee,mentor[,cadence][,goal], by e-mail or Slack ID): "
        "a dry run with each problem's line number, then Import",
        "/mentor import",
        who="coordinators",
    ),
    Usage(
        "/mentor",
        "export",
        "/mentor export",
        "a CSV of every pair in your DM: state, dates and counts, never what anyone wrote",
        "/mentor export",
        who="coordinators",
    ),
    Usage(
        "/mentor",
        "calendar",
        "/mentor calendar add YYYY-MM-DD[..YYYY-MM-DD] <name>  ·  list  ·  remove <n>  ·  import",
        "blackout days without nudges (exam weeks, breaks); `import` reads the school's .ics",
        "/mentor calendar add 2027-03-15..2027-03-19 Spring break",
        who="coordinators",
    ),
    Usage(
        "/mentor",
        "digest",
        "/mentor digest off|on",
        "the Monday 09:00 DM listing pairs that need attention (sent only when some do)",
        "/mentor digest off",
        who="coordinators",
    ),
    Usage(
        "/goal",
        "add",
        "/goal add <text> [by <date>] [for @mentor]",
        "add a goal; the date may be 2027-03-01, Friday, next Friday or Mar 15; name the "
        "mentor when you have several",
        "/goal add Draft my personal statement by Friday for @Dr. Patel",
    ),
    Usage(
        "/goal",
        "list",
        "/goal list",
        "your open goals, numbered, and goals done in the last 90 days",
        "/goal list",
    ),
    Usage(
        "/goal",
        "done",
        "/goal done <n> [for @mentor]",
        "mark goal n done (goal numbers count within each pair)",
        "/goal done 2",
    ),
    Usage("/goal", "drop", "/goal drop <n> [for @mentor]", "drop goal n", "/goal drop 3"),
    Usage(
        "/checkin",
        "",
        "/checkin <update>",
        "post an update to your check-in space so your mentor can reply in the thread",
        "/checkin Shadowed in the OR twice; question about research electives",
    ),
    Usage(
        "/checkin",
        "form",
        "/checkin",
        "with no text: open a form (which pair, what's on your mind, what you'd like feedback "
        'on, goals, "we met")',
        "/checkin",
    ),
    Usage(
        "/checkin",
        "delete",
        "/checkin delete",
        "delete your newest check-in post while nobody has answered it",
        "/checkin delete",
    ),
    Usage(
        "/checkin",
        "status",
        "/checkin status",
        "last check-in, next nudge and open goals, per pair",
        "/checkin status",
    ),
)


def usage_for(command: str, subcommand: str) -> Usage:
    for usage in USAGES:
        if usage.command == command and usage.subcommand == subcommand:
            return usage
    raise KeyError(f"{command} {subcommand} is not documented")


def _usage_line(usage: Usage) -> str:
    who = f" _({usage.who})_" if usage.who else ""
    return f"`{usage.syntax}`{who}\n{usage.what}. Example: `{usage.example}`"


def help_text() -> str:
    """The whole usage as plain mrkdwn, for notifications and clients without blocks."""
    return "\n".join(f"{usage.syntax} — {usage.what}" for usage in USAGES)


def help_blocks() -> list[Block]:
    blocks: list[Block] = [
        header("Rounds — keep your mentorship going"),
        context(
            "Mentees and mentors get gentle check-in nudges in their own time zone, "
            "on weekdays, in working hours. Pick people from Slack's @ autocomplete."
        ),
    ]
    for command in ("/mentor", "/goal", "/checkin"):
        blocks.append(divider())
        lines = [_usage_line(usage) for usage in USAGES if usage.command == command]
        # A section holds 3,000 characters: a long list continues in the next one, uncut.
        chunk = f"*{command}*"
        for line in lines:
            if len(chunk) + 2 + len(line) > SECTION_TEXT_LIMIT:
                blocks.append(section(chunk))
                chunk = line
            else:
                chunk += ("\n" if chunk == f"*{command}*" else "\n\n") + line
        blocks.append(section(chunk))
    return blocks
