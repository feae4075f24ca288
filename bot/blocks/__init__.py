"""Pure Block Kit builders: data in, Slack JSON out, no I/O."""
