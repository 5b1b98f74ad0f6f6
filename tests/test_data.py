"""Input pipelines: which notes the synthetic streams carry."""

import numpy as np

from pitchfit import config as config_lib
from pitchfit.train import data
from pitchfit.notes import generator as synthetic_notes
from pitchfit.notes import registry


def _first(ds):
  return {k: v.numpy() for k, v in next(iter(ds)).items()}


def test_generator_stream_draws_the_configured_note_style():
  data_config = config_lib.DataConfig(synthetic_seed=9, synthetic_style='sung')
  got = _first(data.synthetic_train(data_config, n_frames=32, start_example=4))
  want = synthetic_notes.generate_example(
      9, 4, synthetic_notes.note_config('sung', n_frames=32))
  paper = synthetic_notes.generate_example(9, 4, synthetic_notes.NoteConfig(n_frames=32))
  for name in synthetic_notes.CONTROL_KEYS:
    np.testing.assert_array_equal(got[name], want[name])
  assert not np.array_equal(got['f0_hz'], paper['f0_hz'])


def test_unbuilt_sung_test_split_is_generated_in_the_sung_style(tmp_path):
  # Nothing built under tmp_path: the examples come from the split's seed and
  # the config's note style, exactly as the builder would write them.
  got = _first(data.synthetic_eval('synthetic_notes/sung_small:test', 125,
                                   data_dir=str(tmp_path), n_examples=1))
  want = synthetic_notes.generate_example(
      registry.split_seed('sung_small', 'test'), 0,
      registry.note_config('sung_small'))
  for name in synthetic_notes.CONTROL_KEYS:
    np.testing.assert_array_equal(got[name], want[name])


def test_eval_dataset_declares_its_length(tmp_path):
  # Keras warns "Your input ran out of data" at the end of a validation set of
  # unknown length; the eval set states its batch count, and keeps it.
  config = config_lib.Config(data=config_lib.DataConfig(
      eval='synthetic_notes/tiny:test', eval_examples=5, batch_size=2,
      data_dir=str(tmp_path)))
  ds = data.eval_dataset(config)
  assert int(ds.cardinality()) == 3
  assert [len(b['f0_hz']) for b in ds] == [2, 2, 1]
