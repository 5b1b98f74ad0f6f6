"""synthetic_notes builder tests: the TFDS contract, reproducibility, ranges."""

from unittest import mock

import numpy as np
import pytest
import tensorflow_datasets as tfds

from pitchfit.notes import generator as synthetic_notes
from tfds_builders.synthetic_notes import synthetic_notes_dataset_builder as sn_builder

# Beam under pytest: name the in-process runner, or Beam's default runner first
# tries to download a helper binary.
_IN_PROCESS = tfds.download.DownloadConfig(
    beam_options=tfds.core.lazy_imports.apache_beam.options.pipeline_options
    .PipelineOptions(['--runner=FnApiRunner']))
_CONTROLS = sorted(synthetic_notes.feature_shapes(sn_builder.NOTE_CONFIG))


class SyntheticNotesTest(tfds.testing.DatasetBuilderTestCase):
  """The standard TFDS checks on `tiny`, generated in chunks of 24 examples."""
  DATASET_CLASS = sn_builder.Builder
  BUILDER_CONFIG_NAMES_TO_TEST = ['tiny']
  SPLITS = {'train': 64, 'test': 16}
  SKIP_CHECKSUMS = True  # Nothing is downloaded.

  def setUp(self):
    super().setUp()
    # Several chunks, the last one partial: checks that chunks tile the split.
    patcher = mock.patch.object(sn_builder, 'EXAMPLES_PER_CHUNK', 24)
    patcher.start()
    self.addCleanup(patcher.stop)


def _build_and_read(data_dir, config='tiny'):
  """Builds a config into data_dir; {split: {feature: [n, ...] sorted by index}}."""
  builder = sn_builder.Builder(config=config, data_dir=str(data_dir))
  builder.download_and_prepare(download_config=_IN_PROCESS)
  splits = {}
  for split in sn_builder.SPLIT_SEEDS:
    examples = list(tfds.as_numpy(builder.as_dataset(split=split)))
    examples.sort(key=lambda example: example['index'])
    splits[split] = {name: np.stack([example[name] for example in examples])
                     for name in examples[0]}
  return splits


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
  return _build_and_read(tmp_path_factory.mktemp('tfds'))


def test_two_builds_decode_to_the_same_content(tiny, tmp_path):
  again = _build_and_read(tmp_path)
  for split in sn_builder.SPLIT_SEEDS:
    assert sorted(again[split]) == sorted(tiny[split])
    for name in tiny[split]:
      np.testing.assert_array_equal(again[split][name], tiny[split][name],
                                    err_msg=f'{split}/{name}')


def test_examples_are_the_generator_at_the_split_seed(tiny):
  for split in sn_builder.SPLIT_SEEDS:
    indices = tiny[split]['index']
    np.testing.assert_array_equal(
        indices, np.arange(sn_builder.split_size('tiny', split)))
    seed = sn_builder.split_seed('tiny', split)
    for i in (0, len(indices) - 1):
      expected = synthetic_notes.generate_example(seed, i)
      for name in _CONTROLS:
        np.testing.assert_array_equal(tiny[split][name][i], expected[name])
  # Distinct seeds: no test example repeats a train one.
  # (Noise gains are continuous and never constant, unlike silent notes' f0.)
  first_gains = {split: tiny[split]['noise_magnitudes'][:, 0, 0] for split in tiny}
  assert not np.isin(first_gains['test'], first_gains['train']).any()


def test_controls_stay_in_range(tiny):
  data = {name: np.concatenate([tiny[s][name] for s in tiny]) for name in _CONTROLS}
  voiced = data['harm_amp'] >= sn_builder.VOICED_AMP_THRESHOLD
  assert 0.5 < voiced.mean() < 0.99  # Mostly voiced, some silent notes.
  # Voiced f0 in MIDI 24-84 up to vibrato (<= 1 semitone) and jitter.
  midi = 69.0 + 12.0 * np.log2(data['f0_hz'][voiced] / 440.0)
  assert midi.min() >= 24.0 - 1.5 and midi.max() <= 84.0 + 1.5
  assert np.all(data['harm_amp'] > 0.0) and np.all(data['harm_amp'] <= 2.0)
  # The harmonic distribution sums to 1 with no mass at or above Nyquist.
  harm_dist = data['harm_dist']
  np.testing.assert_allclose(harm_dist.sum(axis=-1), 1.0, atol=1e-5)
  assert np.all(harm_dist >= 0.0)
  harmonics = np.arange(1, harm_dist.shape[-1] + 1)
  sin_freqs = data['f0_hz'][..., None] * harmonics
  np.testing.assert_allclose(data['sin_freqs'], sin_freqs, rtol=1e-6)
  above_nyquist = data['sin_freqs'] >= sn_builder.NOTE_CONFIG.sample_rate / 2
  assert above_nyquist.any()  # Low notes of 100 harmonics reach Nyquist...
  assert np.all(harm_dist[above_nyquist] == 0.0)  # ...and are masked there.
  np.testing.assert_allclose(
      data['sin_amps'], data['harm_amp'][..., None] * harm_dist,
      rtol=1e-5, atol=1e-12)
  noise = data['noise_magnitudes']
  assert np.all(noise > 0.0) and np.all(noise <= 2.0)


def test_split_seeds_and_sizes_without_building():
  assert sn_builder.split_size('tiny', 'train') == 64
  assert sn_builder.split_size('paper', 'train') == 10_000_000
  assert sn_builder.split_seed('small', 'test') != sn_builder.split_seed('small', 'train')
  with pytest.raises(ValueError, match='tiny, small, paper, sung_small'):
    sn_builder.split_seed('huge', 'train')
  with pytest.raises(ValueError, match='train, test'):
    sn_builder.split_size('tiny', 'validation')



def test_configs_name_their_note_style_and_old_builds_stay_readable():
  assert sn_builder.note_config('small') == synthetic_notes.NoteConfig()
  assert sn_builder.note_config('sung_small') == synthetic_notes.note_config('sung')
  assert sn_builder.split_seed('sung_small', 'test') == sn_builder.split_seed('small', 'test')
  # 1.1.0 only added a config: data built at 1.0.0 is still loadable.
  assert str(sn_builder.Builder.VERSION) in sn_builder.Builder.RELEASE_NOTES
  assert '1.0.0' in [str(v) for v in sn_builder.Builder.SUPPORTED_VERSIONS]


if __name__ == '__main__':
  tfds.testing.test_main()
