"""Audio files: reading any format, rate and channel count -> 16 kHz mono; writing WAV.

Shared by the real-audio TFDS builders and `pitchfit predict`. Errors that are
the user's to fix (a missing, empty, corrupt or unreadable file) are raised as
`UserError` with a one-line message naming the file, so a CLI prints one line
and a dataset builder can log the file and skip it.

No TensorFlow here: the CLI imports this module before deciding to load TF.
"""

import pathlib

import numpy as np
import soundfile

from pitchfit.io import atomic
from pitchfit.errors import UserError

# Lower-case suffixes read by `load_audio` (libsndfile >= 1.1 reads MP3 too).
AUDIO_EXTENSIONS = ('.wav', '.flac', '.ogg', '.mp3', '.aif', '.aiff')

DEFAULT_SAMPLE_RATE = 16000
# soxr's high-quality preset: steep anti-aliasing, linear phase (so labels stay
# aligned with audio), and fast enough to resample hours of 44.1/48 kHz audio.
SOXR_QUALITY = 'HQ'


def is_audio_file(path):
  """True if `path` has one of AUDIO_EXTENSIONS (case-insensitive)."""
  return pathlib.Path(path).suffix.lower() in AUDIO_EXTENSIONS


def _is_hidden(path, root):
  """Dot-files and `__MACOSX` folders are archive debris (e.g. `._a.wav`)."""
  parts = pathlib.Path(path).relative_to(root).parts
  return any(p.startswith('.') or p == '__MACOSX' for p in parts)


def find_audio_files(paths):
  """Audio files named by `paths` (files or folders, searched recursively).

  Args:
    paths: a path or an iterable of paths (str or pathlib.Path).

  Returns:
    Sorted list of unique `pathlib.Path`s with an audio extension; hidden files
    and `__MACOSX` folders inside a folder are left out. May be empty.

  Raises:
    UserError: a path does not exist, or names a file that is not audio.
  """
  if isinstance(paths, (str, pathlib.PurePath)):
    paths = [paths]
  found = set()
  for path in map(pathlib.Path, paths):
    if path.is_dir():
      found.update(p for p in path.rglob('*')
                   if p.is_file() and is_audio_file(p) and not _is_hidden(p, path))
    elif path.is_file():
      if not is_audio_file(path):
        raise UserError(f'{path}: not an audio file (expected one of '
                        f'{", ".join(AUDIO_EXTENSIONS)})')
      found.add(path)
    else:
      raise UserError(f'{path}: no such file or folder')
  return sorted(found)


def _check_file(path):
  """Raises UserError if `path` is not a non-empty file."""
  if not path.is_file():
    raise UserError(f'{path}: no such file')
  if path.stat().st_size == 0:
    raise UserError(f'{path}: empty file (0 bytes)')


def probe_audio(path):
  """Reads only the header: (sample_rate Hz, n_frames, n_channels).

  Cheap check before decoding many files; corrupt data after a valid header
  is only found by `load_audio`.

  Raises:
    UserError: missing, empty or unreadable file, or no samples.
  """
  path = pathlib.Path(path)
  _check_file(path)
  if path.suffix.lower() == '.mp3' and 'MP3' not in soundfile.available_formats():
    return None, None, None  # Only audioread can tell; load_audio will.
  try:
    info = soundfile.info(str(path))
  except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as e:
    reason = str(e).splitlines()[0] if str(e) else type(e).__name__
    raise UserError(f'{path}: not a readable audio file ({reason})') from None
  if info.frames == 0:
    raise UserError(f'{path}: no audio samples')
  return info.samplerate, info.frames, info.channels


def _read(path):
  """Decodes a file into float32 [n_samples, n_channels] and its rate in Hz."""
  try:
    samples, rate = soundfile.read(str(path), dtype='float32', always_2d=True)
  except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as e:
    if path.suffix.lower() == '.mp3' and 'MP3' not in soundfile.available_formats():
      return _read_with_audioread(path)
    reason = str(e).splitlines()[0] if str(e) else type(e).__name__
    raise UserError(f'{path}: not a readable audio file ({reason})') from None
  return samples, rate


def _read_with_audioread(path):
  """MP3 fallback for libsndfile < 1.1 (librosa -> audioread, needs ffmpeg)."""
  import librosa  # pylint: disable=g-import-not-at-top
  try:
    samples, rate = librosa.load(str(path), sr=None, mono=False, dtype=np.float32)
  except Exception as e:  # audioread raises many unrelated types.
    raise UserError(f'{path}: cannot decode MP3 ({type(e).__name__}: {e})') from None
  return np.atleast_2d(samples).T, rate


def resample(audio, source_rate, target_rate=DEFAULT_SAMPLE_RATE):
  """Resamples float audio [n] or [n, channels] along axis 0 with soxr.

  The one resampling path of pitchfit (files, arrays, datasets): soxr's
  high-quality preset, as librosa's 'soxr_hq' calls it, without importing
  librosa.
  """
  if source_rate == target_rate:
    return audio
  import soxr  # pylint: disable=g-import-not-at-top
  audio = np.asarray(audio, np.float32)
  if audio.size == 0:
    return audio
  return soxr.resample(audio, source_rate, target_rate, quality=SOXR_QUALITY)


def resample_stream(source_rate, target_rate):
  """A soxr.ResampleStream (mono float32) for block-wise reading, or None
  when the rates are equal. Same filter as resample()."""
  if source_rate == target_rate:
    return None
  import soxr  # pylint: disable=g-import-not-at-top
  return soxr.ResampleStream(source_rate, target_rate, 1, dtype='float32',
                             quality=SOXR_QUALITY)


def load_audio(path, sample_rate=DEFAULT_SAMPLE_RATE, channel=None):
  """Reads an audio file as mono float32 at `sample_rate`.

  Args:
    path: a wav/flac/ogg/mp3/aiff file at any sample rate and channel count.
    sample_rate: output rate in Hz.
    channel: index of the channel to keep (0 = left); None mixes all channels
      to mono by their mean.

  Returns:
    np.float32 [n_samples] at `sample_rate`, nominally in [-1, 1].

  Raises:
    UserError: the file is missing, empty, corrupt or unreadable, has no
      samples or non-finite ones, or lacks the requested channel. The message
      is one line and names the file.
  """
  path = pathlib.Path(path)
  _check_file(path)
  samples, rate = _read(path)
  if samples.shape[0] == 0:
    raise UserError(f'{path}: no audio samples')
  n_channels = samples.shape[1]
  if channel is None:
    mono = samples.mean(axis=1)
  elif 0 <= channel < n_channels:
    mono = samples[:, channel]
  else:
    raise UserError(f'{path}: has {n_channels} channel(s), no channel {channel}')
  if not np.all(np.isfinite(mono)):
    raise UserError(f'{path}: contains NaN or infinite samples')
  mono = resample(np.ascontiguousarray(mono), rate, sample_rate)
  return np.ascontiguousarray(mono, dtype=np.float32)


def write_wav(path, audio, sample_rate):
  """Writes float audio [n] in [-1, 1] as a 16-bit WAV, atomically.

  Samples beyond full scale are the caller's to handle (clip or scale):
  libsndfile would clip them silently.
  """
  with atomic.atomic_path(path) as temporary:
    soundfile.write(temporary, audio, sample_rate, subtype='PCM_16',
                    format='WAV')
