"""Input pipelines: synthetic notes (TFDS or the endless generator) and real audio.

Dataset specs are strings: `'generator'` or `'synthetic_notes/small'` for
synthetic controls, and `'name[/config]:split'` for any TFDS builder in
`tfds_builders` (e.g. `'mdb_stem_synth:train'`, `'audio_folder:train'`).

Examples are cropped to the model's window (`model.n_samples`, a multiple of
the 512-sample hop), so a CPU model trained on 1.024-s windows reads the same
4-s datasets as the paper's model.
"""

import os

import tensorflow as tf

from pitchfit.notes import generator as synthetic_notes
from pitchfit.notes import registry
from pitchfit.errors import UserError

LABEL_FRAME_RATE = 250           # f0 labels of real-audio builders, frames/s
SYNTHETIC_PREFIX = 'synthetic_notes'


def parse_spec(spec, default_split='train'):
  """'name[/config][:split]' -> (name, config or None, split)."""
  name, _, split = spec.partition(':')
  name, _, config = name.partition('/')
  return name, (config or None), (split or default_split)


def _tfds():
  # pitchfit never imports a builder: a built dataset is read back from its
  # files (TFDS falls back to `builder_from_files` for unregistered names).
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  return tfds


def load_tfds(spec, data_dir=None, shuffle_files=False):
  """A prepared TFDS split as a tf.data.Dataset; UserError if not built."""
  name, config, split = parse_spec(spec)
  tfds = _tfds()
  full_name = f'{name}/{config}' if config else name
  try:
    builder = tfds.builder(full_name, data_dir=data_dir)
  except Exception as e:  # unknown name or config: say which ones exist
    raise UserError(f"dataset '{full_name}': {str(e).splitlines()[0]}") from None
  if not tf.io.gfile.exists(os.path.join(builder.data_dir, 'dataset_info.json')):
    raise UserError(
        f"dataset '{full_name}' is not built in {builder.data_dir}; build it "
        f'with: tfds build {name} --imports tfds_builders'
        + (f' --config {config}' if config else '')
        + ('' if name == SYNTHETIC_PREFIX else ' --manual_dir=DIR'))
  try:  # `in` misses TFDS's derived splits such as 'all' and 'train[:10%]'
    builder.info.splits[split]
  except (KeyError, ValueError):
    raise UserError(f"dataset '{full_name}' has no split '{split}' "
                    f'(it has: {", ".join(builder.info.splits)}, all)') from None
  return builder.as_dataset(split=split, shuffle_files=shuffle_files)


# ------------------------------------------------------------ synthetic notes
def _synthetic_split(config_name, split):
  """(seed, NoteConfig) that generate a synthetic_notes config's split."""
  return registry.split_seed(config_name, split), registry.note_config(config_name)


def _crop(tensor, start, length):
  """tensor[start:start + length] along axis 0, keeping a static length."""
  crop = tensor[start:start + length]
  return tf.ensure_shape(crop, [length] + tensor.shape[1:])


def _crop_controls(example, n_frames, offset):
  return {k: _crop(example[k], offset, n_frames)
          for k in synthetic_notes.CONTROL_KEYS}


def synthetic_train(data_config, n_frames, start_example=0, hop_size=None):
  """Endless unbatched stream of synthetic controls with n_frames frames.

  'generator' draws example start_example, start_example + 1, ... of the
  data seed in the data's note style (on frames of hop_size samples, if
  given: `synthetic_notes.retime`), so a resumed run continues with unseen
  examples.
  """
  if data_config.synthetic == 'generator':
    return synthetic_notes.as_dataset(
        data_config.synthetic_seed,
        synthetic_notes.note_config(data_config.synthetic_style,
                                    hop_size=hop_size, n_frames=n_frames),
        start=start_example)
  ds = load_tfds(data_config.synthetic + ':train', data_config.data_dir,
                 shuffle_files=True)
  ds = ds.repeat().shuffle(1024, seed=data_config.synthetic_seed)

  def random_crop(example):
    total = example['f0_hz'].shape[0]
    offset = tf.random.uniform([], 0, total - n_frames + 1, tf.int32)
    return _crop_controls(example, n_frames, offset)
  return ds.map(random_crop, num_parallel_calls=tf.data.AUTOTUNE)


def synthetic_eval(spec, n_frames, data_dir=None, n_examples=None,
                   hop_size=None):
  """Unbatched synthetic test examples cut into consecutive n_frames crops.

  Reads the built TFDS split if there is one; otherwise generates exactly the
  same examples from the split's seed (the builder is a pure function of it).
  A model on frames of another hop_size than the set's is given the same
  notes generated on its frames (`synthetic_notes.retime`).
  """
  name, config, split = parse_spec(spec, 'test')
  note_config = None
  # A built split on other frames than the model's is generated instead.
  other_frames = (name == SYNTHETIC_PREFIX and hop_size is not None
                  and registry.note_config(config).hop_size != hop_size)
  ds = None
  if not other_frames:
    try:
      ds = load_tfds(spec, data_dir)
    except UserError:
      if name != SYNTHETIC_PREFIX:
        raise
  if ds is None:
    seed, note_config = _synthetic_split(config, split)
    if hop_size:
      note_config = synthetic_notes.retime(note_config, hop_size)
    ds = synthetic_notes.as_dataset(seed, note_config, count=n_examples)
  if n_examples:
    ds = ds.take(n_examples)
  total = (note_config.n_frames if note_config is not None
           else registry.note_config(config).n_frames)
  offsets = list(range(0, total - n_frames + 1, n_frames))
  return ds.flat_map(lambda ex: tf.data.Dataset.from_tensor_slices(
      tf.stack(offsets)).map(lambda o: _crop_controls(ex, n_frames, o)))


# ---------------------------------------------------------------- real audio
REAL_KEYS = ('audio', 'f0_hz', 'f0_confidence')


def _crop_real(example, n_samples, offset_samples):
  labels_per_sample = LABEL_FRAME_RATE / 16000.0
  label_offset = offset_samples * LABEL_FRAME_RATE // 16000
  n_labels = int(n_samples * labels_per_sample)
  out = {'audio': _crop(example['audio'], offset_samples, n_samples)}
  for key in ('f0_hz', 'f0_confidence'):
    if key in example:
      out[key] = _crop(example[key], label_offset, n_labels)
  return out


def real_train(spec, n_samples, data_dir=None, seed=0, hop_size=512):
  """Endless unbatched stream of random n_samples crops of a real dataset,
  starting on whole hops."""
  ds = load_tfds(spec, data_dir, shuffle_files=True)
  ds = ds.repeat().shuffle(256, seed=seed)

  def random_crop(example):
    total = example['audio'].shape[0]
    n_hops = (total - n_samples) // hop_size
    offset = tf.random.uniform([], 0, n_hops + 1, tf.int32) * hop_size
    return _crop_real(example, n_samples, offset)
  return ds.map(random_crop, num_parallel_calls=tf.data.AUTOTUNE)


def real_eval(spec, n_samples, data_dir=None, n_examples=None):
  """Unbatched consecutive n_samples crops of a real dataset's split."""
  ds = load_tfds(spec, data_dir)
  if n_examples:
    ds = ds.take(n_examples)

  def crops(example):
    total = example['audio'].shape[0]
    offsets = tf.range(0, total - n_samples + 1, n_samples)
    return tf.data.Dataset.from_tensor_slices(offsets).map(
        lambda o: _crop_real(example, n_samples, o))
  return ds.flat_map(crops)


# ------------------------------------------------------------ what fit reads
def train_dataset(config, start_step=0):
  """Batched training stream for a Config: synthetic, or (real, synthetic)."""
  d, m = config.data, config.model
  synthetic_batch = d.synthetic_batch_size or d.batch_size
  start_example = start_step * synthetic_batch
  synthetic = synthetic_train(d, m.n_frames, start_example, m.hop_size).batch(
      synthetic_batch, drop_remainder=True)
  if not d.real:
    return synthetic.prefetch(tf.data.AUTOTUNE)
  real = real_train(d.real, m.n_samples, d.data_dir,
                    seed=config.train.seed + start_step,
                    hop_size=m.hop_size).batch(
                        d.batch_size, drop_remainder=True)
  return tf.data.Dataset.zip((real, synthetic)).prefetch(tf.data.AUTOTUNE)


def eval_dataset(config, batch_size=None):
  """Batched evaluation set named by config.data.eval (finite, cached)."""
  d, m = config.data, config.model
  name, _, _ = parse_spec(d.eval, 'test')
  if name == SYNTHETIC_PREFIX:
    ds = synthetic_eval(d.eval, m.n_frames, d.data_dir, d.eval_examples,
                        m.hop_size)
  else:
    ds = real_eval(d.eval, m.n_samples, d.data_dir, d.eval_examples)
  ds = ds.batch(batch_size or d.batch_size).cache()
  # Keras warns "Your input ran out of data" on meeting the end of a set of
  # unknown length, which these are (take, filter, generators). The set is
  # small and cached, so one pass counts it and fills the cache.
  n_batches = int(ds.reduce(0, lambda n, _: n + 1))
  return ds.apply(tf.data.experimental.assert_cardinality(n_batches)).prefetch(
      tf.data.AUTOTUNE)
