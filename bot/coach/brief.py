"""What a draft is about, and what the coach answers with."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.drafts import IssueContext


@dataclass(frozen=True)
class Brief:
    """What a draft needs to know, and all that the model ever sees of a member: no name, handle or id."""

    language: str
    company: str
    # The profile's industry value (e.g. "retail"), chosen so templates can speak of that trade.
    industry: str
    # The municipality as it is written ("Karlskrona"), or the catalog's "your town" when unknown.
    municipality: str
    experience: str
    goal: str
    hashtag: str
    topic: str = ""
    issue: IssueContext | None = None
    # The workspace's zone, in which an issue's decision date is told.
    timezone: str = "Europe/Stockholm"
    # What the business offers and one or two facts the owner is proud of, as they wrote them ("" when not
    # given): drafts name them, so that they speak of this business.
    offer: str = ""
    facts: str = ""

    @property
    def politician(self) -> str | None:
        """Return the X handle (with @) of the politician a draft about the issue should ask, if known."""
        if self.issue is None:
            return None
        return next((f"@{h.lstrip('@')}" for h in self.issue.target_handles if h), None)

    @property
    def politician_name(self) -> str | None:
        """Return the name of the politician whose handle `politician` is, if known."""
        if self.issue is None:
            return None
        handles = [h for h in self.issue.target_handles if h]
        names = list(self.issue.handle_names)
        return names[0] if handles and len(names) == len(handles) and names[0] else None

    @property
    def media(self) -> str | None:
        """Return the X handle (with @) of the local media a draft about the issue should tag, if known."""
        if self.issue is None:
            return None
        return next((f"@{h.lstrip('@')}" for h in self.issue.media_handles if h), None)


@dataclass(frozen=True)
class BlogPlan:
    """A blog prompt: title ideas and an outline in four parts."""

    titles: tuple[str, ...]
    problem: str
    business: str
    politicians: str
    action: str


@dataclass(frozen=True)
class ModelFeedback:
    """What the model adds to the rules' feedback: its comments and, if usable, an improved version."""

    comments: tuple[str, ...]
    improved: str | None


@dataclass(frozen=True)
class ModelAnswer:
    """The model's answer to a member's question, as the guard let it through.

    `answer` is None when the question was off-topic or the guard refused the answer; `draft` is a draft
    that passed the drafts' checks (None when there is none or it failed them).
    """

    answer: str | None
    draft: str | None = None
    on_topic: bool = True


def handle_owners(issue: IssueContext) -> dict[str, str]:
    """Map each politician's handle of an issue (casefolded, no @) to that politician's name, where known."""
    handles = [h for h in issue.target_handles if h]
    if len(issue.handle_names) != len(handles):
        return {}  # an issue told without names: nobody's name can be paired with a handle
    return {h.lstrip("@").casefold(): name for h, name in zip(handles, issue.handle_names, strict=True)}
