"""Atomic file writes: a reader sees the old file or the whole new one.

Everything pitchfit writes (checkpoints, history, configs, CSVs, WAVs, PNGs,
JSON) goes through here, so a crash or Ctrl-C mid-write never leaves a
truncated file under the real name.
"""

import contextlib
import os


@contextlib.contextmanager
def atomic_path(path, suffix='.tmp'):
  """Yields a temporary path beside `path` for the caller to write.

  On success the temporary file is renamed onto `path` (atomic on POSIX);
  if the block raises, it is removed and the error propagates.

  Args:
    path: the final file name.
    suffix: ending of the temporary name, for writers that choose the format
      by extension or append one (np.savez needs '.npz').
  """
  path = os.fspath(path)
  # The pid keeps two processes writing the same file (e.g. two `pitchfit
  # predict` runs sharing a voicing cache) off each other's temporaries.
  temporary = f'{path}.{os.getpid()}{suffix}'
  try:
    yield temporary
  except BaseException:
    if os.path.exists(temporary):
      os.remove(temporary)
    raise
  os.replace(temporary, path)


@contextlib.contextmanager
def atomic_open(path, mode='w', **kwargs):
  """`open(path, mode)` that only replaces `path` once the block succeeds."""
  with atomic_path(path) as temporary:
    with open(temporary, mode, **kwargs) as f:
      yield f
