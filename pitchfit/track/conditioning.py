"""Input conditioning before the model: DC and sub-audio removal.

A constant offset or a slow drift (a DC-coupled sound card, a microphone
bias, wind rumble) has no pitch, but the model never heard one in training
and called a constant 0.5 voiced at about 40 Hz. Two cascaded one-pole DC
blockers, each H(z) = (1 - z^-1) / (1 - r z^-1) with its -3 dB point at
CUTOFF_HZ, remove DC completely and attenuate 5 Hz by about 20 dB, while the
lowest note the model is trained on (C1, 32.7 Hz) loses about 1.5 dB and
100 Hz and above less than 0.2 dB.

NumPy only (scipy.signal alone takes over a second to import, longer than
tracking a short file): the recursion runs in vectorised chunks, each the
closed form y[n] = r^n (r y[-1] + sum_k r^-k d[k]) with d the first
difference, short enough that r^-k stays small.
"""

import math

import numpy as np

CUTOFF_HZ = 15.0
# Samples per closed-form step: r^-2048 is about 2e5 at 16 kHz, so float64
# keeps about 1e-11 relative precision while the Python loop runs rarely.
_CHUNK = 2048
_STAGES = 2


def pole(sample_rate, cutoff_hz=CUTOFF_HZ):
  """The blocker's pole r for a -3 dB point near cutoff_hz (r = 1 - 2 pi fc / fs)."""
  return 1.0 - 2.0 * math.pi * cutoff_hz / sample_rate


def _dc_block(x, r, x_prev, y_prev):
  """One blocker stage over [..., n]; returns (y, last x, last y).

  x_prev, y_prev: [...] the stage's state (previous input and output).
  """
  n = x.shape[-1]
  y = np.empty_like(x)
  k = np.arange(_CHUNK, dtype=np.float64)
  up, down = r ** -k, r ** k
  for start in range(0, n, _CHUNK):
    block = x[..., start:start + _CHUNK]
    m = block.shape[-1]
    d = np.diff(block, axis=-1, prepend=x_prev[..., None])
    acc = np.cumsum(d * up[:m], axis=-1)
    y[..., start:start + m] = down[:m] * (r * y_prev[..., None] + acc)
    x_prev, y_prev = block[..., -1], y[..., start + m - 1]
  return y, x_prev, y_prev


def highpass(audio, sample_rate, cutoff_hz=CUTOFF_HZ):
  """High-passes audio [..., n] along its last axis (see HighPass).

  Returns float32 of the same shape.
  """
  return HighPass(sample_rate, cutoff_hz)(audio)


class HighPass:
  """The streaming form: call it on consecutive blocks of one signal.

  The filter starts in the steady state of a signal that has held its first
  sample forever (as scipy's lfilter_zi does), not from rest: an offset
  present from the first sample is removed without a step. From rest, a
  constant 0.5 became a 50-ms pulse at t = 0 that the model read as a
  voiced note at 32 Hz for about 100 ms.
  """

  def __init__(self, sample_rate, cutoff_hz=CUTOFF_HZ):
    self.r = pole(sample_rate, cutoff_hz)
    self._state = None

  def __call__(self, audio):
    """Filters the next block [..., n]; returns float32 [..., n]."""
    x = np.asarray(audio, np.float64)
    if x.shape[-1] == 0:
      return x.astype(np.float32)
    if self._state is None:
      zeros = np.zeros(x.shape[:-1])
      # Steady state for a constant first sample: the first stage's previous
      # input is that sample and every output is 0.
      self._state = [(x[..., 0], zeros)] + [(zeros, zeros)] * (_STAGES - 1)
    for i in range(_STAGES):
      x, x_last, y_last = _dc_block(x, self.r, *self._state[i])
      self._state[i] = (x_last, y_last)
    return x.astype(np.float32)
