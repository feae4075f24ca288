"""The manifests ask for exactly the scopes the code needs: every Web API method Rounds calls
is covered by a scope, and every scope is used. manifest-http.yml is manifest.yml served over
HTTP, and nothing else."""

from __future__ import annotations

import ast
import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_sdk import WebClient

from bot.listeners import events, home, installs
from bot.listeners.commands import COMMANDS
from bot.web import SLACK_PATH

REPO = Path(__file__).resolve().parents[1]
SOCKET_MODE = yaml.safe_load((REPO / "manifest.yml").read_text())
HTTP = yaml.safe_load((REPO / "manifest-http.yml").read_text())

# Bot-token scopes each Web API method needs, as Slack documents them, for the kinds of
# conversation Rounds uses: DMs (im) and the pairs' group DMs (mpim). A method missing here
# fails the test below; add it with the scopes its page at api.slack.com/methods lists.
METHOD_SCOPES: dict[str, frozenset[str]] = {
    "auth.test": frozenset(),
    "chat.postMessage": frozenset({"chat:write"}),
    "chat.postEphemeral": frozenset({"chat:write"}),
    "chat.update": frozenset({"chat:write"}),
    "chat.delete": frozenset({"chat:write"}),
    "conversations.open": frozenset({"im:write", "mpim:write"}),
    "conversations.history": frozenset({"im:history", "mpim:history"}),
    "conversations.replies": frozenset({"im:history", "mpim:history"}),
    "conversations.info": frozenset({"im:read", "mpim:read"}),
    "reactions.add": frozenset({"reactions:write"}),
    "reactions.remove": frozenset({"reactions:write"}),
    "users.info": frozenset({"users:read"}),
    "users.lookupByEmail": frozenset({"users:read", "users:read.email"}),
    "files.info": frozenset({"files:read"}),
    "files.upload.v2": frozenset({"files:write"}),
    "views.open": frozenset(),
    "views.publish": frozenset(),
    "views.update": frozenset(),
    "views.push": frozenset(),
}
# Events need a scope of their own to be delivered; app_home_opened needs none.
EVENT_SCOPES = {
    "app_home_opened": frozenset(),
    "message.im": frozenset({"im:history"}),
    "message.mpim": frozenset({"mpim:history"}),
    # Slack sends these to every app, whatever its scopes.
    "app_uninstalled": frozenset(),
    "tokens_revoked": frozenset(),
}
WEB_CLIENT_METHODS = {
    name
    for name in dir(WebClient)
    if not name.startswith("_") and "_" in name and callable(getattr(WebClient, name))
}


def _api_name(python_name: str) -> str:
    return python_name.replace("_v2", ".v2").replace("_", ".")


def web_api_methods_called() -> dict[str, list[str]]:
    """Every WebClient method named in a call anywhere in bot/ and jobs/, with where."""
    found: dict[str, list[str]] = {}
    for path in sorted([*REPO.joinpath("bot").rglob("*.py"), *REPO.joinpath("jobs").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in WEB_CLIENT_METHODS
            ):
                where = f"{path.relative_to(REPO)}:{node.lineno}"
                found.setdefault(_api_name(node.func.attr), []).append(where)
    return found


def test_the_scan_finds_the_calls_it_is_meant_to_find() -> None:
    """The checks below can fail: the scan sees the calls Rounds is known to make."""
    called = web_api_methods_called()
    assert {"chat.postMessage", "conversations.open", "users.info", "views.publish"} <= set(called)


def test_every_web_api_method_the_code_calls_has_known_scopes() -> None:
    unknown = {
        method: where
        for method, where in web_api_methods_called().items()
        if method not in METHOD_SCOPES
    }
    assert not unknown, f"add these methods and their scopes to METHOD_SCOPES: {unknown}"


def _needed_scopes() -> dict[str, set[str]]:
    """Each scope the app needs, with what needs it."""
    needed: dict[str, set[str]] = {"commands": {"slash commands " + ", ".join(sorted(COMMANDS))}}
    for method in web_api_methods_called():
        for scope in METHOD_SCOPES.get(method, frozenset()):
            needed.setdefault(scope, set()).add(method)
    for event in SOCKET_MODE["settings"]["event_subscriptions"]["bot_events"]:
        for scope in EVENT_SCOPES[event]:
            needed.setdefault(scope, set()).add(f"event {event}")
    return needed


@pytest.mark.parametrize("manifest", [SOCKET_MODE, HTTP], ids=["socket mode", "http"])
def test_every_needed_scope_is_requested(manifest: dict[str, Any]) -> None:
    requested = set(manifest["oauth_config"]["scopes"]["bot"])
    missing = {scope: why for scope, why in _needed_scopes().items() if scope not in requested}
    assert not missing, f"the manifest lacks scopes the code needs: {missing}"


@pytest.mark.parametrize("manifest", [SOCKET_MODE, HTTP], ids=["socket mode", "http"])
def test_every_requested_scope_is_used(manifest: dict[str, Any]) -> None:
    unused = set(manifest["oauth_config"]["scopes"]["bot"]) - set(_needed_scopes())
    assert not unused, f"the manifest asks for scopes nothing uses: {sorted(unused)}"


def test_every_subscribed_event_has_a_listener() -> None:
    subscribed = SOCKET_MODE["settings"]["event_subscriptions"]["bot_events"]
    assert set(subscribed) == set(EVENT_SCOPES)
    assert {name.split(".")[0] for name in subscribed} == (
        events.EVENT_TYPES | home.EVENT_TYPES | installs.EVENT_TYPES
    )


def test_the_http_manifest_is_the_socket_mode_one_with_request_urls() -> None:
    settings = HTTP["settings"]
    assert settings["socket_mode_enabled"] is False
    urls = [
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        *(entry["url"] for entry in HTTP["features"]["slash_commands"]),
    ]
    assert all(url.startswith("https://") and url.endswith(SLACK_PATH) for url in urls)
    assert len(urls) == 2 + len(COMMANDS)
    stripped = copy.deepcopy(HTTP)
    del stripped["settings"]["event_subscriptions"]["request_url"]
    del stripped["settings"]["interactivity"]["request_url"]
    for entry in stripped["features"]["slash_commands"]:
        del entry["url"]
    stripped["settings"]["socket_mode_enabled"] = True
    assert stripped == SOCKET_MODE
