"""`pitchfit evaluate`: pitch accuracy against f0 labels, with mir_eval.melody.

Metrics (50-cent tolerance, all from `mir_eval.melody`):
  * rpa, rca: raw pitch / raw chroma accuracy over the reference's voiced
    frames, whatever the model's voicing (the estimate is given the
    reference's voicing: the papers' "oracle voicing", reference section 8).
  * voicing_recall, voicing_false_alarm, overall_accuracy: with the model's
    own voicing, confidence >= pitchfit.voicing.THRESHOLD.
Each per file (or example), pooled over all frames, and (for datasets, the
papers' figure) averaged over examples. A score that is undefined (RPA of a
clip with no voiced reference frame) is NaN and left out of the means.

Two sources of labelled audio:
  * a folder: every `<stem>.wav|flac|...` with a `<stem>.f0.csv` beside it
    (header `time_s,f0_hz`, 0 = unvoiced). The model runs on the whole file
    as `pitchfit predict` does; its frames are interpolated (log-frequency)
    onto the reference's own times.
  * a TFDS dataset 'name[/config]:split', as the paper evaluates: real-audio
    builders give 4-s examples with labels at 250 frames/s, read at the
    model's frame times (every 8th label); examples without a confident label
    (max f0_confidence < 0.85) are skipped. `synthetic_notes` examples are
    rendered from their controls, cut into model windows and run one window
    at a time; a frame is voiced where its true harmonic amplitude reaches the
    training loss's amp_threshold.

`--baseline pyin` runs librosa's pYIN on the same audio in the same run; its
voicing is its own HMM decision and its unvoiced frames carry its best f0
guess (fill_na=None), so the oracle-voicing RPA applies to it too.
"""

import dataclasses
import math
import pathlib
import warnings

import numpy as np

from pitchfit.track import voicing
from pitchfit.errors import UserError
from pitchfit.io import labels

CENT_TOLERANCE = 50.0
MIN_F0_CONFIDENCE = 0.85       # the paper's example gate on label confidence
METRICS = ('rpa', 'rca', 'voicing_recall', 'voicing_false_alarm',
           'overall_accuracy')
PYIN_FMIN_HZ = 32.7            # C1, the synthetic notes' lowest pitch
PYIN_FMAX_HZ = 1200.0          # the model's f0_hz_max
PYIN_HOP = 160                 # 10 ms at 16 kHz
PYIN_FRAME = 1024              # 64 ms, as bench/accuracy.py runs pYIN (2048 scored pYIN lower)


# ------------------------------------------------------------------ frames
@dataclasses.dataclass
class Frames:
  """Reference and estimate on one time grid, as mir_eval wants them.

  ref_voicing, est_voicing: float 0/1 [n]; ref_cent, est_cent: cents re
  10 Hz [n] (0 where there is no frequency).
  """
  ref_voicing: np.ndarray
  ref_cent: np.ndarray
  est_voicing: np.ndarray
  est_cent: np.ndarray

  @classmethod
  def concatenate(cls, frames):
    return cls(*[np.concatenate([getattr(f, k.name) for f in frames])
                 for k in dataclasses.fields(cls)])


def to_frames(ref_time, ref_f0, est_f0, est_voiced):
  """Reference and estimate sampled at the reference's times -> Frames.

  Args:
    ref_time: [n] s; ref_f0: [n] Hz, 0 = unvoiced.
    est_f0: [n] Hz at ref_time (> 0 everywhere: the estimate always has a
      guess, which the oracle-voicing scores need).
    est_voiced: bool [n].
  """
  with warnings.catch_warnings():
    warnings.simplefilter('ignore', UserWarning)  # no voiced frames: fine
    ref_v, ref_c, est_v, est_c = _mir_eval().to_cent_voicing(
        np.asarray(ref_time, np.float64), np.asarray(ref_f0, np.float64),
        np.asarray(ref_time, np.float64), np.asarray(est_f0, np.float64),
        est_voicing=np.asarray(est_voiced, np.float64))
  return Frames(ref_v, ref_c, est_v, est_c)


def scores(frames):
  """The metrics of Frames -> {name: float} (NaN where undefined)."""
  melody = _mir_eval()
  ref_v, ref_c, est_v, est_c = (frames.ref_voicing, frames.ref_cent,
                                frames.est_voicing, frames.est_cent)
  n_voiced = int(np.sum(ref_v > 0))
  n_unvoiced = int(ref_v.size - n_voiced)
  nan = float('nan')
  with warnings.catch_warnings():
    # mir_eval warns about melodies without voiced frames; here those
    # scores are NaN instead (below).
    warnings.simplefilter('ignore', UserWarning)
    # Oracle voicing: the estimate is voiced exactly where the reference is.
    rpa = melody.raw_pitch_accuracy(ref_v, ref_c, ref_v, est_c, CENT_TOLERANCE)
    rca = melody.raw_chroma_accuracy(ref_v, ref_c, ref_v, est_c, CENT_TOLERANCE)
    recall, false_alarm = melody.voicing_measures(ref_v, est_v)
    overall = melody.overall_accuracy(ref_v, ref_c, est_v, est_c,
                                      CENT_TOLERANCE)
  return {
      'rpa': float(rpa) if n_voiced else nan,
      'rca': float(rca) if n_voiced else nan,
      'voicing_recall': float(recall) if n_voiced else nan,
      'voicing_false_alarm': float(false_alarm) if n_unvoiced else nan,
      'overall_accuracy': float(overall) if ref_v.size else nan,
      'n_frames': int(ref_v.size),
      'n_voiced': n_voiced,
  }


def _mir_eval():
  with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    import mir_eval.melody  # pylint: disable=g-import-not-at-top
  return mir_eval.melody


def interpolate_estimate(times, est_time, est_f0, est_confidence):
  """Estimate at `times`: f0 interpolated in log-frequency, confidence linearly.

  Beyond the estimate's ends the end values are held.
  """
  f0 = np.exp(np.interp(times, est_time, np.log(np.maximum(est_f0, 1e-3))))
  return f0, np.interp(times, est_time, est_confidence)


# ----------------------------------------------------------- references
def read_reference(path):
  """A `<stem>.f0.csv` label file -> (times s, f0 Hz) float64 arrays.

  Header `time_s,f0_hz` (a file without a header is read too); 0 or
  negative f0 = unvoiced. The same reader as the `audio_folder` builder's,
  so a folder evaluates exactly as it builds.

  Raises:
    UserError: unreadable, empty, malformed, or times not increasing.
  """
  track = labels.read_f0_csv(pathlib.Path(path))
  return track.times_s, track.f0_hz


def labelled_files(folder):
  """[(audio path, label path)] under a folder, and the audio without labels."""
  from pitchfit.io import audio as audio_io  # pylint: disable=g-import-not-at-top
  folder = pathlib.Path(folder)
  if not folder.is_dir():
    raise UserError(f'{folder}: no such folder')
  pairs, unlabelled = [], []
  for audio_path in audio_io.find_audio_files([folder]):
    label = audio_path.with_name(audio_path.stem + '.f0.csv')
    (pairs.append((audio_path, label)) if label.is_file()
     else unlabelled.append(audio_path))
  if not pairs:
    raise UserError(f'{folder}: no audio file has a <stem>.f0.csv (time_s,'
                    'f0_hz) beside it')
  return pairs, unlabelled


# ------------------------------------------------------------- estimators
class ModelEstimator:
  """pitchfit's model: frame-level f0 and confidence of 16 kHz audio."""

  name = 'pitchfit'

  def __init__(self, pitch_model, half_hop=None):
    from pitchfit.track import predict as predict_lib  # pylint: disable=g-import-not-at-top
    self.model = pitch_model
    self.half_hop = predict_lib.HALF_HOP if half_hop is None else half_hop

  @property
  def frame_ms(self):
    """The model's frame spacing: half its hop with the half-hop pass."""
    return (1000.0 * self.model.hop_size / self.model.sample_rate
            / (2 if self.half_hop else 1))

  def track(self, audio):
    """(times, f0 Hz, confidence, voiced) at the model's frames (stitched)."""
    from pitchfit.track import predict as predict_lib  # pylint: disable=g-import-not-at-top
    tracker = predict_lib.StreamingTracker(self.model, self.frame_ms,
                                           half_hop=self.half_hop)
    times, f0, conf = predict_lib._concatenate(  # pylint: disable=protected-access
        tracker.push(audio) + tracker.finish())
    return times, f0, conf, conf >= voicing.THRESHOLD

  def track_file(self, path):
    from pitchfit.track import predict as predict_lib  # pylint: disable=g-import-not-at-top
    times, f0, conf = predict_lib._concatenate(list(  # pylint: disable=protected-access
        predict_lib.track_file(path, self.model, self.frame_ms,
                               half_hop=self.half_hop)))
    return times, f0, conf, conf >= voicing.THRESHOLD

  def track_windows(self, windows):
    """Model windows [b, n_samples] -> f0 [b, f], voiced [b, f]."""
    from pitchfit.track import predict as predict_lib  # pylint: disable=g-import-not-at-top
    log_f0, conf = predict_lib.frame_estimates(self.model, windows)
    return np.exp(log_f0), conf >= voicing.THRESHOLD


def run_pyin(audio, sample_rate=16000, fmin=PYIN_FMIN_HZ, fmax=PYIN_FMAX_HZ):
  """librosa's pYIN, 1024-sample frames every 10 ms, a best guess everywhere.

  Args:
    audio: float [n] mono at sample_rate (padded to one frame if shorter).

  Returns:
    times [m] s (frame k centred on sample k * hop), f0 [m] Hz (fill_na=None:
    unvoiced frames keep pYIN's best guess), voiced bool [m], voiced
    probability [m].
  """
  import librosa  # pylint: disable=g-import-not-at-top
  audio = np.asarray(audio, np.float32)
  if audio.size < PYIN_FRAME:  # pYIN needs one whole frame
    audio = np.pad(audio, (0, PYIN_FRAME - audio.size))
  f0, voiced, prob = librosa.pyin(
      audio, fmin=fmin, fmax=fmax, sr=sample_rate, frame_length=PYIN_FRAME,
      hop_length=PYIN_HOP, fill_na=None)
  times = np.arange(f0.size) * PYIN_HOP / sample_rate
  return times, f0, voiced, prob


class PyinEstimator:
  """librosa's pYIN at 10 ms (its first call compiles numba: about 20 s)."""

  name = 'pyin'

  def __init__(self, sample_rate=16000, frame_hop=512):
    self.sample_rate = sample_rate
    self.frame_hop = frame_hop  # of the model frames track_windows returns

  def track(self, audio):
    times, f0, voiced, prob = run_pyin(audio, self.sample_rate)
    return times, f0, prob, voiced

  def track_file(self, path):
    from pitchfit.io import audio as audio_io  # pylint: disable=g-import-not-at-top
    return self.track(audio_io.load_audio(path, self.sample_rate))

  def track_windows(self, windows):
    """Windows [b, n] -> f0, voiced [b, n // frame_hop] at the model's frames."""
    n_frames = windows.shape[1] // self.frame_hop
    frame_times = np.arange(n_frames) * self.frame_hop / self.sample_rate
    f0s, voiced = [], []
    for window in windows:
      f0, v = _on_reference(self.track(window), frame_times)
      f0s.append(f0)
      voiced.append(v)
    return np.stack(f0s), np.stack(voiced)


def _on_reference(estimate, ref_time):
  """An estimator's (times, f0, confidence, voiced) read at ref_time."""
  times, f0, _, voiced = estimate
  est_f0, _ = interpolate_estimate(ref_time, times, f0, f0)
  # Voicing decisions are not averaged: take the nearest estimate frame.
  return est_f0, np.asarray(voiced)[nearest_index(ref_time, times)]


def nearest_index(x, grid):
  """Index of the nearest element of the increasing `grid` for each x (ties:
  the earlier one)."""
  x, grid = np.asarray(x), np.asarray(grid)
  if grid.size == 1:
    return np.zeros(x.shape, int)
  right = np.clip(np.searchsorted(grid, x), 1, grid.size - 1)
  left = right - 1
  return np.where(x - grid[left] <= grid[right] - x, left, right)


# -------------------------------------------------------------- the runs
@dataclasses.dataclass
class Report:
  """Scores of each system: per item, pooled over frames, mean over items."""
  source: str
  protocol: str
  items: dict            # system -> [{'name': ..., **scores}]
  pooled: dict           # system -> scores
  mean: dict             # system -> scores (mean over items, NaN skipped)
  failures: list         # one-line messages
  skipped: list          # names of items left out and why

  def to_json(self):
    return json_safe(dataclasses.asdict(self))


def json_safe(value):
  """Nested scores -> plain JSON: numpy numbers as Python ones, NaN as null."""
  if isinstance(value, dict):
    return {k: json_safe(v) for k, v in value.items()}
  if isinstance(value, (list, tuple)):
    return [json_safe(v) for v in value]
  if isinstance(value, (float, np.floating)):
    return None if math.isnan(value) else float(value)
  if isinstance(value, np.integer):
    return int(value)
  return value


def _mean_scores(items):
  result = {}
  for metric in METRICS:
    values = [item[metric] for item in items if not math.isnan(item[metric])]
    result[metric] = float(np.mean(values)) if values else float('nan')
  result['n_frames'] = int(sum(item['n_frames'] for item in items))
  result['n_voiced'] = int(sum(item['n_voiced'] for item in items))
  result['n_items'] = len(items)
  return result


def _finish(source, protocol, estimators, frames, items, failures, skipped):
  pooled = {e.name: scores(Frames.concatenate(frames[e.name]))
            if frames[e.name] else None for e in estimators}
  mean = {e.name: _mean_scores(items[e.name]) for e in estimators}
  return Report(source, protocol, items, pooled, mean, failures, skipped)


def evaluate_folder(folder, estimators, progress=None, on_error=None):
  """Scores estimators on every labelled audio file under a folder.

  Args:
    folder: searched recursively for audio with a `<stem>.f0.csv` beside it.
    estimators: [ModelEstimator, PyinEstimator, ...].
    progress: optional wrapper of an iterable (e.g. tqdm).
    on_error: optional callable(message) for a file that fails (the others
      still run).

  Returns:
    Report.
  """
  pairs, unlabelled = labelled_files(folder)
  frames = {e.name: [] for e in estimators}
  items = {e.name: [] for e in estimators}
  failures = []
  iterator = progress(pairs) if progress else pairs
  for audio_path, label_path in iterator:
    name = str(audio_path.relative_to(folder).with_suffix(''))
    try:
      ref_time, ref_f0 = read_reference(label_path)
      results = {}
      for estimator in estimators:
        est_f0, est_voiced = _on_reference(estimator.track_file(audio_path),
                                           ref_time)
        results[estimator.name] = to_frames(ref_time, ref_f0, est_f0, est_voiced)
    except UserError as e:
      failures.append(str(e))
      if on_error:
        on_error(str(e))
      continue
    for system, file_frames in results.items():
      frames[system].append(file_frames)
      items[system].append({'name': name, **scores(file_frames)})
  skipped = [f'{p}: no {p.stem}.f0.csv beside it' for p in unlabelled]
  return _finish(str(folder), 'audio folder: estimates on the labels\' times',
                 estimators, frames, items, failures, skipped)


def evaluate_dataset(spec, estimators, pitch_model, data_dir=None,
                     max_examples=None, progress=None, second_voice=0.0,
                     noise_snr_db=None, weak_partials_db=None):
  """Scores estimators on a TFDS split, as the paper does (module doc).

  Args:
    spec: 'name[/config]:split'; 'synthetic_notes/<config>:<split>' renders
      synthetic notes (built or generated from the split's seed).
    estimators: as for evaluate_folder.
    pitch_model: the PitchModel (renders synthetic notes; sets the frames).
    data_dir: TFDS data_dir.
    max_examples: evaluate at most this many examples (synthetic notes
      without a built dataset default to 256).
    progress: optional iterable wrapper.
    second_voice: for synthetic notes, the fraction of examples played with
      a quieter second voice (`TranscribingAutoencoder.second_voice`); the
      reference stays the main voice's f0.
    noise_snr_db: for synthetic notes, add pink noise at this signal-to-noise
      ratio (dB, over each example's RMS) to every example; None = none.
    weak_partials_db: for synthetic notes, weaken every note's lowest
      `augment.WEAK_PARTIALS_MAX` harmonics, the fundamental by this many dB
      (`core.weaken_low_harmonics`); None = none.

  Returns:
    Report.
  """
  from pitchfit.train import data  # pylint: disable=g-import-not-at-top
  name, _, _ = data.parse_spec(spec, 'test')
  if name == data.SYNTHETIC_PREFIX:
    examples = synthetic_examples(
        spec, pitch_model, data_dir, max_examples or 256,
        second_voice=second_voice, noise_snr_db=noise_snr_db,
        weak_partials_db=weak_partials_db)
    protocol = 'synthetic notes: one model window per example'
    if weak_partials_db is not None:
      protocol += (f', lowest harmonics weakened (fundamental '
                   f'-{weak_partials_db:g} dB)')
    if second_voice:
      protocol += (f', {100 * second_voice:g} % with a second voice; '
                   'reference = the main voice')
    if noise_snr_db is not None:
      protocol += f', pink noise at {noise_snr_db:g} dB SNR'
  else:
    if (second_voice or noise_snr_db is not None
        or weak_partials_db is not None):
      raise UserError('a second voice, noise or weak partials can only be '
                      f'added to synthetic notes, not to {spec}')
    examples = real_examples(spec, pitch_model, data_dir, max_examples)
    protocol = ('real TFDS examples: labels at the model frames, examples '
                f'with max f0_confidence < {MIN_F0_CONFIDENCE} skipped')
  frames = {e.name: [] for e in estimators}
  items = {e.name: [] for e in estimators}
  skipped = []
  iterator = progress(examples) if progress else examples
  frame_s = pitch_model.hop_size / pitch_model.sample_rate
  for example_name, audio, ref_f0 in iterator:
    if ref_f0 is None:
      skipped.append(f'{example_name}: no confident f0 label')
      continue
    ref_time = np.arange(ref_f0.size) * frame_s
    for estimator in estimators:
      if audio.size == pitch_model.n_samples:
        f0, voiced = estimator.track_windows(audio[np.newaxis])
        f0, voiced = f0[0][:ref_f0.size], voiced[0][:ref_f0.size]
      else:
        f0, voiced = _on_reference(estimator.track(audio), ref_time)
      example_frames = to_frames(ref_time, ref_f0, f0, voiced)
      frames[estimator.name].append(example_frames)
      items[estimator.name].append({'name': example_name,
                                    **scores(example_frames)})
  return _finish(spec, protocol, estimators, frames, items, [], skipped)


def synthetic_examples(spec, pitch_model, data_dir, max_examples,
                       second_voice=0.0, noise_snr_db=None,
                       weak_partials_db=None, batch_size=16):
  """Yields (name, audio [n_samples], ref f0 [n_frames]) of rendered notes.

  Rendered batch_size notes at a time: a second voice (a fraction of the
  notes, see `augment.second_voice`) borrows its timbre from
  the batch's next note. With weak_partials_db, every note's lowest
  harmonics are weakened first (`evaluate_dataset`), the reference f0 kept.
  Pink noise at noise_snr_db (dB over each example's
  RMS; None = none) is added last. The draws are seeded, so every model hears
  the same mixtures.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from pitchfit.dsp import core  # pylint: disable=g-import-not-at-top
  from pitchfit.train import data  # pylint: disable=g-import-not-at-top
  from pitchfit.notes import augment  # pylint: disable=g-import-not-at-top
  from pitchfit.dsp import synths  # pylint: disable=g-import-not-at-top
  m = pitch_model.config.model
  threshold = pitch_model.config.losses.harmonic.amp_threshold
  n_crops = max(1, 125 // m.n_frames)   # crops per 125-frame example
  n_source = -(-max_examples // n_crops)
  ds = data.synthetic_eval(spec, m.n_frames, data_dir, n_source).take(
      max_examples)
  rng = tf.random.Generator.from_seed(0)
  i = 0
  for controls in ds.batch(batch_size).as_numpy_iterator():
    notes = augment.as_controls(controls)
    if weak_partials_db is not None:
      batch = notes['harm_dist'].shape[0]
      notes = augment.with_harmonic_distribution(
          notes, core.weaken_low_harmonics(
              notes['harm_dist'], tf.fill([batch], augment.WEAK_PARTIALS_MAX),
              tf.fill([batch], float(weak_partials_db))), m.sample_rate)
    audio = pitch_model.model.render_synthetic(notes, second_voice, rng)
    if noise_snr_db is not None:
      pink = synths.colored_noise(tf.ones([tf.shape(audio)[0]]),
                                  audio.shape[-1], rng)
      audio = synths.mix_at_snr(audio, pink, noise_snr_db)
    audio = audio.numpy()
    for f0, amp, example_audio in zip(controls['f0_hz'], controls['harm_amp'],
                                      audio):
      f0, amp = f0.reshape(-1), amp.reshape(-1)
      yield f'example_{i:05d}', example_audio, np.where(amp >= threshold, f0,
                                                        0.0)
      i += 1


def real_examples(spec, pitch_model, data_dir, max_examples):
  """Yields (name, audio, ref f0 at model frames or None) of a real split."""
  from pitchfit.train import data  # pylint: disable=g-import-not-at-top
  ds = data.load_tfds(spec, data_dir)
  if max_examples:
    ds = ds.take(max_examples)
  labels_per_frame = pitch_model.hop_size * data.LABEL_FRAME_RATE // (
      pitch_model.sample_rate)
  for i, example in enumerate(ds.as_numpy_iterator()):
    audio = example['audio'].astype(np.float32)
    track = example.get('track_id', b'')
    track = track.decode() if isinstance(track, bytes) else str(track)
    name = f'{i:05d} {track} @{float(example.get("start_s", 0.0)):.1f}s'
    confidence = example.get('f0_confidence')
    has_f0 = bool(example.get('has_f0', True))
    if (not has_f0 or confidence is None
        or np.max(confidence) < MIN_F0_CONFIDENCE):
      yield name, audio, None
      continue
    n_frames = audio.size // pitch_model.hop_size
    ref = example['f0_hz'][::labels_per_frame][:n_frames].astype(np.float64)
    yield name, audio, ref


# ------------------------------------------------------------- reporting
def format_table(report, per_item=True):
  """The report as an aligned text table (one row per item and system)."""
  header = ('system', 'item', 'frames', 'voiced', 'RPA', 'RCA', 'VxRecall',
            'VxFalseAlm', 'OA')
  rows = []

  def row(system, item, s):
    rows.append((system, item, str(s['n_frames']), str(s['n_voiced']))
                + tuple(_pct(s[m]) for m in METRICS))

  for system, items in report.items.items():
    if per_item:
      for item in items:
        row(system, item['name'], item)
    if report.pooled.get(system):
      row(system, '(all frames)', report.pooled[system])
    if len(items) > 1:
      row(system, f'(mean of {len(items)})', report.mean[system])
  widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
  lines = ['  '.join(c.ljust(w) if i < 2 else c.rjust(w)
                     for i, (c, w) in enumerate(zip(r, widths)))
           for r in [header] + rows]
  return '\n'.join(lines)


def _pct(value):
  return '-' if math.isnan(value) else f'{100.0 * value:.1f}%'


def write_tensorboard(report, log_dir, step=0):
  """Pooled and mean scores as TensorBoard scalars `eval/<system>/<metric>`."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  writer = tf.summary.create_file_writer(str(log_dir))
  with writer.as_default():
    for system in report.items:
      for kind, table in (('pooled', report.pooled), ('mean', report.mean)):
        values = table.get(system)
        if not values:
          continue
        for metric in METRICS:
          if not math.isnan(values[metric]):
            tf.summary.scalar(f'eval_{kind}/{system}/{metric}', values[metric],
                              step=step)
  writer.flush()
