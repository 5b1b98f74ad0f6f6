"""Losses: zero when they should be, ordered sensibly, and differentiable."""

import numpy as np
import pytest
import tensorflow as tf

from pitchfit.model import losses
from pitchfit.dsp import synths

N_SAMPLES, N_FRAMES = 16000, 25


def _controls(seed, n_sinusoids=8):
  rng = np.random.default_rng(seed)
  amps = rng.uniform(0.01, 0.1, (1, N_FRAMES, n_sinusoids))
  freqs = rng.uniform(100.0, 4000.0, (1, N_FRAMES, n_sinusoids))
  return amps.astype(np.float32), freqs.astype(np.float32)


def test_mean_difference_counts_masked_elements_as_zero():
  target = tf.constant([1.0, 2.0, 3.0, 4.0])
  value = tf.constant([1.0, 0.0, 3.0, 0.0])
  assert float(losses.mean_difference(target, value)) == pytest.approx(1.5)
  weights = tf.constant([1.0, 0.0, 1.0, 1.0])
  assert float(losses.mean_difference(target, value, weights)) == pytest.approx(1.0)


def test_spectral_loss_is_zero_only_for_identical_audio():
  loss = losses.SpectralLoss()
  a = synths.sinusoidal(*_controls(0), N_SAMPLES)
  b = synths.sinusoidal(*_controls(1), N_SAMPLES)
  assert float(loss(a, a)) == 0.0
  assert float(loss(a, b)) > 0.0
  assert float(loss(a, b)) == pytest.approx(float(loss(b, a)), rel=1e-6)
  # A small detuning costs less than a different set of sinusoids.
  amps, freqs = _controls(0)
  detuned = synths.sinusoidal(amps, freqs * 1.01, N_SAMPLES)
  assert 0.0 < float(loss(a, detuned)) < float(loss(a, b))


def test_gradients_flow_from_spectral_loss_to_every_control():
  loss = losses.SpectralLoss()
  target = synths.render_controls(*_controls(0), tf.fill([1, N_FRAMES, 65], 0.01),
                                  N_SAMPLES, seed=0)
  amps, freqs = _controls(1)
  variables = {
      'sin_amps': tf.Variable(amps), 'sin_freqs': tf.Variable(freqs),
      'noise_magnitudes': tf.Variable(tf.fill([1, N_FRAMES, 65], 0.02)),
  }
  with tf.GradientTape() as tape:
    audio = synths.render_controls(variables['sin_amps'], variables['sin_freqs'],
                                   variables['noise_magnitudes'], N_SAMPLES, seed=1)
    value = loss(target, audio)
  gradients = tape.gradient(value, variables)
  for name, gradient in gradients.items():
    assert gradient is not None, name
    gradient = gradient.numpy()
    assert np.isfinite(gradient).all(), name
    assert np.abs(gradient).max() > 0.0, name


def test_gradients_reach_f0_through_the_harmonic_synth():
  loss = losses.SpectralLoss()
  target = synths.harmonic(tf.fill([1, N_FRAMES, 1], 0.3), tf.ones([1, N_FRAMES, 10]),
                           tf.fill([1, N_FRAMES, 1], 220.0), N_SAMPLES)
  f0 = tf.Variable(tf.fill([1, N_FRAMES, 1], 233.0))
  harm_dist = tf.Variable(tf.ones([1, N_FRAMES, 10]))
  with tf.GradientTape() as tape:
    value = loss(target, synths.harmonic(tf.fill([1, N_FRAMES, 1], 0.3), harm_dist,
                                         f0, N_SAMPLES))
  for gradient in tape.gradient(value, [f0, harm_dist]):
    assert np.isfinite(gradient.numpy()).all()
    assert np.abs(gradient.numpy()).max() > 0.0


def test_kde_loss_prefers_matching_sinusoids():
  amps, freqs = _controls(2)
  kde = losses.KDEConsistencyLoss()
  values = [float(kde(amps, freqs * 2.0 ** (semitones / 12.0), amps, freqs))
            for semitones in (0.0, 0.1, 0.5, 1.0)]
  assert values == sorted(values) and values[0] < values[-1]
  nll = [float(losses.kde_nll(amps, freqs * 2.0 ** (s / 12.0), amps, freqs, 0.1))
         for s in (0.0, 1.0)]
  assert nll[0] < nll[1]
  # Only where the energy is: a quiet stray sinusoid costs little.
  stray = freqs.copy()
  stray[..., 0] *= 1.5
  quiet = amps.copy()
  quiet[..., 0] = 1e-6
  assert float(losses.kde_nll(quiet, stray, amps, freqs, 0.1)) < nll[1]


def test_harmonic_consistency_loss_ignores_silent_frames():
  loss = losses.HarmonicConsistencyLoss()
  rng = np.random.default_rng(3)
  voiced = np.arange(N_FRAMES) < 15
  true_amp = np.where(voiced, 0.5, 1e-7)[None, :, None].astype(np.float32)
  true_dist = rng.dirichlet(np.ones(20), (1, N_FRAMES)).astype(np.float32)
  true_f0 = np.where(voiced, 220.0, 8.18)[None, :, None].astype(np.float32)
  # Predictions equal to the truth on voiced frames, arbitrary on silent ones.
  silent = ~voiced[None, :, None]
  f0 = np.where(silent, 1000.0, true_f0).astype(np.float32)
  dist = np.where(silent, rng.dirichlet(np.ones(20), (1, N_FRAMES)), true_dist)
  terms = loss(true_amp, dist.astype(np.float32), f0, true_amp, true_dist, true_f0)
  assert set(terms) == {'harm_amp_loss', 'harm_dist_loss', 'f0_hz_loss'}
  assert float(terms['harm_dist_loss']) == 0.0
  assert float(terms['f0_hz_loss']) == 0.0
  # On a voiced frame the same mistakes count.
  f0[0, 0, 0] = 1000.0
  dist[0, 0] = dist[0, -1]
  terms = loss(true_amp, dist.astype(np.float32), f0, true_amp, true_dist, true_f0)
  assert float(terms['harm_dist_loss']) > 0.0
  assert float(terms['f0_hz_loss']) == pytest.approx(
      (69 + 12 * np.log2(1000 / 440) - (69 + 12 * np.log2(220 / 440))) / N_FRAMES,
      rel=1e-4)
  # The amplitude term is not masked: silence must be predicted too.
  wrong_amp = np.where(silent, 0.1, true_amp).astype(np.float32)
  terms = loss(wrong_amp, true_dist, true_f0, true_amp, true_dist, true_f0)
  assert float(terms['harm_amp_loss']) > 0.0


def test_harmonic_amplitude_in_db_tells_a_faint_harmonic_from_silence():
  true_amp = np.full((1, N_FRAMES, 1), 1e-7, np.float32)   # silence
  faint = np.full((1, N_FRAMES, 1), 1e-4, np.float32)      # -80 dB
  dist = np.full((1, N_FRAMES, 4), 0.25, np.float32)
  f0 = np.full((1, N_FRAMES, 1), 220.0, np.float32)
  linear = losses.HarmonicConsistencyLoss()(faint, dist, f0, true_amp, dist, f0)
  in_db = losses.HarmonicConsistencyLoss(amp_db_weight=0.01)(
      faint, dist, f0, true_amp, dist, f0)
  assert float(linear['harm_amp_loss']) < 1e-3              # next to nothing
  # 0.01 per dB of a 60-dB error (-80 against the -140-dB silence).
  assert float(in_db['harm_amp_loss']) == pytest.approx(
      float(linear['harm_amp_loss']) + 0.6, rel=1e-4)
  # Amplitudes under the floor count as the floor: no error below -140 dB.
  silent = losses.HarmonicConsistencyLoss(amp_db_weight=0.01)(
      np.zeros_like(true_amp), dist, f0, true_amp, dist, f0)
  assert float(silent['harm_amp_loss']) == pytest.approx(1e-7, abs=1e-9)


def test_filtered_noise_consistency_loss():
  loss = losses.FilteredNoiseConsistencyLoss(weight=2.0)
  magnitudes = tf.fill([1, N_FRAMES, 65], 0.3)
  assert float(loss(magnitudes, magnitudes)) == 0.0
  assert float(loss(magnitudes + 0.1, magnitudes)) == pytest.approx(0.2, rel=1e-5)


@pytest.mark.parametrize('blur,max_error', [(0.25, None), (0.5, 0.1)])
def test_f0_bins_blur_lets_a_coarse_grid_say_where_between_bins(blur, max_error):
  """On 12 bins per octave the loss's target must spread over two bins for
  its mean to land between them; half a bin of blur does, a quarter does not."""
  from pitchfit.dsp import core  # pylint: disable=g-import-not-at-top
  from pitchfit.model.autoencoder import f0_bins_cross_entropy  # pylint: disable=g-import-not-at-top
  hz_min, hz_max, bins = 27.5, 27.5 * 2 ** (88 / 12), 89
  true_hz = 220.0 * 2 ** (0.3 / 12)  # 0.3 semitone above a bin
  logits = tf.zeros([1, 1, bins])
  with tf.GradientTape() as tape:
    tape.watch(logits)
    loss = f0_bins_cross_entropy(logits, tf.constant([[[true_hz]]]),
                                 tf.ones([1, 1, 1]), hz_min, hz_max, blur)
  # d loss / d logits = softmax(logits) - target, so at zero logits:
  target = 1.0 / bins - tape.gradient(loss, logits).numpy()[0, 0]
  midi = core.hz_to_midi(core.frequency_bins_hz(bins, hz_min, hz_max)).numpy()
  error = abs(float((target * midi).sum()) - float(core.hz_to_midi(true_hz)))
  if max_error is None:
    assert error > 0.2   # nearly one-hot: the mean sticks to the bin
  else:
    assert error < max_error
