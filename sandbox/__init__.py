"""Rounds without a Slack workspace: an in-process stand-in for the Slack Web API.

`sandbox.fake_slack` is the stand-in itself; the test suite and the benchmarks use it too.
"""
