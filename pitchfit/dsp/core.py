"""Units, scalings and resampling shared by the synthesizers, encoders and losses.

Conventions (as in DDSP): controls are frame-rate tensors shaped
`[batch, n_frames, channels]`; audio is `[batch, n_samples]`. Frequencies are in
Hz unless a name says `midi` (semitones, A4 = 69) or `unit` (0..1).
"""

import math

import numpy as np
import tensorflow as tf

SAMPLE_RATE = 16000
HOP_SIZE = 512  # samples per control frame: 64000 samples <-> 125 frames at 16 kHz.
LOG_EPSILON = 1e-5
DIVIDE_EPSILON = 1e-7


# ------------------------------------------------------------------ safe maths
def safe_log(x, eps=LOG_EPSILON):
  """Natural log that maps x <= 0 to log(eps) instead of -inf/NaN."""
  x = tf.convert_to_tensor(x)
  safe_x = tf.where(x <= eps, eps * tf.ones_like(x), x)
  return tf.math.log(safe_x)


def safe_divide(numerator, denominator, eps=DIVIDE_EPSILON):
  """numerator / denominator, with eps substituted where the denominator is 0."""
  denominator = tf.convert_to_tensor(denominator)
  safe_denominator = tf.where(
      tf.equal(denominator, 0.0), eps * tf.ones_like(denominator), denominator)
  return numerator / safe_denominator


# ----------------------------------------------------------------------- units
def db_to_amplitude(db):
  """Decibels -> linear amplitude gain (20 dB = x10)."""
  return tf.pow(10.0, tf.convert_to_tensor(db, tf.float32) / 20.0)


def amplitude_to_db(amplitude, floor_db):
  """Linear amplitude -> decibels (x10 = 20 dB), floored at floor_db."""
  floor = 10.0 ** (floor_db / 20.0)
  return 20.0 * tf.math.log(tf.maximum(amplitude, floor)) / math.log(10.0)


def hz_to_midi(frequency_hz):
  """Hz -> MIDI note number (A4 = 440 Hz = 69); 0 Hz (and below) -> 0."""
  frequency_hz = tf.convert_to_tensor(frequency_hz, tf.float32)
  midi = 12.0 * (tf.math.log(tf.maximum(frequency_hz, LOG_EPSILON))
                 / math.log(2.0) - math.log2(440.0)) + 69.0
  return tf.where(frequency_hz <= 0.0, tf.zeros_like(midi), midi)


def midi_to_hz(midi):
  """MIDI note number -> Hz."""
  midi = tf.convert_to_tensor(midi, tf.float32)
  return 440.0 * tf.pow(2.0, (midi - 69.0) / 12.0)


def unit_to_midi(unit, midi_min, midi_max):
  """[0, 1] -> [midi_min, midi_max] linearly (clipped to the range)."""
  unit = tf.clip_by_value(unit, 0.0, 1.0)
  return midi_min + (midi_max - midi_min) * unit


def unit_to_hz(unit, hz_min, hz_max):
  """[0, 1] -> [hz_min, hz_max], linear in log-frequency (MIDI)."""
  midi = unit_to_midi(unit, float(_midi(hz_min)), float(_midi(hz_max)))
  return midi_to_hz(midi)


def hz_to_unit(frequency_hz, hz_min=0.0, hz_max=8000.0):
  """Hz -> [0, 1], linear in MIDI between hz_to_midi(hz_min) and hz_max.

  With hz_min = 0 this is midi(f) / midi(hz_max), the paper's input scaling of
  sinusoid frequencies for the sinusoid-to-harmonic encoder.
  """
  midi_min, midi_max = _midi(hz_min), _midi(hz_max)
  unit = (hz_to_midi(frequency_hz) - midi_min) / (midi_max - midi_min)
  return tf.clip_by_value(unit, 0.0, 1.0)


def _midi(hz):
  """Scalar Hz -> MIDI in NumPy (0 -> 0), for constants."""
  return 0.0 if hz <= 0 else 12.0 * (math.log2(hz) - math.log2(440.0)) + 69.0


# -------------------------------------------------------------------- scalings
def exp_sigmoid(x, exponent=10.0, max_value=2.0, threshold=1e-7):
  """Positive, bounded scaling of network outputs: max * sigmoid(x)**ln(exp) + thr.

  Range (threshold, max_value + threshold); exp_sigmoid(0) ~ 0.405, so a fresh
  network starts at a moderate level and the gradient never vanishes at 0.
  """
  x = tf.convert_to_tensor(x, tf.float32)
  return max_value * tf.nn.sigmoid(x) ** math.log(exponent) + threshold


def frequency_bins_hz(depth, hz_min, hz_max):
  """Centre frequencies [depth] of log-spaced bins from hz_min to hz_max, in Hz."""
  return unit_to_hz(tf.linspace(0.0, 1.0, depth), hz_min, hz_max)


def _bin_probabilities(logits, depth):
  """[..., n_frequencies * depth] logits -> [..., n_frequencies, depth] softmax."""
  logits = tf.convert_to_tensor(logits, tf.float32)
  shape = tf.shape(logits)
  n_frequencies = logits.shape[-1] // depth
  logits = tf.reshape(
      logits, tf.concat([shape[:-1], [n_frequencies, depth]], axis=0))
  return tf.nn.softmax(logits, axis=-1)


def frequencies_softmax(logits, depth, hz_min=20.0, hz_max=8000.0):
  """Frequencies as the expected bin of a softmax over log-frequency bins.

  Args:
    logits: [..., n_frequencies * depth].
    depth: number of bins per frequency.
    hz_min, hz_max: frequency of the first and of the last bin, in Hz.

  Returns:
    [..., n_frequencies] in Hz. Continuous (not an argmax), so it is
    differentiable, and a one-hot bin b maps exactly to bin b's frequency.
  """
  probs = _bin_probabilities(logits, depth)
  unit = tf.reduce_sum(probs * tf.linspace(0.0, 1.0, depth), axis=-1)
  return unit_to_hz(unit, hz_min, hz_max)


def frequencies_around_peak(logits, depth, hz_min=20.0, hz_max=8000.0,
                            radius=8):
  """Frequencies as the expected bin near the most probable bin (for inference).

  As frequencies_softmax, but the mean is taken over the bins within `radius`
  of the argmax only (CREPE decodes its pitch this way). When the softmax has
  two modes, an octave or another voice apart, the full expectation lands
  between them, on a pitch no one played; this stays on the stronger mode.
  Not differentiable in the argmax: training uses frequencies_softmax.

  Args:
    logits: [..., n_frequencies * depth].
    depth: number of bins per frequency.
    hz_min, hz_max: frequency of the first and of the last bin, in Hz.
    radius: bins each side of the peak that enter the mean.

  Returns:
    [..., n_frequencies] in Hz.
  """
  probs = _bin_probabilities(logits, depth)
  bins = tf.range(depth)
  peak = tf.expand_dims(tf.argmax(probs, axis=-1, output_type=tf.int32), -1)
  near = tf.cast(tf.abs(bins - peak) <= radius, tf.float32)
  weights = probs * near
  unit = (tf.reduce_sum(weights * tf.linspace(0.0, 1.0, depth), axis=-1)
          / tf.reduce_sum(weights, axis=-1))
  return unit_to_hz(unit, hz_min, hz_max)


def harmonic_frequencies(f0_hz, n_harmonics):
  """f0 [..., 1] -> harmonic frequencies f0 * k, k = 1..n_harmonics, [..., n]."""
  k = tf.range(1, n_harmonics + 1, dtype=tf.float32)
  return f0_hz * k


def remove_above_nyquist(frequencies_hz, amplitudes, sample_rate=SAMPLE_RATE):
  """Zeroes amplitudes whose frequency is at or above Nyquist (no aliasing)."""
  return tf.where(frequencies_hz >= sample_rate / 2.0,
                  tf.zeros_like(amplitudes), amplitudes)


def normalize_harmonic_distribution(harm_dist, f0_hz, sample_rate=SAMPLE_RATE):
  """Masks harmonics at or above Nyquist and renormalizes to sum to 1.

  Args:
    harm_dist: [batch, n_frames, n_harmonics], non-negative.
    f0_hz: [batch, n_frames, 1].

  Returns:
    [batch, n_frames, n_harmonics], summing to 1 over harmonics (0 if every
    harmonic is above Nyquist).
  """
  n_harmonics = harm_dist.shape[-1]
  harm_freqs = harmonic_frequencies(f0_hz, n_harmonics)
  harm_dist = remove_above_nyquist(harm_freqs, harm_dist, sample_rate)
  return safe_divide(harm_dist, tf.reduce_sum(harm_dist, axis=-1, keepdims=True))


def weaken_low_harmonics(harm_dist, n_weak, depth_db):
  """Attenuates the lowest harmonics, the fundamental most.

  Harmonic k (1-based) of the first n_weak loses depth_db * (n_weak - k + 1)
  / n_weak dB: with n_weak = 3 and 24 dB, the fundamental -24, the second
  -16, the third -8 dB; the rest are unchanged. Renormalizing the result
  (`normalize_harmonic_distribution`) keeps the note's overall amplitude.

  Args:
    harm_dist: [batch, n_frames, n_harmonics], relative amplitudes.
    n_weak: [batch], how many of the lowest harmonics are weakened (0 = none).
    depth_db: [batch], attenuation of the fundamental, dB.

  Returns:
    [batch, n_frames, n_harmonics], not renormalized.
  """
  n_harmonics = harm_dist.shape[-1]
  n_weak = tf.cast(n_weak, tf.float32)[:, None, None]
  depth_db = tf.convert_to_tensor(depth_db, tf.float32)[:, None, None]
  k = tf.range(1, n_harmonics + 1, dtype=tf.float32)[None, None, :]
  loss_db = depth_db * tf.maximum(n_weak - k + 1.0, 0.0) / tf.maximum(n_weak, 1.0)
  return harm_dist * db_to_amplitude(-loss_db)


def harmonic_to_sinusoidal(harm_amp, harm_dist, f0_hz, sample_rate=SAMPLE_RATE):
  """Harmonic controls -> sinusoid amplitudes and frequencies.

  Args:
    harm_amp: [batch, n_frames, 1], overall amplitude.
    harm_dist: [batch, n_frames, n_harmonics], relative amplitudes.
    f0_hz: [batch, n_frames, 1].

  Returns:
    sin_amps, sin_freqs: [batch, n_frames, n_harmonics]; harmonics at or above
    Nyquist have zero amplitude and the rest carry all of harm_amp.
  """
  n_harmonics = harm_dist.shape[-1]
  sin_freqs = harmonic_frequencies(f0_hz, n_harmonics)
  dist = normalize_harmonic_distribution(harm_dist, f0_hz, sample_rate)
  return harm_amp * dist, sin_freqs


# ----------------------------------------------------------------- resampling
def _frame_blocks(inputs, n_samples):
  """[b, f, c] -> this frame and the next, each [b, f, 1, c], plus the hop.

  The last frame is held (its "next" is itself).
  """
  inputs = tf.convert_to_tensor(inputs, tf.float32)
  n_frames = inputs.shape[1]
  if n_samples % n_frames:
    raise ValueError(f'n_samples ({n_samples}) must be a multiple of n_frames '
                     f'({n_frames}).')
  following = tf.concat([inputs[:, 1:], inputs[:, -1:]], axis=1)
  return inputs[:, :, None, :], following[:, :, None, :], n_samples // n_frames


def _blocks_to_audio(blocks):
  """[b, f, hop, c] -> [b, f * hop, c]."""
  shape = tf.shape(blocks)
  return tf.reshape(blocks, [shape[0], shape[1] * shape[2], blocks.shape[-1]])


def upsample_with_windows(inputs, n_samples):
  """Frame-rate envelopes -> audio rate with overlapping Hann windows.

  Each frame is a Hann window of 2 hops centred on its sample (frame k at
  sample k * hop); neighbouring windows overlap-add to a raised-cosine
  crossfade that sums to 1, so envelopes are smooth (no zipper noise) and
  constants stay constant. The last frame is held to the end.

  Args:
    inputs: [batch, n_frames, channels].
    n_samples: output length; a multiple of n_frames.

  Returns:
    [batch, n_samples, channels].
  """
  this, following, hop = _frame_blocks(inputs, n_samples)
  rise = tf.sin(np.pi * tf.range(hop, dtype=tf.float32) / (2.0 * hop)) ** 2
  rise = rise[:, tf.newaxis]                                # [hop, 1]
  return _blocks_to_audio(this * (1.0 - rise) + following * rise)


def upsample_linear(inputs, n_samples):
  """Frame-rate frequencies -> audio rate by linear interpolation.

  Frame k sits at sample k * hop (where its STFT frame starts) and the last
  frame is held to the end, so a constant stays exactly constant.

  Args:
    inputs: [batch, n_frames, channels].
    n_samples: output length, a multiple of n_frames.

  Returns:
    [batch, n_samples, channels].
  """
  this, following, hop = _frame_blocks(inputs, n_samples)
  frac = (tf.range(hop, dtype=tf.float32) / hop)[:, tf.newaxis]
  return _blocks_to_audio(this + frac * (following - this))


def linear_chirp_phases(frequencies_hz, n_samples, sample_rate=SAMPLE_RATE):
  """Phases of oscillators whose frequency is linear between frames.

  With frequency linear within a frame (as `upsample_linear` makes it), the
  running sum of phase increments has a closed form: within frame k at
  sample j, phase = offset_k + (j + 1) w_k + (w_{k+1} - w_k) j (j + 1) / (2 hop),
  where w is radians per sample and offset_k the wrapped phase at the start
  of frame k. This replaces a cumulative sum over every sample, which is
  slow on CPU and loses float32 precision over long signals.

  Args:
    frequencies_hz: [batch, n_frames, channels].
    n_samples: a multiple of n_frames.

  Returns:
    phases [batch, n_samples, channels] in radians (starting near 0) and the
    audio-rate frequencies [batch, n_samples, channels] in Hz.
  """
  this, following, hop = _frame_blocks(frequencies_hz, n_samples)
  w0 = this * (2.0 * np.pi / sample_rate)
  w1 = following * (2.0 * np.pi / sample_rate)
  j = tf.range(hop, dtype=tf.float32)[:, tf.newaxis]
  frame_total = hop * w0 + (w1 - w0) * (hop - 1) / 2.0       # [b, f, 1, c]
  offsets = tf.math.floormod(
      tf.cumsum(tf.math.floormod(frame_total, 2.0 * np.pi), axis=1,
                exclusive=True), 2.0 * np.pi)
  phases = offsets + (j + 1.0) * w0 + (w1 - w0) * (j * (j + 1.0) / (2.0 * hop))
  frequencies = this + (j / hop) * (following - this)
  return _blocks_to_audio(phases), _blocks_to_audio(frequencies)


def resample_frames(inputs, n_frames_out):
  """Linear resampling of a control along time, [b, f, c] -> [b, f_out, c].

  Used to bring labels from one frame grid to another (e.g. 1000 -> 125).
  Frames are treated as points at t = k / frame_rate on both grids.
  """
  inputs = tf.convert_to_tensor(inputs, tf.float32)
  n_in = inputs.shape[1]
  position = tf.range(n_frames_out, dtype=tf.float32) * (n_in / n_frames_out)
  position = tf.minimum(position, n_in - 1.0)
  index = tf.cast(tf.floor(position), tf.int32)
  index_next = tf.minimum(index + 1, n_in - 1)
  frac = (position - tf.cast(index, tf.float32))[tf.newaxis, :, tf.newaxis]
  left = tf.gather(inputs, index, axis=1)
  right = tf.gather(inputs, index_next, axis=1)
  return left + frac * (right - left)


def angular_cumsum(angular_frequency, chunk_size=1000):
  """Cumulative sum of phase increments along axis 1, wrapped to [0, 2 pi).

  A plain float32 cumsum over 64,000 samples of up to pi rad each reaches
  ~2e5 rad where float32 resolves only ~0.02 rad, detuning high partials; so
  sum within chunks and carry the wrapped phase between them.

  Args:
    angular_frequency: [batch, n_samples, channels] in radians per sample.

  Returns:
    [batch, n_samples, channels] phase in radians.
  """
  n_samples = angular_frequency.shape[1]
  pad = (-n_samples) % chunk_size
  x = tf.pad(angular_frequency, [[0, 0], [0, pad], [0, 0]])
  x = tf.math.floormod(x, 2.0 * np.pi)
  n_chunks = (n_samples + pad) // chunk_size
  channels = tf.shape(x)[-1]
  x = tf.reshape(x, [-1, n_chunks, chunk_size, channels])
  within = tf.cumsum(x, axis=2)
  chunk_totals = tf.math.floormod(within[:, :, -1, :], 2.0 * np.pi)
  offsets = tf.math.floormod(tf.cumsum(chunk_totals, axis=1, exclusive=True),
                             2.0 * np.pi)
  phase = tf.math.floormod(within + offsets[:, :, tf.newaxis, :], 2.0 * np.pi)
  phase = tf.reshape(phase, [-1, n_chunks * chunk_size, channels])
  return phase[:, :n_samples, :]
