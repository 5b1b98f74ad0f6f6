"""Encoders on a log-frequency grid: small convolutions where pitch is a shift.

The CPU default's encoders (`model.encoder: harmonic_cnn`), beside the paper's
log-mel ResNet (`encoders.py`). Both encoders of the transcribing autoencoder
work on one grid of log-spaced bins, `bins_per_octave` apart from f0_hz_min
upwards (docs/cpu_model.md says why):

sinusoidal encoder: audio -> log-frequency spectra (one per STFT window) ->
  convolutions over (time, frequency) -> on every grid bin a sinusoid: its
  amplitude and its frequency within half a bin of the bin's centre; noise
  magnitudes from the frequency-pooled features.
harmonic encoder: those sinusoids -> "harmonic stacking" (channel h holds the
  sinusoids h times the candidate f0 above it; with
  model.periodicity_lags_per_bin, also the frame's autocorrelation at each
  bin's period) -> convolutions -> an f0 logit
  on each of the first f0_bins grid bins, and the overall amplitude and
  harmonic distribution read from the features at the f0 posterior.

Transposing a note shifts both spectra along the grid, and the convolutions
shift with it, so what is learnt at one pitch serves every pitch: the reason
these encoders learn pitch in minutes with a few tens of thousands of weights,
where the paper's dense heads hold millions.
"""

import math

import numpy as np
import tensorflow as tf
from keras import layers
from keras import ops

from pitchfit.dsp import core
from pitchfit.dsp import spectral_ops
from pitchfit.model import nn

# Amplitudes below this (-100 dB) are treated as silence in log features.
_LOG_FLOOR = 1e-5


def bins_per_octave(model_config):
  """Grid resolution implied by the f0 bins: f0_bins from f0_hz_min to f0_hz_max."""
  c = model_config
  return (c.f0_bins - 1) / math.log2(c.f0_hz_max / c.f0_hz_min)


def grid_hz(model_config):
  """Centre frequencies of the shared grid, f0_hz_min up to Nyquist: [n_bins]."""
  c = model_config
  return spectral_ops.log_frequency_grid_hz(
      c.f0_hz_min, bins_per_octave(c), c.sample_rate / 2.0)


def harmonic_shifts(harmonics, bpo):
  """Grid bins between f0 and each harmonic h (negative for h < 1)."""
  return [int(round(bpo * math.log2(h))) for h in harmonics]


def stack_harmonics(x, shifts, fill):
  """Channel stack of x moved down the grid by each shift.

  Args:
    x: [b, t, n_bins, c].
    shifts: bins; output channel block i at bin k holds x at bin k + shifts[i].
    fill: value for bins that fall off the grid.

  Returns:
    [b, t, n_bins, c * len(shifts)].

  The shifts are made with channels first ([b, t, c, n_bins]) and the stack
  transposed back once: concatenating along the last axis copies c values
  at a time, and in LiteRT that took a quarter of the harmonic encoder's
  time (2.4 ms per 3 s of audio against 0.2 ms this way; same values).
  """
  n_bins = x.shape[2]
  x = tf.transpose(x, [0, 1, 3, 2])
  moved = []
  for shift in shifts:
    if shift >= 0:
      part = x[:, :, :, shift:]
      pad = [[0, 0], [0, 0], [0, 0], [0, min(shift, n_bins)]]
    else:
      part = x[:, :, :, :n_bins + shift]
      pad = [[0, 0], [0, 0], [0, 0], [min(-shift, n_bins), 0]]
    moved.append(tf.pad(part, pad, constant_values=fill))
  return tf.transpose(tf.concat(moved, axis=2), [0, 1, 3, 2])


def periodicity_periods_hz(model_config):
  """Candidate f0s of the periodicity features, bin-major: [n_bins * lags].

  periodicity_lags_per_bin of them in every grid bin, at the centres of
  equal parts of the bin (-1/3, 0 and +1/3 of a bin for 3).
  """
  c = model_config
  lags = c.periodicity_lags_per_bin
  offsets = (np.arange(lags) + 0.5) / lags - 0.5
  bpo = bins_per_octave(c)
  return (grid_hz(c)[:, None] * 2.0 ** (offsets[None, :] / bpo)).reshape(-1)


def periodicity_features(magnitudes, model_config):
  """The frame's autocorrelation at every grid bin's candidate periods.

  Args:
    magnitudes: list of [b, f, fft_size // 2 + 1] |STFT|, one per
      model.spectrum_fft_sizes; the longest window is used (the finest
      frequency resolution, so the sharpest peak in lag).
    model_config: with periodicity_lags_per_bin > 0.

  Returns:
    [b, f, n_bins, periodicity_lags_per_bin] in [-1, 1]; a shift of the
    pitch by one bin moves it one bin along the grid, as it does the
    sinusoids.
  """
  c = model_config
  longest = int(np.argmax(c.spectrum_fft_sizes))
  periods = periodicity_periods_hz(c)
  r = spectral_ops.periodicity_from_magnitudes(
      magnitudes[longest], c.sample_rate, c.spectrum_fft_sizes[longest],
      periods)
  shape = tf.shape(r)
  return tf.reshape(r, tf.concat(
      [shape[:2], [len(periods) // c.periodicity_lags_per_bin,
                   c.periodicity_lags_per_bin]], axis=0))


class ConvStack(layers.Layer):
  """Conv (k_time x k_freq) -> ReLU, then residual conv blocks, all 'same'.

  [b, t, n_bins, c_in] -> [b, t, n_bins, channels]; no striding, so every
  output stays on its time frame and grid bin. dilations (frequency) and
  time_dilations give each block's dilation; None = 1.

  separable: depthwise-separable convolutions (a k_time x k_freq filter per
  channel, then a 1x1 mix) in the blocks; separable_stem: in the stem too
  (worth it only when c_in is more than a few channels). On a grid of a few
  hundred bins x 100 frames the convolutions are nearly all of the model's
  compute; a separable 3x3 at 16 channels costs 400 multiply-adds per
  position against 2,304.
  """

  def __init__(self, channels, n_layers, kernel=(3, 3), dilations=None,
               separable=False, separable_stem=False, time_dilations=None,
               **kwargs):
    super().__init__(**kwargs)
    stem = layers.SeparableConv2D if separable_stem else layers.Conv2D
    self.stem = stem(channels, kernel, padding='same', name='stem')
    dilations = dilations or [1] * (n_layers - 1)
    time_dilations = time_dilations or [1] * len(dilations)
    if len(time_dilations) != len(dilations):
      raise ValueError(f'{len(dilations)} blocks, {len(time_dilations)} time '
                       'dilations')
    conv = layers.SeparableConv2D if separable else layers.Conv2D
    self.blocks = [
        conv(channels, kernel, padding='same', dilation_rate=(t, d),
             name=f'block_{i}')
        for i, (t, d) in enumerate(zip(time_dilations, dilations))]
    self.norms = [layers.LayerNormalization(axis=-1, name=f'norm_{i}')
                  for i in range(len(dilations))]

  def build(self, input_shape):
    # The norms' weights are read by _normalize, not by calling the layers.
    channels = self.stem.filters
    for norm in self.norms:
      norm.build(tuple(input_shape[:-1]) + (channels,))

  def call(self, x):
    x = ops.relu(self.stem(x))
    for conv, norm in zip(self.blocks, self.norms):
      x = x + ops.relu(conv(self._normalize(norm, x)))
    return x

  @staticmethod
  def _normalize(norm, x):
    """`norm(x)` (a LayerNormalization over channels) in fewer operations.

    (x - mean) * (rsqrt(variance + epsilon) * gamma) + beta: the same
    values within float rounding (3e-6), in 9 LiteRT operations where
    Keras's layer takes 11; at 5 norms over every frame and bin that was
    4 % of the exported model's time.
    """
    mean = ops.mean(x, axis=-1, keepdims=True)
    centred = x - mean
    variance = ops.mean(centred * centred, axis=-1, keepdims=True)
    scale = ops.rsqrt(variance + norm.epsilon) * norm.gamma
    return centred * scale + norm.beta


class LogFrequencySinusoidalEncoder(layers.Layer):
  """Audio [b, n_samples] -> a sinusoid on every grid bin, and noise.

  Returns a dict:
    sin_freqs: [b, f, n_bins] Hz, each within half a bin of its bin's centre.
    sin_amps: [b, f, n_bins] linear amplitude.
    noise_magnitudes: [b, f, n_noise_bands] linear gains.
  """

  def __init__(self, config, **kwargs):
    super().__init__(**kwargs)
    self.config = config
    self.bpo = bins_per_octave(config)
    self.grid_hz = grid_hz(config).astype(np.float32)
    self.net = ConvStack(config.cnn_channels, config.cnn_layers,
                         separable=config.cnn_separable, name='conv_stack')
    self.bin_head = layers.Conv2D(2, 1, name='bin_head')  # amplitude, offset
    self.noise_head = nn.FrameDense(config.n_noise_bands, name='noise_head')

  def stft_magnitudes(self, audio):
    """[b, f, fft_size // 2 + 1] linear |STFT|, one per spectrum_fft_sizes."""
    c = self.config
    return [spectral_ops.centred_stft_magnitudes(audio, fft_size, c.hop_size)
            for fft_size in c.spectrum_fft_sizes]

  def spectra(self, audio):
    """[b, f, n_bins, n_windows] log-magnitudes, normalised per example."""
    return self.spectra_from_magnitudes(self.stft_magnitudes(audio))

  def spectra_from_magnitudes(self, magnitudes):
    """`spectra` from `stft_magnitudes`'s list (the LiteRT export's input)."""
    c = self.config
    specs = [spectral_ops.log_frequency_from_magnitudes(
        mag, c.sample_rate, fft_size, c.f0_hz_min, self.bpo)
             for mag, fft_size in zip(magnitudes, c.spectrum_fft_sizes)]
    x = tf.stack(specs, axis=-1)
    # One level per example: the network sees the shape of the spectrum,
    # not how loud the recording is.
    mean, variance = tf.nn.moments(x, axes=[1, 2, 3], keepdims=True)
    return (x - mean) * tf.math.rsqrt(variance + 1e-3)

  def call(self, audio):
    return self.from_magnitudes(self.stft_magnitudes(audio))

  def from_magnitudes(self, magnitudes):
    """The layer's outputs from `stft_magnitudes`'s list (the LiteRT
    export's input), with `periodicity` [b, f, n_bins, lags] when the
    config asks for it."""
    outputs = self.from_spectra(self.spectra_from_magnitudes(magnitudes))
    if self.config.periodicity_lags_per_bin:
      outputs['periodicity'] = periodicity_features(magnitudes, self.config)
    return outputs

  def from_spectra(self, x):
    """The layer's outputs from `spectra`'s [b, f, n_bins, n_windows]."""
    x = self.net(x)
    amp_logit, offset = tf.unstack(self.bin_head(x), axis=-1)
    offset_bins = 0.5 * tf.tanh(offset)
    pooled = tf.concat([tf.reduce_mean(x, axis=2), tf.reduce_max(x, axis=2)],
                       axis=-1)
    return {
        'sin_freqs': self.grid_hz * tf.pow(2.0, offset_bins / self.bpo),
        'sin_amps': core.exp_sigmoid(amp_logit - 5.0),
        'noise_magnitudes': core.exp_sigmoid(self.noise_head(pooled)),
    }


class LogFrequencyHarmonicEncoder(layers.Layer):
  """Grid sinusoids -> f0, overall amplitude and harmonic distribution.

  Input: sin_freqs, sin_amps [b, f, n_bins] on the grid (and, with
  model.periodicity_lags_per_bin, the frame's periodicity on it). Returns a dict:
    f0_hz: [b, f, 1]; f0_logits: [b, f, f0_bins] (the grid's first f0_bins
      bins; f0 is the softmax's expected bin).
    harm_amp: [b, f, 1] linear amplitude.
    harm_dist: [b, f, n_harmonics], zero at or above Nyquist, sums to 1.
  """

  def __init__(self, config, **kwargs):
    super().__init__(**kwargs)
    self.config = config
    self.bpo = bins_per_octave(config)
    self.grid_hz = grid_hz(config).astype(np.float32)
    self.shifts = harmonic_shifts(config.stack_harmonics, self.bpo)
    # The stem mixes the stacked harmonics (2 x len(stack_harmonics) inputs):
    # separable there too when the blocks are.
    self.net = ConvStack(config.cnn_channels, config.harmonic_cnn_layers,
                         separable=config.cnn_separable,
                         separable_stem=config.cnn_separable,
                         time_dilations=config.harmonic_cnn_time_dilations,
                         name='conv_stack')
    self.f0_head = layers.Conv2D(1, 1, name='f0_head')
    self.fc = nn.FrameDense(config.fc_units, name='fc')
    self.amp_head = nn.FrameDense(1, name='amp_head')
    self.dist_head = nn.FrameDense(config.n_harmonics, name='dist_head')

  def call(self, sin_freqs, sin_amps, periodicity=None):
    """periodicity: optional [b, f, n_bins, lags] (periodicity_features),
    read beside the stacked sinusoids at every bin."""
    c = self.config
    log_amp = tf.math.log(sin_amps + _LOG_FLOOR)
    offset = self.bpo * tf.math.log(sin_freqs / self.grid_hz) / math.log(2.0)
    x = tf.stack([(log_amp - math.log(_LOG_FLOOR)) / 10.0, offset], axis=-1)
    x = stack_harmonics(x, self.shifts, 0.0)
    if periodicity is not None:
      x = tf.concat([x, periodicity], axis=-1)
    x = self.net(x)
    # Explicit axes and expand_dims, not `[..., newaxis]`: the LiteRT
    # converter needs Flex ops for those when the time axis is free.
    f0_logits = self.f0_head(x)[:, :, :c.f0_bins, 0]
    f0_hz = core.frequencies_softmax(f0_logits, c.f0_bins, c.f0_hz_min,
                                     c.f0_hz_max)
    # Timbre and level as seen at the pitch: features weighted by the f0
    # posterior, plus the whole frame's.
    posterior = tf.expand_dims(tf.nn.softmax(f0_logits, axis=-1), -1)
    at_f0 = tf.reduce_sum(x[:, :, :c.f0_bins] * posterior, axis=2)
    frame = tf.concat([at_f0, tf.reduce_mean(x, axis=2),
                       tf.reduce_max(log_amp, axis=-1, keepdims=True) / 10.0],
                      axis=-1)
    h = ops.leaky_relu(self.fc(frame))
    harm_dist = core.normalize_harmonic_distribution(
        core.exp_sigmoid(self.dist_head(h)), f0_hz, c.sample_rate)
    return {
        'f0_hz': f0_hz,
        'f0_logits': f0_logits,
        'harm_amp': core.exp_sigmoid(self.amp_head(h) - 2.0),
        'harm_dist': harm_dist,
    }


def grid_sinusoid_targets(sin_amps, sin_freqs, model_config):
  """True sinusoids -> per-bin targets on the grid (for the sinusoid loss).

  Each partial goes to its nearest grid bin; a bin's target amplitude is the
  sum of its partials' and its target offset their amplitude-weighted offset
  from the bin's centre (bins). Partials off the grid or at or above Nyquist
  are dropped.

  Args:
    sin_amps, sin_freqs: [b, f, n_partials] linear, Hz.

  Returns:
    amps [b, f, n_bins], offsets [b, f, n_bins] in bins (0 where no partial).
  """
  c = model_config
  bpo = bins_per_octave(c)
  n_bins = len(grid_hz(c))
  position = bpo * tf.math.log(tf.maximum(sin_freqs, 1e-3) / c.f0_hz_min) / math.log(2.0)
  index = tf.cast(tf.round(position), tf.int32)
  valid = ((index >= 0) & (index < n_bins)
           & (sin_freqs < c.sample_rate / 2.0) & (sin_amps > 0))
  amps = tf.where(valid, sin_amps, 0.0)
  index = tf.clip_by_value(index, 0, n_bins - 1)
  shape = tf.shape(sin_amps)
  rows = tf.range(shape[0] * shape[1])[:, tf.newaxis] * n_bins
  segments = tf.reshape(rows + tf.reshape(index, [-1, shape[2]]), [-1])
  n_segments = shape[0] * shape[1] * n_bins
  amp_sum = tf.math.unsorted_segment_sum(tf.reshape(amps, [-1]), segments,
                                         n_segments)
  weighted = tf.math.unsorted_segment_sum(
      tf.reshape(amps * (position - tf.cast(index, tf.float32)), [-1]),
      segments, n_segments)
  out_shape = [shape[0], shape[1], n_bins]
  return (tf.reshape(amp_sum, out_shape),
          tf.reshape(core.safe_divide(weighted, amp_sum), out_shape))


def grid_sinusoid_loss(pred_amps, pred_freqs, true_amps, true_freqs,
                       model_config, offset_weight=1.0):
  """Self-supervised sinusoid loss on the grid (replaces the paper's KDE here).

  L1 between log amplitudes (floor -100 dB) of the predicted and the true
  sinusoids bin by bin, plus, where a true partial is, the L1 between their
  frequencies in bins weighted by its share of the frame's amplitude. The
  KDE of the paper compares two free sets of sinusoids; on a fixed grid the
  sets are aligned already, so the comparison is direct and costs n_bins per
  frame instead of n_pred x n_true.

  Args:
    pred_amps, pred_freqs: [b, f, n_bins] (the grid's sinusoids).
    true_amps, true_freqs: [b, f, n_partials].

  Returns:
    scalar.
  """
  c = model_config
  bpo = bins_per_octave(c)
  target_amps, target_offsets = grid_sinusoid_targets(true_amps, true_freqs, c)
  grid = tf.constant(grid_hz(c), tf.float32)
  pred_offsets = bpo * tf.math.log(pred_freqs / grid) / math.log(2.0)
  amp_loss = tf.reduce_mean(tf.abs(tf.math.log(pred_amps + _LOG_FLOOR)
                                   - tf.math.log(target_amps + _LOG_FLOOR)))
  share = core.safe_divide(target_amps,
                           tf.reduce_sum(target_amps, -1, keepdims=True))
  offset_loss = tf.reduce_mean(tf.reduce_sum(
      share * tf.abs(pred_offsets - target_offsets), axis=-1))
  return amp_loss + offset_weight * offset_loss
