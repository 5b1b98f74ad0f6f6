"""The named sets of synthetic notes: sizes, split seeds and note styles.

Example i of split s of a named set is
`generator.generate_example(SPLIT_SEEDS[s], i, note_config(name))`. The
`synthetic_notes` TFDS builder materialises these sets; the package reads them
from here, so training and evaluation need no builder code (a built set is read
back with `tfds.builder_from_directory`, and an unbuilt one is generated).
"""

import dataclasses

from pitchfit.notes import generator

# One seed per split, shared by all sets (so `tiny` is the first 64 train
# examples of `small` and of `paper`). Train uses 0, the default seed of the
# on-the-fly generator (`data.synthetic_seed`), which then streams the same
# examples; test is far from the small integers people pick for training runs,
# so no training stream reproduces it.
SPLIT_SEEDS = {'train': 0, 'test': 20200718}

# harm_amp below this marks a silent frame (silent notes are ~1e-7, voiced
# ones above ~4e-3); the same threshold as the harmonic loss's mask.
VOICED_AMP_THRESHOLD = 1e-4


@dataclasses.dataclass(frozen=True)
class NoteSet:
  """A size (examples per split) and a note style of `generator.NOTE_STYLES`."""
  name: str
  n_train: int
  n_test: int
  description: str
  note_style: str = 'paper'

  @property
  def split_sizes(self):
    return {'train': self.n_train, 'test': self.n_test}


NOTE_SETS = (
    NoteSet('tiny', 64, 16, 'Smoke tests and demos: 64 train / 16 test.'),
    NoteSet('small', 20_000, 1_000,
            'Development runs: 20,000 train / 1,000 test (about 3.9 GB).'),
    NoteSet('paper', 10_000_000, 10_000,
            "The paper's pretraining set: 10,000,000 train / 10,000 test "
            '(about 1.8 TB; build it on a distributed Beam runner).'),
    NoteSet('sung_small', 20_000, 1_000,
            "Development runs on the 'sung' note style (notes up to 2 s, "
            'legato glides, vowel formants): 20,000 train / 1,000 test.',
            note_style='sung'),
    # 2.0.0: 10-ms frames over B0-C8, a third of examples speech.
    NoteSet('wide_tiny', 64, 16, "Smoke tests of the 10-ms 'wide_speech' "
            'style: 64 train / 16 test.', note_style='wide_speech'),
    NoteSet('wide_small', 20_000, 1_000,
            "Development and selection runs on the 'wide_speech' style "
            '(10-ms frames, B0-C8, a third speech): 20,000 train / 1,000 test.',
            note_style='wide_speech'),
    NoteSet('speech_small', 20_000, 1_000,
            "Speech-like examples only ('speech' style, 10-ms frames): "
            '20,000 train / 1,000 test.', note_style='speech'),
)
_BY_NAME = {s.name: s for s in NOTE_SETS}


def lookup(name, split='train'):
  """The NoteSet called `name`; ValueError naming the choices otherwise."""
  if name not in _BY_NAME:
    raise ValueError(f'synthetic_notes has no config {name!r}; '
                     f'choose one of {", ".join(_BY_NAME)}.')
  if split not in SPLIT_SEEDS:
    raise ValueError(f'synthetic_notes has no split {split!r}; '
                     f'choose one of {", ".join(SPLIT_SEEDS)}.')
  return _BY_NAME[name]


def note_config(name):
  """The NoteConfig every example of a named set is generated with."""
  return generator.note_config(lookup(name).note_style)


def split_seed(name, split):
  """Seed of a split: example i is `generate_example(seed, i, note_config)`."""
  lookup(name, split)
  return SPLIT_SEEDS[split]


def split_size(name, split):
  """Number of examples of a split of a named set."""
  return lookup(name, split).split_sizes[split]
