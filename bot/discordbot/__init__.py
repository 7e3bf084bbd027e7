"""The Discord adapter: slash commands, buttons and modals over the platform-neutral App."""
