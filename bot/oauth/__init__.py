"""Many workspaces, one deployment: "Add to Slack" with OAuth, tokens encrypted at rest.

OAuth mode is on when SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and ROUNDS_TOKEN_KEY are all
set (bot.config). Bolt runs the install flow (`GET /slack/install`, Slack's redirect at
`GET /slack/oauth_redirect`) and authorizes every request with the workspace's own token;
the installations and the OAuth states live in Rounds' own tables (bot.store.installations),
behind slack_sdk's InstallationStore and OAuthStateStore interfaces, with every token
encrypted (bot.tokens). Outside requests, the dispatcher and the profile refresher take a
client per workspace from `InstalledWorkspaces`.
"""
