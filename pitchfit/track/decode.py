"""Decoding an f0 posterior into a pitch track: range limits, Viterbi, sub-bin f0.

The model's f0 head gives per frame a softmax over log-spaced f0 bins (CREPE's
"activation"). `restrict_range` zeroes bins outside --fmin/--fmax;
`viterbi_path` picks a smooth bin sequence (CREPE's -V, torchcrepe's viterbi
decoder), so isolated octave jumps of the argmax disappear; `frequency_at`
reads a sub-bin f0 around the chosen bins.

NumPy only: tracking runs without TensorFlow (issue 19). librosa's
`sequence.viterbi` was measured and not used: importing it takes 1.3 s, its
first call 3.5 s (numba compiles) and each 1000 x 360 call 225 ms, against
about 25 ms here, as a pitch path only moves between nearby bins and the
search below is banded instead of dense.
"""

import numpy as np

# Bins each side of the chosen bin that `frequency_at` averages over when no
# radius is given; the default of config.ModelConfig.f0_peak_radius_bins (the
# tracker passes the model's own), a literal so this module imports nothing.
DEFAULT_RADIUS_BINS = 8
# Largest pitch change per frame that the smooth part of the transition
# allows, in semitones. Vibrato (+-1 semitone at 6 Hz) moves under 0.4 st per
# 10 ms frame and a quick portamento about 1-2; 3 keeps both at 10-16 ms hops.
DEFAULT_MAX_JUMP_SEMITONES = 3.0
# Transition weight of any larger jump (an octave leap between notes),
# relative to staying on the same bin. A one-frame octave error then costs two
# leaps, ln(1e3) each: it survives only when the posterior prefers the wrong
# octave by more than 1e6 over the right one at that frame.
DEFAULT_LEAP_WEIGHT = 1e-3
# Emission floor: log(0) would make bins zeroed by restrict_range -inf and
# all-zero rows unusable; with the floor such rows follow the transitions.
_TINY = 1e-12


def log_spaced_bins_hz(n_bins, fmin_hz, fmax_hz):
  """Centre frequencies [n_bins] in Hz, equal steps in log-frequency (MIDI).

  The model's bins (f0_bins, f0_hz_min, f0_hz_max; core.frequency_bins_hz).
  """
  return fmin_hz * (fmax_hz / fmin_hz) ** np.linspace(0.0, 1.0, n_bins)


def _check_posterior(posterior, bins_hz):
  """Validates shapes; returns (posterior [n_frames, n_bins], bins_hz [n_bins])."""
  posterior = np.asarray(posterior)
  bins_hz = np.asarray(bins_hz, dtype=np.float64)
  if posterior.ndim != 2:
    raise ValueError(f'posterior must be [n_frames, n_bins], got shape '
                     f'{posterior.shape}')
  if bins_hz.ndim != 1 or bins_hz.size != posterior.shape[1]:
    raise ValueError(f'bins_hz must be [n_bins] = [{posterior.shape[1]}], got '
                     f'shape {bins_hz.shape}')
  if bins_hz.size < 2 or not np.all(np.diff(bins_hz) > 0) or bins_hz[0] <= 0:
    raise ValueError('bins_hz must be positive and increasing, with at least '
                     'two bins')
  if not np.issubdtype(posterior.dtype, np.floating):
    posterior = posterior.astype(np.float32)
  return posterior, bins_hz


def _bin_semitones(bins_hz):
  """Spacing of log-spaced bins in semitones; ValueError if not log-spaced."""
  steps = 12.0 * np.diff(np.log2(bins_hz))
  if not np.allclose(steps, steps.mean(), rtol=1e-3, atol=1e-6):
    raise ValueError('bins_hz must be log-spaced (equal steps in semitones) '
                     'for viterbi_path')
  return float(steps.mean())


def restrict_range(posterior, bins_hz, fmin_hz=None, fmax_hz=None):
  """Posterior limited to bins with centre in [fmin_hz, fmax_hz], rows renormalised.

  Args:
    posterior: [n_frames, n_bins] softmax probabilities over the f0 bins.
    bins_hz: [n_bins] centre frequencies of the bins, in Hz, increasing.
    fmin_hz, fmax_hz: the range searched, in Hz; None leaves that side open.

  Returns:
    [n_frames, n_bins], the input's float dtype: bins outside the range are 0
    and each row sums to 1 again; a row with no mass inside the range stays
    all zero (nothing there to renormalise).

  Raises:
    ValueError: fmin_hz >= fmax_hz, a bound that is not positive, or a range
      that holds no bin centre (e.g. entirely below the lowest bin).
  """
  posterior, bins_hz = _check_posterior(posterior, bins_hz)
  for name, value in (('fmin', fmin_hz), ('fmax', fmax_hz)):
    if value is not None and not (np.isfinite(value) and value > 0):
      raise ValueError(f'{name} must be a positive frequency in Hz, got {value}')
  if fmin_hz is not None and fmax_hz is not None and fmin_hz >= fmax_hz:
    raise ValueError(f'fmin ({fmin_hz:g} Hz) must be below fmax '
                     f'({fmax_hz:g} Hz)')
  keep = np.ones(bins_hz.shape, dtype=bool)
  if fmin_hz is not None:
    keep &= bins_hz >= fmin_hz
  if fmax_hz is not None:
    keep &= bins_hz <= fmax_hz
  if not keep.any():
    lo = 'any' if fmin_hz is None else f'{fmin_hz:g}'
    hi = 'any' if fmax_hz is None else f'{fmax_hz:g}'
    raise ValueError(f'the range {lo}..{hi} Hz holds none of the model\'s f0 '
                     f'bins, which span {bins_hz[0]:.1f}..{bins_hz[-1]:.1f} Hz')
  restricted = np.where(keep, posterior, 0).astype(posterior.dtype)
  total = restricted.sum(axis=1, keepdims=True)
  with np.errstate(invalid='ignore', divide='ignore'):
    restricted = np.where(total > 0, restricted / total, 0)
  return restricted.astype(posterior.dtype)


def _log_kernel(max_jump_semitones, bin_semitones, leap_weight):
  """Log transition weights [2k+1] for bin offsets -k..k (triangular, as CREPE).

  Weight 1 for staying, falling linearly to 0 at max_jump_semitones; offsets
  where the triangle is below leap_weight get leap_weight, which the decoder
  also gives every jump beyond the band.
  """
  k = max(1, int(np.ceil(max_jump_semitones / bin_semitones)))
  jump = np.abs(np.arange(-k, k + 1)) * bin_semitones
  weight = np.maximum(1.0 - jump / max_jump_semitones, leap_weight)
  return np.log(weight), k


def viterbi_path(posterior, bins_hz,
                 max_jump_semitones=DEFAULT_MAX_JUMP_SEMITONES,
                 leap_weight=DEFAULT_LEAP_WEIGHT):
  """Most probable bin sequence under a pitch-continuity prior.

  An HMM whose states are the f0 bins, whose emissions are the posterior
  (as CREPE's -V and torchcrepe's viterbi decoder use it), and whose
  transition weight from bin i to bin j falls linearly with the jump in
  semitones, 1 for staying and 0 at `max_jump_semitones`, with a floor of
  `leap_weight` for any jump (so real leaps between notes are one frame, not
  a glide through empty bins). The weights are not normalised per row: a
  constant factor does not move the path, and the edge rows then do not
  favour the edge bins.

  Cost is O(n_frames * n_bins * band) with band = 2 * max_jump / bin step + 1:
  the best predecessor is the better of the band's maximum and the global
  maximum times leap_weight.

  Args:
    posterior: [n_frames, n_bins] probabilities (rows need not sum to 1; zero
      rows carry no evidence and the path follows the prior through them).
    bins_hz: [n_bins] log-spaced bin centres, in Hz.
    max_jump_semitones: per frame; the smooth part of the prior.
    leap_weight: in (0, 1), weight of any larger jump relative to staying.

  Returns:
    int64 [n_frames] bin index per frame ([0] for no frames).

  Raises:
    ValueError: bad shapes, bins not log-spaced, or parameters out of range.
  """
  posterior, bins_hz = _check_posterior(posterior, bins_hz)
  if not max_jump_semitones > 0:
    raise ValueError(f'max_jump_semitones must be positive, got '
                     f'{max_jump_semitones}')
  if not 0 < leap_weight < 1:
    raise ValueError(f'leap_weight must be in (0, 1), got {leap_weight}')
  n_frames, n_bins = posterior.shape
  if n_frames == 0:
    return np.zeros([0], dtype=np.int64)
  log_kernel, k = _log_kernel(max_jump_semitones, _bin_semitones(bins_hz),
                              leap_weight)
  log_leap = np.log(leap_weight)
  log_emission = np.log(np.maximum(posterior.astype(np.float64), _TINY))
  if not np.all(np.isfinite(log_emission)):
    raise ValueError('posterior contains NaN or infinite values')

  # Forward pass keeps only the scores [n_frames, n_bins] (log-probability of
  # the best path ending in each bin, shifted per frame): max over the band is
  # a fast axis-0 reduction, and the backtrack re-finds each predecessor from
  # the stored scores in O(band) instead of storing argmaxes for every bin.
  scores = np.empty([n_frames, n_bins])
  scores[0] = log_emission[0] - log_emission[0].max()
  padded = np.full(n_bins + 2 * k, -np.inf)
  # windows[m, j] = padded[j + m] = previous score of bin j + m - k.
  windows = np.lib.stride_tricks.sliding_window_view(padded, n_bins)
  log_kernel_column = log_kernel[:, None]
  for t in range(1, n_frames):
    previous = scores[t - 1]
    padded[k:k + n_bins] = previous
    best = (windows + log_kernel_column).max(axis=0)
    np.maximum(best, log_leap, out=best)  # previous.max() is 0, see below
    best += log_emission[t]
    scores[t] = best - best.max()  # small numbers over thousands of frames

  path = np.empty(n_frames, dtype=np.int64)
  path[-1] = scores[-1].argmax()
  for t in range(n_frames - 1, 0, -1):
    previous, j = scores[t - 1], path[t]
    lo, hi = max(j - k, 0), min(j + k + 1, n_bins)
    near = previous[lo:hi] + log_kernel[lo - j + k:hi - j + k]
    i = near.argmax()
    leap_from = previous.argmax()
    # Same comparison as the forward pass, so the path is the optimal one.
    if previous[leap_from] + log_leap > near[i]:
      path[t - 1] = leap_from
    else:
      path[t - 1] = lo + i
  return path


def frequency_at(posterior, bins_hz, path_bins, radius_bins=DEFAULT_RADIUS_BINS):
  """Sub-bin f0 per frame: posterior-weighted mean log-frequency near the path.

  As the model's own read-out (core.frequencies_around_peak) but centred on
  a given bin per frame (the argmax or the Viterbi path) instead of always
  the argmax: the mean of log2(f) over bins within `radius_bins` of the
  chosen bin, weighted by the posterior there.

  Args:
    posterior: [n_frames, n_bins] probabilities.
    bins_hz: [n_bins] bin centres, in Hz.
    path_bins: int [n_frames] chosen bin per frame.
    radius_bins: bins each side of the chosen one that enter the mean (0 gives
      the bin centre).

  Returns:
    float64 [n_frames] f0 in Hz; the chosen bin's centre where the posterior
    has no mass near it.
  """
  posterior, bins_hz = _check_posterior(posterior, bins_hz)
  path_bins = np.asarray(path_bins)
  n_frames, n_bins = posterior.shape
  if path_bins.shape != (n_frames,) or not np.issubdtype(path_bins.dtype,
                                                         np.integer):
    raise ValueError(f'path_bins must be int [n_frames] = [{n_frames}], got '
                     f'{path_bins.dtype} {path_bins.shape}')
  if n_frames and (path_bins.min() < 0 or path_bins.max() >= n_bins):
    raise ValueError(f'path_bins must index the {n_bins} bins')
  if radius_bins < 0:
    raise ValueError(f'radius_bins must be >= 0, got {radius_bins}')
  radius_bins = int(radius_bins)
  # Gather the [n_frames, 2r+1] neighbourhood; indices past the edges are
  # clipped and their weight zeroed.
  index = path_bins[:, None] + np.arange(-radius_bins, radius_bins + 1)
  inside = (index >= 0) & (index < n_bins)
  index = np.clip(index, 0, n_bins - 1)
  weight = np.take_along_axis(posterior.astype(np.float64), index, axis=1)
  weight = np.where(inside, np.maximum(weight, 0), 0)
  log_f = np.log2(bins_hz)[index]
  total = weight.sum(axis=1)
  with np.errstate(invalid='ignore', divide='ignore'):
    mean_log_f = (weight * log_f).sum(axis=1) / total
  mean_log_f = np.where(total > 0, mean_log_f, np.log2(bins_hz)[path_bins])
  return np.exp2(mean_log_f)
