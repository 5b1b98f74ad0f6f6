"""Listening to synthetic_notes: WAVs and spectrogram-with-f0 pictures.

`pitchfit notes` calls `render_examples`. Examples come from the built TFDS
dataset when it is in the default data dir, else from the generator, which
produces the identical examples (example i of a split is
`generate_example(split seed, i)`).
"""

import contextlib
import os

import numpy as np
import tqdm

from pitchfit.io import audio as audio_io
from pitchfit.dsp import core
from pitchfit.io import plots
from pitchfit.notes import generator as synthetic_notes
from pitchfit.errors import UserError
from pitchfit.notes import registry


def _check_request(config_name, split, count, start):
  """Raises UserError unless examples start..start+count-1 exist."""
  try:
    size = registry.split_size(config_name, split)
  except ValueError as e:
    raise UserError(str(e)) from None
  if count < 1 or start < 0 or start + count > size:
    raise UserError(f'synthetic_notes/{config_name} {split} has examples '
                    f'0..{size - 1}; cannot render {count} from {start}.')


@contextlib.contextmanager
def _tfds_warnings_silenced():
  """Hides TFDS's absl warnings: while it looks for a dataset that is not
  built (an expected case here), and from its own raw-bytes tensor decoder
  (a deprecated-attribute notice per feature, TFDS 4.9)."""
  from absl import logging  # pylint: disable=g-import-not-at-top
  verbosity = logging.get_verbosity()
  logging.set_verbosity(logging.ERROR)
  try:
    yield
  finally:
    logging.set_verbosity(verbosity)


def _from_tfds(config_name, split, indices):
  """{index: example} read from the built dataset, or None if it is not built."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  with _tfds_warnings_silenced():
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
    try:  # read back from files: the package never imports a builder
      builder = tfds.builder(f'synthetic_notes/{config_name}')
    except Exception:  # pylint: disable=broad-except
      return None
    if not builder.is_prepared():
      return None
    wanted = tf.constant(sorted(indices), tf.int64)
    # Records are shuffled on disk: find the wanted ones by their index.
    dataset = builder.as_dataset(split=split, shuffle_files=False).filter(
        lambda example: tf.reduce_any(tf.equal(example['index'], wanted)))
    examples = {}
    for example in dataset.take(len(indices)).as_numpy_iterator():
      index = int(example.pop('index'))
      examples[index] = example
  return examples


def _scaled_below_full_scale(audio):
  """Audio scaled down only if it would clip."""
  peak = float(np.max(np.abs(audio))) if audio.size else 0.0
  return audio * (0.99 / peak) if peak > 0.99 else audio


def render_example(example, index, name, output_dir,
                   note_config=synthetic_notes.NoteConfig()):
  """Writes `<name>_<index>.wav` and `.png` for one example's controls.

  The WAV is the example rendered by the synthesizers (noise seeded by the
  index, so it is the same every time); the PNG shows its log-frequency
  spectrogram with the true f0 on voiced frames (harm_amp >= 1e-4).

  Returns:
    (wav_path, png_path).
  """
  audio = synthetic_notes.render_audio(example, note_config, seed=index)
  stem = os.path.join(output_dir, f'{name}_{index}')
  audio_io.write_wav(stem + '.wav', _scaled_below_full_scale(audio),
                     note_config.sample_rate)
  hop_s = core.HOP_SIZE / note_config.sample_rate
  times_s = np.arange(note_config.n_frames) * hop_s  # frame k at sample k * hop
  voiced = np.asarray(example['harm_amp']) >= registry.VOICED_AMP_THRESHOLD
  f0_hz = np.where(voiced, example['f0_hz'], np.nan)
  plots.plot_f0_over_spectrogram(
      audio, note_config.sample_rate, times_s, f0_hz, stem + '.png',
      title=f'{name.replace("_", " ")} #{index}: true f0 on voiced frames')
  return stem + '.wav', stem + '.png'


def render_examples(note_config, split, count, start, output_dir):
  """Renders examples start..start+count-1 of synthetic_notes/<note_config>.

  Args:
    note_config: builder config name ('tiny', 'small', 'paper', 'sung_small').
    split: 'train' or 'test'.
    count: number of examples.
    start: first example index.
    output_dir: created if missing; gets synthetic_notes_<split>_<i>.wav and
      .png per example.

  Returns:
    List of the written paths.
  """
  _check_request(note_config, split, count, start)
  indices = list(range(start, start + count))
  examples = _from_tfds(note_config, split, indices)
  source = f'the built dataset synthetic_notes/{note_config}'
  if examples is None or sorted(examples) != indices:
    seed = registry.split_seed(note_config, split)
    style = registry.note_config(note_config)
    examples = {i: synthetic_notes.generate_example(seed, i, style)
                for i in indices}
    source = f'the generator (synthetic_notes/{note_config} is not built)'
  os.makedirs(output_dir, exist_ok=True)
  paths = []
  for index in tqdm.tqdm(indices, desc='Rendering notes', unit='example',
                         disable=count <= 1):
    paths.extend(render_example(examples[index], index, f'synthetic_notes_{split}',
                                output_dir))
  print(f'Wrote {count} {split} example(s) from {source} to {output_dir}/ '
        '(.wav and .png each).')
  return paths
