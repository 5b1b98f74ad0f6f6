"""Tests of the urmp builder: dummy build, label alignment, instruments, piece grouping."""

import numpy as np
import pytest
import tensorflow_datasets as tfds

from tfds_builders import dummy_data
from tfds_builders import real_audio
from tfds_builders import tone_fixtures
from tfds_builders.urmp import urmp_dataset_builder as urmp


class UrmpTest(tfds.testing.DatasetBuilderTestCase):
  """Builds dummy_data/ (4 separated tracks of 3 pieces, 1 s each)."""
  DATASET_CLASS = urmp.Builder
  BUILDER_CONFIG_NAMES_TO_TEST = ['hop_1s']
  SPLITS = {'train': 1, 'validation': 2, 'test': 1}  # split='all' is their union
  SKIP_CHECKSUMS = True


def examples_of(tracks, hop_s=1.0):
  return [e for _, e in real_audio.generate_examples(
      tracks, urmp.read_track, hop_s, real_audio.SkipLog('urmp'), 'train')]


def test_labels_change_when_the_tone_does(tmp_path):
  at = lambda t: tone_fixtures.midway(t, dummy_data.URMP_LABEL_HOP_S)
  score = [(at(0.4), 0.0), (at(1.37), 147.0), (at(2.5), 165.0), (at(3.1), 0.0),
           (4.6, 131.0)]
  dummy_data.write_urmp_track(tmp_path / 'Dataset', '01_Jupiter_vn_vc', 2, 'vc', score)
  (track,) = urmp.find_tracks(tmp_path)
  assert track.track_id == 'AuSep_2_vc_01_Jupiter' and track.group == 'Jupiter'
  assert track.metadata == {'instrument': 'vc', 'piece': '01_Jupiter'}
  examples = examples_of([track])
  assert len(examples) == 2 and examples[1]['instrument'] == 'vc'
  for example in examples:
    tone_fixtures.check_window(example, score)


def test_f0s_with_spaces_and_a_header_read_the_same(tmp_path):
  path = tmp_path / 'F0s_1_vn_01_X.txt'
  path.write_text('time f0\n0.0   0.0\n0.01  440.0\n0.02  441.0\n')
  track = urmp.read_f0s(path)
  np.testing.assert_allclose(track.f0_hz, [0, 440, 441])


def test_same_title_is_one_group_and_unknown_instruments_are_skipped(tmp_path, caplog):
  for folder, inst in [('05_Entertainer_tpt_tpt', 'tpt'), ('06_Entertainer_sax_sax', 'sax'),
                       ('07_Waltz_kazoo', 'kazoo')]:
    dummy_data.write_urmp_track(tmp_path, folder, 1, inst, [(1.0, 300.0)])
  tracks = urmp.find_tracks(tmp_path)
  groups = {t.metadata['piece']: t.group for t in tracks}
  assert groups == {'05_Entertainer': 'Entertainer', '06_Entertainer': 'Entertainer',
                    '07_Waltz': 'Waltz'}
  with caplog.at_level('WARNING'):
    examples = examples_of(tracks)
  assert sorted(e['instrument'] for e in examples) == ['sax', 'tpt']
  assert any("unknown instrument 'kazoo'" in r.getMessage() for r in caplog.records)


def test_no_tracks_fails_with_instructions(tmp_path):
  (tmp_path / 'manual' / 'Dataset').mkdir(parents=True)
  (tmp_path / 'manual' / 'Dataset' / 'notes.txt').write_text('x')
  with pytest.raises(real_audio.ManualDataError, match=r'no \*\*/AuSep_\*.wav files'):
    dummy_data.build_and_load(urmp.Builder, tmp_path / 'manual', tmp_path / 'data')
