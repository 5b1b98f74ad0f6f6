"""Shared by the predict/evaluate/sample tests: a tiny saved model, a stub
model with a known answer, and audio files of known content."""

import os
import subprocess
import sys
import types

import numpy as np
import pytest
import soundfile

from tests.conftest import REPO, TINY_OVERRIDES

PITCHFIT = [sys.executable, os.path.join(REPO, 'cli.py')]
# Test modules import the fixtures below, and pytest makes one fixture per
# importing module even for session scope: the model is built only once here.
_SESSION = {}


def run_cli(*args, timeout=600):
  """Runs `pitchfit ARGS` as a user would; returns the CompletedProcess."""
  env = dict(os.environ, PYTHONPATH=REPO)
  return subprocess.run(PITCHFIT + [str(a) for a in args], capture_output=True,
                        text=True, env=env, timeout=timeout)


def error_lines(stderr):
  return [l for l in stderr.splitlines() if l.startswith('pitchfit: error:')]


def run_cli_in_process(*args):
  """Runs `pitchfit ARGS` in this process (TF and models already loaded).

  Returns (exit code, stdout, stderr).
  """
  from click.testing import CliRunner  # pylint: disable=g-import-not-at-top
  import cli  # pylint: disable=g-import-not-at-top
  result = CliRunner().invoke(cli.main, [str(a) for a in args])
  if result.exception and not isinstance(result.exception, SystemExit):
    raise result.exception
  return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope='session')
def tiny_save_dir(tmp_path_factory):
  """A `pitchfit train`-style save dir of an untrained tiny model (4096-sample
  windows, 8 frames), calibrated once (voicing.yaml cached beside it)."""
  if 'save_dir' not in _SESSION:
    from pitchfit.model import checkpoints
    from pitchfit import config as config_lib
    from pitchfit.train import job as training
    from pitchfit.quiet import import_tensorflow
    import_tensorflow()
    import keras  # pylint: disable=g-import-not-at-top
    save_dir = tmp_path_factory.mktemp('tiny_run')
    config = config_lib.from_dict({}, '<tiny>', TINY_OVERRIDES)
    keras.utils.set_random_seed(0)  # the same untrained model every run
    model = training.build_model(config)
    checkpoints.save(model, os.path.join(save_dir, checkpoints.CHECKPOINT_DIR), 7)
    config_lib.dump(config, os.path.join(save_dir, 'config.yaml'))
    from pitchfit.track import predict as predict_lib
    predict_lib.load_model(str(save_dir))  # calibrates and caches
    _SESSION['save_dir'] = str(save_dir)
  return _SESSION['save_dir']


@pytest.fixture(scope='session')
def tiny_model(tiny_save_dir):
  from pitchfit.track import predict as predict_lib
  return predict_lib.load_model(tiny_save_dir)  # cached: loads once


# ------------------------------------------------------------- stub model
class StubModel:
  """Stands in for a PitchModel with a known answer, in NumPy (fast).

  Its f0 at frame k of a window is exp(sample at k * hop), so a signal that
  is a ramp in time gives a known log-f0 track: any misplaced window, frame
  or row shows as an error. `edge_bias` adds a log-f0 error growing linearly
  from -edge_bias at a window's first frame to +edge_bias at its last (like
  a model drifting where it lacks context), so that switching from one
  window to the next anywhere would make a jump.
  Its confidence is the sigmoid of `bias` (the calibration has no weights).

  With variable_length, it takes windows of any whole number of frames
  (like a CNN's LiteRT export) and records their lengths in `lengths`.
  """

  def __init__(self, n_frames=8, edge_bias=0.0, bias=2.0, encoder='resnet',
               variable_length=False):
    self.hop_size = 512
    self.sample_rate = 16000
    self.n_samples = n_frames * 512
    self.config = types.SimpleNamespace(
        model=types.SimpleNamespace(n_frames=n_frames, n_samples=self.n_samples,
                                    encoder=encoder, hop_size=self.hop_size,
                                    # The CNN layout of the shipped model,
                                    # for streaming.conv_context_frames.
                                    cnn_layers=5, harmonic_cnn_layers=4,
                                    harmonic_cnn_time_dilations=[],
                                    spectrum_fft_sizes=[2048, 512]))
    self.edge_bias = edge_bias
    self.voicing = {'weights': [0.0, 0.0, 0.0], 'bias': bias}
    self.calls = 0
    self.variable_length = variable_length
    self.lengths = []

  def __call__(self, windows):
    self.calls += 1
    windows = np.asarray(windows)
    self.lengths.append(windows.shape[1])
    b = windows.shape[0]
    n_frames = self.config.model.n_frames
    if self.variable_length:
      assert windows.shape[1] % self.hop_size == 0
      n_frames = windows.shape[1] // self.hop_size
    values = windows[:, ::self.hop_size][:, :n_frames].astype(np.float64)
    centre = (n_frames - 1) / 2.0
    log_f0 = values + self.edge_bias * (np.arange(n_frames) - centre) / centre
    return {
        'f0_hz': np.exp(log_f0)[..., np.newaxis],
        'harm_amps': np.full((b, n_frames, 4), 0.1),
        'noise_magnitudes': np.full((b, n_frames, 5), 0.01),
        'f0_logits': np.zeros((b, n_frames, 3)),
    }


# ------------------------------------------------------------- audio files
def tone(f0_hz, seconds, sample_rate, amplitude=0.3, channels=1):
  """A harmonic tone (3 partials), [n] or [n, channels]."""
  t = np.arange(int(round(seconds * sample_rate))) / sample_rate
  audio = sum(amplitude / k * np.sin(2 * np.pi * k * f0_hz * t)
              for k in (1, 2, 3))
  if channels > 1:
    audio = np.repeat(audio[:, np.newaxis], channels, axis=1)
  return audio.astype(np.float32)


def write_tone(path, f0_hz=220.0, seconds=1.0, sample_rate=16000, channels=1,
               **kwargs):
  soundfile.write(str(path), tone(f0_hz, seconds, sample_rate, channels=channels),
                  sample_rate, **kwargs)
  return path
