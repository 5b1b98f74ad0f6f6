"""Tests of the shared real-audio machinery: windows, label resampling, splits."""

import collections

from absl import app
import numpy as np
import pytest
import soundfile

from pitchfit.errors import UserError
from tfds_builders import real_audio
from tfds_builders import tone_fixtures

SR = real_audio.SAMPLE_RATE


# ---------------------------------------------------------------- windowing
@pytest.mark.parametrize('seconds,hop_s,expected_starts_s', [
    (10.0, 1.0, [0, 1, 2, 3, 4, 5, 6]),          # last window ends exactly at 10 s
    (10.5, 1.0, [0, 1, 2, 3, 4, 5, 6, 7]),       # 7-11 s is padded, not dropped
    (2.0, 1.0, [0]),                             # shorter than a window
    (10.0, 4.0, [0, 4, 8]),                      # overlap-free
    (4.0, 4.0, [0]),
])
def test_window_starts(seconds, hop_s, expected_starts_s):
  starts = real_audio.window_starts(int(seconds * SR), int(hop_s * SR))
  np.testing.assert_array_equal(starts, np.array(expected_starts_s) * SR)


def test_window_starts_cover_every_sample_with_fewest_windows():
  rng = np.random.default_rng(0)
  for n, hop in rng.integers(1, 400000, size=(200, 2)):
    starts = real_audio.window_starts(n, hop)
    assert starts[-1] + real_audio.WINDOW_SAMPLES >= n
    if len(starts) > 1:
      assert starts[-2] + real_audio.WINDOW_SAMPLES < n


def test_window_examples_pad_the_last_window():
  audio = np.random.default_rng(1).uniform(-1, 1, int(5.5 * SR)).astype(np.float32)
  track = real_audio.F0Track(np.arange(0, 6, 0.01), np.full(600, 200.0))
  examples = list(real_audio.window_examples(audio, track, hop_s=2.0))
  assert [e['start_s'] for e in examples] == [0.0, 2.0]
  last = examples[-1]
  assert last['audio'].shape == (64000,) and last['audio'].dtype == np.float32
  np.testing.assert_array_equal(last['audio'][:int(3.5 * SR)], audio[2 * SR:])
  assert np.all(last['audio'][int(3.5 * SR):] == 0)
  # Labels exist up to 6 s, but the audio ends at 5.5 s: frame 875 = 5.5 s.
  assert np.all(last['f0_hz'][:875] == 200) and np.all(last['f0_hz'][875:] == 0)
  assert last['f0_confidence'].sum() == 875 and last['has_f0']


def test_window_examples_without_labels():
  audio = np.ones(SR, np.float32)
  (example,) = real_audio.window_examples(audio, None, hop_s=1.0)
  assert not example['has_f0']
  assert example['f0_hz'].shape == (1000,) and not example['f0_hz'].any()
  assert not example['f0_confidence'].any()


def test_window_labels_follow_a_tone_across_windows():
  # Changes halfway between 5-ms label frames, so their time is unambiguous.
  score = [(1.3325, 220.0), (2.0725, 330.0), (2.6025, 0.0), (5.3, 262.0)]
  audio = tone_fixtures.render(score, SR)
  times = np.arange(0, 5.3, 0.005)
  track = real_audio.F0Track(times, tone_fixtures.f0_at(score, times))
  examples = list(real_audio.window_examples(audio, track, hop_s=1.0))
  assert len(examples) == 3  # 0-4, 1-5, 2-6 (padded)
  for example in examples:
    tone_fixtures.check_window(example, score)


# -------------------------------------------------------- label resampling
def test_resample_f0_reproduces_label_frames_and_glides_in_log_frequency():
  track = real_audio.F0Track(np.array([0.0, 0.01, 0.02]), np.array([100.0, 400.0, 400.0]))
  out = real_audio.resample_f0(track, [0.0, 0.005, 0.01, 0.02])
  np.testing.assert_allclose(out, [100, 200, 400, 400], rtol=1e-6)  # 200 = geometric mean


def test_resample_f0_does_not_smear_voicing_boundaries():
  # Voiced 0..0.09 s, unvoiced 0.10..0.19, voiced again from 0.20 (10-ms grid).
  times = np.arange(30) * 0.01
  f0 = np.where((times > 0.095) & (times < 0.195), 0.0, 300.0)
  query = np.arange(0, 0.29, 0.001) + 0.0003  # no ties at the midpoints
  out = real_audio.resample_f0(real_audio.F0Track(times, f0), query)
  assert set(np.unique(out)) == {0.0, 300.0}  # nothing between 0 and 300 Hz
  np.testing.assert_array_equal(out == 0, (query > 0.095) & (query < 0.195))


def test_resample_f0_is_unvoiced_outside_labels_and_in_holes():
  times = np.array([1.0, 1.01, 1.02, 1.5, 1.51])  # a hole 1.02-1.5 s
  track = real_audio.F0Track(times, np.full(5, 150.0))
  out = real_audio.resample_f0(track, [0.9, 0.995, 1.025, 1.2, 1.505, 1.6])
  np.testing.assert_array_equal(out, [0, 150, 150, 0, 150, 0])


def test_f0_track_validation(tmp_path):
  with pytest.raises(UserError, match='not strictly increasing'):
    real_audio.f0_track([0.0, 0.0, 0.1], [1, 2, 3], tmp_path / 'x.csv')
  with pytest.raises(UserError, match='at least 2'):
    real_audio.f0_track([0.0], [1.0], 'x.csv')
  track = real_audio.f0_track([0, 1], [-5.0, 100.0], 'x.csv')
  np.testing.assert_array_equal(track.f0_hz, [0, 100])  # negative = unvoiced


def test_load_label_table(tmp_path):
  path = tmp_path / 'a.f0.csv'
  path.write_text('time_s,f0_hz\n0.0,0\n0.01,220.5\n')
  np.testing.assert_array_equal(real_audio.load_label_table(path, 2, ','),
                                [[0, 0], [0.01, 220.5]])
  path.write_text('0.0\t0\t7\n0.01\t220.5\t7\n0.02 221 7\n')  # tabs or spaces
  assert real_audio.load_label_table(path, 2).shape == (3, 2)
  for text, problem in [('', 'empty label file'), ('time,f0\nabc,def\n', 'not a table'),
                        ('1\n2\n', 'expected rows of 2')]:
    path.write_text(text)
    with pytest.raises(UserError, match=problem):
      real_audio.load_label_table(path, 2, ',')
  with pytest.raises(UserError, match='no such label file'):
    real_audio.load_label_table(tmp_path / 'missing.csv', 2)


# ------------------------------------------------------------------ splits
def test_split_groups_is_deterministic_with_exact_proportions():
  names = [f'group{i}' for i in range(200)]
  split = real_audio.split_groups(names)
  counts = collections.Counter(split.values())
  assert counts == {'train': 160, 'validation': 20, 'test': 20}
  assert real_audio.split_groups(reversed(names)) == split  # order-independent
  # 19 groups (MIR-1K's singers): 2 / 2 / 15; 3 groups: one each; 2: train only.
  assert collections.Counter(real_audio.split_groups(names[:19]).values()) == {
      'train': 15, 'validation': 2, 'test': 2}
  assert sorted(real_audio.split_groups(['a', 'b', 'c']).values()) == [
      'test', 'train', 'validation']
  assert set(real_audio.split_groups(['a', 'b']).values()) == {'train'}


def test_assign_splits_partitions_tracks_and_keeps_groups_together():
  tracks = [real_audio.Track(f't{i}', None, group=f'g{i % 40}') for i in range(200)]
  splits = real_audio.assign_splits(tracks)
  assert set(splits) == {'train', 'validation', 'test'}
  assert sorted(sum(splits.values(), []), key=tracks.index) == tracks
  groups = {name: {t.group for t in members} for name, members in splits.items()}
  assert not groups['train'] & groups['test'] and not groups['train'] & groups['validation']
  assert not groups['validation'] & groups['test']
  assert [len(groups[n]) for n in ('train', 'validation', 'test')] == [32, 4, 4]


def test_assign_splits_leaves_out_empty_splits():
  track = real_audio.Track('t', None, group='g')
  assert real_audio.assign_splits([track], split_fn=lambda t: 'test') == {'test': [track]}


# ------------------------------------------------------- skipping bad files
def test_generate_examples_skips_bad_files_once_and_counts(caplog):
  good = real_audio.Track('good', None, group='g')
  bad = real_audio.Track('bad', None, group='g')

  def read_track(track):
    if track is bad:
      raise UserError('/data/bad.wav: empty file (0 bytes)')
    return np.zeros(SR, np.float32), None

  skip_log = real_audio.SkipLog('demo')
  with caplog.at_level('WARNING'):
    for split in ['train', 'test']:
      examples = list(real_audio.generate_examples([bad, good], read_track, 1.0,
                                                   skip_log, split))
      assert [key for key, _ in examples] == ['good@0.0000']
      assert examples[0][1]['track_id'] == 'good'
  lines = [r.getMessage() for r in caplog.records]
  assert sum('skipping /data/bad.wav: empty file' in line for line in lines) == 1
  assert sum("split 'train': skipped 1 of 2 files" in line for line in lines) == 1


def test_manual_data_error_is_a_usage_and_user_error():
  error = real_audio.ManualDataError('x')
  assert isinstance(error, app.UsageError) and isinstance(error, UserError)
  assert error.exitcode == 1


def test_find_root_names_the_paths_it_looked_for(tmp_path):
  (tmp_path / 'Data' / 'Wavfile').mkdir(parents=True)
  (tmp_path / 'Data' / 'PitchLabel').mkdir()
  assert real_audio.find_root(tmp_path, ['Data', '.'], ['Wavfile', 'PitchLabel'],
                              'demo', 'HOWTO') == tmp_path / 'Data'
  with pytest.raises(real_audio.ManualDataError) as e:
    real_audio.find_root(tmp_path, ['Other', '.'], ['Wavfile'], 'demo', 'HOWTO')
  assert str(tmp_path / 'Other' / 'Wavfile') in str(e.value)
  assert str(e.value).endswith('HOWTO')


def test_skip_log_usable_drops_unreadable_files_before_splitting(tmp_path, caplog):
  good = tmp_path / 'good.wav'
  soundfile.write(good, tone_fixtures.render([(0.5, 200.0)], SR), SR)
  (tmp_path / 'empty.wav').write_bytes(b'')
  (tmp_path / 'junk.wav').write_bytes(b'junk' * 10)
  tracks = [real_audio.Track('good', good, 'g'),
            real_audio.Track('empty', tmp_path / 'empty.wav', 'g'),
            real_audio.Track('junk', tmp_path / 'junk.wav', 'g'),
            real_audio.Track('nolabel', good, 'g', label_path=tmp_path / 'nolabel.csv')]
  with caplog.at_level('WARNING'):
    kept = real_audio.SkipLog('demo').usable(tracks)
  assert kept == tracks[:1]
  lines = [r.getMessage() for r in caplog.records]
  assert len(lines) == 4  # one per skipped file, then the count
  assert 'empty.wav: empty file' in lines[0] and 'junk.wav: not a readable' in lines[1]
  assert 'nolabel.csv: no such label file' in lines[2]
  assert 'skipped 3 of 4 files' in lines[3]
