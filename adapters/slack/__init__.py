"""SecondRound in Slack: ``secondround run slack`` (Socket Mode or HTTP), built on slack-bolt's AsyncApp."""

from adapters.slack.adapter import SlackAdapter

__all__ = ["SlackAdapter"]
