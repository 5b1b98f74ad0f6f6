"""f0 label files: reading, validating, and resampling to any time grid.

Shared by evaluation (`pitchfit evaluate --audio-dir`) and the real-audio TFDS
builders, so a folder evaluates exactly as it builds.
"""

import dataclasses
import pathlib
import warnings

import numpy as np

from pitchfit.errors import UserError

LABEL_SUFFIX = '.f0.csv'


def label_path_of(audio_path):
  """`take1.wav` -> `take1.f0.csv` beside it."""
  audio_path = pathlib.Path(audio_path)
  return audio_path.with_name(audio_path.name.rsplit('.', 1)[0] + LABEL_SUFFIX)


def read_f0_csv(path):
  """Reads `<stem>.f0.csv`: columns time_s,f0_hz (header optional, extra columns ignored)."""
  table = load_label_table(path, 2, delimiter=',')
  return f0_track(table[:, 0], table[:, 1], path)


@dataclasses.dataclass(frozen=True)
class F0Track:
  """f0 labels on a dataset's own grid: times_s [n] increasing, f0_hz [n] (0 = unvoiced)."""
  times_s: np.ndarray
  f0_hz: np.ndarray


def f0_track(times_s, f0_hz, path):
  """Validates labels read from `path`; values <= 0 mean unvoiced.

  Raises:
    UserError: fewer than 2 frames, non-finite values, or times not increasing.
  """
  times = np.asarray(times_s, np.float64).reshape(-1)
  f0 = np.asarray(f0_hz, np.float64).reshape(-1)
  if len(times) != len(f0) or len(times) < 2:
    raise UserError(f'{path}: needs at least 2 label frames, has {len(f0)}')
  if not (np.all(np.isfinite(times)) and np.all(np.isfinite(f0))):
    raise UserError(f'{path}: labels contain NaN or infinite values')
  if np.any(np.diff(times) <= 0):
    raise UserError(f'{path}: label times are not strictly increasing')
  return F0Track(times, np.maximum(f0, 0.0))


def load_label_table(path, n_columns, delimiter=None):
  """Reads a numeric text table, skipping one header line if there is one.

  Args:
    path: a text file of rows of numbers.
    n_columns: the number of leading columns to return.
    delimiter: None for any whitespace, or e.g. ','.

  Returns:
    float64 [n_rows, n_columns].

  Raises:
    UserError: missing file, text that is not numbers, or too few columns.
  """
  path = pathlib.Path(path)
  if not path.is_file():
    raise UserError(f'{path}: no such label file')
  try:
    text = path.read_text(encoding='utf-8', errors='replace')
    if not text.strip():
      raise UserError(f'{path}: empty label file')
    first = text.lstrip().split('\n', 1)[0].split(delimiter)[0].strip()
    has_header = bool(first) and not _is_number(first)
    with warnings.catch_warnings():
      # A header without rows: numpy warns 'input contained no data'; the
      # shape check below says so in one line instead.
      warnings.simplefilter('ignore', UserWarning)
      table = np.loadtxt(path, delimiter=delimiter,
                         skiprows=int(has_header), ndmin=2)
  except ValueError as e:
    raise UserError(f'{path}: not a table of numbers ({str(e).splitlines()[0]})') from None
  if table.shape[0] == 0 or table.shape[1] < n_columns:
    raise UserError(f'{path}: expected rows of {n_columns} numbers, found shape {table.shape}')
  return table[:, :n_columns]


def _is_number(text):
  try:
    float(text)
    return True
  except ValueError:
    return False


def source_hop_s(times_s):
  """The label grid's step, s (median, so one missing row does not change it)."""
  return float(np.median(np.diff(times_s)))


def resample_f0(track, query_s):
  """f0 at arbitrary times without smearing across voicing boundaries.

  A query between two voiced label frames (at most 1.5 grid steps apart) is
  interpolated linearly in log-frequency (pitch glides are linear in cents);
  any other query takes the voicing and value of its nearest label frame, if
  that frame is within half a grid step, and is unvoiced otherwise (outside the
  labelled span or in a hole of the label file). So a voiced/unvoiced boundary
  falls halfway between the two label frames either side of it, and no label
  is ever a blend of a pitch and 0.

  Args:
    track: F0Track on the dataset's grid.
    query_s: float [m] times, s.

  Returns:
    float32 [m] f0 in Hz, 0 = unvoiced.
  """
  times, f0 = track.times_s, track.f0_hz
  query = np.asarray(query_s, np.float64)
  n = len(times)
  half_step = source_hop_s(times) / 2
  right = np.searchsorted(times, query, side='right')  # first frame after q
  left = right - 1
  li, ri = np.clip(left, 0, n - 1), np.clip(right, 0, n - 1)
  d_left = np.where(left >= 0, query - times[li], np.inf)
  d_right = np.where(right < n, times[ri] - query, np.inf)
  nearest = np.where(d_left <= d_right, li, ri)
  close = np.minimum(d_left, d_right) <= half_step * (1 + 1e-6)
  voiced = f0 > 0
  out = np.where(voiced[nearest] & close, f0[nearest], 0.0)

  gap = times[ri] - times[li]
  between = ((left >= 0) & (right < n) & voiced[li] & voiced[ri]
             & (gap <= 3 * half_step * (1 + 1e-6)))
  weight = np.where(between, (query - times[li]) / np.where(gap > 0, gap, 1), 0)
  log_f0 = np.log2(np.where(voiced, f0, 1.0))  # 1.0: unused, avoids log(0)
  glide = np.exp2((1 - weight) * log_f0[li] + weight * log_f0[ri])
  return np.where(between, glide, out).astype(np.float32)
