"""manifest.yml and the code agree: every command and event is both registered and declared."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.blocks.help import USAGES
from bot.listeners import events, home, installs
from bot.listeners.commands import COMMANDS
from tests.slack_requests import SlackSender

MANIFEST = yaml.safe_load((Path(__file__).resolve().parents[1] / "manifest.yml").read_text())


def test_manifest_commands_are_the_registered_commands() -> None:
    declared = {entry["command"] for entry in MANIFEST["features"]["slash_commands"]}
    assert declared == set(COMMANDS)


def test_every_command_escapes_mentions_so_users_arrive_as_ids() -> None:
    assert all(entry["should_escape"] for entry in MANIFEST["features"]["slash_commands"])


SUBSCRIBED = set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
# message.im and message.mpim both arrive as the `message` event type.
SUBSCRIBED_TYPES = {name.split(".")[0] for name in SUBSCRIBED}


def test_the_code_listens_to_exactly_the_subscribed_events() -> None:
    assert SUBSCRIBED_TYPES == events.EVENT_TYPES | home.EVENT_TYPES | installs.EVENT_TYPES


SAMPLE_EVENTS = {
    "app_home_opened": {"type": "app_home_opened", "user": "U0A", "channel": "D0A", "tab": "home"},
    "message": {
        "type": "message",
        "channel": "D0A",
        "channel_type": "im",
        "user": "U0A",
        "text": "hello",
        "ts": "1700000000.000100",
    },
    "app_uninstalled": {"type": "app_uninstalled"},
    "tokens_revoked": {"type": "tokens_revoked", "tokens": {"oauth": ["U0A"], "bot": []}},
}


@pytest.mark.parametrize("event_type", sorted(SUBSCRIBED_TYPES))
def test_slack_never_sees_a_404_for_a_subscribed_event(slack: SlackSender, event_type: str) -> None:
    assert slack.event(SAMPLE_EVENTS[event_type]).status == 200


def test_an_event_nobody_subscribed_to_is_a_404(slack: SlackSender) -> None:
    """The check above can fail: Bolt answers 404 for events without a listener."""
    event = {"type": "reaction_added", "user": "U0A", "reaction": "tada", "item": {}}
    assert slack.event(event).status == 404


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_declared_command_is_answered(slack: SlackSender, command: str) -> None:
    reply, _ = slack.command(command, "help", user="U0A")
    assert reply.status == 200


def test_interactivity_and_home_tab_are_on() -> None:
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True


def test_every_command_is_documented_in_help() -> None:
    documented = {usage.command for usage in USAGES}
    assert documented == set(COMMANDS)
