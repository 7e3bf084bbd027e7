"""Scaffolding shared by the tests: one copy of each thing many test files need.

- onboarding: the standard onboarding answers, and a member onboarded through the core or typed at a console;
- replies: a bot Reply as plain text, for assertions;
- countdowns: a countdown's decision, its stage times, the group that follows it, and the clock moved on.
- features: Apps made of the bot's features plus a stand-in (open issues for the coach).
"""
