"""The one way Rounds builds Web API clients, and the one gateway for calls made outside a request.

Every client points at SLACK_API_URL and retries what is worth retrying: rate limits
(honouring Retry-After), Slack's 5xx answers, and dropped connections.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator

from bot.config import Settings
from bot.store.models import Pair

# Long enough for Slack to answer a normal call; short enough that a hung connection does
# not hold a listener thread or a delivery lease for long.
REQUEST_TIMEOUT_SECONDS = 10


def make_web_client(
    settings: Settings,
    *,
    rate_limit_retries: int = 2,
    server_error_retries: int = 2,
    timeout: int = REQUEST_TIMEOUT_SECONDS,
) -> WebClient:
    backoff = BackoffRetryIntervalCalculator(backoff_factor=0.5)
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=timeout,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2, interval_calculator=backoff),
            RateLimitErrorRetryHandler(max_retry_count=rate_limit_retries),
            ServerErrorRetryHandler(
                max_retry_count=server_error_retries, interval_calculator=backoff
            ),
        ],
    )


def ensure_checkin_space(client: WebClient, pair: Pair) -> str:
    """The pair's group DM (mentee, mentor, bot): opened once, then cached on the pair."""
    if pair.checkin_channel_id:
        return pair.checkin_channel_id
    opened = client.conversations_open(
        users=f"{pair.mentee.slack_user_id},{pair.mentor.slack_user_id}"
    )
    pair.checkin_channel_id = str(opened["channel"]["id"])
    return pair.checkin_channel_id
