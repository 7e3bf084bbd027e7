"""The Slack adapter: slash commands, buttons, modals, DMs and files over slack-bolt's async app."""
