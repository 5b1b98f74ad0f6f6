"""Tests of the mdb_stem_synth builder: dummy build, label alignment, bad files, eval clip."""

import pathlib

import numpy as np
import pytest
import tensorflow_datasets as tfds

from tfds_builders import dummy_data
from tfds_builders import real_audio
from tfds_builders import tone_fixtures
from tfds_builders.mdb_stem_synth import mdb_stem_synth_dataset_builder as mdb

REPO = pathlib.Path(__file__).resolve().parents[2]
EVAL_CLIP = REPO.parent / 'shared' / 'eval-data' / 'mdb_stem_synth'
EVAL_NAME = 'AClassicEducation_NightOwl_STEM_08'


class MdbStemSynthTest(tfds.testing.DatasetBuilderTestCase):
  """Builds dummy_data/ (4 stems of 3 songs, 1 s each) with the default config."""
  DATASET_CLASS = mdb.Builder
  BUILDER_CONFIG_NAMES_TO_TEST = ['hop_1s']
  SPLITS = {'train': 2, 'validation': 1, 'test': 1}  # split='all' is their union
  SKIP_CHECKSUMS = True


def test_labels_change_when_the_tone_does(tmp_path):
  at = lambda t: tone_fixtures.midway(t, dummy_data.MDB_LABEL_HOP_S)  # unambiguous
  score = [(at(0.7), 220.0), (at(1.61), 311.0), (at(2.3), 0.0), (at(3.05), 180.0),
           (5.2, 0.0)]
  dummy_data.write_mdb_stem(tmp_path / 'MDB-stem-synth', 'Band_Song_STEM_01', score)
  (track,) = mdb.find_tracks(tmp_path / 'MDB-stem-synth')
  assert (track.track_id, track.group) == ('Band_Song_STEM_01', 'Band_Song')
  examples = list(real_audio.generate_examples(
      [track], mdb.read_track, 1.0, real_audio.SkipLog('t'), 'train'))
  assert [e['start_s'] for _, e in examples] == [0, 1, 2]
  for _, example in examples:
    tone_fixtures.check_window(example, score)


def test_bad_audio_is_skipped_not_a_crashed_build(tmp_path, caplog):
  root = tmp_path / 'manual' / 'MDB-stem-synth'
  dummy_data.write_mdb_stem(root, 'Good_Song_STEM_01', [(1.0, 200.0)])
  dummy_data.write_mdb_stem(root, 'Empty_Song_STEM_01', [(1.0, 200.0)])
  dummy_data.write_mdb_stem(root, 'Corrupt_Song_STEM_01', [(1.0, 200.0)])
  (root / 'audio_stems' / 'Empty_Song_STEM_01.RESYN.wav').write_bytes(b'')
  (root / 'audio_stems' / 'Corrupt_Song_STEM_01.RESYN.wav').write_bytes(b'RIFFxxxxWAVE' * 9)
  with caplog.at_level('WARNING'):
    _, examples = dummy_data.build_and_load(mdb.Builder, tmp_path / 'manual',
                                            tmp_path / 'data')
  assert [e['track_id'] for e in examples] == [b'Good_Song_STEM_01']
  lines = [r.getMessage() for r in caplog.records]
  for name in ['Empty_Song_STEM_01.RESYN.wav: empty file',
               'Corrupt_Song_STEM_01.RESYN.wav: not a readable audio file']:
    assert sum(name in line for line in lines) == 1, lines
  assert any('skipped 2 of 3 files' in line for line in lines)


def test_missing_or_misplaced_manual_folder_fails_with_instructions(tmp_path):
  with pytest.raises(real_audio.ManualDataError) as e:
    dummy_data.build_and_load(mdb.Builder, tmp_path / 'nowhere', tmp_path / 'data')
  assert str(tmp_path / 'nowhere') in str(e.value) and 'zenodo.org' in str(e.value)
  (tmp_path / 'manual' / 'stems').mkdir(parents=True)
  with pytest.raises(real_audio.ManualDataError) as e:
    dummy_data.build_and_load(mdb.Builder, tmp_path / 'manual', tmp_path / 'data')
  assert str(tmp_path / 'manual' / 'MDB-stem-synth' / 'audio_stems') in str(e.value)
  assert 'tar -xzf MDB-stem-synth.tar.gz' in str(e.value)


@pytest.mark.skipif(not (EVAL_CLIP / f'{EVAL_NAME}.RESYN.wav').is_file(),
                    reason=f'eval clip not present at {EVAL_CLIP}')
def test_real_clip_labels_match_its_csv(tmp_path):
  # Lay the shared clip out as the Zenodo release does (links, not copies).
  root = tmp_path / 'manual' / 'MDB-stem-synth'
  for sub, suffix in [('audio_stems', '.wav'), ('annotation_stems', '.csv')]:
    (root / sub).mkdir(parents=True)
    name = f'{EVAL_NAME}.RESYN{suffix}'
    (root / sub / name).symlink_to(EVAL_CLIP / name)
  _, (example,) = dummy_data.build_and_load(mdb.Builder, tmp_path / 'manual',
                                            tmp_path / 'data', config='hop_4s')
  csv = np.loadtxt(EVAL_CLIP / f'{EVAL_NAME}.RESYN.csv', delimiter=',')
  times, f0 = csv[:, 0], csv[:, 1]
  assert example['track_id'] == EVAL_NAME.encode() and example['has_f0']

  frame_s = np.arange(1000) / 250
  inside = frame_s <= times[-1]
  nearest = np.abs(frame_s[inside, None] - times[None, :]).argmin(axis=1)
  labels = example['f0_hz'][inside]
  # Voicing agrees with the nearest CSV row except where the row's neighbours
  # disagree (within 1.5 ms of a boundary).
  steady = (f0[np.maximum(nearest - 1, 0)] > 0) == (f0[np.minimum(nearest + 1, len(f0) - 1)] > 0)
  np.testing.assert_array_equal((labels > 0)[steady], (f0[nearest] > 0)[steady])
  both = (labels > 0) & (f0[nearest] > 0)
  cents = 1200 * np.abs(np.log2(labels[both] / f0[nearest][both]))
  assert both.sum() >= 0.98 * (f0[nearest] > 0).sum() > 500
  assert cents.max() < 20  # neighbouring rows are 2.9 ms apart
  # 3.0 s of audio: the rest of the 4-s window is padding, unvoiced.
  assert not example['f0_hz'][~inside].any()
  assert not example['audio'][int(3.002 * 16000):].any()
  assert np.abs(example['audio'][:48000]).max() > 0.01
