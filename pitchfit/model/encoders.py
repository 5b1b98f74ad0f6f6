"""The two encoders of the transcribing autoencoder (reference section 4).

sinusoidal encoder: audio -> log-mel -> ResNet -> sinusoid frequencies (a
  softmax over log-frequency bins per sinusoid), amplitudes, noise magnitudes.
harmonic encoder: sinusoids -> dense/GRU sandwich -> f0 (softmax over
  log-frequency bins), overall amplitude, harmonic distribution.
"""

import tensorflow as tf
from keras import layers

from pitchfit.dsp import core
from pitchfit.model import nn
from pitchfit.dsp import spectral_ops


class SinusoidalEncoder(layers.Layer):
  """Audio [batch, n_samples] -> sinusoids and noise, [batch, n_frames, ...].

  Returns a dict:
    sin_freqs: [b, f, n_sinusoids] Hz.
    sin_amps: [b, f, n_sinusoids] linear amplitude.
    noise_magnitudes: [b, f, n_noise_bands] linear gains.
  """

  def __init__(self, config, **kwargs):
    super().__init__(**kwargs)
    self.config = config
    self.resnet = nn.ResNet(config.stem_channels, config.stack_channels,
                            config.stack_blocks, config.stack_strides,
                            second_input=bool(config.short_window_fft),
                            name='resnet')
    self.frequency_head_factor = (
        layers.Dense(config.frequency_head_rank, use_bias=False,
                     name='frequency_head_factor')
        if config.frequency_head_rank else None)
    self.frequency_head = layers.Dense(
        config.n_sinusoids * config.sinusoid_bins, name='frequency_head')
    self.amplitude_head = layers.Dense(config.n_sinusoids, name='amplitude_head')
    self.noise_head = layers.Dense(config.n_noise_bands, name='noise_head')

  def call(self, audio):
    c = self.config
    logmel = spectral_ops.compute_logmel(audio, c.sample_rate, n_mels=c.n_mels,
                                          center=c.center_frames)
    short = None
    if c.short_window_fft:
      # Same hop (512) and frame count, so the two grids align frame by frame.
      short = spectral_ops.compute_logmel(
          audio, c.sample_rate, n_mels=c.n_mels, fft_size=c.short_window_fft,
          overlap=1.0 - core.HOP_SIZE / c.short_window_fft,
          center=c.center_frames)[..., tf.newaxis]
    x = self.resnet(logmel[..., tf.newaxis], short)
    shape = tf.shape(x)
    x = tf.reshape(x, [shape[0], shape[1], x.shape[2] * x.shape[3]])
    frequency_features = (self.frequency_head_factor(x)
                          if self.frequency_head_factor is not None else x)
    return {
        'sin_freqs': core.frequencies_softmax(
            self.frequency_head(frequency_features), c.sinusoid_bins,
            c.sinusoid_hz_min, c.sinusoid_hz_max),
        'sin_amps': core.exp_sigmoid(self.amplitude_head(x)),
        'noise_magnitudes': core.exp_sigmoid(self.noise_head(x)),
    }


class HarmonicEncoder(layers.Layer):
  """Sinusoids -> harmonic controls, per frame with a GRU for context.

  Input: sin_freqs, sin_amps [b, f, n_sinusoids]. Returns a dict:
    f0_hz: [b, f, 1]; f0_logits: [b, f, f0_bins] (bins log-spaced
      f0_hz_min..f0_hz_max; f0 is the softmax's expected bin).
    harm_amp: [b, f, 1] linear amplitude.
    harm_dist: [b, f, n_harmonics], zero at or above Nyquist, sums to 1.
  """

  def __init__(self, config, **kwargs):
    super().__init__(**kwargs)
    self.config = config
    self.net = nn.RnnSandwich(config.fc_units, config.fc_layers,
                              config.rnn_units, name='rnn_sandwich')
    self.amp_head = layers.Dense(1, name='amp_head')
    self.dist_head = layers.Dense(config.n_harmonics, name='dist_head')
    self.f0_head = layers.Dense(config.f0_bins, name='f0_head')

  def call(self, sin_freqs, sin_amps):
    c = self.config
    x = tf.concat([core.hz_to_unit(sin_freqs, 0.0, c.sample_rate / 2.0),
                   sin_amps], axis=-1)
    x = self.net(x)
    f0_logits = self.f0_head(x)
    f0_hz = core.frequencies_softmax(f0_logits, c.f0_bins, c.f0_hz_min,
                                     c.f0_hz_max)
    harm_dist = core.normalize_harmonic_distribution(
        core.exp_sigmoid(self.dist_head(x)), f0_hz, c.sample_rate)
    return {
        'f0_hz': f0_hz,
        'f0_logits': f0_logits,
        'harm_amp': core.exp_sigmoid(self.amp_head(x)),
        'harm_dist': harm_dist,
    }
