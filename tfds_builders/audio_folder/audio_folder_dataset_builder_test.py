"""Tests of the audio_folder builder: dummy build, optional labels, splits, bad files."""

import pytest
import tensorflow_datasets as tfds

from tfds_builders import dummy_data
from tfds_builders import real_audio
from tfds_builders import tone_fixtures
from tfds_builders.audio_folder import audio_folder_dataset_builder as audio_folder


class AudioFolderTest(tfds.testing.DatasetBuilderTestCase):
  """Builds dummy_data/: wav+labels, flac, ogg+labels, mp3, a broken wav, a txt."""
  DATASET_CLASS = audio_folder.Builder
  BUILDER_CONFIG_NAMES_TO_TEST = ['hop_1s']
  SPLITS = {'train': 2, 'validation': 1, 'test': 1}  # broken.wav is skipped
  SKIP_CHECKSUMS = True


def test_dummy_build_has_labels_where_files_have_them(tmp_path, caplog):
  with caplog.at_level('WARNING'):
    _, examples = dummy_data.build_and_load(
        audio_folder.Builder, AudioFolderTest.dummy_data, tmp_path)
  has_f0 = {e['track_id'].decode(): bool(e['has_f0']) for e in examples}
  assert has_f0 == {'hum.flac': False, 'scale.wav': True, 'session2/melody.ogg': True,
                    'session2/sing.mp3': False}
  lines = [r.getMessage() for r in caplog.records]
  assert sum('broken.wav: not a readable audio file' in line for line in lines) == 1
  assert any('skipped 1 of 5 files' in line for line in lines)


def test_labels_change_when_the_tone_does(tmp_path):
  at = lambda t: tone_fixtures.midway(t, 0.01)
  score = [(at(1.1), 200.0), (at(1.9), 0.0), (at(2.75), 250.0), (3.5, 225.0)]
  dummy_data.write_folder_file(tmp_path / 'take.flac', score, sample_rate=44100)
  (track,) = audio_folder.find_tracks(tmp_path)
  assert track.label_path == tmp_path / 'take.f0.csv'
  examples = [e for _, e in real_audio.generate_examples(
      [track], audio_folder.read_track, 0.5, real_audio.SkipLog('t'), 'train')]
  assert [e['start_s'] for e in examples] == [0.0]  # 3.5 s: one padded window
  tone_fixtures.check_window(examples[0], score)


def test_split_folders_are_respected_and_the_rest_is_ranked(tmp_path):
  names = ['train/a.wav', 'test/b.wav', 'validation/c.wav', 'x/train/d.wav', 'e.wav',
           'f.wav', 'g.wav']
  for name in names:
    dummy_data.write_folder_file(tmp_path / name, [(0.3, 200.0)], labels=False)
  tracks = audio_folder.find_tracks(tmp_path)
  split = audio_folder.split_fn_for(tracks)
  assigned = {t.track_id: split(t) for t in tracks}
  assert assigned['train/a.wav'] == 'train' and assigned['test/b.wav'] == 'test'
  assert assigned['validation/c.wav'] == 'validation'
  rest = [assigned[n] for n in ['x/train/d.wav', 'e.wav', 'f.wav', 'g.wav']]
  assert sorted(rest) == ['test', 'train', 'train', 'validation']


def test_folder_without_audio_fails_with_instructions(tmp_path):
  (tmp_path / 'notes.txt').write_text('no audio here')
  with pytest.raises(real_audio.ManualDataError, match='no audio'):
    dummy_data.build_and_load(audio_folder.Builder, tmp_path, tmp_path / 'data')


def test_unusable_label_file_skips_its_audio(tmp_path, caplog):
  dummy_data.write_folder_file(tmp_path / 'a.wav', [(0.5, 200.0)])
  (tmp_path / 'a.f0.csv').write_text('time_s,f0_hz\n0.0,abc\n')
  with caplog.at_level('WARNING'):
    examples = list(real_audio.generate_examples(
        audio_folder.find_tracks(tmp_path), audio_folder.read_track, 1.0,
        real_audio.SkipLog('t'), 'train'))
  assert not examples
  assert any('a.f0.csv: not a table of numbers' in r.getMessage() for r in caplog.records)
