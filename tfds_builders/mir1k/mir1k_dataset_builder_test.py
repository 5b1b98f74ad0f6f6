"""Tests of the mir1k builder: dummy build, .pv frame timing, channels, bad files."""

import numpy as np
import pytest
import soundfile
import tensorflow_datasets as tfds

from tfds_builders import dummy_data
from tfds_builders import real_audio
from tfds_builders import tone_fixtures
from tfds_builders.mir1k import mir1k_dataset_builder as mir1k


class Mir1kTest(tfds.testing.DatasetBuilderTestCase):
  """Builds dummy_data/ (4 stereo clips of 3 singers) as voice and as mix."""
  DATASET_CLASS = mir1k.Builder
  BUILDER_CONFIG_NAMES_TO_TEST = ['voice', 'mix']
  SPLITS = {'train': 2, 'validation': 1, 'test': 1}  # split='all' is their union
  SKIP_CHECKSUMS = True


def examples_of(tracks, channel=mir1k.VOICE_CHANNEL, hop_s=1.0):
  """Example dicts of `tracks`, as the builder's generator makes them."""
  read = lambda track: mir1k.read_track(track, channel)
  return [e for _, e in real_audio.generate_examples(
      tracks, read, hop_s, real_audio.SkipLog('mir1k'), 'train')]


def test_pv_frame_k_is_the_frame_centred_at_k_plus_1_times_20_ms(tmp_path):
  # Values 2..4 voiced (A4): they describe 60, 80 and 100 ms.
  path = tmp_path / 'a.pv'
  path.write_text('0 \n0 \n69.0000 \n69 \n69 \n0 \n0 \n')
  track = mir1k.read_pv(path)
  np.testing.assert_allclose(track.times_s, [0.02, 0.04, 0.06, 0.08, 0.10, 0.12, 0.14])
  f0 = real_audio.resample_f0(track, np.arange(40) / 250)  # the 250 Hz grid
  voiced = np.flatnonzero(f0)
  # Voiced from halfway between 40 and 60 ms to halfway between 100 and 120 ms.
  np.testing.assert_array_equal(voiced, np.arange(13, 28))  # 52 ms .. 108 ms
  np.testing.assert_allclose(f0[voiced], 440.0)


def test_semitones_to_hz():
  np.testing.assert_allclose(mir1k.semitones_to_hz([0, 69, 57, 60.5]),
                             [0, 440, 220, 440 * 2 ** (-8.5 / 12)])


def test_voice_labels_change_when_the_tone_does(tmp_path):
  at = lambda t: tone_fixtures.midway(t, 0.02)  # halfway between .pv frames
  score = [(at(0.9), 0.0), (at(1.5), 262.0), (at(2.2), 392.0), (at(2.8), 0.0),
           (at(3.6), 330.0), (5.0, 294.0)]
  dummy_data.write_mir1k_clip(tmp_path, 'amy_1_01', score, accompaniment_hz=1000.0)
  (track,) = mir1k.find_tracks(tmp_path)
  assert track.metadata == {'singer': 'amy'} and track.group == 'amy'
  examples = examples_of([track])
  assert len(examples) == 2
  for example in examples:
    tone_fixtures.check_window(example, score)  # also: the audio is the voice


def test_mix_config_keeps_the_accompaniment(tmp_path):
  score = [(0.5, 0.0), (1.0, 262.0)]
  dummy_data.write_mir1k_clip(tmp_path, 'amy_1_01', score, accompaniment_hz=1000.0)
  tracks = mir1k.find_tracks(tmp_path)
  (voice,), (mix,) = examples_of(tracks), examples_of(tracks, channel=None)
  silent_voice = slice(1000, 7000)  # 0.06-0.44 s: voice silent
  assert not voice['audio'][silent_voice].any()
  assert abs(tone_fixtures.dominant_hz(mix['audio'][silent_voice], 16000) - 1000) < 5
  np.testing.assert_array_equal(voice['f0_hz'], mix['f0_hz'])  # labels are the voice's


def test_a_mono_file_is_skipped_for_the_voice(tmp_path, caplog):
  dummy_data.write_mir1k_clip(tmp_path, 'amy_1_01', [(1.0, 262.0)])
  dummy_data.write_mir1k_clip(tmp_path, 'amy_1_02', [(1.0, 262.0)])
  mono = tmp_path / 'Wavfile' / 'amy_1_02.wav'
  soundfile.write(mono, np.zeros(16000, np.float32), 16000)
  with caplog.at_level('WARNING'):
    examples = examples_of(mir1k.find_tracks(tmp_path))
  assert len(examples) == 1
  assert any('amy_1_02.wav: has 1 channel(s), no channel 1' in r.getMessage()
             for r in caplog.records)


def test_wrong_layout_names_the_paths(tmp_path):
  (tmp_path / 'manual' / 'MIR-1K' / 'Wavfile').mkdir(parents=True)  # no PitchLabel
  with pytest.raises(real_audio.ManualDataError) as e:
    dummy_data.build_and_load(mir1k.Builder, tmp_path / 'manual', tmp_path / 'data')
  assert str(tmp_path / 'manual' / 'MIR-1K' / 'PitchLabel') in str(e.value)
  assert 'unzip MIR-1K.zip' in str(e.value)
