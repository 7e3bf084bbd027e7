"""Platform-neutral features: each module takes a session and an Actor and returns a Reply."""
