"""plot_f0_over_spectrogram writes a readable picture, atomically."""

import os

import numpy as np
import pytest
from matplotlib import image

from pitchfit.io import plots

SR = 16000


def _tone(hz=220.0, seconds=1.0):
  t = np.arange(int(SR * seconds)) / SR
  return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def test_log_spectrogram_peaks_at_the_tone():
  times_s, freqs, db = plots.log_spectrogram_db(_tone(440.0), SR)
  assert db.shape == (len(freqs), len(times_s))
  assert db.max() == 0.0 and db.min() >= -80.0
  assert abs(freqs[np.argmax(db[:, len(times_s) // 2])] - 440.0) < SR / 2048


@pytest.mark.parametrize('with_extras', [False, True])
def test_plot_writes_a_png_and_no_temporary_file(tmp_path, with_extras):
  times_s = np.arange(32) * 0.032
  f0 = np.full(32, 220.0)
  f0[10:14] = np.nan          # unvoiced gap
  f0[20] = 0.0                # 0 means unvoiced too
  extras = {}
  if with_extras:
    extras = dict(confidence=np.linspace(0.0, 1.0, 32),
                  reference_f0_hz=np.full(32, 225.0), title='a tone')
  path = tmp_path / 'tone.png'
  assert plots.plot_f0_over_spectrogram(_tone(), SR, times_s, f0, path,
                                        **extras) == os.fspath(path)
  assert path.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
  assert os.listdir(tmp_path) == ['tone.png']
  pixels = image.imread(path)
  assert pixels.shape[0] > 300 and pixels.shape[1] > 600
  assert pixels[..., :3].std() > 0.05   # Not a blank canvas.


def test_plot_without_any_voiced_frame(tmp_path):
  path = tmp_path / 'silence.png'
  plots.plot_f0_over_spectrogram(np.zeros(SR, np.float32), SR, np.arange(10) * 0.1,
                                 np.full(10, np.nan), path)
  assert path.exists()
