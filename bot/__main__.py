"""`python -m bot` runs the same command as `jobbskaparna`."""

from bot.cli import main

raise SystemExit(main())
