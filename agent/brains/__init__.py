"""Brains decide the next tool calls from the trajectory: ClaudeBrain (the Messages API) and RulebookBrain
(the offline decision tree plus what memory learned)."""
