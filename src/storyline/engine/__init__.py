"""Engine stage: the one way through dedup, clustering and briefs, batch or stream.

:class:`Engine` holds the online state (the dedup index, the story clusterer and
the links between copies and the reports they follow), checkpointed beside the
store and stamped with its settings. ``run(articles)`` is a batch; ``update()``
places only what a store holds beyond the checkpoint, saves the stories whose
members changed and rebriefs only those. Work over many items goes through an
:class:`Executor` (this process, or forked processes).
"""

from __future__ import annotations

from ._engine import Engine, RunResult, UpdateResult, state_dir_for
from ._executor import Executor, LocalExecutor, SerialExecutor
from ._state import Delta, EngineConfig, EngineStateError, StoryState, doc_id

__all__ = [
    "Delta",
    "Engine",
    "EngineConfig",
    "EngineStateError",
    "Executor",
    "LocalExecutor",
    "RunResult",
    "SerialExecutor",
    "StoryState",
    "UpdateResult",
    "doc_id",
    "state_dir_for",
]
