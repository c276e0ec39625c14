"""End-to-end tests of the Slack adapter against the local Slack stand-in."""
