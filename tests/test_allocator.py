"""pitchfit predict's process keeps its freed memory (glibc's mallopt)."""

import platform
import sys

from pitchfit.track import allocator


def test_glibc_takes_the_thresholds_and_other_libcs_are_left_alone():
  glibc = sys.platform.startswith('linux') and platform.libc_ver()[0] == 'glibc'
  assert allocator.keep_freed_memory() is glibc


def test_pitchfit_predict_sets_them_and_the_library_does_not(tmp_path,
                                                             monkeypatch):
  import numpy as np  # pylint: disable=g-import-not-at-top
  import pitchfit  # pylint: disable=g-import-not-at-top
  from tests.predict_fixtures import run_cli_in_process, tone, write_tone  # pylint: disable=g-import-not-at-top
  calls = []
  monkeypatch.setattr(allocator, 'keep_freed_memory', lambda: calls.append(1))
  pitchfit.predict(tone(220.0, 0.5, 16000), 16000)
  assert not calls  # a library leaves its host's allocator alone
  path = write_tone(tmp_path / 'a.wav', 220.0, 0.5)
  code, _, stderr = run_cli_in_process('predict', path, '-o', tmp_path, '-q')
  assert code == 0, stderr
  assert calls == [1]
  assert np.loadtxt(tmp_path / 'a.f0.csv', delimiter=',', skiprows=1).shape[0] == 50
