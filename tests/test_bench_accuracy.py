"""bench/corpus.py, bench/trackers.py and bench/accuracy.py on tiny inputs.

No model and no peer trackers: a fake tracker stands in, so these run fast.
"""

import json
import os
import sys

import numpy as np
import pytest
import soundfile

from conftest import REPO

sys.path.insert(0, os.path.join(REPO, 'bench'))

import accuracy  # pylint: disable=wrong-import-position
import corpus  # pylint: disable=wrong-import-position
import trackers  # pylint: disable=wrong-import-position
from pitchfit.evaluate import scoring as evaluation  # pylint: disable=wrong-import-position

SR = corpus.SAMPLE_RATE


def _power_db(x):
  return 10 * np.log10(np.mean(np.square(x, dtype=np.float64)))


def test_quiet_variant_is_20_db_down():
  audio = np.random.default_rng(0).standard_normal(SR).astype(np.float32)
  quiet = corpus.make_variant(audio, 'quiet20db')
  assert _power_db(audio) - _power_db(quiet) == pytest.approx(20.0, abs=1e-3)
  assert corpus.make_variant(audio, 'clean') is not None


def test_pink_variant_has_25_db_snr_and_a_1_over_f_spectrum():
  tone = 0.3 * np.sin(2 * np.pi * 220 * np.arange(4 * SR) / SR)
  noisy = corpus.make_variant(tone, 'pink25db', seed=3)
  noise = noisy - tone.astype(np.float32)
  assert _power_db(tone) - _power_db(noise) == pytest.approx(25.0, abs=0.05)
  # Power per octave is flat for pink noise: compare two octaves.
  spectrum = np.abs(np.fft.rfft(corpus.pink_noise(8 * SR, 1))) ** 2
  freqs = np.fft.rfftfreq(8 * SR, 1 / SR)
  low = spectrum[(freqs >= 100) & (freqs < 200)].sum()
  high = spectrum[(freqs >= 1600) & (freqs < 3200)].sum()
  assert 10 * np.log10(low / high) == pytest.approx(0.0, abs=0.5)
  # Seeded by the clip: the same noise every run, other noise for other clips.
  again = corpus.make_variant(tone, 'pink25db', seed=3)
  np.testing.assert_array_equal(noisy, again)
  assert corpus.clip_seed('a') != corpus.clip_seed('b')
  with pytest.raises(ValueError):
    corpus.make_variant(tone, 'loud')


def test_estimate_at_interpolates_in_log_frequency_and_marks_gaps():
  est_time = np.array([0.0, 0.01, 0.02, 0.03])
  est_f0 = np.array([100.0, 400.0, np.nan, 200.0])
  ref_time = np.array([0.005, 0.011, 0.019, 0.03, 0.5])
  f0 = trackers.estimate_at(ref_time, est_time, est_f0)
  assert f0[0] == pytest.approx(200.0)        # geometric mean of 100 and 400
  assert f0[1] > 0                            # nearest frame (0.01) has one
  assert f0[2] == 0                           # nearest frame is NaN
  assert f0[3] == pytest.approx(200.0)
  assert f0[4] == 0                           # far beyond the estimate's end
  assert np.all(trackers.estimate_at(ref_time, est_time, est_f0 * 0) == 0)


def _write_clip(folder, name, f0_hz, seconds=1.0, labels=True):
  t = np.arange(int(seconds * SR)) / SR
  soundfile.write(folder / f'{name}.wav', 0.3 * np.sin(2 * np.pi * f0_hz * t),
                  SR, subtype='PCM_16')
  if labels:
    times = np.arange(0, seconds, 0.005)
    f0 = np.where(times > 0.1, f0_hz, 0.0)
    with open(folder / f'{name}.f0.csv', 'w') as f:
      f.write('time_s,f0_hz\n')
      f.writelines(f'{a:.3f},{b:.2f}\n' for a, b in zip(times, f0))


@pytest.fixture
def eval_folder(tmp_path):
  resyn = tmp_path / 'resyn'
  resyn.mkdir()
  (tmp_path / 'real').mkdir()
  _write_clip(resyn, 'violin', 440.0)
  _write_clip(resyn, 'singer', 220.0)
  _write_clip(resyn, 'talker', 120.0)
  _write_clip(tmp_path / 'real', 'song', 330.0)
  _write_clip(tmp_path / 'real', 'unlabelled', 330.0, labels=False)
  (resyn / 'index.csv').write_text(
      'name,category\nviolin,instrument\nsinger,voice\ntalker,speech\n')
  return tmp_path


def test_find_clips_reads_categories_and_skips_unlabelled(eval_folder):
  clips = corpus.find_clips(eval_folder)
  assert {c.name: c.category for c in clips} == {
      'real/song': 'real', 'resyn/singer': 'voice',
      'resyn/talker': 'speech', 'resyn/violin': 'instrument'}
  assert all(c.audio.dtype == np.float32 and c.seconds == 1.0 for c in clips)


class _FakeTracker:
  """Right on instruments, an octave low on everything else."""
  name = 'fake'
  version = '0'
  settings = ''

  def __init__(self, clips):
    self.truth = {id(c.audio): c for c in clips}

  def track(self, audio):
    peak = np.fft.rfftfreq(audio.size, 1 / SR)[np.argmax(np.abs(np.fft.rfft(audio)))]
    f0 = peak if abs(peak - 440) < 5 else peak / 2
    times = np.arange(0, audio.size / SR, 0.01)
    return times, np.full(times.size, f0)


def test_run_and_summary_pool_by_group(eval_folder, tmp_path):
  clips = corpus.find_clips(eval_folder)
  frames, seconds = accuracy.run([_FakeTracker(clips)], clips,
                                 ['clean', 'pink25db'])
  summary = accuracy.summarize(frames, clips)
  clean = summary['fake']['clean']
  assert clean['instrument']['rpa'] == pytest.approx(1.0)
  assert clean['voice']['rpa'] == 0.0 and clean['voice']['rca'] == 1.0
  assert clean['instrument+voice']['rpa'] == pytest.approx(0.5, abs=0.01)
  assert clean['instrument+voice']['n_clips'] == 2
  assert clean['real']['n_clips'] == 1
  assert seconds['fake']['clean'] >= 0
  table = accuracy.format_table(summary, ['clean', 'pink25db'])
  assert 'instrument+voice' in table and '100.0' in table
  accuracy.plot(summary, ['clean', 'pink25db'], tmp_path / 'bars.png')
  assert (tmp_path / 'bars.png').stat().st_size > 1000


def test_targets_compare_with_pyin_and_variants():
  def group(rpa, rca):
    return {'instrument+voice': {'rpa': rpa, 'rca': rca, 'n_voiced': 1,
                                 'n_clips': 1}}
  summary = {'pitchfit': {'clean': group(0.97, 0.975),
                          'quiet20db': group(0.975, 0.98),
                          'pink25db': group(0.955, 0.96)},
             'pyin': {'clean': group(0.956, 0.956)}}
  checks = accuracy.check_targets(summary, ['clean', 'quiet20db', 'pink25db'])
  assert [passed for _, _, passed in checks] == [True, True, True, True, False]


def test_cli_needs_a_model_when_none_is_shipped(monkeypatch, capsys):
  monkeypatch.setattr(accuracy, 'DEFAULT_MODEL', '/nonexistent/model.npz')
  with pytest.raises(SystemExit):
    accuracy.main(['--trackers', 'pitchfit'])
  assert '--model' in capsys.readouterr().err


def test_cli_rejects_unknown_trackers_and_variants(capsys):
  with pytest.raises(SystemExit):
    accuracy.main(['--trackers', 'pyin,yaapt'])
  assert 'yaapt' in capsys.readouterr().err
  with pytest.raises(SystemExit):
    accuracy.main(['--variants', 'loud'])


def test_json_is_strict(tmp_path):
  record = evaluation.json_safe({'a': np.float64('nan'), 'b': [np.int64(3)]})
  path = tmp_path / 'r.json'
  path.write_text(json.dumps(record, allow_nan=False))
  assert json.loads(path.read_text()) == {'a': None, 'b': [3]}


def test_from_json_remakes_the_table_without_tracking(tmp_path, capsys):
  scores = {'rpa': 0.9, 'rca': None, 'n_voiced': 10, 'n_clips': 1}
  record = {'date': '2026-01-01T00:00:00', 'machine': 'm',
            'variants': ['clean', 'pink25db'],
            'summary': {t: {'clean': {'voice': scores}} for t in ('a', 'pyin')}}
  path = tmp_path / 'run.json'
  path.write_text(json.dumps(record))
  accuracy.main(['--from-json', str(path), '--trackers', 'pyin',
                 '--plot', str(tmp_path / 'p.png')])
  out = capsys.readouterr().out
  assert 'pyin' in out and '90.0 /    -' in out and '\na ' not in out
  assert (tmp_path / 'p.png').is_file()
