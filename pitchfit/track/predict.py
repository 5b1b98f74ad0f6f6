"""Pitch of any audio in one call, and of audio files of any length.

    time, frequency, confidence = pitchfit.predict(audio, sample_rate)

As in CREPE: one row every `step_ms` (10 ms by default) at times 0, step,
2 step, ... (each the centre of the frame it describes), frequency in Hz on
every row (the model's best guess, also where it hears no pitch), and a voicing
confidence in [0, 1]; rows with confidence >= VOICING_THRESHOLD (0.5) are
voiced (see pitchfit.voicing for how it is calibrated).

How a signal of any length goes through a model with a fixed window:
  1. audio is mixed to mono and resampled to the model's 16 kHz;
  2. windows of the model's `n_samples` start every half window (rounded to
     whole frames), the first one half a window before time 0 (zeros there),
     so every frame is seen by two windows;
  3. each window's frames are weighted by a triangle (small at its edges,
     where the model lacks context, largest in its centre) and the
     overlapping windows are cross-faded: log-f0 and confidence are weighted
     means, so there are no seams at window boundaries; where two windows
     disagree on a frame's pitch by a semitone or more, the frame takes the
     window it is more central in instead of a mean neither window heard;
  4. steps 2-3 run twice, the second time on the audio delayed by half a
     model frame (256 samples), and the two passes' frames interleave: the
     model looks every 16 ms instead of every 32 ms (HALF_HOP; chosen on
     labelled melodies that are not evaluation data, see docs/usage.md);
  5. the frames are interpolated onto the output grid, f0 in log-frequency.

`StreamingTracker` does this incrementally, so files are read, resampled and
tracked block by block (`predict_file`): memory stays bounded however long
the file, and the CSV is written as rows become final.
"""

import math
import os
import pathlib
import sys
import types

import numpy as np

from pitchfit.io import atomic
from pitchfit.track import voicing
from pitchfit.errors import UserError

DEFAULT_MODEL_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                  'assets', 'default_model.npz')
DEFAULT_STEP_MS = 10.0
HALF_HOP = True           # second pass half a frame later (StreamingTracker)
VOICING_THRESHOLD = voicing.THRESHOLD
SAMPLE_RATE = 16000
BATCH_SIZE = 8            # windows per model call: bounded memory, good speed
BLOCK_SECONDS = 8.0       # seconds of the source file decoded per read
CSV_HEADER = 'time,frequency,confidence'
_NO_DEFAULT_MODEL = (
    'no default model is shipped with this version of pitchfit yet; pass '
    '--model PATH (model=PATH in Python), where PATH is a `pitchfit train` '
    'save dir or a model file written by `pitchfit export`')

_loaded_models = {}


# ------------------------------------------------------------------- models
def load_model(model=None):
  """A calibrated PitchModel from a path, a PitchModel, or None (the default).

  Models loaded from a path are kept, so repeated `predict` calls with the
  same path load it once (as CREPE does).

  Raises:
    UserError: no default model is shipped, or the path is not a model.
  """
  from pitchfit.track.pitch_model import PitchModel  # pylint: disable=g-import-not-at-top
  if isinstance(model, PitchModel):
    voicing.ensure_calibrated(model)
    return model
  if model is None:
    if not os.path.isfile(DEFAULT_MODEL_PATH):
      raise UserError(_NO_DEFAULT_MODEL)
    model = DEFAULT_MODEL_PATH
  path = os.path.abspath(os.fspath(model))
  if not os.path.exists(path):  # before the slow TensorFlow import
    raise UserError(f'{model}: no such model file or directory')
  key = _model_key(path)
  if key not in _loaded_models:
    from pitchfit.quiet import import_tensorflow  # pylint: disable=g-import-not-at-top
    import_tensorflow()
    loaded = PitchModel.load(os.fspath(model))
    if loaded.config.model.n_frames < 2:
      raise UserError(f'{model}: the model window has fewer than 2 frames')
    voicing.ensure_calibrated(loaded)
    while len(_loaded_models) >= 2:  # models hold up to hundreds of MB
      del _loaded_models[next(iter(_loaded_models))]
    _loaded_models[key] = loaded
  return _loaded_models[key]


def _model_key(path):
  """Identifies what a path loads: a save dir by its newest checkpoint."""
  from pitchfit.model import checkpoints  # pylint: disable=g-import-not-at-top
  if os.path.isdir(path):
    # Not the folder's mtime: writing voicing.yaml (or logs) changes it.
    path = checkpoints.latest(path) or path
  return (path, os.path.getmtime(path))


# ----------------------------------------------------------- the window run
def window_weights(n_frames):
  """Triangle [n_frames] peaking mid-window, > 0 everywhere.

  With windows half a window apart (n_frames even) two overlapping triangles
  sum to a constant, so a cross-fade never changes the level.
  """
  k = np.arange(n_frames, dtype=np.float64)
  return np.minimum(k + 0.5, n_frames - k - 0.5)


def frame_estimates(pitch_model, windows):
  """Runs the model on windows: (log_f0, confidence), each [b, n_frames].

  Args:
    pitch_model: a calibrated PitchModel (or any object with its interface).
    windows: float32 [b, n_samples] at 16 kHz.

  Returns:
    natural log of f0 in Hz, and voicing confidence in [0, 1].
  """
  outputs = pitch_model(windows)
  f0_hz = outputs['f0_hz'][..., 0]
  level_db = voicing.input_level_db(windows, pitch_model.hop_size,
                                    f0_hz.shape[1])
  confidence = voicing.confidence(voicing.frame_features(outputs),
                                  pitch_model.voicing, level_db)
  return np.log(np.maximum(f0_hz, 1e-3)), confidence


class _Stitcher:
  """Cross-fades per-window frame values into one frame sequence.

  Window i covers global frames [(i - 1) * half, (i - 1) * half + n_frames):
  the first window starts half a window before frame 0. Once window i is
  added, frames before the next window's first frame are final.

  Where the windows seeing a frame agree on its pitch (within
  AGREE_CENTS), the frame is their weighted mean; where they do not (one
  hears an octave or a neighbouring note the other does not), a mean would
  be a pitch neither heard, so the frame takes the window it is most central
  in. On synthetic test notes this beat both always-mean and always-central.
  """

  AGREE_CENTS = 100.0
  # Columns of _rows: weighted sums, then the most central window's values
  # and the range of log-f0 over the windows seen.
  _W_LOG_F0, _W_CONF, _W, _BEST_W, _BEST_LOG_F0, _BEST_CONF, _MIN, _MAX = range(8)

  def __init__(self, n_frames, half):
    self.weights = window_weights(n_frames)
    self.n_frames = n_frames
    self.half = half
    self.n_windows = 0
    self.base = -half                       # global frame of _rows[0]
    self._rows = np.zeros((0, 8))

  def _empty(self, n):
    rows = np.zeros((n, 8))
    rows[:, self._MIN], rows[:, self._MAX] = np.inf, -np.inf
    return rows

  def add(self, log_f0, confidence):
    """Adds one window's [n_frames] values; returns final frames.

    Returns:
      (first global frame index, log_f0 [n], confidence [n]); n may be 0.
    """
    start = (self.n_windows - 1) * self.half - self.base
    needed = start + self.n_frames - self._rows.shape[0]
    if needed > 0:
      self._rows = np.concatenate([self._rows, self._empty(needed)])
    w = self.weights
    rows = self._rows[start:start + self.n_frames]  # a view: updated in place
    rows[:, self._W_LOG_F0] += w * log_f0
    rows[:, self._W_CONF] += w * confidence
    rows[:, self._W] += w
    central = w > rows[:, self._BEST_W]
    rows[central, self._BEST_W] = w[central]
    rows[central, self._BEST_LOG_F0] = log_f0[central]
    rows[central, self._BEST_CONF] = confidence[central]
    rows[:, self._MIN] = np.minimum(rows[:, self._MIN], log_f0)
    rows[:, self._MAX] = np.maximum(rows[:, self._MAX], log_f0)
    self.n_windows += 1
    final_end = (self.n_windows - 1) * self.half  # next window's first frame
    n_final = final_end - self.base
    done, self._rows = self._rows[:n_final], self._rows[n_final:]
    first = self.base
    self.base = final_end
    if first < 0:  # frames before time 0 (the zero padding) are dropped
      done, first = done[-first:], 0
    agree = (done[:, self._MAX] - done[:, self._MIN]
             < self.AGREE_CENTS * np.log(2.0) / 1200.0)
    log_f0 = np.where(agree, done[:, self._W_LOG_F0] / done[:, self._W],
                      done[:, self._BEST_LOG_F0])
    confidence = np.where(agree, done[:, self._W_CONF] / done[:, self._W],
                          done[:, self._BEST_CONF])
    return first, log_f0, confidence


class _WindowPass:
  """Windows of the stream delayed by `delay` samples, stitched into frames.

  The pass's windows start every `stride` samples, the first at
  -(stride + delay) (zeros before the stream), so frame k of the pass is
  centred at (k * hop - delay) samples of the stream. Final frames wait in
  `pending` until the tracker turns them into rows.
  """

  def __init__(self, n_frames, hop, window, delay):
    half = n_frames // 2
    self.hop = hop
    self.window = window
    self.delay = delay
    self.stride = half * hop               # samples between window starts
    self.stitcher = _Stitcher(n_frames, half)
    self.next_start = -(self.stride + delay)  # stream sample of next window
    self.pending = []                      # (frame samples, log_f0, conf)
    self.final_until = -np.inf             # sample of the last final frame

  def windows_for(self, last_sample):
    """Windows needed in all for frames up to the one after last_sample."""
    last_frame = int((last_sample + self.delay) // self.hop) + 1
    return last_frame // self.stitcher.half + 2  # frames < (n-1)*half final

  def end_for(self, windows_needed):
    """The stream sample where the last needed window ends."""
    n_more = windows_needed - self.stitcher.n_windows
    return self.next_start + (n_more - 1) * self.stride + self.window

  def add(self, log_f0, confidence):
    """Stitches the estimates of this pass's next windows."""
    for i in range(log_f0.shape[0]):
      first, f, c = self.stitcher.add(log_f0[i], confidence[i])
      self.next_start += self.stride
      if f.size:
        samples = np.arange(first, first + f.size) * self.hop - self.delay
        self.pending.append((samples, f, c))
        self.final_until = samples[-1]


class StreamingTracker:
  """Incremental pitch tracking of a 16 kHz mono stream.

  tracker = StreamingTracker(model)
  for block in blocks: rows = tracker.push(block)   # lists of row chunks
  rows = tracker.finish()

  Each chunk is (time s, frequency Hz, confidence) float arrays; chunks
  follow each other on the output grid without gaps or repeats. Memory is
  bounded by a window, a batch and a block, whatever the stream's length.

  With `half_hop`, a second pass runs the same windows on the stream
  delayed by half a model frame, and the two passes' frames interleave:
  the model looks every hop / 2 (16 ms) instead of every hop (32 ms), at
  twice the compute, so a note change falls at most 8 ms from a frame
  instead of 16 (docs/usage.md). Both passes cut their windows from one
  buffer.
  """

  def __init__(self, pitch_model, step_ms=DEFAULT_STEP_MS,
               batch_size=BATCH_SIZE, half_hop=HALF_HOP):
    if not step_ms > 0:
      raise UserError(f'step must be positive, not {step_ms} ms')
    self.model = pitch_model
    self.step_s = step_ms / 1000.0
    self.batch_size = batch_size
    n_frames = pitch_model.config.model.n_frames
    hop = pitch_model.hop_size
    delays = (0, hop // 2) if half_hop else (0,)
    self._passes = [_WindowPass(n_frames, hop, pitch_model.n_samples, d)
                    for d in delays]
    self.n_samples = 0                     # real samples pushed so far
    # The buffer holds stream samples [_buffer_start, _buffer_start + size),
    # zeros before 0: from the earliest window any pass has still to run.
    self._buffer_start = min(p.next_start for p in self._passes)
    self._buffer = np.zeros(-self._buffer_start, np.float32)
    self._next_row = 0
    self._last_frame = None                # (sample, log_f0, conf), bridging

  def push(self, audio):
    """Adds float32 samples [n]; returns the row chunks now final."""
    audio = np.asarray(audio, np.float32).reshape(-1)
    self.n_samples += audio.size
    self._buffer = np.concatenate([self._buffer, audio])
    return self._run(last_row=None)

  def finish(self):
    """Ends the stream: pads with zeros and returns the remaining rows.

    The last row is the last grid time before the end of the audio (a
    stream of n > 0 samples gives ceil(n / step) rows).
    """
    if self.n_samples == 0:
      return []
    step_samples = self.step_s * self.model.sample_rate
    last_row = math.ceil(self.n_samples / step_samples - 1e-9) - 1
    return self._run(last_row=last_row)

  def _run(self, last_row):
    """Runs every complete window (all needed ones at the end) into rows."""
    buffer_end = self._buffer_start + self._buffer.size
    needed = [None] * len(self._passes)
    if last_row is not None:
      last_sample = last_row * self.step_s * self.model.sample_rate
      needed = [p.windows_for(last_sample) for p in self._passes]
      end = max(p.end_for(n) for p, n in zip(self._passes, needed))
      if end > buffer_end:
        self._buffer = np.concatenate(
            [self._buffer, np.zeros(end - buffer_end, np.float32)])
        buffer_end = end
    for p, n in zip(self._passes, needed):
      while True:
        starts = []
        while (len(starts) < self.batch_size
               and p.next_start + len(starts) * p.stride + p.window <= buffer_end
               and (n is None or p.stitcher.n_windows + len(starts) < n)):
          starts.append(p.next_start + len(starts) * p.stride)
        if not starts or (len(starts) < self.batch_size and last_row is None):
          break  # a partial batch waits for more audio
        at = np.asarray(starts) - self._buffer_start
        windows = np.stack([self._buffer[i:i + p.window] for i in at])
        p.add(*frame_estimates(self.model, windows))
    keep_from = min(p.next_start for p in self._passes)
    self._buffer = self._buffer[keep_from - self._buffer_start:].copy()
    self._buffer_start = keep_from
    return self._rows(last_row)

  def _rows(self, last_row):
    """Interpolates the passes' final frames onto the output grid.

    Rows are made up to the earliest pass's last final frame (all frames at
    the end), so frames of every pass are in before a row is interpolated.
    """
    until = np.inf if last_row is not None else min(
        p.final_until for p in self._passes)
    parts = []
    for p in self._passes:
      keep = []
      for samples, f, c in p.pending:
        ready = samples <= until
        parts.append((samples[ready], f[ready], c[ready]))
        if not ready.all():
          keep.append((samples[~ready], f[~ready], c[~ready]))
      p.pending = keep
    if self._last_frame is not None:
      parts.append(tuple(np.array([v]) for v in self._last_frame))
    samples = np.concatenate([x[0] for x in parts]) if parts else np.zeros(0)
    if not samples.size:
      return []
    order = np.argsort(samples, kind='stable')
    samples = samples[order]
    log_f0 = np.concatenate([x[1] for x in parts])[order]
    confidence = np.concatenate([x[2] for x in parts])[order]
    self._last_frame = (samples[-1], log_f0[-1], confidence[-1])
    frame_times = samples / self.model.sample_rate
    end = int(math.floor(frame_times[-1] / self.step_s + 1e-9))
    if last_row is not None:
      end = min(end, last_row)
    rows = np.arange(self._next_row, end + 1)
    self._next_row = max(self._next_row, end + 1)
    if not rows.size:
      return []
    times = rows * self.step_s
    frequency = np.exp(np.interp(times, frame_times, log_f0))
    conf = np.interp(times, frame_times, confidence)
    return [(times, frequency.astype(np.float32), conf.astype(np.float32))]


# ------------------------------------------------------------ the one call
def to_mono(audio):
  """[n] or [n, channels] -> float32 [n] (channels averaged)."""
  audio = np.asarray(audio, np.float32)
  if audio.ndim == 2:
    audio = audio.mean(axis=1)
  elif audio.ndim != 1:
    raise UserError(f'audio must be [n] or [n, channels], not {audio.shape}')
  return audio


def predict(audio, sample_rate, model=None, step_ms=DEFAULT_STEP_MS,
            batch_size=BATCH_SIZE, half_hop=HALF_HOP):
  """Pitch of a signal, CREPE-style.

  Args:
    audio: float [n] or [n, channels] (channels are averaged), any rate.
    sample_rate: of `audio`, Hz.
    model: a `pitchfit train` save dir, an exported model file, a loaded
      PitchModel, or None for the shipped default model.
    step_ms: output hop in milliseconds.
    batch_size: model windows per call.
    half_hop: also run the model half a frame later and interleave, so it
      looks every 16 ms instead of 32 (twice the compute).

  Returns:
    (time [r] s, frequency [r] Hz, confidence [r] in 0..1), r = one row per
    step before the end of the audio; voiced where confidence >= 0.5.

  Raises:
    UserError: no model, or the audio has NaN or infinite samples.
  """
  audio = to_mono(audio)
  if not np.all(np.isfinite(audio)):
    raise UserError('audio contains NaN or infinite samples')
  pitch_model = load_model(model)
  if sample_rate != pitch_model.sample_rate and audio.size:
    import soxr  # pylint: disable=g-import-not-at-top
    audio = soxr.resample(audio, sample_rate, pitch_model.sample_rate,
                          quality='HQ')
  tracker = StreamingTracker(pitch_model, step_ms, batch_size, half_hop)
  chunks = tracker.push(audio) + tracker.finish()
  return _concatenate(chunks)


def _concatenate(chunks):
  if not chunks:
    return (np.zeros(0), np.zeros(0, np.float32), np.zeros(0, np.float32))
  return tuple(np.concatenate([c[i] for c in chunks]) for i in range(3))


# ------------------------------------------------------------ audio files
def read_blocks(path, sample_rate=SAMPLE_RATE, block_seconds=BLOCK_SECONDS):
  """Decodes a file block by block as float32 mono at sample_rate.

  Any format libsndfile reads (wav, flac, ogg, mp3, aiff), any rate and
  channel count (averaged to mono). Resampling is streamed with soxr, so
  memory is one block whatever the file's length.

  Yields:
    float32 [n] blocks; together the whole file.

  Raises:
    UserError (one line, naming the file): missing, empty, unreadable or
    truncated-beyond-decoding files, no samples, NaN or infinite samples
    (rejected rather than silently zeroed: they mean a broken file or a
    broken upstream process).
  """
  import soundfile  # pylint: disable=g-import-not-at-top
  from pitchfit.io import audio as audio_io  # pylint: disable=g-import-not-at-top
  path = pathlib.Path(path)
  rate, _, _ = audio_io.probe_audio(path)
  if rate is None:  # no MP3 in this libsndfile: decode whole via audio_io
    yield audio_io.load_audio(path, sample_rate)
    return
  resampler = None
  if rate != sample_rate:
    import soxr  # pylint: disable=g-import-not-at-top
    resampler = soxr.ResampleStream(rate, sample_rate, 1, dtype='float32',
                                    quality='HQ')
  block_frames = max(1, int(block_seconds * rate))
  n_read = 0
  try:
    source = soundfile.SoundFile(str(path))
  except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as e:
    raise UserError(f'{path}: not a readable audio file ({_reason(e)})') from None
  with source:
    while True:
      try:
        block = source.read(block_frames, dtype='float32', always_2d=True)
      except (soundfile.LibsndfileError, RuntimeError, ValueError) as e:
        raise UserError(f'{path}: cannot decode audio after {n_read / rate:.2f}'
                        f' s, corrupt or truncated ({_reason(e)})') from None
      if block.shape[0] == 0:
        break
      mono = block.mean(axis=1)
      bad = ~np.isfinite(mono)
      if bad.any():
        at = (n_read + int(np.argmax(bad))) / rate
        raise UserError(f'{path}: contains NaN or infinite samples (first at '
                        f'{at:.3f} s)')
      n_read += mono.size
      if resampler is not None:
        mono = resampler.resample_chunk(mono, last=False)
      if mono.size:
        yield mono
  if n_read == 0:
    raise UserError(f'{path}: no audio samples')
  if resampler is not None:
    tail = resampler.resample_chunk(np.zeros(0, np.float32), last=True)
    if tail.size:
      yield tail


def _reason(error):
  text = str(error).strip()
  return text.splitlines()[0] if text else type(error).__name__


def track_file(path, pitch_model, step_ms=DEFAULT_STEP_MS, on_audio=None,
               half_hop=HALF_HOP):
  """Tracks a file block by block.

  Args:
    path: an audio file.
    pitch_model: a calibrated PitchModel.
    step_ms: output hop.
    on_audio: optional callable receiving each 16 kHz block (e.g. to keep
      the start of the audio for a plot).
    half_hop: see predict().

  Yields:
    (time, frequency, confidence) row chunks, in order.
  """
  tracker = StreamingTracker(pitch_model, step_ms, half_hop=half_hop)
  for block in read_blocks(path, pitch_model.sample_rate):
    if on_audio is not None:
      on_audio(block)
    yield from tracker.push(block)
  yield from tracker.finish()


# ------------------------------------------------------------ writing rows
def write_rows_csv(chunks, path):
  """Streams row chunks into a `time,frequency,confidence` CSV, atomically.

  Returns the number of rows.
  """
  n = 0
  with atomic.atomic_open(path) as f:
    f.write(CSV_HEADER + '\n')
    for times, frequency, confidence in chunks:
      np.savetxt(f, np.stack([times, frequency, confidence], axis=-1),
                 fmt=('%.5f', '%.3f', '%.4f'), delimiter=',')
      n += times.size
  return n


def write_rows_npz(chunks, path):
  """Writes time, frequency, confidence arrays (and the threshold) as .npz."""
  times, frequency, confidence = _concatenate(list(chunks))
  with atomic.atomic_open(path, 'wb') as f:
    np.savez(f, time=times, frequency=frequency, confidence=confidence,
             voicing_threshold=np.float32(VOICING_THRESHOLD))
  return times.size


def read_rows_csv(path):
  """Reads a `time,frequency,confidence` CSV back: three float arrays."""
  rows = np.loadtxt(path, delimiter=',', skiprows=1, ndmin=2)
  return rows[:, 0], rows[:, 1], rows[:, 2]


# ------------------------------------------------------------ many files
PLOT_MAX_SECONDS = 120.0  # a plot shows at most a file's first 2 min


def output_path(audio_path, root, output_dir, suffix):
  """Where the result for audio_path goes.

  Beside the audio file without output_dir (as CREPE does); with it,
  output_dir/<stem><suffix>, keeping the sub-folders below `root` (the
  folder the file was found in by searching it, None for a file named
  directly), so same-named files in different folders do not collide.
  """
  audio_path = pathlib.Path(audio_path)
  name = audio_path.stem + suffix
  if output_dir is None:
    return audio_path.with_name(name)
  output_dir = pathlib.Path(output_dir)
  if root is not None:
    relative = audio_path.relative_to(root).parent
    return output_dir / relative / name
  return output_dir / name


def predict_file(path, out_path, pitch_model, step_ms=DEFAULT_STEP_MS,
                 fmt='csv', plot_path=None, half_hop=HALF_HOP):
  """Tracks one file into out_path (csv or npz), optionally plotting it.

  Nothing is left half-written: outputs go to a temporary name and are
  renamed when complete (a failure removes them).

  Returns:
    (seconds of audio, number of rows).

  Raises:
    UserError naming the file and the problem.
  """
  kept = []
  n_samples = [0, 0]  # decoded, kept for the plot
  max_kept = int(PLOT_MAX_SECONDS * pitch_model.sample_rate)

  def on_audio(block):
    n_samples[0] += block.size
    if plot_path is not None and n_samples[1] < max_kept:
      kept.append(block[:max_kept - n_samples[1]])
      n_samples[1] += kept[-1].size

  os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
  chunks = track_file(path, pitch_model, step_ms, on_audio=on_audio,
                      half_hop=half_hop)
  rows = []
  if plot_path is not None:  # the plot needs the rows of its first minutes
    chunks = _tee_rows(chunks, rows, PLOT_MAX_SECONDS)
  write = write_rows_npz if fmt == 'npz' else write_rows_csv
  n_rows = write(chunks, out_path)
  if plot_path is not None:
    _plot(path, np.concatenate(kept) if kept else np.zeros(0, np.float32),
          pitch_model.sample_rate, _concatenate(rows), plot_path)
  return n_samples[0] / pitch_model.sample_rate, n_rows


def _tee_rows(chunks, store, max_seconds):
  for chunk in chunks:
    if chunk[0][0] < max_seconds:
      keep = chunk[0] < max_seconds
      store.append(tuple(a[keep] for a in chunk))
    yield chunk


def _plot(path, audio, sample_rate, rows, plot_path):
  from pitchfit.io import plots  # pylint: disable=g-import-not-at-top
  times, frequency, confidence = rows
  title = pathlib.Path(path).name
  if audio.size >= PLOT_MAX_SECONDS * sample_rate:
    title += f' (first {PLOT_MAX_SECONDS:.0f} s)'
  # Written to a temporary name and renamed by plots, like the CSV.
  plots.plot_f0_over_spectrogram(audio, sample_rate, times, frequency,
                                 plot_path, confidence=confidence, title=title)


class _CallableModule(types.ModuleType):
  """Lets `pitchfit.predict(audio, sr)` call the function of the same name.

  A package attribute and its submodule share one name: importing
  pitchfit/predict.py sets `pitchfit.predict` to this module, so the module
  itself is made callable rather than shadowed by (or shadowing) a function.
  """

  def __call__(self, *args, **kwargs):
    return predict(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
