"""Shared machinery of the real-audio TFDS builders.

`mdb_stem_synth`, `mir1k`, `urmp` and `audio_folder` differ only in where their
files are and how their f0 labels are written. Everything else lives here, so
their examples are alike and training/evaluation code treats them the same:

* `audio`          float32 [64000]: 4 s of 16 kHz mono, zero-padded past the
                   end of the file (the last partial window is kept, not dropped).
* `f0_hz`          float32 [1000]: frame k is the f0 at `start_s + k / 250` s of
                   the source file, 0 = unvoiced (also 0 past the end of the file
                   and where a file has no labels).
* `f0_confidence`  float32 [1000]: 1 where `f0_hz` > 0, else 0.
* `has_f0`         bool: False where the dataset (or file) has no labels.
* `track_id`, `start_s`, plus each dataset's own metadata (singer, instrument).

Windows start every `hop_s` seconds (a `WindowConfig`; 1 s by default as in
DDSP's TFRecord preparation, 4 s for overlap-free windows where each sample is
in exactly one example). Splits are by group (song, singer, piece; see
`split_groups`), so no group is in two splits. The three splits partition
the tracks, so TFDS's reserved split `all` (`as_dataset(split='all')`, the
union of every split) holds every example once: the usual way MIR-1K and
MDB-stem-synth are used for evaluation, at no extra disk space.

Why a plain `GeneratorBasedBuilder` and not Beam: the largest of these sets
(URMP's separated tracks, a few hours of audio) builds in minutes in one
process; the cost is decoding and resampling, which Beam would only spread
over workers that each re-import TensorFlow (about 4 s each), and a Beam build
needs runner options on the command line. Without Beam counters, skipped files
are counted by `SkipLog` and reported in the log.
"""

import dataclasses
import hashlib
import math
import pathlib
from typing import Optional

from absl import app
from absl import logging
import numpy as np
import tensorflow_datasets as tfds

from pitchfit.io import audio as audio_io
from pitchfit.io import labels
from pitchfit.errors import UserError

SAMPLE_RATE = 16000            # Hz, of `audio`.
FRAME_RATE = 250               # Hz, of `f0_hz` (DDSP-inv's CREPE frame rate).
WINDOW_SECONDS = 4
WINDOW_SAMPLES = WINDOW_SECONDS * SAMPLE_RATE   # 64000
WINDOW_FRAMES = WINDOW_SECONDS * FRAME_RATE     # 1000
DEFAULT_HOP_SECONDS = 1.0

SPLITS = ('train', 'validation', 'test')
HELD_OUT_FRACTION = 0.1  # of the groups, each for validation and for test
ALL_SPLIT = 'all'  # TFDS's union of every split; not written separately

COMMON_FEATURE_KEYS = ('audio', 'f0_hz', 'f0_confidence', 'has_f0', 'track_id',
                       'start_s')


# ------------------------------------------------------------------ configs
@dataclasses.dataclass(eq=False)
class WindowConfig(tfds.core.BuilderConfig):
  """Builder config: seconds between the starts of consecutive windows."""
  hop_s: float = DEFAULT_HOP_SECONDS


def hop_configs():
  """The two standard windowings: 'hop_1s' (default) and overlap-free 'hop_4s'."""
  return [
      WindowConfig(name='hop_1s', hop_s=1.0,
                   description='4-s windows every 1 s (3 s overlap, as DDSP).'),
      WindowConfig(name='hop_4s', hop_s=4.0,
                   description='4-s windows every 4 s (no overlap: each sample in '
                   'exactly one example, for evaluation).'),
  ]


# ----------------------------------------------------------------- features
def example_features(**extra):
  """FeaturesDict of one example: the common features plus `extra` ones."""
  return tfds.features.FeaturesDict({
      'audio': tfds.features.Audio(
          shape=(WINDOW_SAMPLES,), dtype=np.float32, sample_rate=SAMPLE_RATE,
          doc='4 s of mono audio at 16 kHz, float in [-1, 1], resampled with '
              'soxr_hq; zeros after the end of the file.'),
      'f0_hz': tfds.features.Tensor(
          shape=(WINDOW_FRAMES,), dtype=np.float32,
          doc='f0 in Hz at start_s + k/250 s, k = 0..999; 0 = unvoiced or unknown.'),
      'f0_confidence': tfds.features.Tensor(
          shape=(WINDOW_FRAMES,), dtype=np.float32,
          doc='1 where f0_hz is a voiced label, else 0.'),
      'has_f0': tfds.features.Scalar(
          dtype=np.bool_, doc='False if the source file has no f0 labels.'),
      'track_id': tfds.features.Text(doc='Name of the source file (its stem or relative path).'),
      'start_s': tfds.features.Scalar(
          dtype=np.float32, doc='Time of the first sample in the source file, s.'),
      **extra,
  })


def common_features(example):
  """The features every real-audio builder has (to mix datasets in tf.data)."""
  return {key: example[key] for key in COMMON_FEATURE_KEYS}


# ------------------------------------------------------------------- labels
# Label reading lives in the package (pitchfit.io.labels), so evaluation reads
# a folder's labels exactly as the builders do without importing a builder.
F0Track = labels.F0Track
f0_track = labels.f0_track
load_label_table = labels.load_label_table
source_hop_s = labels.source_hop_s
resample_f0 = labels.resample_f0


def frame_times(start_s):
  """float64 [1000]: source-file time of each `f0_hz` frame of a window, s."""
  return start_s + np.arange(WINDOW_FRAMES) / FRAME_RATE


# ---------------------------------------------------------------- windowing
def window_starts(n_samples, hop_samples):
  """Start samples of the fewest windows that cover every sample.

  Args:
    n_samples: length of the audio, > 0.
    hop_samples: samples between window starts, > 0.

  Returns:
    int64 [n_windows]: 0, hop, 2*hop, ...; the last window may run past the
    end (it is zero-padded). Audio shorter than a window gives one window.
  """
  if hop_samples <= 0:
    raise ValueError(f'hop must be positive, got {hop_samples} samples')
  extra = max(0, n_samples - WINDOW_SAMPLES)
  return np.arange(1 + math.ceil(extra / hop_samples), dtype=np.int64) * hop_samples


def window_examples(audio, track, hop_s):
  """Cuts one file into example dicts (without track_id and metadata).

  Args:
    audio: float32 [n] at SAMPLE_RATE.
    track: F0Track, or None if the file has no labels.
    hop_s: seconds between window starts.

  Yields:
    dicts with audio [64000], f0_hz [1000], f0_confidence [1000], has_f0,
    start_s, in time order.
  """
  duration_s = len(audio) / SAMPLE_RATE
  for start in window_starts(len(audio), int(round(hop_s * SAMPLE_RATE))):
    window = np.zeros(WINDOW_SAMPLES, np.float32)
    chunk = audio[start:start + WINDOW_SAMPLES]
    window[:len(chunk)] = chunk
    start_s = start / SAMPLE_RATE
    times = frame_times(start_s)
    if track is None:
      f0 = np.zeros(WINDOW_FRAMES, np.float32)
    else:
      # Labels past the end of the audio describe padding: make them unvoiced.
      f0 = np.where(times < duration_s, resample_f0(track, times), 0).astype(np.float32)
    yield {
        'audio': window,
        'f0_hz': f0,
        'f0_confidence': (f0 > 0).astype(np.float32),
        'has_f0': track is not None,
        'start_s': np.float32(start_s),
    }


# ------------------------------------------------------------------- tracks
@dataclasses.dataclass(frozen=True)
class Track:
  """One source file of a dataset.

  Attributes:
    track_id: unique, stable name (no absolute paths: keys must not depend on
      where the data is).
    audio_path: the audio file.
    group: what the split is decided by (song, singer, piece); tracks of one
      group are always in the same split.
    label_path: the f0 label file, or None.
    metadata: extra feature values, e.g. {'singer': 'amy'}.
  """
  track_id: str
  audio_path: pathlib.Path
  group: str
  label_path: Optional[pathlib.Path] = None
  metadata: dict = dataclasses.field(default_factory=dict)


def _group_hash(group):
  """SHA-256 of the name: unlike Python's salted `hash`, the same on every run."""
  return hashlib.sha256(group.encode('utf-8')).hexdigest()


def split_groups(groups):
  """{group: 'train' | 'validation' | 'test'}, deterministic and documented.

  Groups are ordered by the SHA-256 of their name (a fixed pseudo-random
  order that does not depend on file order or machine); the first 10 % go to
  test, the next 10 % to validation, the rest to train, with at least one
  group each in test and validation once there are 3 groups or more. Ranking
  rather than thresholding the hash gives exact proportions even for small
  sets (MIR-1K has 19 singers; a threshold could leave validation empty).
  """
  ordered = sorted(set(groups), key=_group_hash)
  n_held = max(1, round(HELD_OUT_FRACTION * len(ordered))) if len(ordered) >= 3 else 0
  split = {group: 'train' for group in ordered}
  split.update({group: 'test' for group in ordered[:n_held]})
  split.update({group: 'validation' for group in ordered[n_held:2 * n_held]})
  return split


def assign_splits(tracks, split_fn=None):
  """{split: tracks} for train/validation/test, empty ones left out.

  Every track is in exactly one split (TFDS's `all` is their union).

  Args:
    tracks: list of Track, in a deterministic order.
    split_fn: Track -> split name; default: `split_groups` of the track groups.
  """
  if split_fn is None:
    by_group = split_groups(t.group for t in tracks)
    split_fn = lambda t: by_group[t.group]
  splits = {name: [] for name in SPLITS}
  for track in tracks:
    splits[split_fn(track)].append(track)
  for name in [name for name, members in splits.items() if not members]:
    # TFDS cannot write a split without examples; say so instead of failing.
    logging.info('No tracks fall in split %r; it is left out.', name)
    del splits[name]
  return splits


# --------------------------------------------------------- skipping bad files
class SkipLog:
  """Logs each unusable file once (one line naming it) and counts them."""

  def __init__(self, dataset_name):
    self.dataset_name = dataset_name
    self.reported = set()

  def skip(self, track, error):
    if track.track_id not in self.reported:
      self.reported.add(track.track_id)
      logging.warning('%s: skipping %s', self.dataset_name, error)

  def summary(self, where, n_skipped, n_tracks):
    if n_skipped:
      logging.warning('%s: %s: skipped %d of %d files (unreadable audio or labels, '
                      'listed above).', self.dataset_name, where, n_skipped, n_tracks)

  def usable(self, tracks):
    """The tracks whose audio header reads and whose label file exists.

    Checked before splitting, so a split never consists only of broken files
    (TFDS cannot write a split without examples).
    """
    kept = []
    for track in tracks:
      try:
        audio_io.probe_audio(track.audio_path)
        if track.label_path is not None and not track.label_path.is_file():
          raise UserError(f'{track.label_path}: no such label file (for '
                          f'{track.audio_path.name})')
      except UserError as e:
        self.skip(track, e)
        continue
      kept.append(track)
    self.summary('before splitting', len(tracks) - len(kept), len(tracks))
    return kept


def generate_examples(tracks, read_track, hop_s, skip_log, split):
  """Yields (key, example) for every window of every readable track.

  Args:
    tracks: list of Track.
    read_track: Track -> (audio float32 [n] at 16 kHz, F0Track or None);
      raises UserError for a file that cannot be used.
    hop_s: seconds between window starts.
    skip_log: SkipLog shared by the builder's splits.
    split: split name, for the summary line.
  """
  n_skipped = 0
  for track in tracks:
    try:
      audio, labels = read_track(track)
    except UserError as e:
      skip_log.skip(track, e)
      n_skipped += 1
      continue
    for example in window_examples(audio, labels, hop_s):
      key = f'{track.track_id}@{example["start_s"]:.4f}'
      yield key, {**example, 'track_id': track.track_id, **track.metadata}
  skip_log.summary(f'split {split!r}', n_skipped, len(tracks))


def split_generators(builder, tracks, split_fn_for=None):
  """The `_split_generators` result: one `builder._generate_examples` per split.

  Args:
    builder: the DatasetBuilder; gets a `skip_log` shared by its splits.
    tracks: every Track found; unreadable ones are dropped (and logged) first.
    split_fn_for: optional, usable tracks -> (Track -> split name); default:
      `split_groups` of the track groups.
  """
  builder.skip_log = SkipLog(builder.name)
  tracks = builder.skip_log.usable(tracks)
  if not tracks:
    raise ManualDataError(f'{builder.name}: no usable files (see the lines above).')
  split_fn = split_fn_for(tracks) if split_fn_for else None
  return {name: builder._generate_examples(members, name)  # pylint: disable=protected-access
          for name, members in assign_splits(tracks, split_fn).items()}


# ------------------------------------------------------------- manual folder
class ManualDataError(UserError, app.UsageError):
  """The manual folder is missing or not laid out as the instructions say.

  A `UsageError`, so `tfds build` (an absl app) prints the message and exits
  with status 1 instead of a traceback; a `UserError` for pitchfit's CLI.
  """


def manual_dir(dl_manager, dataset_name):
  """The manual folder as a local pathlib.Path, or ManualDataError.

  TFDS itself raises an AssertionError with the instructions when the folder
  is missing or empty; it is re-raised here as a ManualDataError.
  """
  try:
    return pathlib.Path(str(dl_manager.manual_dir))
  except AssertionError as e:
    raise ManualDataError(f'{dataset_name}: {e}') from None


def find_root(folder, candidates, required, dataset_name, instructions):
  """The first `folder / candidate` that holds all `required` sub-folders.

  Args:
    folder: the manual folder.
    candidates: relative paths to try, e.g. ['MDB-stem-synth', '.'].
    required: sub-folder names that identify the dataset's root.
    dataset_name: for the message.
    instructions: the builder's MANUAL_DOWNLOAD_INSTRUCTIONS.

  Raises:
    ManualDataError: naming every path looked for, with the instructions.
  """
  for candidate in candidates:
    root = (folder / candidate)
    if all((root / name).is_dir() for name in required):
      return root
  looked = '\n'.join(f'  {(folder / c / r).resolve()}/'
                     for c in candidates for r in required)
  raise ManualDataError(
      f'{dataset_name}: the manual folder {folder} is not laid out as expected; '
      f'looked for:\n{looked}\n{instructions}')


def require_files(files, folder, pattern, dataset_name, instructions):
  """Raises ManualDataError if `files` is empty (no `pattern` under `folder`)."""
  if not files:
    raise ManualDataError(f'{dataset_name}: no {pattern} files under {folder}\n'
                          f'{instructions}')
  return files


def visible_files(folder, pattern):
  """Sorted files matching `pattern` in `folder`, without dot-files (`._x.wav`)."""
  return sorted(p for p in pathlib.Path(folder).glob(pattern)
                if p.is_file() and not p.name.startswith('.'))


def read_audio(path, channel=None):
  """`audio_io.load_audio` at this module's SAMPLE_RATE."""
  return audio_io.load_audio(path, sample_rate=SAMPLE_RATE, channel=channel)

