"""Tracking pitch never loads TensorFlow (the light install has none)."""

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.predict_fixtures import write_tone
from pitchfit.track import predict as predict_lib

pytestmark = pytest.mark.skipif(not os.path.isfile(predict_lib.DEFAULT_MODEL_PATH),
                                reason='no shipped default model')

# Importing TensorFlow anyway is made to fail loudly, not just recorded.
_BLOCK_TF = '''
import sys
class _NoTensorFlow:
  def find_spec(self, name, path=None, target=None):
    if name == 'tensorflow' or name.startswith('tensorflow.'):
      raise ImportError('tensorflow imported while tracking')
sys.meta_path.insert(0, _NoTensorFlow())
'''


def _run(code, tmp_path):
  env = dict(os.environ, PYTHONPATH=REPO)
  return subprocess.run([sys.executable, '-c', _BLOCK_TF + code],
                        capture_output=True, text=True, env=env, cwd=tmp_path,
                        timeout=300)


def test_python_api_tracks_a_tone_without_tensorflow(tmp_path):
  result = _run('''
import numpy as np, pitchfit
t = np.arange(32000) / 16000
track = pitchfit.predict(0.3 * np.sin(2 * np.pi * 220 * t), 16000,
                         viterbi=True, notes=True, activation=True)
f0 = np.median(track.frequency[track.voiced])
print(round(float(f0)), len(track.notes), 'tensorflow' in sys.modules,
      'tqdm' in sys.modules)
''', tmp_path)
  assert result.returncode == 0, result.stderr
  f0, n_notes, tf_loaded, tqdm_loaded = result.stdout.split()
  assert abs(int(f0) - 220) <= 2 and n_notes == '1' and tf_loaded == 'False'
  # Nor tqdm: no bar is shown by default, and importing it takes ~40 ms.
  assert tqdm_loaded == 'False'


def test_cli_predict_and_evaluate_without_tensorflow(tmp_path):
  audio = write_tone(tmp_path / 'a.wav', 220.0, 1.0, 44100)
  (tmp_path / 'a.f0.csv').write_text(
      'time_s,f0_hz\n' + ''.join(f'{i / 100:.2f},220.0\n' for i in range(100)))
  result = _run(f'''
import cli
for args in (['predict', {str(audio)!r}, '-o', 'out', '--plot', '--notes',
              '--midi', '-q'],
             ['evaluate', '--audio-dir', {str(tmp_path)!r}]):
  try:
    cli.main(args)
  except SystemExit as e:
    assert e.code == 0, (args, e.code)
print('tensorflow' in sys.modules)
''', tmp_path)
  assert result.returncode == 0, result.stderr
  assert result.stdout.splitlines()[-1] == 'False'
  assert sorted(os.listdir(tmp_path / 'out')) == [
      'a.f0.csv', 'a.f0.png', 'a.mid', 'a.notes.csv']


def test_quiet_predict_prints_nothing(tmp_path):
  """-q: not a line on either stream, the LiteRT runtime's INFO included."""
  audio = write_tone(tmp_path / 'a.wav', 220.0, 3.0, 44100)
  env = dict(os.environ, PYTHONPATH=REPO)
  result = subprocess.run(
      [sys.executable, os.path.join(REPO, 'cli.py'), 'predict', str(audio),
       '-o', str(tmp_path), '-q'], capture_output=True, text=True, env=env,
      timeout=300)
  assert result.returncode == 0, result.stderr
  assert (result.stdout, result.stderr) == ('', '')
  assert os.path.isfile(tmp_path / 'a.f0.csv')
