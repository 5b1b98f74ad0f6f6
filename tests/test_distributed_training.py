"""Training on several replicas: mirrored over 2 logical CPUs, 2 workers.

The multi-worker test runs the demo config (with the tiny test model) as two
`pitchfit train` processes on 127.0.0.1 with TF_CONFIG and one --save-dir,
kills both with SIGKILL after the first checkpoint, starts them again, and
checks that they resume, finish with identical weights, and that only the
chief wrote the save dir.
Each process runs the CLI through tests/distributed_driver.py, which also
saves its final weights for the comparison.
"""

import glob
import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import REPO
from conftest import TINY_OVERRIDES

DRIVER = os.path.join(REPO, 'tests', 'distributed_driver.py')
# The demo config with the test suite's tiny model (conftest.TINY_OVERRIDES:
# the same code paths at a fraction of the CPU), 2 examples per replica, a
# checkpoint every 2 steps.
DEMO = ('train', os.path.join(REPO, 'configs', 'demo.yaml'), '-q',
        *[arg for override in TINY_OVERRIDES if override.startswith('model.')
          for arg in ('--set', override)],
        '--set', 'data.batch_size=4', '--set', 'train.log_every_steps=2',
        '--set', 'train.checkpoint_every_steps=2',
        '--set', 'train.checkpoint_every_seconds=null',
        '--set', 'data.eval_examples=2')
STEPS = 6
# Generous: on a loaded 2-core machine a phase took 10 minutes (a hang would
# otherwise wait forever in a collective).
TIMEOUT = 1200


def _free_ports(n):
  sockets = [socket.socket() for _ in range(n)]
  try:
    for s in sockets:
      s.bind(('127.0.0.1', 0))
    return [s.getsockname()[1] for s in sockets]
  finally:
    for s in sockets:
      s.close()


def _start(report, cli_args, log_path, env_extra=(), driver_args=()):
  env = dict(os.environ, **dict(env_extra))
  with open(log_path, 'ab') as log:
    return subprocess.Popen(
        [sys.executable, DRIVER, *driver_args, str(report), '--', *cli_args],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True)


def _kill(processes, sig=signal.SIGKILL):
  for p in processes:
    try:
      os.killpg(p.pid, sig)
    except ProcessLookupError:
      pass
  for p in processes:
    p.wait()


def _wait(processes, timeout, logs):
  deadline = time.monotonic() + timeout
  for p, log in zip(processes, logs):
    try:
      p.wait(max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
      _kill(processes)
      raise AssertionError(f'timed out; {log}:\n{_tail(log)}') from None
  for p, log in zip(processes, logs):
    assert p.returncode == 0, f'{log}:\n{_tail(log)}'


def _tail(path, n=25):
  with open(path, errors='replace') as f:
    return ''.join(f.readlines()[-n:])


def _weights(report):
  with np.load(report) as arrays:
    return {k: arrays[k] for k in arrays.files}


def _event_file_pids(save_dir):
  """pids of the processes that wrote TensorBoard event files."""
  files = glob.glob(os.path.join(save_dir, 'logs', '*', 'events.out.*'))
  return {int(os.path.basename(f).split('.')[-3]) for f in files}


def test_two_workers_train_resume_after_kill_and_agree(tmp_path):
  save_dir = tmp_path / 'run'
  args = DEMO + ('--save-dir', str(save_dir),
                 '--set', 'train.distribution=multi_worker',
                 '--set', f'train.steps={STEPS}',
                 '--set', f'train.eval_every_steps={STEPS}')
  chief_pids = set()
  processes = []
  try:
    for attempt in ('killed', 'resumed'):
      ports = _free_ports(2)
      cluster = {'worker': [f'127.0.0.1:{p}' for p in ports]}
      logs = [tmp_path / f'{attempt}{i}.log' for i in range(2)]
      processes = [
          _start(tmp_path / f'{attempt}{i}.npz', args, logs[i],
                 {'TF_CONFIG': json.dumps(
                     {'cluster': cluster,
                      'task': {'type': 'worker', 'index': i}})})
          for i in range(2)]
      chief_pids.add(processes[0].pid)
      if attempt == 'killed':
        deadline = time.monotonic() + TIMEOUT
        first = save_dir / 'checkpoints' / 'ckpt-2.npz'
        while not first.exists():
          assert all(p.poll() is None for p in processes), _tail(logs[0])
          assert time.monotonic() < deadline, _tail(logs[0])
          time.sleep(0.2)
        _kill(processes)
        killed_at = sorted(os.listdir(save_dir / 'checkpoints'))
        assert f'ckpt-{STEPS}.npz' not in killed_at, killed_at
      else:
        _wait(processes, TIMEOUT, logs)
  finally:
    _kill(processes)

  # Both resumed from the chief's checkpoint and finished.
  for i in range(2):
    log = (tmp_path / f'resumed{i}.log').read_text()
    assert 'Resumed from step ' in log, log[-2000:]
  chief, other = (_weights(tmp_path / f'resumed{i}.npz') for i in range(2))
  assert chief['chief'] and not other['chief']
  assert chief['replicas'] == other['replicas'] == 2
  # Identical weights on both workers at the end, and they trained.
  names = [k for k in chief if k.startswith('model/')]
  assert names and names == [k for k in other if k.startswith('model/')]
  for name in names:
    np.testing.assert_array_equal(chief[name], other[name], err_msg=name)
  with np.load(save_dir / 'checkpoints' / 'ckpt-2.npz') as early:
    assert any(not np.array_equal(early[n], chief[n]) for n in names)
  with np.load(save_dir / 'checkpoints' / f'ckpt-{STEPS}.npz') as final:
    for name in names:
      np.testing.assert_array_equal(final[name], chief[name], err_msg=name)
  # Only the chief wrote: checkpoints, TensorBoard logs, history, config.
  assert list(other['saved_steps']) == []
  assert list(chief['saved_steps'])[-1] == STEPS
  assert _event_file_pids(str(save_dir)) <= chief_pids
  assert (save_dir / 'logs' / 'validation').is_dir()
  assert (save_dir / 'config.yaml').exists()
  with open(save_dir / 'history.csv') as f:
    steps = [int(float(line.split(',')[0])) for line in f.readlines()[1:]]
  assert steps[-1] == STEPS and len(steps) == len(set(steps))


def test_mirrored_over_two_logical_cpus(tmp_path):
  save_dir = tmp_path / 'run'
  log = tmp_path / 'mirrored.log'
  args = DEMO + ('--save-dir', str(save_dir),
                 '--set', 'train.distribution=mirrored',
                 '--set', 'train.steps=2', '--set', 'train.eval_every_steps=0')
  process = _start(tmp_path / 'mirrored.npz', args, log,
                   driver_args=('--logical-cpus', '2'))
  try:
    _wait([process], TIMEOUT, [log])
  finally:
    _kill([process])
  report = _weights(tmp_path / 'mirrored.npz')
  assert report['replicas'] == 2 and report['chief']
  assert list(report['saved_steps']) == [2]
  with np.load(save_dir / 'checkpoints' / 'ckpt-2.npz') as saved:
    for name in (k for k in report if k.startswith('model/')):
      np.testing.assert_array_equal(saved[name], report[name], err_msg=name)


# ------------------------------------------------------------- in-process
def test_generator_slices_make_the_single_device_batches(tiny_config):
  """Per-worker blocks of each step together are the one-device batch."""
  from pitchfit.train import data  # pylint: disable=g-import-not-at-top
  from pitchfit.train import distribute  # pylint: disable=g-import-not-at-top
  start_step = 3
  one_device = next(iter(data.train_dataset(tiny_config, start_step).take(1)))
  pipelines = [next(iter(distribute.generator_slice(
      tiny_config, start_step, p, 2, replica_batch=2).take(1)))
               for p in range(2)]
  for key, value in one_device.items():
    np.testing.assert_array_equal(
        np.concatenate([p[key].numpy() for p in pipelines]), value.numpy(),
        err_msg=key)


class _Resolver:

  def __init__(self, spec, task_type, task_id):
    self._spec, self.task_type, self.task_id = spec, task_type, task_id

  def cluster_spec(self):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    return tf.train.ClusterSpec(self._spec)


class _Strategy:

  def __init__(self, resolver, replicas=1):
    self.cluster_resolver = resolver
    self.num_replicas_in_sync = replicas


@pytest.mark.parametrize('spec, task, chief', [
    ({}, (None, None), True),
    ({'worker': ['a:1', 'b:1']}, ('worker', 0), True),
    ({'worker': ['a:1', 'b:1']}, ('worker', 1), False),
    ({'chief': ['c:1'], 'worker': ['a:1']}, ('worker', 0), False),
    ({'chief': ['c:1'], 'worker': ['a:1']}, ('chief', 0), True),
])
def test_is_chief(spec, task, chief):
  from pitchfit.train import distribute  # pylint: disable=g-import-not-at-top
  strategy = _Strategy(_Resolver(spec, *task) if spec else None)
  assert distribute.is_chief(strategy) is chief
  assert distribute.several_workers(strategy) is (
      sum(len(v) for v in spec.values()) > 1)


def test_batch_must_split_evenly_and_tf_config_must_be_valid(monkeypatch):
  from pitchfit.errors import UserError  # pylint: disable=g-import-not-at-top
  from pitchfit.train import distribute  # pylint: disable=g-import-not-at-top
  assert distribute.replica_batch_size(64, _Strategy(None, 8)) == 8
  with pytest.raises(UserError, match='multiple of 8'):
    distribute.replica_batch_size(60, _Strategy(None, 8))
  monkeypatch.delenv('TF_CONFIG', raising=False)
  with pytest.raises(UserError, match='needs TF_CONFIG'):
    distribute.make_strategy('multi_worker')
  monkeypatch.setenv('TF_CONFIG', '{"cluster": {}}')
  with pytest.raises(UserError, match='TF_CONFIG is not valid'):
    distribute.make_strategy('multi_worker')
