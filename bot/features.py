"""The composition root: the features the app is made of, each declaring what it contributes (its FEATURE).

The App assembles its buttons, forms, reminder planners and hooks from this list (see bot.contributions). The
order is the order hooks run in: when an issue changes, its rounds of questions are planned before its
countdown.
"""

from __future__ import annotations

from bot.contributions import Feature
from bot.services import (
    activity,
    agenda,
    asks,
    board,
    conversation,
    council_import,
    countdowns,
    digest,
    follows,
    issues,
    ladder,
    mydata,
    nudges,
    onboarding,
    pairing,
    pledges,
    politicians,
    profile,
    rapid,
    reachability,
    relationships,
    retention,
    stances,
    stories,
    watch_sources,
)

FEATURES: tuple[Feature, ...] = (
    onboarding.FEATURE,
    profile.FEATURE,
    mydata.FEATURE,
    board.FEATURE,
    reachability.FEATURE,
    ladder.FEATURE,
    nudges.FEATURE,
    issues.FEATURE,
    agenda.FEATURE,
    asks.FEATURE,
    countdowns.FEATURE,
    rapid.FEATURE,
    pledges.FEATURE,
    stances.FEATURE,
    politicians.FEATURE,
    council_import.FEATURE,
    follows.FEATURE,
    relationships.FEATURE,
    activity.FEATURE,
    stories.FEATURE,
    digest.FEATURE,
    pairing.FEATURE,
    retention.FEATURE,
    conversation.FEATURE,
    watch_sources.FEATURE,
)
