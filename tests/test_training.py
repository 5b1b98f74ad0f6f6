"""`pitchfit train`: resolved config, checkpoints, resume, restore_from."""

import os
import subprocess
import sys

import numpy as np
import pytest
import yaml

from pitchfit.model import checkpoints
from pitchfit import config as config_lib
from pitchfit.train import job as training
from pitchfit.errors import UserError
from tests.conftest import REPO, TINY_OVERRIDES

PITCHFIT = [sys.executable, os.path.join(REPO, 'cli.py')]


def run_cli(*args, cwd=None):
  env = dict(os.environ, PYTHONPATH=REPO)
  return subprocess.run(PITCHFIT + list(args), capture_output=True, text=True,
                        cwd=cwd, env=env, timeout=600)


def tiny_yaml(tmp_path, **train):
  values = {}
  for item in TINY_OVERRIDES:
    key, value = item.split('=', 1)
    section, name = key.split('.', 1)
    node = values.setdefault(section, {})
    for part in name.split('.')[:-1]:
      node = node.setdefault(part, {})
    node[name.split('.')[-1]] = yaml.safe_load(value)
  values['train'].update(train)
  path = tmp_path / 'tiny.yaml'
  path.write_text(yaml.safe_dump(values))
  return str(path)


def test_train_writes_config_checkpoints_logs_and_resumes(tmp_path):
  config_path = tiny_yaml(tmp_path, steps=4)
  save_dir = str(tmp_path / 'run')
  first = run_cli('train', config_path, '--save-dir', save_dir, '-q')
  assert first.returncode == 0, first.stderr
  assert os.path.exists(os.path.join(save_dir, 'config.yaml'))
  assert checkpoints.step_of(checkpoints.latest(save_dir)) == 4
  assert os.listdir(os.path.join(save_dir, 'logs'))
  assert 'Resumed' not in first.stdout

  # Asking for more steps in the same save dir continues the count.
  second = run_cli('train', config_path, '--save-dir', save_dir, '-q',
                   '--set', 'train.steps=6')
  assert second.returncode == 0, second.stderr
  assert 'Resumed from step 4' in second.stdout
  assert checkpoints.step_of(checkpoints.latest(save_dir)) == 6
  with open(os.path.join(save_dir, 'history.csv')) as f:
    steps = [line.split(',')[0] for line in f.read().splitlines()[1:]]
  assert open(os.path.join(save_dir, 'history.csv')).readline().startswith('step,minutes')
  assert steps == ['2', '4', '6']  # one row per log interval, across the resume


def test_resume_after_kill(tmp_path):
  """A run killed with SIGKILL resumes from its last checkpoint."""
  config_path = tiny_yaml(tmp_path, steps=100000, checkpoint_every_steps=3)
  save_dir = str(tmp_path / 'run')
  env = dict(os.environ, PYTHONPATH=REPO)
  proc = subprocess.Popen(PITCHFIT + ['train', config_path, '--save-dir',
                                      save_dir, '-q'], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
  try:
    import time
    deadline = time.time() + 300
    while time.time() < deadline:
      latest = checkpoints.latest(save_dir) if os.path.isdir(save_dir) else None
      if latest and checkpoints.step_of(latest) >= 6:
        break
      time.sleep(0.5)
  finally:
    proc.kill()
    proc.wait()
  killed_at = checkpoints.step_of(checkpoints.latest(save_dir))
  assert killed_at >= 6
  again = run_cli('train', config_path, '--save-dir', save_dir, '-q',
                  '--set', f'train.steps={killed_at + 2}')
  assert again.returncode == 0, again.stderr
  assert f'Resumed from step {killed_at}' in again.stdout
  assert checkpoints.step_of(checkpoints.latest(save_dir)) == killed_at + 2


def test_restore_from_shape_mismatch_names_the_layer(tmp_path, tiny_config):
  model = training.build_model(tiny_config)
  ckpt = checkpoints.save(model, str(tmp_path / 'ckpts'), 1)
  bigger = config_lib.from_dict({}, '<t>', [*TINY_OVERRIDES, 'model.f0_bins=48'])
  other = training.build_model(bigger)
  with pytest.raises(UserError, match=r"f0_head/kernel'.*\(16, 32\).*\(16, 48\)"):
    training.restore_pretrained(other, ckpt, restart_schedule=True)


def test_restore_from_loads_weights_and_restarts_schedule(tmp_path, tiny_config):
  model = training.build_model(tiny_config)
  model.optimizer.iterations.assign(50)
  ckpt = checkpoints.save(model, str(tmp_path / 'ckpts'), 50)
  fresh = training.build_model(tiny_config)
  training.restore_pretrained(fresh, str(tmp_path / 'ckpts'), restart_schedule=True)
  for a, b in zip(model.weights, fresh.weights):
    np.testing.assert_array_equal(a.numpy(), b.numpy())
  assert int(fresh.optimizer.iterations.numpy()) == 0
  continued = training.build_model(tiny_config)
  training.restore_pretrained(continued, ckpt, restart_schedule=False)
  assert int(continued.optimizer.iterations.numpy()) == 50



def test_restore_from_adds_a_zero_second_window_without_changing_f0(
    tmp_path, tiny_config):
  model = training.build_model(tiny_config)
  ckpt = checkpoints.save(model, str(tmp_path / 'ckpts'), 1)
  two = config_lib.from_dict({}, '<t>',
                             [*TINY_OVERRIDES, 'model.short_window_fft=1024'])
  extended = training.build_model(two)
  training.restore_pretrained(extended, ckpt, restart_schedule=True)
  audio = np.random.default_rng(0).normal(
      0.0, 0.1, (2, tiny_config.model.n_samples)).astype(np.float32)
  np.testing.assert_array_equal(model(audio)['f0_hz'].numpy(),
                                extended(audio)['f0_hz'].numpy())
  # The second stem is a real input: other weights there change the output.
  stem = [v for v in extended.weights if 'second_stem' in v.path][0]
  stem.assign(np.full(stem.shape, 0.05, np.float32))
  assert not np.allclose(model(audio)['sin_amps'].numpy(),
                         extended(audio)['sin_amps'].numpy())
  # A model file must still match exactly: resuming or loading never skips.
  with pytest.raises(UserError, match='second_stem'):
    checkpoints.restore(extended, ckpt)
  # Nor drops weights: a config without the second input cannot load them.
  two_ckpt = checkpoints.save(extended, str(tmp_path / 'two'), 1)
  with pytest.raises(UserError, match='lacks: .*second_stem'):
    training.restore_pretrained(training.build_model(tiny_config), two_ckpt,
                                restart_schedule=True)

def test_cli_help_version_and_bad_config(tmp_path):
  assert run_cli('--help').returncode == 0
  version = run_cli('--version')
  assert version.returncode == 0 and 'pitchfit' in version.stdout
  bad = tmp_path / 'bad.yaml'
  bad.write_text('train: {stepz: 3}\n')
  result = run_cli('train', str(bad))
  assert result.returncode == 2
  assert result.stderr.strip().count('\n') == 0, result.stderr
  assert "unknown key 'train.stepz'" in result.stderr and str(bad) in result.stderr
  missing = run_cli('train', str(tmp_path / 'nope.yaml'))
  assert missing.returncode == 2 and 'no such config file' in missing.stderr
