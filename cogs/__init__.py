"""Slash commands, one module per feature; each module ends with `async def setup(bot)`."""
