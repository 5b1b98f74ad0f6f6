"""tools/octave_report.py: band checks and the report, with a fake tracker."""

import importlib.util
import json
import os
import sys

import numpy as np
import pytest
import soundfile

from conftest import REPO

sys.path.insert(0, os.path.join(REPO, 'bench'))
_spec = importlib.util.spec_from_file_location(
    'octave_report', os.path.join(REPO, 'tools', 'octave_report.py'))
report_tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report_tool)

import trackers  # pylint: disable=wrong-import-position,wrong-import-order

SR = 16000


def _bands(values):
  names = report_tool.octaves.BAND_NAMES
  return {n: {'rpa': v, 'rca': v, 'n_voiced': 0 if np.isnan(v) else 10}
          for n, v in zip(names, values)}


def test_check_bands_covers_c1_to_c7_and_fails_empty_bands():
  nan = float('nan')
  checks = report_tool.check_bands(
      _bands([0.96, 0.99, 0.95, 0.97, 0.98, 0.94, nan]))
  assert [c[0] for c in checks] == ['C1-C2', 'C2-C3', 'C3-C4', 'C4-C5',
                                    'C5-C6', 'C6-C7']
  assert [c[2] for c in checks] == [True, True, True, True, True, False]
  empty = report_tool.check_bands(_bands([nan, 1, 1, 1, 1, 1, 1]))
  assert not empty[0][2]
  text = report_tool.report(
      {'x': {'clean': _bands([0.96, 0.99, 0.95, 0.97, 0.98, 0.94, nan])}},
      ['clean'])
  assert 'FAIL: x clean' in text and 'C6-C7 94.0' in text


class _OctaveLowAboveC6:
  """Right up to C6, an octave low above it (the current model's failure)."""
  name = 'pitchfit'
  version = '0'
  settings = 'fake'

  def track(self, audio):
    hop = 256
    frames = audio[:audio.size // hop * hop].reshape(-1, hop)
    f0 = []
    for frame in frames:
      spectrum = np.abs(np.fft.rfft(frame * np.hanning(hop), 4096))
      f0.append(np.fft.rfftfreq(4096, 1 / SR)[np.argmax(spectrum)])
    f0 = np.array(f0)
    f0 = np.where(f0 > 1046.5, f0 / 2, f0)
    return (np.arange(f0.size) + 0.5) * hop / SR, f0


def test_cli_reports_bands_of_a_labelled_folder(tmp_path, monkeypatch,
                                                 capsys):
  for name, hz in (('low', 440.0), ('high', 1500.0)):
    t = np.arange(SR) / SR
    soundfile.write(tmp_path / f'{name}.wav', 0.3 * np.sin(2 * np.pi * hz * t),
                    SR, subtype='PCM_16')
    times = np.arange(0, 1.0, 0.01)
    with open(tmp_path / f'{name}.f0.csv', 'w') as f:
      f.write('time_s,f0_hz\n')
      f.writelines(f'{a:.3f},{hz if 0.1 < a < 0.9 else 0.0}\n' for a in times)
  monkeypatch.setattr(
      trackers, 'make_trackers',
      lambda names, *a, **k: ([_OctaveLowAboveC6()], []))
  out_json = tmp_path / 'bands.json'
  report_tool.main([str(tmp_path), '--model', 'unused', '--quiet',
                    '--json', str(out_json)])
  out = capsys.readouterr().out
  assert 'FAIL: pitchfit clean' in out and 'C6-C7 0.0' in out
  bands = json.loads(out_json.read_text())['bands']['pitchfit']['clean']
  assert bands['C4-C5']['rpa'] == pytest.approx(1.0)
  assert bands['C6-C7']['rpa'] == 0.0 and bands['C6-C7']['rca'] == 1.0
  assert bands['C1-C2']['rpa'] is None


def test_cli_needs_the_folder(capsys):
  with pytest.raises(SystemExit):
    report_tool.main(['/nonexistent/selection'])
  assert 'render_melodies' in capsys.readouterr().err
