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
