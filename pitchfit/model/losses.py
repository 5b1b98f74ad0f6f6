"""Losses of the transcribing autoencoder (reference section 5).

Each loss is a small object holding its weights (set from YAML) and returning
a dict `{name: scalar}` so every term can be reported as a metric.
"""

import dataclasses

import tensorflow as tf
import tensorflow_probability as tfp

from pitchfit.dsp import core
from pitchfit.dsp import spectral_ops

tfd = tfp.distributions


AMP_DB_FLOOR = -140.0  # dB; the synthetic notes' silent amplitude is 1e-7


def mean_difference(target, value, weights=None):
  """Mean absolute difference over all elements (masked ones count as 0)."""
  difference = tf.abs(target - value)
  if weights is not None:
    difference *= weights
  return tf.reduce_mean(difference)


# ------------------------------------------------------------- reconstruction
@dataclasses.dataclass
class SpectralLoss:
  """Multi-scale spectral L1 between two audio batches.

  Sum over FFT sizes of mag_weight * L1(|S|) + logmag_weight * L1(log |S|):
  the linear term follows loud partials, the log term quiet detail.
  """
  fft_sizes: tuple = (2048, 1024, 512, 256, 128, 64)
  mag_weight: float = 1.0
  logmag_weight: float = 1.0
  overlap: float = 0.75

  def __call__(self, target_audio, audio):
    """Args: [batch, n_samples] each. Returns a scalar."""
    loss = 0.0
    for size in self.fft_sizes:
      target_mag = spectral_ops.compute_mag(target_audio, size, self.overlap)
      mag = spectral_ops.compute_mag(audio, size, self.overlap)
      if self.mag_weight:
        loss += self.mag_weight * mean_difference(target_mag, mag)
      if self.logmag_weight:
        loss += self.logmag_weight * mean_difference(
            core.safe_log(target_mag), core.safe_log(mag))
    return loss


# ---------------------------------------------------------------- consistency
def kde_nll(amps_a, freqs_a, amps_b, freqs_b, scale_midi):
  """Mean negative log-likelihood of sinusoids a under a pitch KDE of b.

  The KDE is a Gaussian mixture over MIDI pitch: one component per sinusoid of
  b at midi(freq_b) with std scale_midi, weighted by b's normalised amplitudes.
  Each sinusoid of a is scored and weighted by its own normalised amplitude,
  then averaged over a's sinusoids (the paper's mean, not a sum).

  Args:
    amps_a, freqs_a: [batch, n_frames, n_a] (linear amplitude, Hz).
    amps_b, freqs_b: [batch, n_frames, n_b].
    scale_midi: std of each component in semitones.

  Returns:
    Scalar.
  """
  amps_b = tf.where(amps_b <= 0.0, 1e-7 * tf.ones_like(amps_b), amps_b)
  kde = tfd.MixtureSameFamily(
      mixture_distribution=tfd.Categorical(
          probs=amps_b / tf.reduce_sum(amps_b, axis=-1, keepdims=True)),
      components_distribution=tfd.Normal(
          loc=core.hz_to_midi(freqs_b), scale=scale_midi))
  # Score all of a's sinusoids under each frame's mixture: put them first.
  midi_a = tf.transpose(core.hz_to_midi(freqs_a), [2, 0, 1])
  nll = -tf.transpose(kde.log_prob(midi_a), [1, 2, 0])    # [b, f, n_a]
  weights_a = core.safe_divide(amps_a,
                               tf.reduce_sum(amps_a, axis=-1, keepdims=True))
  return tf.reduce_mean(nll * weights_a)


@dataclasses.dataclass
class KDEConsistencyLoss:
  """Pitch agreement of two sets of sinusoids, both ways, plus mean amplitude."""
  weight_a: float = 1.0
  weight_b: float = 1.0
  weight_mean_amp: float = 1.0
  scale_a: float = 0.1
  scale_b: float = 0.1

  def __call__(self, amps_a, freqs_a, amps_b, freqs_b):
    loss = 0.0
    if self.weight_a:
      loss += self.weight_a * kde_nll(amps_a, freqs_a, amps_b, freqs_b,
                                      self.scale_b)
    if self.weight_b:
      loss += self.weight_b * kde_nll(amps_b, freqs_b, amps_a, freqs_a,
                                      self.scale_a)
    if self.weight_mean_amp:
      loss += self.weight_mean_amp * mean_difference(
          tf.reduce_mean(amps_a, axis=-1), tf.reduce_mean(amps_b, axis=-1))
    return loss


@dataclasses.dataclass
class HarmonicConsistencyLoss:
  """Parameter losses on harmonic controls against known (synthetic) ones.

  The distribution and f0 terms are masked where the true amplitude is under
  amp_threshold: a silent note has no pitch to learn.
  """
  amp_weight: float = 1.0
  dist_weight: float = 1.0
  f0_weight: float = 1.0
  amp_threshold: float = 1e-4
  amp_db_weight: float = 0.0  # per dB, amplitudes floored at AMP_DB_FLOOR

  def __call__(self, harm_amp, harm_dist, f0_hz,
               true_harm_amp, true_harm_dist, true_f0_hz):
    mask = tf.cast(true_harm_amp >= self.amp_threshold, tf.float32)
    amp_loss = self.amp_weight * mean_difference(true_harm_amp, harm_amp)
    if self.amp_db_weight:
      amp_loss += self.amp_db_weight * mean_difference(
          core.amplitude_to_db(true_harm_amp, AMP_DB_FLOOR),
          core.amplitude_to_db(harm_amp, AMP_DB_FLOOR))
    return {
        'harm_amp_loss': amp_loss,
        'harm_dist_loss': self.dist_weight * mean_difference(
            true_harm_dist, harm_dist, mask),
        'f0_hz_loss': self.f0_weight * mean_difference(
            core.hz_to_midi(true_f0_hz), core.hz_to_midi(f0_hz), mask),
    }


@dataclasses.dataclass
class FilteredNoiseConsistencyLoss:
  """L1 between predicted and known noise magnitudes."""
  weight: float = 1.0

  def __call__(self, noise_magnitudes, true_noise_magnitudes):
    return self.weight * mean_difference(true_noise_magnitudes,
                                         noise_magnitudes)
