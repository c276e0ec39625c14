"""How sure the understanding must be before the coach acts on a message.

``Parse.confidence`` is the classifier's estimate that the intent is right. These thresholds are
chosen on the dev sets (see docs/nlu-guidelines.md) and used by the dialogue layer:

* ``ACT``: an intent that changes or deletes data (cancel, move, notes, forget me) is carried out
  only at or above it; below it, the coach asks first.
* ``ANSWER``: a coaching answer is given as certain only at or above it; below it, the two likeliest
  topics are offered as a choice.
"""

from __future__ import annotations

ACT = 0.5
ANSWER = 0.4
