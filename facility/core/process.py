"""What a long-running process (a gunicorn worker, the scheduler) does once its app is built."""

from __future__ import annotations

import gc


def freeze_start_up() -> None:
    """Keep what start-up made out of the garbage collector's scans (``gc.freeze``).

    The app, its routes, mappers and templates and the libraries live as long as the process,
    yet every full collection walks them again: about 190,000 objects, a tenth of a second on a
    2-core machine, paid by whichever request happens to trigger it (a calendar feed built cold
    allocates enough to trigger one: issue 12). Under ``gunicorn --preload`` the forked workers
    also keep those pages shared with the master, instead of copying them when a collection
    touches their reference counts. What start-up left as garbage is collected first.
    """
    gc.collect()
    gc.freeze()
