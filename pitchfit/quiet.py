"""Importing TensorFlow without its start-up noise on stderr.

`import tensorflow` prints oneDNN, CPU-feature and CUDA notices from C++ that
TF_CPP_MIN_LOG_LEVEL does not fully silence. The only reliable way is to point
file descriptor 2 at /dev/null while the import runs; Python exceptions still
propagate (and are printed after fd 2 is restored).
"""

import contextlib
import os
import sys


@contextlib.contextmanager
def stderr_silenced():
  """Redirects the process's fd 2 (C and Python stderr) to /dev/null."""
  sys.stderr.flush()
  saved = os.dup(2)
  devnull = os.open(os.devnull, os.O_WRONLY)
  try:
    os.dup2(devnull, 2)
    yield
  finally:
    sys.stderr.flush()
    os.dup2(saved, 2)
    os.close(saved)
    os.close(devnull)


def import_tensorflow():
  """Imports and returns tensorflow quietly (also quiets absl/Keras logs)."""
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  try:
    import importlib.util  # pylint: disable=g-import-not-at-top
    found = importlib.util.find_spec('tensorflow') is not None
  except ValueError:
    found = False
  if not found:  # the light install tracks pitch without TensorFlow
    from pitchfit.errors import UserError  # pylint: disable=g-import-not-at-top
    raise UserError("this needs TensorFlow, which the light install leaves "
                    "out: pip install 'pitchfit[train]'")
  with stderr_silenced():
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    # The first op initialises the runtime, which prints its own notices.
    # Not in a multi-worker cluster (TF_CONFIG set): its strategy must
    # configure the runtime before anything starts it (train/distribute.py).
    if not os.environ.get('TF_CONFIG'):
      tf.constant(0.0)
  tf.get_logger().setLevel('ERROR')
  return tf
