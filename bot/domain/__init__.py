"""The rules of Rounds — pairs, goals, check-ins, cadence, nudges. No Slack imports."""
