"""synthetic_notes: the random notes DDSP-inv is pretrained on, as controls.

Example i of a split is `pitchfit.synthetic_notes.generate_example(seed, i)`
for the split's fixed seed, so every config is a prefix of the bigger ones and
any chunk of any split rebuilds alone, on any worker, identically. Generation is
a Beam pipeline over chunks of indices, so the 10M-example `paper` config
spreads over as many workers as a runner offers.

The `sung_*` configs draw the `sung` note style of
`pitchfit.synthetic_notes.NOTE_STYLES` (long notes, legato glides, vowel
formants) at the same split seeds; the others draw the paper's style.
"""

import dataclasses
import sys

import numpy as np
import tensorflow_datasets as tfds

from pitchfit.notes import generator as synthetic_notes
from pitchfit.notes import registry

NOTE_CONFIG = synthetic_notes.NoteConfig()  # the paper's style; shapes of all
SPLIT_SEEDS = registry.SPLIT_SEEDS
VOICED_AMP_THRESHOLD = registry.VOICED_AMP_THRESHOLD

# Examples per Beam work item. Small enough that the paper config makes
# 20,000 items for a runner to balance, big enough to amortise the per-item
# overhead (about 1 s of generation each).
EXAMPLES_PER_CHUNK = 500


@dataclasses.dataclass(eq=False)
class SyntheticNotesConfig(tfds.core.BuilderConfig):
  """A size of the dataset (examples per split) and a note style."""
  split_sizes: dict = dataclasses.field(default_factory=dict)
  note_style: str = 'paper'   # a key of generator.NOTE_STYLES


# The configs are pitchfit's named note sets (pitchfit.notes.registry).
BUILDER_CONFIGS = [
    SyntheticNotesConfig(name=s.name, description=s.description,
                         note_style=s.note_style, split_sizes=s.split_sizes)
    for s in registry.NOTE_SETS
]
note_config = registry.note_config
split_seed = registry.split_seed
split_size = registry.split_size


# ------------------------------------------------------------ Beam work items
def _register_dask_runner_name():
  """Lets `runner=DaskRunner` name `tfds_builders.dask_runner.DaskRunner`.

  Beam resolves a runner name through `apache_beam.runners.runner._RUNNER_MAP`
  (lower-cased class names of its own runners; its DaskRunner is not among
  them), then as a dotted module path. Beam's own DaskRunner loses outputs
  of TFDS's pipeline (see tfds_builders/dask_runner.py), so the short name
  goes to the fixed one. Nothing is overwritten if Beam ever claims it.
  """
  from apache_beam.runners import runner  # pylint: disable=g-import-not-at-top
  names = getattr(runner, '_RUNNER_MAP', None)
  if isinstance(names, dict):
    names.setdefault('daskrunner', 'tfds_builders.dask_runner.DaskRunner')


def _pickle_by_value_unless_importable():
  """Lets workers unpickle this module's functions whatever its name here.

  `tfds build tfds_builders/synthetic_notes` imports this file as
  `synthetic_notes.synthetic_notes_dataset_builder`, a name that workers of a
  distributed runner cannot import. Beam's pickler then sends this module's
  functions by value instead of by that name (pitchfit, which they call, is
  installed on the workers and still goes by reference). Imported as
  `tfds_builders.synthetic_notes...` (`--imports tfds_builders`), nothing
  changes.
  """
  if not __name__.startswith('tfds_builders.'):
    from apache_beam.internal.cloudpickle import cloudpickle  # pylint: disable=g-import-not-at-top
    cloudpickle.register_pickle_by_value(sys.modules[__name__])


def _generate_chunk(start, split, seed, count, chunk_size, note_config):
  """Yields (index, example) for indices start .. start + chunk_size - 1.

  Module level (not a method) so Beam pickles it by reference to workers.
  """
  beam = tfds.core.lazy_imports.apache_beam
  examples = beam.metrics.Metrics.counter(split, 'examples')
  voiced = beam.metrics.Metrics.counter(split, 'voiced_frames')
  silent = beam.metrics.Metrics.counter(split, 'silent_frames')
  for index in range(start, min(start + chunk_size, count)):
    example = synthetic_notes.generate_example(seed, index, note_config)
    example['index'] = np.int64(index)
    n_voiced = int(np.sum(example['harm_amp'] >= VOICED_AMP_THRESHOLD))
    voiced.inc(n_voiced)
    silent.inc(note_config.n_frames - n_voiced)
    examples.inc()
    yield index, example


class Builder(tfds.core.GeneratorBasedBuilder):
  """DatasetBuilder for synthetic_notes."""

  VERSION = tfds.core.Version('2.0.0')
  # Examples of the paper-style configs are the same in every version.
  SUPPORTED_VERSIONS = [tfds.core.Version('1.1.0'), tfds.core.Version('1.0.0')]
  RELEASE_NOTES = {
      '2.0.0': "Adds wide_tiny, wide_small and speech_small: 10-ms frames "
               '(hop 160), f0 over B0-C8 (29 Hz-4.2 kHz), and speech-like '
               "examples (the generator's 'wide', 'speech' and 'wide_speech' "
               'styles). Feature shapes now follow each config (400 frames '
               'of 10 ms for the new ones). tiny, small, paper and '
               'sung_small are unchanged.',
      '1.1.0': "Adds the sung_small config (the generator's 'sung' note "
               'style: long notes, legato glides, vowel formants). tiny, '
               'small and paper are unchanged.',
      '1.0.0': 'Initial release: generate_notes_v2 distributions, harmonic '
               'distribution masked at Nyquist, per-example seeds (seed, i).',
  }
  BUILDER_CONFIGS = BUILDER_CONFIGS

  def _note_config(self):
    """The config's NoteConfig, from its note style (so custom configs work)."""
    return synthetic_notes.note_config(self.builder_config.note_style)

  def _info(self) -> tfds.core.DatasetInfo:
    shapes = synthetic_notes.feature_shapes(
        self._note_config())
    features = {
        # Stored as raw bytes: same size as a float list, but about 30x
        # faster to serialize, which otherwise costs more than generating.
        name: tfds.features.Tensor(
            shape=shape, dtype=np.float32, encoding=tfds.features.Encoding.BYTES,
            doc=synthetic_notes.FEATURE_DESCRIPTIONS[name])
        for name, shape in shapes.items()
    }
    features['index'] = tfds.features.Scalar(
        dtype=np.int64,
        doc='Index i of the example in its split, which is '
            'pitchfit.notes.generator.generate_example(split seed, i).')
    return self.dataset_info_from_configs(
        features=tfds.features.FeaturesDict(features),
        supervised_keys=None,
        homepage='https://openreview.net/forum?id=RlVTYWhsky7',
    )

  def _split_generators(self, dl_manager: tfds.download.DownloadManager):
    del dl_manager  # Nothing to download: examples come from seeds.
    # Before TFDS creates the Beam pipeline (and so resolves its runner).
    _register_dask_runner_name()
    _pickle_by_value_unless_importable()
    return {split: self._generate_examples(split) for split in SPLIT_SEEDS}

  def _generate_examples(self, split):
    """A Beam PTransform: chunk start indices -> (index, example)."""
    beam = tfds.core.lazy_imports.apache_beam
    count = self.builder_config.split_sizes[split]
    chunk_size = EXAMPLES_PER_CHUNK
    return (
        beam.Create(list(range(0, count, chunk_size)))
        # Break fusion with Create so runners spread the chunks over workers.
        | beam.Reshuffle()
        | beam.FlatMap(_generate_chunk, split=split, seed=SPLIT_SEEDS[split],
                       count=count, chunk_size=chunk_size,
                       note_config=self._note_config()))
