"""Frame-level pitch metrics with mir_eval.melody (50 cents), and reading an
estimate at the reference's times.

  * rpa, rca: raw pitch / raw chroma accuracy over the reference's voiced
    frames, whatever the estimate's voicing ("oracle voicing", reference
    section 8).
  * voicing_recall, voicing_false_alarm, overall_accuracy: with the
    estimate's own voicing.
A score that is undefined (RPA of a clip with no voiced reference frame) is
NaN.
"""

import dataclasses
import warnings

import numpy as np

CENT_TOLERANCE = 50.0
METRICS = ('rpa', 'rca', 'voicing_recall', 'voicing_false_alarm',
           'overall_accuracy')


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


def on_reference(estimate, ref_time):
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
