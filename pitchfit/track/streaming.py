"""The streaming tracker: a signal of any length through a model with a fixed window.

  1. windows of the model's `n_samples` start every `stride` frames (half a
     window for models that read the whole window, as the ResNet's GRU does;
     less overlap for the convolutional models, whose frames see only a few
     neighbours: `default_stride_frames`), the first one a stride before
     time 0 (zeros there) for the ResNets, at time 0 for the CNNs
     (`default_lead_frames`), so every frame is seen by one or two windows;
  2. each window's frames are weighted by a ramp over the overlap (small at
     its edges, where the model lacks context, flat in its centre) and the
     overlapping windows are cross-faded: log-f0 and confidence (and the f0
     posterior, when asked for) are weighted means, so there are no seams at
     window boundaries; where two windows disagree on a frame's pitch by a
     semitone or more, the frame takes the window it is more central in
     instead of a mean neither window heard;
  3. steps 1-2 run twice, the second time on the audio delayed by half a
     model frame, and the two passes' frames interleave: the model looks
     every hop / 2 (HALF_HOP; chosen on labelled melodies that are not
     evaluation data, see docs/usage.md; by default only for models whose
     frames are longer than 16 ms);
  4. the frames are interpolated onto the output grid, f0 in log-frequency.

A model that takes windows of any length (`variable_length`: the LiteRT
export of a CNN) is given VARIABLE_WINDOW_S windows one at a time instead of
its 1-s training window, so the context overlap is a smaller share of the
compute, and the stream's last window is cut to the audio left (a whole
number of WINDOW_GRANULE_FRAMES) instead of padded with zeros.

The input is high-passed first (pitchfit.track.conditioning): DC and
sub-audio content carry no pitch and the model was never trained on them.

Works with any model object that has PitchModel's tracking interface
(sample_rate, n_samples, hop_size, voicing, and __call__(windows) -> dict):
the TensorFlow PitchModel or the LiteRT model.
"""

import math

import numpy as np

from pitchfit.errors import UserError
from pitchfit.track import conditioning
from pitchfit.track import voicing

DEFAULT_STEP_MS = 10.0
# A second pass half a model frame later (HALF_HOP): None = only for models
# whose frames are longer than NATIVE_FRAME_MAX_S (the 32-ms models; a
# 10-ms model already looks as often as any peer).
HALF_HOP = None
NATIVE_FRAME_MAX_S = 0.016


def uses_half_hop(pitch_model, half_hop=HALF_HOP):
  """Whether tracking runs the second pass: half_hop, or by the model's hop."""
  if half_hop is None:
    return pitch_model.hop_size / pitch_model.sample_rate > NATIVE_FRAME_MAX_S
  return bool(half_hop)
BATCH_SIZE = 8            # windows per model call: bounded memory, good speed


# Windows of a variable-length model: 4 s (400 frames of 10 ms) put the
# overlap at 8 % of the compute; longer ones gain little and hold more
# memory. The last window's length is rounded up to a multiple of 8 frames:
# LiteRT re-plans its tensors whenever the length changes, so files of
# nearly the same length share one plan.
VARIABLE_WINDOW_S = 4.0
WINDOW_GRANULE_FRAMES = 8


# Frames of context a convolutional model's frame needs on each side before a
# window edge stops mattering, at least: its receptive field (9 frames for the
# default's 5 + 4 layers of 3x3) plus half the longest STFT window (6.4 frames
# of 10 ms). conv_context_frames gives a model's own, which time dilations widen.
CONV_CONTEXT_FRAMES = 16


def conv_context_frames(model_config):
  """Frames each side of a CNN frame that reach its f0, and at least 16.

  The sinusoidal encoder's cnn_layers 3x3 convolutions reach one frame each,
  the harmonic encoder's stem one and each of its blocks its time dilation;
  the STFT adds half its longest window.
  """
  c = model_config
  blocks = c.harmonic_cnn_time_dilations or [1] * (c.harmonic_cnn_layers - 1)
  stft = max(c.spectrum_fft_sizes) / 2 / c.hop_size
  reach = c.cnn_layers + 1 + sum(blocks) + stft
  return max(CONV_CONTEXT_FRAMES, int(math.ceil(reach)))


def is_convolutional(pitch_model):
  """True for the log-frequency CNN models (the ResNets read whole windows).

  Their frames see only a few neighbours: windows overlap less, and their
  LiteRT export takes windows of any length (pitchfit.track.export).
  """
  encoder = getattr(pitch_model.config.model, 'encoder', 'resnet')
  return encoder == 'harmonic_cnn'


def default_stride_frames(pitch_model, n_frames=None):
  """Frames between window starts: half a window, or less overlap for CNNs.

  n_frames: the window the tracker runs (default the model's own).

  The ResNet models read the whole window through a GRU, so a frame near a
  window edge is a worse estimate than one in its centre: windows overlap
  by half. The log-frequency CNN sees conv_context_frames on each side and a
  window-wide level only, so windows overlap by twice that.
  """
  n_frames = n_frames or pitch_model.n_samples // pitch_model.hop_size
  if is_convolutional(pitch_model):
    context = conv_context_frames(pitch_model.config.model)
    return max(n_frames // 2, n_frames - 2 * context)
  return n_frames // 2


def default_lead_frames(pitch_model, stride):
  """Frames of zeros before time 0 in the first window: a stride, or none.

  A ResNet's first frames are better estimated from the middle of a window
  that starts in silence before the audio, so its first window starts a
  stride early. A CNN frame sees the same zeros at a window's edge (its STFT
  pads with them), while a window that is mostly padding sets the per-window
  level normalisation from silence: its first window starts at time 0, and
  a short file costs one window less.
  """
  return 0 if is_convolutional(pitch_model) else stride


def window_weights(n_frames, stride=None):
  """Cross-fade weights [n_frames], > 0 everywhere, flat in the middle.

  Each edge ramps up over the frames the window shares with its neighbour
  (n_frames - stride; stride defaults to half a window, a triangle), so the
  weights of overlapping windows sum to a constant and a cross-fade never
  changes the level.
  """
  stride = n_frames // 2 if stride is None else stride
  overlap = max(n_frames - stride, 1)
  k = np.arange(n_frames, dtype=np.float64)
  return np.minimum(np.minimum(k + 0.5, n_frames - k - 0.5), overlap)


def f0_bins_hz(model_config):
  """Centre frequencies [f0_bins] of the model's f0 softmax, Hz (log-spaced)."""
  from pitchfit.track import decode  # pylint: disable=g-import-not-at-top
  return decode.log_spaced_bins_hz(model_config.f0_bins, model_config.f0_hz_min,
                                   model_config.f0_hz_max)


def posterior_of(logits):
  """Softmax over the last axis, float32 (the f0 'activation')."""
  logits = np.asarray(logits, np.float64)
  e = np.exp(logits - logits.max(axis=-1, keepdims=True))
  return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


def frame_estimates(pitch_model, windows, fmin=None, fmax=None,
                    posterior=False):
  """Runs the model on windows: per-frame values, [b, n_frames, k].

  Args:
    pitch_model: a calibrated model (PitchModel, LiteRTModel or a stand-in).
    windows: float32 [b, n_samples] at the model's rate.
    fmin, fmax: optional f0 range, Hz; the posterior outside it is zeroed
      and f0 re-read around the peak inside it (pitchfit.track.decode).
    posterior: also return the f0 posterior.

  Returns:
    [b, n_frames, 2 (+ f0_bins)]: natural log of f0 in Hz, voicing
    confidence in [0, 1], then (with posterior) the f0 softmax.
  """
  outputs = pitch_model(windows)
  f0_hz = outputs['f0_hz'][..., 0]
  level_db = voicing.input_level_db(windows, pitch_model.hop_size,
                                    f0_hz.shape[1])
  confidence = voicing.confidence(voicing.frame_features(outputs),
                                  pitch_model.voicing, level_db)
  columns = [np.log(np.maximum(f0_hz, 1e-3))[..., None], confidence[..., None]]
  if fmin is not None or fmax is not None or posterior:
    probs = posterior_of(outputs['f0_logits'])
    if fmin is not None or fmax is not None:
      from pitchfit.track import decode  # pylint: disable=g-import-not-at-top
      bins = f0_bins_hz(pitch_model.config.model)
      shape = probs.shape
      flat = decode.restrict_range(probs.reshape(-1, shape[-1]), bins, fmin,
                                   fmax)
      peak = flat.argmax(axis=-1)
      f0 = decode.frequency_at(
          flat, bins, peak, pitch_model.config.model.f0_peak_radius_bins)
      columns[0] = np.log(np.maximum(f0, 1e-3)).reshape(shape[:-1])[..., None]
      probs = flat.reshape(shape)
    if posterior:
      columns.append(probs)
  return np.concatenate(columns, axis=-1)


class _Stitcher:
  """Cross-fades per-window frame values into one frame sequence.

  Window i covers global frames [i * stride - lead, i * stride - lead +
  n_frames): the first window starts `lead` frames before frame 0. Once
  window i is added, frames before the next window's first frame are final.

  Each frame carries k values (log-f0 first). Where the windows seeing a
  frame agree on its pitch (within AGREE_CENTS), the frame is their weighted
  mean; where they do not (one hears an octave or a neighbouring note the
  other does not), a mean would be a pitch neither heard, so the frame takes
  the window it is most central in. On synthetic test notes this beat both
  always-mean and always-central.
  """

  AGREE_CENTS = 100.0

  def __init__(self, n_frames, stride, k=2, lead=None):
    self.weights = window_weights(n_frames, stride)
    self.n_frames = n_frames
    self.stride = stride
    self.lead = stride if lead is None else lead
    self.k = k
    self.n_windows = 0
    self.base = -self.lead                     # global frame of the rows' first
    # Columns: weighted sums [k], weight, best weight, best values [k], the
    # min and max of log-f0 over the windows seen.
    self._rows = np.zeros((0, 2 * k + 4))

  def _empty(self, n):
    rows = np.zeros((n, 2 * self.k + 4))
    rows[:, -2], rows[:, -1] = np.inf, -np.inf
    return rows

  def add(self, values):
    """Adds one window's [n_frames, k] values; returns final frames.

    A window cut short at the end of a stream ([m < n_frames, k]) takes the
    first m weights; `flush` then ends the stream.

    Returns:
      (first global frame index, values [n, k]); n may be 0.
    """
    k = self.k
    n = values.shape[0]
    start = self.n_windows * self.stride - self.lead - self.base
    needed = start + n - self._rows.shape[0]
    if needed > 0:
      self._rows = np.concatenate([self._rows, self._empty(needed)])
    w = self.weights[:n]
    rows = self._rows[start:start + n]  # a view: updated in place
    rows[:, :k] += w[:, None] * values
    rows[:, k] += w
    central = w > rows[:, k + 1]
    rows[central, k + 1] = w[central]
    rows[central, k + 2:2 * k + 2] = values[central]
    rows[:, -2] = np.minimum(rows[:, -2], values[:, 0])
    rows[:, -1] = np.maximum(rows[:, -1], values[:, 0])
    self.n_windows += 1
    final_end = self.n_windows * self.stride - self.lead  # next window's first
    n_final = final_end - self.base
    done, self._rows = self._rows[:n_final], self._rows[n_final:]
    first = self.base
    self.base = final_end
    return self._final(first, done)

  def flush(self):
    """Ends the stream: every frame a window has covered is final now.

    Returns (first global frame index, values [n, k]), as `add` does.
    """
    done, self._rows = self._rows, self._rows[:0]
    first = self.base
    self.base += done.shape[0]
    return self._final(first, done)

  def _final(self, first, done):
    """Rows of sums -> (first, values): the mean, or the most central window."""
    k = self.k
    if first < 0:  # frames before time 0 (the zero padding) are dropped
      done, first = done[-first:], 0
    agree = (done[:, -1] - done[:, -2]
             < self.AGREE_CENTS * np.log(2.0) / 1200.0)
    mean = done[:, :k] / np.maximum(done[:, k:k + 1], 1e-12)
    return first, np.where(agree[:, None], mean, done[:, k + 2:2 * k + 2])


class _WindowPass:
  """Windows of the stream delayed by `delay` samples, stitched into frames.

  The pass's windows start every `stride` samples, the first at
  -(lead + delay) (zeros before the stream), so frame j of the pass is
  centred at (j * hop - delay) samples of the stream. Final frames wait in
  `pending` until the tracker turns them into rows.
  """

  def __init__(self, n_frames, stride_frames, hop, window, delay, k,
               lead_frames=None):
    self.hop = hop
    self.window = window
    self.delay = delay
    self.stride = stride_frames * hop      # samples between window starts
    self.stitcher = _Stitcher(n_frames, stride_frames, k, lead_frames)
    self.lead = self.stitcher.lead * hop   # samples of zeros before the first
    self.next_start = -(self.lead + delay)  # stream sample of next window
    self.pending = []                      # (frame samples, values [n, k])
    self.final_until = -np.inf             # sample of the last final frame

  def windows_for(self, last_sample, cover_only=False):
    """Windows needed in all for frames up to the one after last_sample.

    cover_only: enough that a window covers that frame (the stream then
    ends with `flush`), instead of enough that a later window has made it
    final.
    """
    last_frame = int((last_sample + self.delay) // self.hop) + 1
    stitcher = self.stitcher
    if cover_only:
      # Window n - 1 covers frames up to (n - 1) * stride - lead + n_frames.
      past = last_frame + stitcher.lead - stitcher.n_frames + 1
      return max(0, -(-past // stitcher.stride)) + 1
    # Frames before n * stride - lead are final after n windows.
    return (last_frame + stitcher.lead) // stitcher.stride + 1

  def end_for(self, windows_needed):
    """The stream sample where the last needed window ends."""
    n_more = windows_needed - self.stitcher.n_windows
    return self.next_start + (n_more - 1) * self.stride + self.window

  def add(self, values):
    """Stitches the estimates [b, n_frames, k] of this pass's next windows."""
    for window_values in values:
      self._keep(*self.stitcher.add(window_values))
      self.next_start += self.stride

  def flush(self):
    """Ends the pass: the frames its windows have covered become final."""
    self._keep(*self.stitcher.flush())

  def _keep(self, first, done):
    if done.shape[0]:
      samples = np.arange(first, first + done.shape[0]) * self.hop - self.delay
      self.pending.append((samples, done))
      self.final_until = samples[-1]


class StreamingTracker:
  """Incremental pitch tracking of a mono stream at the model's rate.

  tracker = StreamingTracker(model)
  for block in blocks: rows = tracker.push(block)   # lists of row chunks
  rows = tracker.finish()

  Each chunk is (time s, frequency Hz, confidence) float arrays, plus the f0
  posterior [n, f0_bins] as a fourth item with `posterior=True`; chunks
  follow each other on the output grid without gaps or repeats. Memory is
  bounded by a window, a batch and a block, whatever the stream's length.

  With `half_hop`, a second pass runs the same windows on the stream
  delayed by half a model frame, and the two passes' frames interleave:
  the model looks every hop / 2 instead of every hop, at twice the compute
  (docs/usage.md). Both passes cut their windows from one buffer.
  """

  def __init__(self, pitch_model, step_ms=DEFAULT_STEP_MS,
               batch_size=None, half_hop=HALF_HOP, fmin=None, fmax=None,
               posterior=False, highpass=True, stride_frames=None,
               lead_frames=None):
    if not step_ms > 0:
      raise UserError(f'step must be positive, not {step_ms} ms')
    self.model = pitch_model
    self.step_s = step_ms / 1000.0
    self.batch_size = batch_size or getattr(pitch_model, 'batch_size',
                                            BATCH_SIZE)
    self.fmin, self.fmax, self.posterior = fmin, fmax, posterior
    hop = pitch_model.hop_size
    window = pitch_model.n_samples
    self._variable = bool(getattr(pitch_model, 'variable_length', False))
    if self._variable:
      window = int(round(VARIABLE_WINDOW_S * pitch_model.sample_rate / hop)) * hop
      self.batch_size = 1  # the last window is shorter than the others
    n_frames = window // hop
    k = 2 + (pitch_model.config.model.f0_bins if posterior else 0)
    delays = (0, hop // 2) if uses_half_hop(pitch_model, half_hop) else (0,)
    stride = stride_frames or default_stride_frames(pitch_model, n_frames)
    if not n_frames // 2 <= stride <= n_frames:
      raise ValueError(f'stride_frames must be in [{n_frames // 2}, '
                       f'{n_frames}], not {stride}')
    lead = (default_lead_frames(pitch_model, stride) if lead_frames is None
            else lead_frames)
    if not 0 <= lead <= stride:
      raise ValueError(f'lead_frames must be in [0, {stride}], not {lead}')
    self._passes = [_WindowPass(n_frames, stride, hop, window, d, k, lead)
                    for d in delays]
    # highpass=False only for stand-in models whose output is their input.
    self._highpass = (conditioning.HighPass(pitch_model.sample_rate)
                      if highpass else lambda audio: audio)
    self.n_samples = 0                     # real samples pushed so far
    # The buffer holds stream samples [_buffer_start, _buffer_start + size),
    # zeros before 0: from the earliest window any pass has still to run.
    self._buffer_start = min(p.next_start for p in self._passes)
    self._buffer = np.zeros(-self._buffer_start, np.float32)
    self._next_row = 0
    self._last_frame = None                # (sample, values), bridging
    # At the end of the stream a CNN's last window need only cover the last
    # frame: its frames there see the same zeros after the audio whatever
    # window they are in. A ResNet's frames near a window's end are worse
    # estimates, so its stream ends with a window that makes them final.
    self._cover_only = is_convolutional(pitch_model) or self._variable

  def push(self, audio):
    """Adds float32 samples [n]; returns the row chunks now final."""
    audio = np.asarray(audio, np.float32).reshape(-1)
    self.n_samples += audio.size
    self._buffer = np.concatenate([self._buffer, self._highpass(audio)])
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
      needed = [p.windows_for(last_sample, self._cover_only)
                for p in self._passes]
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
        length = p.window
        if last_row is not None and self._variable:  # one window a batch
          length = self._cut_length(starts[0], p.window)
        windows = np.stack([self._buffer[i:i + length] for i in at])
        p.add(frame_estimates(self.model, windows, self.fmin, self.fmax,
                              self.posterior))
      if last_row is not None and self._cover_only:
        p.flush()
    keep_from = min(p.next_start for p in self._passes)
    self._buffer = self._buffer[keep_from - self._buffer_start:].copy()
    self._buffer_start = keep_from
    return self._rows(last_row)

  def _cut_length(self, start, window):
    """Samples of a window from `start` that reach past the stream's end.

    Enough for the frame after the last row (and one more), in whole
    granules, at most a full window.
    """
    hop = self.model.hop_size
    granule = WINDOW_GRANULE_FRAMES * hop
    needed = self.n_samples + 2 * hop - start
    return int(min(window, max(granule, -(-needed // granule) * granule)))

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
      for samples, values in p.pending:
        ready = samples <= until
        parts.append((samples[ready], values[ready]))
        if not ready.all():
          keep.append((samples[~ready], values[~ready]))
      p.pending = keep
    if self._last_frame is not None:
      parts.append((np.array([self._last_frame[0]]), self._last_frame[1][None]))
    samples = np.concatenate([x[0] for x in parts]) if parts else np.zeros(0)
    if not samples.size:
      return []
    order = np.argsort(samples, kind='stable')
    samples = samples[order]
    values = np.concatenate([x[1] for x in parts])[order]
    self._last_frame = (samples[-1], values[-1])
    frame_times = samples / self.model.sample_rate
    end = int(math.floor(frame_times[-1] / self.step_s + 1e-9))
    if last_row is not None:
      end = min(end, last_row)
    rows = np.arange(self._next_row, end + 1)
    self._next_row = max(self._next_row, end + 1)
    if not rows.size:
      return []
    times = rows * self.step_s
    frequency = np.exp(np.interp(times, frame_times, values[:, 0]))
    conf = np.interp(times, frame_times, values[:, 1])
    chunk = (times, frequency.astype(np.float32), conf.astype(np.float32))
    if self.posterior:
      chunk += (interpolate_rows(times, frame_times, values[:, 2:]),)
    return [chunk]


def interpolate_rows(times, frame_times, values):
  """Linear interpolation of [n_frames, k] values onto times -> float32 [r, k]."""
  index = np.clip(np.searchsorted(frame_times, times, side='right'), 1,
                  max(frame_times.size - 1, 1))
  if frame_times.size == 1:
    return np.repeat(values[:1], times.size, axis=0).astype(np.float32)
  left, right = frame_times[index - 1], frame_times[index]
  w = np.clip((times - left) / np.maximum(right - left, 1e-12), 0.0, 1.0)
  return ((1.0 - w)[:, None] * values[index - 1]
          + w[:, None] * values[index]).astype(np.float32)


def concatenate(chunks, k=3):
  """Row chunks -> one tuple of arrays (k items: 3, or 4 with the posterior)."""
  if not chunks:
    empty = (np.zeros(0), np.zeros(0, np.float32), np.zeros(0, np.float32))
    return empty[:k] if k <= 3 else empty + (np.zeros((0, 0), np.float32),)
  return tuple(np.concatenate([c[i] for c in chunks]) for i in range(k))
