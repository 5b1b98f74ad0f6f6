"""Tones with known f0, for the builders' dummy data and label-alignment tests.

A "score" is a list of (end_s, f0_hz) segments from t = 0: the tone plays
f0_hz until end_s, then the next segment starts (0 Hz = silence = unvoiced).
Audio and labels are both rendered from the score, so a test knows exactly
when the pitch changes and can check that a builder's 250 Hz labels change
at that time, and that the audio under them has that pitch.
"""

import numpy as np

FRAME_RATE = 250  # Hz of the builders' f0_hz grid


def f0_at(score, times_s):
  """Piecewise-constant f0 of `score` at `times_s` [n] (0 after the end), Hz."""
  ends = np.array([end for end, _ in score])
  values = np.array([f0 for _, f0 in score] + [0.0])
  return values[np.searchsorted(ends, np.asarray(times_s), side='right')]


def render(score, sample_rate, amplitude=0.4):
  """Sine following `score`, float32 [round(last end * rate)], phase-continuous."""
  n = int(round(score[-1][0] * sample_rate))
  f0 = f0_at(score, np.arange(n) / sample_rate)
  phase = 2 * np.pi * np.cumsum(f0) / sample_rate
  return np.where(f0 > 0, amplitude * np.sin(phase), 0.0).astype(np.float32)


def midway(t_s, hop_s, first_s=0.0):
  """The time halfway between two label frames (first_s + k * hop_s) nearest t_s.

  A change placed there is unambiguous on the label grid: the frame before
  has the old value, the frame after the new one.
  """
  k = np.round((t_s - first_s) / hop_s - 0.5)
  return float(first_s + (k + 0.5) * hop_s)


def dominant_hz(audio, sample_rate):
  """Frequency of the strongest FFT bin, Hz (1-Hz bins by zero padding)."""
  n = max(len(audio), sample_rate)
  spectrum = np.abs(np.fft.rfft(audio * np.hanning(len(audio)), n=n))
  return float(np.argmax(spectrum) * sample_rate / n)


def check_window(example, score, sample_rate=16000):
  """Asserts that one example's labels and audio follow `score`.

  * At every change of `score` inside the window, the labels change within
    one 4-ms frame of the change time (for a pitch change: where f0_hz
    crosses the geometric mean of the two pitches).
  * No label is a blend of a pitch and 0: every f0_hz is 0 or within the
    range of the neighbouring pitches.
  * Unvoiced stretches are exactly 0 away from their edges, and f0_confidence
    is 1 exactly where f0_hz > 0.
  * The audio under each voiced stretch has the labelled pitch.
  """
  f0 = np.asarray(example['f0_hz'])
  audio = np.asarray(example['audio'])
  start = float(example['start_s'])
  k_of = lambda t: (t - start) * FRAME_RATE  # frame index of time t
  np.testing.assert_array_equal(example['f0_confidence'], (f0 > 0).astype(np.float32))
  begin = 0.0
  for i, (end, value) in enumerate(score):
    lo, hi = max(begin, start), min(end, start + 4.0)
    if hi - lo > 0.1:
      inner = np.arange(int(np.ceil(k_of(lo) + 6)), int(k_of(hi) - 6))
      if value == 0:
        assert np.all(f0[inner] == 0), f'unvoiced {begin}-{end} s has labels'
      else:
        np.testing.assert_allclose(f0[inner], value, rtol=0.02)
        a, b = int((lo + 0.05 - start) * sample_rate), int((hi - 0.05 - start) * sample_rate)
        if b - a > 0.1 * sample_rate:
          heard = dominant_hz(audio[a:b], sample_rate)
          assert abs(heard - value) < 0.02 * value, (
              f'audio {lo:.2f}-{hi:.2f} s is at {heard} Hz, labels say {value}')
    if i + 1 < len(score) and start + 0.05 < end < start + 3.95:
      _check_change(f0, k_of(end), value, score[i + 1][1], end)
    begin = end
  # Past the end of the file: zero padding, unvoiced.
  assert np.all(f0[int(np.ceil(k_of(begin))):] == 0), 'labels past the end of the file'
  assert np.all(audio[max(0, int(np.ceil((begin - start) * sample_rate))):] == 0)


def _check_change(f0, k_change, before, after, t_change):
  """The labels switch from `before` to `after` within one frame of k_change."""
  k0 = int(k_change) - 8
  segment = f0[k0:k0 + 17]
  if before > 0 and after > 0:
    crossing = np.sqrt(before * after)
    switched = segment >= crossing if after > before else segment <= crossing
  else:
    switched = (segment > 0) if after > 0 else (segment == 0)
  first = k0 + int(np.argmax(switched))
  assert switched.any() and abs(first - k_change) <= 1, (
      f'label change {before}->{after} Hz expected at {t_change:.4f} s (frame '
      f'{k_change:.1f}), found at frame {first}')
  pitches = [p for p in (before, after) if p > 0]
  voiced = segment[segment > 0]
  assert np.all(voiced >= min(pitches) * 0.999) and np.all(voiced <= max(pitches) * 1.001), (
      f'labels near {t_change:.3f} s blend a pitch with silence: {voiced}')
