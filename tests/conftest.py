"""Shared fixtures: a tiny model config that trains in seconds on a CPU."""

import os
import sys

import pytest

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
# TF 2.21's oneDNN Conv2D backprop corrupts the heap now and then on the tiny
# test model's 4-8-channel convolutions in eager train_step calls (3 of 6
# runs of test_regimes_report_the_right_losses aborted or segfaulted; 0 of 6
# with oneDNN off). The shipped configs (16-64 channels, graph mode) trained
# for hours without it. Tests run TF's own kernels instead.
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '0')


def _private_numba_cache_dir():
  """A numba cache directory that no other process uses while this one runs.

  librosa compiles its gufuncs with numba's `cache=True`, by default into
  site-packages. numba updates a cache's index without a lock, and a gufunc's
  kernel and wrapper are cached as separate entries, so two processes
  compiling at once (two pytest runs, a benchmark beside the tests) can leave
  a wrapper from one beside a kernel from the other; the next process that
  loads them segfaults inside `librosa.pyin` (reproduced: 6 of 10 trials with
  four processes sharing one cache dir, 0 of 5 with one process or with a dir
  each). A slot held under an exclusive lock for this process's lifetime keeps
  the cache private, yet reused by later runs so pYIN is compiled once.
  """
  import fcntl
  import tempfile
  root = os.path.join(tempfile.gettempdir(),
                      f'numba-cache-pitchfit-tests-{os.getuid()}')
  for slot in range(8):
    path = os.path.join(root, f'slot{slot}')
    os.makedirs(path, exist_ok=True)
    lock = open(os.path.join(path, '.lock'), 'w')  # pylint: disable=consider-using-with
    try:
      fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
      lock.close()
      continue
    _HELD_LOCKS.append(lock)  # released when the process exits
    return path
  return tempfile.mkdtemp(prefix='numba-cache-pitchfit-tests-')


_HELD_LOCKS = []
# Must be set before numba is first imported (it reads it once, at import).
# Once per process: test modules import this file again as tests.conftest.
if os.environ.get('PITCHFIT_TESTS_NUMBA_PID') != str(os.getpid()):
  os.environ['NUMBA_CACHE_DIR'] = _private_numba_cache_dir()
  os.environ['PITCHFIT_TESTS_NUMBA_PID'] = str(os.getpid())
# Voicing calibrations of test models are cached here, not in the user's
# ~/.cache/pitchfit (pitchfit.track.voicing.cache_dir).
if not os.environ.get('PITCHFIT_CACHE_DIR'):
  import tempfile  # pylint: disable=g-import-not-at-top
  os.environ['PITCHFIT_CACHE_DIR'] = tempfile.mkdtemp(prefix='pitchfit-test-cache-')
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EVAL_DATA = os.path.join(REPO, '..', 'shared', 'eval-data')
if REPO not in sys.path:
  sys.path.insert(0, REPO)

TINY_OVERRIDES = (
    'model.n_samples=4096', 'model.n_mels=32', 'model.stem_channels=4',
    'model.stack_channels=[4, 8]', 'model.stack_blocks=[1, 1]',
    'model.stack_strides=[2, 2]', 'model.n_sinusoids=16',
    'model.sinusoid_bins=16', 'model.fc_units=16', 'model.fc_layers=1',
    'model.rnn_units=16', 'model.f0_bins=32', 'model.center_frames=true',
    'model.stop_gradient=false', 'losses.kde.unsupervised_weight=0',
    'losses.harmonic.f0_bins_weight=1.0', 'data.batch_size=4',
    'data.synthetic=generator', 'data.eval=synthetic_notes/tiny:test',
    'data.eval_examples=2', 'train.learning_rate=0.003',
    'train.log_every_steps=2', 'train.checkpoint_every_steps=2',
    'train.eval_every_steps=0',
)


@pytest.fixture
def tiny_config():
  from pitchfit import config as config_lib
  return config_lib.from_dict({}, '<tiny>', TINY_OVERRIDES)
