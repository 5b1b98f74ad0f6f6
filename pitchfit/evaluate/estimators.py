"""Estimators scored by `pitchfit evaluate`: pitchfit's model and librosa's pYIN.

Each has `name`, `track(audio)` and `track_file(path)` -> (times, f0 Hz,
confidence, voiced), and `track_windows(windows)` -> (f0, voiced) at the
model's frames. pYIN's voicing is its own HMM decision and its unvoiced
frames carry its best f0 guess (fill_na=None), so the oracle-voicing RPA
applies to it too. librosa is needed for pYIN only (`pitchfit[train]`).
"""

import dataclasses

import numpy as np

from pitchfit.errors import UserError
from pitchfit.evaluate import metrics
from pitchfit.track import conditioning

PYIN_FMIN_HZ = 32.7            # C1, the synthetic notes' lowest pitch
PYIN_FMAX_HZ = 1200.0          # the model's f0_hz_max
PYIN_HOP = 160                 # 10 ms at 16 kHz
PYIN_FRAME = 1024              # 64 ms, as bench/accuracy.py runs pYIN (2048 scored pYIN lower)


class ModelEstimator:
  """pitchfit's model: frame-level f0 and confidence of 16 kHz audio."""

  name = 'pitchfit'

  def __init__(self, pitch_model, half_hop=None, options=None):
    from pitchfit.track import predict as predict_lib  # pylint: disable=g-import-not-at-top
    from pitchfit.track import streaming  # pylint: disable=g-import-not-at-top
    self.model = pitch_model
    options = options or predict_lib.Options()
    if half_hop is not None:
      options = dataclasses.replace(options, half_hop=half_hop)
    # Rows at the model's own frame spacing (no extra interpolation).
    self.half_hop = streaming.uses_half_hop(pitch_model, options.half_hop)
    frame_ms = (1000.0 * pitch_model.hop_size / pitch_model.sample_rate
                / (2 if self.half_hop else 1))
    self.options = dataclasses.replace(options, step_ms=frame_ms,
                                       half_hop=self.half_hop)

  @property
  def frame_ms(self):
    """The model's frame spacing: half its hop with the half-hop pass."""
    return self.options.step_ms

  def _result(self, chunks):
    from pitchfit.track import predict as predict_lib  # pylint: disable=g-import-not-at-top
    track = predict_lib.finish_track(list(chunks), self.model, self.options)
    return track.time, track.frequency, track.confidence, track.voiced

  def track(self, audio):
    """(times, f0 Hz, confidence, voiced) at the model's frames (stitched)."""
    from pitchfit.track import predict as predict_lib  # pylint: disable=g-import-not-at-top
    tracker = predict_lib.tracker_for(self.model, self.options)
    return self._result(tracker.push(audio) + tracker.finish())

  def track_file(self, path):
    from pitchfit.track import files  # pylint: disable=g-import-not-at-top
    return self._result(files.track_file(
        path, self.model, self.options, posterior=self.options.viterbi))

  def track_windows(self, windows):
    """Model windows [b, n_samples] -> f0 [b, f], voiced [b, f].

    Each window is high-passed from rest, as the tracker conditions a stream.
    """
    from pitchfit.track import streaming  # pylint: disable=g-import-not-at-top
    windows = conditioning.highpass(windows, self.model.sample_rate)
    values = streaming.frame_estimates(self.model, windows, self.options.fmin,
                                       self.options.fmax)
    return (np.exp(values[..., 0]),
            values[..., 1] >= self.options.voicing_threshold)


def run_pyin(audio, sample_rate=16000, fmin=PYIN_FMIN_HZ, fmax=PYIN_FMAX_HZ):
  """librosa's pYIN, 1024-sample frames every 10 ms, a best guess everywhere.

  Args:
    audio: float [n] mono at sample_rate (padded to one frame if shorter).

  Returns:
    times [m] s (frame k centred on sample k * hop), f0 [m] Hz (fill_na=None:
    unvoiced frames keep pYIN's best guess), voiced bool [m], voiced
    probability [m].
  """
  try:
    import librosa  # pylint: disable=g-import-not-at-top
  except ImportError:
    raise UserError('the pYIN baseline needs librosa: pip install '
                    "'pitchfit[train]'") from None
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
    import importlib.util  # pylint: disable=g-import-not-at-top
    if importlib.util.find_spec('librosa') is None:  # fail before any file
      raise UserError("the pYIN baseline needs librosa: pip install "
                      "'pitchfit[train]'")
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
      f0, v = metrics.on_reference(self.track(window), frame_times)
      f0s.append(f0)
      voiced.append(v)
    return np.stack(f0s), np.stack(voiced)
