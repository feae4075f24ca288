"""Rounds: a Slack app that keeps medical-school mentorship relationships alive."""
