"""Tracking audio files: streamed decoding, and the files `pitchfit predict` writes.

Files are read, resampled and tracked block by block: memory stays bounded
however long the file, and the CSV is written as rows become final. Options
that need the whole track at once (--viterbi, --notes, --midi, the
activation in npz) keep the file's rows in memory instead (about 1 KB a
second of audio with the posterior).

Many files are tracked side by side (`map_files`): one thread per CPU, each
with its own one-thread LiteRT interpreter. A 3-s file is one model call,
and splitting one call over two threads gains less than giving each thread
its own file (measured on 40 files of 3 s, two cores: 0.0104 against 0.0140
times real time).

Outputs per audio file, each written atomically:
  <stem>.f0.csv   time,frequency,confidence (or <stem>.f0.npz with --format
                  npz: the same arrays, `voiced`, the threshold, and with
                  the activation the f0 posterior [rows, bins] and its bins)
  <stem>.f0.png   the f0 track over a spectrogram (--plot)
  <stem>.notes.csv, <stem>.mid   notes (--notes, --midi)
"""

import collections
import itertools
import os
import pathlib
import threading

import numpy as np

from pitchfit.errors import UserError
from pitchfit.io import atomic
from pitchfit.io import audio as audio_io
from pitchfit.track import predict as predict_lib
from pitchfit.track import streaming

BLOCK_SECONDS = 8.0       # seconds of the source file decoded per read
MAX_WORKERS = 4           # files tracked side by side, at most
CSV_HEADER = 'time,frequency,confidence'
CSV_ROW = '%.5f,%.3f,%.4f\n'
PLOT_MAX_SECONDS = 120.0  # a plot shows at most a file's first 2 min


# ------------------------------------------------------------ reading audio
def read_blocks(path, sample_rate, block_seconds=BLOCK_SECONDS):
  """Decodes a file block by block as float32 mono at sample_rate.

  Any format libsndfile reads (wav, flac, ogg, mp3, aiff), any rate and
  channel count (averaged to mono). Resampling is streamed with soxr at the
  quality pitchfit.io.audio uses, so memory is one block whatever the
  file's length.

  Yields:
    float32 [n] blocks; together the whole file.

  Raises:
    UserError (one line, naming the file): missing, empty, unreadable or
    truncated-beyond-decoding files, no samples, NaN or infinite samples
    (rejected rather than silently zeroed: they mean a broken file or a
    broken upstream process).
  """
  import soundfile  # pylint: disable=g-import-not-at-top
  path = pathlib.Path(path)
  rate, _, _ = audio_io.probe_audio(path)
  if rate is None:  # no MP3 in this libsndfile: decode whole via audio_io
    yield audio_io.load_audio(path, sample_rate)
    return
  resampler = audio_io.resample_stream(rate, sample_rate)
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


def track_file(path, pitch_model, options=None, on_audio=None,
               posterior=False):
  """Tracks a file block by block.

  Args:
    path: an audio file.
    pitch_model: a calibrated model (predict.load_model).
    options: predict.Options (None: the defaults).
    on_audio: optional callable receiving each block at the model's rate
      (e.g. to keep the start of the audio for a plot).
    posterior: also yield the f0 posterior of each row.

  Yields:
    (time, frequency, confidence[, posterior]) row chunks, in order.
  """
  options = options or predict_lib.Options()
  tracker = predict_lib.tracker_for(pitch_model, options, posterior)
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
    for chunk in chunks:
      times, frequency, confidence = chunk[:3]
      # One format string over Python floats: the same text as np.savetxt
      # at a third of its time (it formats row by row through arrays).
      f.write(''.join(map(CSV_ROW.__mod__, zip(
          times.tolist(), frequency.tolist(), confidence.tolist()))))
      n += times.size
  return n


def write_track_npz(track, path, bins_hz=None):
  """Writes a predict.Track as .npz: time, frequency, confidence, voiced,
  voicing_threshold, and activation [rows, bins] + activation_bins_hz when
  the track has one."""
  arrays = dict(time=track.time, frequency=track.frequency,
                confidence=track.confidence, voiced=track.voiced,
                voicing_threshold=np.float32(track.voicing_threshold))
  if track.activation is not None:
    arrays['activation'] = track.activation
    if bins_hz is not None:
      arrays['activation_bins_hz'] = np.asarray(bins_hz, np.float32)
  with atomic.atomic_open(path, 'wb') as f:
    np.savez(f, **arrays)
  return track.time.size


def read_rows_csv(path):
  """Reads a `time,frequency,confidence` CSV back: three float arrays."""
  rows = np.loadtxt(path, delimiter=',', skiprows=1, ndmin=2)
  return rows[:, 0], rows[:, 1], rows[:, 2]


# ------------------------------------------------------------ many files
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


def predict_file(path, out_path, pitch_model, options=None, fmt='csv',
                 plot_path=None, notes_path=None, midi_path=None,
                 activation=False):
  """Tracks one file into out_path (csv or npz), with optional extras.

  Args:
    path: the audio file.
    out_path: the f0 CSV or npz.
    pitch_model: a calibrated model.
    options: predict.Options (step, passes, range, Viterbi, threshold).
    fmt: 'csv' or 'npz'.
    plot_path, notes_path, midi_path: where to write the picture, the notes
      CSV and the MIDI file (None: not written).
    activation: store the f0 posterior in the npz.

  Nothing is left half-written: outputs go to a temporary name and are
  renamed when complete (a failure removes them).

  Returns:
    (seconds of audio, number of rows).

  Raises:
    UserError naming the file and the problem.
  """
  options = options or predict_lib.Options()
  kept = []
  n_samples = [0, 0]  # decoded, kept for the plot
  max_kept = int(PLOT_MAX_SECONDS * pitch_model.sample_rate)

  def on_audio(block):
    n_samples[0] += block.size
    if plot_path is not None and n_samples[1] < max_kept:
      kept.append(block[:max_kept - n_samples[1]])
      n_samples[1] += kept[-1].size

  os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
  want_posterior = activation and fmt == 'npz'
  whole = (fmt == 'npz' or options.viterbi or notes_path is not None
           or midi_path is not None)
  chunks = track_file(path, pitch_model, options, on_audio=on_audio,
                      posterior=want_posterior or options.viterbi)
  track = None
  if whole:
    track = predict_lib.finish_track(list(chunks), pitch_model, options,
                                     keep_activation=want_posterior)
    if fmt == 'npz':
      n_rows = write_track_npz(track, out_path,
                               streaming.f0_bins_hz(pitch_model.config.model))
    else:
      n_rows = write_rows_csv([track[:3]], out_path)
  else:
    rows = []
    if plot_path is not None:  # the plot needs the rows of its first minutes
      chunks = _tee_rows(chunks, rows, PLOT_MAX_SECONDS)
    n_rows = write_rows_csv(chunks, out_path)
    track = predict_lib.finish_track(rows, pitch_model, options)
  found_notes = None
  if notes_path is not None or midi_path is not None:
    found_notes = predict_lib.notes_of(track, options)
    from pitchfit.track import notes as notes_lib  # pylint: disable=g-import-not-at-top
    if notes_path is not None:
      notes_lib.write_notes_csv(found_notes, notes_path)
    if midi_path is not None:
      notes_lib.write_midi(found_notes, midi_path)
  if plot_path is not None:
    audio = np.concatenate(kept) if kept else np.zeros(0, np.float32)
    _plot(path, audio, pitch_model.sample_rate, track, plot_path,
          found_notes)
  return n_samples[0] / pitch_model.sample_rate, n_rows


def default_workers(pitch_model, n_files, asked=None):
  """Files to track side by side.

  `asked` (the CLI's --jobs) or one per CPU, at most MAX_WORKERS, never more
  than the files; always one for a model that cannot be copied per thread
  (TensorFlow spreads one call over the CPUs itself).
  """
  if not hasattr(pitch_model, 'copy'):
    return 1
  if asked is None:
    from pitchfit.track import litert_model  # pylint: disable=g-import-not-at-top
    asked = min(MAX_WORKERS, litert_model.default_num_threads())
  return max(1, min(asked, n_files))


def map_files(function, items, pitch_model, workers=1):
  """function(item, model) for every item, `workers` at a time, in order.

  With workers > 1 each thread tracks with its own copy of the model (one
  interpreter thread each); the copies are made here, in the calling thread.
  At most twice as many items as workers are queued, so stopping early (an
  interrupt, a closed generator) waits for those only.

  Yields:
    (item, outcome): the function's return value, or the Exception it
    raised, so that one bad file does not stop the others.
  """
  def call(item, model):
    try:
      return function(item, model)
    except Exception as e:  # pylint: disable=broad-except
      return e

  if workers <= 1:
    for item in items:
      yield item, call(item, pitch_model)
    return
  import concurrent.futures  # pylint: disable=g-import-not-at-top
  import queue  # pylint: disable=g-import-not-at-top
  models = queue.SimpleQueue()
  for _ in range(workers):
    models.put(pitch_model.copy(num_threads=1))
  local = threading.local()

  def run(item):
    if not hasattr(local, 'model'):
      local.model = models.get()
    return call(item, local.model)

  pending = collections.deque()
  items = iter(items)
  with concurrent.futures.ThreadPoolExecutor(workers) as pool:
    try:
      while True:
        for item in itertools.islice(items, 2 * workers - len(pending)):
          pending.append((item, pool.submit(run, item)))
        if not pending:
          return
        item, future = pending.popleft()
        yield item, future.result()
    finally:
      for _, future in pending:
        future.cancel()


_PLOT_LOCK = threading.Lock()  # Matplotlib's font and text caches are shared


def _tee_rows(chunks, store, max_seconds):
  for chunk in chunks:
    if chunk[0].size and chunk[0][0] < max_seconds:
      keep = chunk[0] < max_seconds
      store.append(tuple(a[keep] for a in chunk))
    yield chunk


def _plot(path, audio, sample_rate, track, plot_path, found_notes):
  from pitchfit.io import plots  # pylint: disable=g-import-not-at-top
  keep = track.time < PLOT_MAX_SECONDS
  title = pathlib.Path(path).name
  if audio.size >= PLOT_MAX_SECONDS * sample_rate:
    title += f' (first {PLOT_MAX_SECONDS:.0f} s)'
  # Written to a temporary name and renamed by plots, like the CSV.
  with _PLOT_LOCK:
    plots.plot_f0_over_spectrogram(
        audio, sample_rate, track.time[keep], track.frequency[keep],
        plot_path, confidence=track.confidence[keep], title=title,
        voicing_threshold=track.voicing_threshold, notes=found_notes)
