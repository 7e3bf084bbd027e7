"""Writing help: templates and rules that always answer, and an OpenAI-compatible model when configured.

The services build a Brief (only what a draft needs to know) and ask the templates; when the App has a model
client, they ask it first and keep its answer only when it passes the same checks the templates pass.
"""

from bot.coach.brief import BlogPlan, Brief, ModelAnswer, ModelFeedback
from bot.coach.model import CoachModel

__all__ = ["BlogPlan", "Brief", "CoachModel", "ModelAnswer", "ModelFeedback"]
