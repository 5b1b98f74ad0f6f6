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


def test_notes_on_a_model_of_other_frames_are_generated_on_its_frames(tmp_path):
  # A 16-ms model on the 10-ms style: the same split's notes, retimed; a
  # built split on 10-ms frames would be read wrongly, so none is read.
  got = _first(data.synthetic_eval('synthetic_notes/wide_tiny:test', 250,
                                   data_dir=str(tmp_path), n_examples=1,
                                   hop_size=256))
  retimed = synthetic_notes.retime(registry.note_config('wide_tiny'), 256)
  want = synthetic_notes.generate_example(
      registry.split_seed('wide_tiny', 'test'), 0, retimed)
  assert got['f0_hz'].shape == (250,)
  for name in synthetic_notes.CONTROL_KEYS:
    np.testing.assert_array_equal(got[name], want[name])
  data_config = config_lib.DataConfig(synthetic_style='wide_speech')
  train = _first(data.synthetic_train(data_config, n_frames=64, hop_size=256))
  assert train['sin_amps'].shape[0] == 64


def test_retime_keeps_durations_in_seconds():
  ten_ms = synthetic_notes.note_config('wide_speech')
  sixteen = synthetic_notes.retime(ten_ms, 256)
  assert sixteen.n_samples == ten_ms.n_samples == 64000
  assert (sixteen.min_note_length, sixteen.max_note_length,
          sixteen.max_glide_frames) == (10, 80, 16)
  assert synthetic_notes.retime(ten_ms, 160) is ten_ms
  assert synthetic_notes.note_config('wide_speech', hop_size=256) == sixteen
  # Note lengths drawn on 16-ms frames last as long as on 10-ms ones: the
  # median voiced run of many examples, in seconds, within 15 %.
  def median_run_s(config):
    runs = []
    for i in range(40):
      f0 = synthetic_notes.generate_example(3, i, config)['f0_hz']
      change = np.flatnonzero(np.abs(np.diff(np.log2(f0))) > 0.2) + 1
      runs += list(np.diff(np.concatenate([[0], change, [f0.size]])))
    return np.median(runs) * config.hop_size / config.sample_rate
  paper_notes = synthetic_notes.note_config('wide', p_legato=0.0, p_vibrato=0.0)
  a = median_run_s(paper_notes)
  b = median_run_s(synthetic_notes.retime(paper_notes, 256))
  assert abs(a - b) < 0.15 * a, (a, b)


def test_eval_dataset_declares_its_length(tmp_path):
  # Keras warns "Your input ran out of data" at the end of a validation set of
  # unknown length; the eval set states its batch count, and keeps it.
  config = config_lib.Config(data=config_lib.DataConfig(
      eval='synthetic_notes/tiny:test', eval_examples=5, batch_size=2,
      data_dir=str(tmp_path)))
  ds = data.eval_dataset(config)
  assert int(ds.cardinality()) == 3
  assert [len(b['f0_hz']) for b in ds] == [2, 2, 1]
