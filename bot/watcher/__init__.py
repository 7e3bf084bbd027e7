"""The agenda watcher's fetching half: polite polling of the sources coordinators registered (bot.services.
watch_sources) and the extraction of meetings and agenda items from RSS/Atom feeds, iCal calendars and agenda
PDFs. The matching of the stored items against the group's topics is another feature's (they are stored as
`new` for it).

- `fetch`: one conditional GET with timeouts, a size cap and a User-Agent naming the bot.
- `feeds`, `calendars`, `pdfs`: pure functions from bytes to meetings and items.
- `agenda`: what a text says: Swedish meeting dates, numbered agenda lines, diarienummer.
- `poll`: one source's poll: read its state, fetch outside any transaction, store what was found.
"""
