"""Units, scalings and resampling of pitchfit.core, checked against their maths."""

import numpy as np
import pytest
import tensorflow as tf

from pitchfit.dsp import core


def _wrapped_error(phase, reference):
  """Largest distance between two phase arrays on the circle, in radians."""
  return np.abs(np.angle(np.exp(1j * (np.asarray(phase) - reference)))).max()


# ----------------------------------------------------------------------- units
def test_hz_midi_anchors_and_round_trip():
  np.testing.assert_allclose(core.hz_to_midi([440.0, 261.6256, 880.0]),
                             [69.0, 60.0, 81.0], atol=1e-4)
  np.testing.assert_array_equal(core.hz_to_midi([0.0, -5.0]), [0.0, 0.0])
  hz = np.geomspace(8.0, 8000.0, 200).astype(np.float32)
  np.testing.assert_allclose(core.midi_to_hz(core.hz_to_midi(hz)), hz, rtol=1e-5)
  midi = np.linspace(0.0, 127.0, 300).astype(np.float32)
  np.testing.assert_allclose(core.hz_to_midi(core.midi_to_hz(midi)), midi,
                             atol=1e-4)


def test_unit_and_hz_are_inverse_log_frequency_maps():
  unit = np.linspace(0.0, 1.0, 11).astype(np.float32)
  hz = core.unit_to_hz(unit, 20.0, 8000.0).numpy()
  np.testing.assert_allclose(hz[[0, -1]], [20.0, 8000.0], rtol=1e-5)
  ratios = hz[1:] / hz[:-1]  # Equal steps in unit are equal pitch intervals.
  np.testing.assert_allclose(ratios, ratios[0], rtol=1e-4)
  np.testing.assert_allclose(core.hz_to_unit(hz, 20.0, 8000.0), unit, atol=1e-5)
  # hz_min = 0: midi(f) / midi(8000), the paper's sinusoid-frequency input.
  np.testing.assert_allclose(core.hz_to_unit([440.0], 0.0, 8000.0),
                             [69.0 / core.hz_to_midi(8000.0).numpy()], rtol=1e-5)


def test_exp_sigmoid_reference_values_and_range():
  x = np.array([-10.0, -1.0, 0.0, 3.0], np.float32)
  np.testing.assert_allclose(core.exp_sigmoid(x), [1e-7, 0.097, 0.405, 1.79],
                             rtol=0.02, atol=1e-8)
  y = core.exp_sigmoid(np.linspace(-50.0, 50.0, 1001)).numpy()
  assert np.all(np.diff(y) >= 0.0)
  assert y.min() >= 1e-7 and y.max() <= 2.0 + 1e-6


def test_safe_log_and_divide_stay_finite_at_zero():
  assert np.isfinite(core.safe_log([0.0, -1.0])).all()
  np.testing.assert_allclose(core.safe_log([np.e]), [1.0], rtol=1e-6)
  result = core.safe_divide(tf.constant([1.0, 6.0]), tf.constant([0.0, 3.0]))
  assert np.isfinite(result).all() and result.numpy()[1] == pytest.approx(2.0)


# ------------------------------------------------------------- softmax pitch
@pytest.mark.parametrize('hz_min, hz_max', [(20.0, 8000.0), (20.0, 1200.0)])
def test_frequencies_softmax_maps_one_hot_bins_to_their_hz(hz_min, hz_max):
  depth = 64
  bins_hz = core.frequency_bins_hz(depth, hz_min, hz_max).numpy()
  np.testing.assert_allclose(bins_hz[[0, -1]], [hz_min, hz_max], rtol=1e-5)
  ratios = bins_hz[1:] / bins_hz[:-1]
  np.testing.assert_allclose(ratios, ratios[0], rtol=1e-4)  # log-spaced
  # [batch 2, frames 3, 2 frequencies * depth]: each frequency picks a bin.
  chosen = np.random.default_rng(0).integers(0, depth, size=(2, 3, 2))
  logits = np.where(np.arange(depth) == chosen[..., None], 1e4, 0.0)
  hz = core.frequencies_softmax(logits.reshape(2, 3, 2 * depth), depth,
                                hz_min, hz_max)
  assert hz.shape == (2, 3, 2)
  np.testing.assert_allclose(hz, bins_hz[chosen], rtol=1e-5)
  # Two equal bins give their midpoint in pitch (expected bin position).
  two = np.zeros((1, depth), np.float32)
  two[0, [10, 20]] = 1e4
  np.testing.assert_allclose(core.frequencies_softmax(two, depth, hz_min, hz_max),
                             [[bins_hz[15]]], rtol=1e-4)



def test_frequencies_around_peak_stays_on_the_stronger_mode():
  depth, hz_min, hz_max = 256, 20.0, 1200.0
  bins_hz = core.frequency_bins_hz(depth, hz_min, hz_max).numpy()
  # A mode at bin 100 (p = 0.6) and one an octave below (bin 57, p = 0.4):
  # the full expectation lands between them, the peak decoding does not.
  logits = np.full((1, depth), -1e4, np.float32)
  logits[0, 100], logits[0, 57] = np.log(0.6), np.log(0.4)
  full = core.frequencies_softmax(logits, depth, hz_min, hz_max).numpy()
  peak = core.frequencies_around_peak(logits, depth, hz_min, hz_max,
                                      radius=8).numpy()
  np.testing.assert_allclose(peak, [[bins_hz[100]]], rtol=1e-4)
  assert abs(12 * np.log2(full[0, 0] / bins_hz[100])) > 2.0
  # Within the radius it is the local expectation: bins 99 and 101 equally
  # likely around the peak average to the peak's frequency; a one-sided
  # neighbour pulls it part of the way.
  logits = np.full((2, depth), -1e4, np.float32)
  logits[0, [99, 100, 101]] = np.log([0.25, 0.5, 0.25])
  logits[1, [100, 102]] = np.log([0.75, 0.25])
  hz = core.frequencies_around_peak(logits, depth, hz_min, hz_max, radius=8)
  np.testing.assert_allclose(hz[0], bins_hz[100], rtol=1e-4)
  np.testing.assert_allclose(hz[1], bins_hz[100] * (bins_hz[1] / bins_hz[0]) ** 0.5,
                             rtol=1e-4)
  # Several frequencies per row, as frequencies_softmax takes them.
  rows = np.random.default_rng(0).normal(size=(3, 4, 2 * 64)).astype(np.float32)
  both = core.frequencies_around_peak(rows, 64, radius=64)
  np.testing.assert_allclose(both, core.frequencies_softmax(rows, 64), rtol=1e-4)

def test_harmonic_to_sinusoidal_masks_nyquist_and_keeps_the_amplitude():
  f0 = tf.constant([[[3000.0], [200.0]]])                  # [1, 2 frames, 1]
  harm_dist = tf.ones([1, 2, 5])
  harm_amp = tf.constant([[[0.8], [0.5]]])
  sin_amps, sin_freqs = core.harmonic_to_sinusoidal(harm_amp, harm_dist, f0)
  np.testing.assert_allclose(sin_freqs[0, 0], [3000, 6000, 9000, 12000, 15000])
  np.testing.assert_allclose(sin_amps[0, 0], [0.4, 0.4, 0.0, 0.0, 0.0], rtol=1e-6)
  np.testing.assert_allclose(sin_amps[0, 1], [0.1] * 5, rtol=1e-6)
  dist = core.normalize_harmonic_distribution(harm_dist, f0).numpy()
  np.testing.assert_allclose(dist.sum(axis=-1), 1.0, rtol=1e-6)


@pytest.mark.parametrize('n_weak, expected_db', [
    (0, [0, 0, 0, 0, 0]),
    (1, [-24, 0, 0, 0, 0]),
    (2, [-24, -12, 0, 0, 0]),
    (3, [-24, -16, -8, 0, 0])])
def test_weaken_low_harmonics_tapers_from_the_fundamental(n_weak, expected_db):
  harm_dist = tf.fill([1, 2, 5], 0.2)
  weak = core.weaken_low_harmonics(harm_dist, tf.constant([n_weak]),
                                   tf.constant([24.0])).numpy()
  np.testing.assert_allclose(20 * np.log10(weak / 0.2),
                             np.tile(expected_db, (1, 2, 1)), atol=1e-4)

# ----------------------------------------------------------------- resampling
def test_upsample_with_windows_keeps_constants_and_is_smooth():
  n_frames, hop = 10, 64
  constants = np.array([0.3, 2.0, 1e-7], np.float32)
  held = core.upsample_with_windows(np.tile(constants, (2, n_frames, 1)),
                                    n_frames * hop).numpy()
  assert held.shape == (2, n_frames * hop, 3)
  np.testing.assert_allclose(held, np.broadcast_to(constants, held.shape),
                             rtol=1e-5)
  # A step from 0 to 1 becomes a monotone crossfade without jumps.
  step = np.repeat([0.0, 1.0], n_frames // 2).astype(np.float32)[None, :, None]
  ramp = core.upsample_with_windows(step, n_frames * hop).numpy()[0, :, 0]
  assert np.all(np.diff(ramp) >= -1e-6)
  assert np.abs(np.diff(ramp)).max() < 2.0 / hop      # spread over >= hop/2
  assert ramp[0] == 0.0 and ramp[-1] == pytest.approx(1.0)
  # Random envelopes: a convex mix of neighbouring frames, no overshoot.
  frames = np.random.default_rng(1).uniform(0.0, 1.0, (1, n_frames, 4))
  out = core.upsample_with_windows(frames.astype(np.float32), n_frames * hop)
  assert out.numpy().min() >= frames.min() - 1e-6
  assert out.numpy().max() <= frames.max() + 1e-6
  np.testing.assert_allclose(out[0, -hop:], np.broadcast_to(frames[0, -1], (hop, 4)),
                             rtol=1e-5)  # The last frame is held.
  with pytest.raises(ValueError, match='multiple'):
    core.upsample_with_windows(frames, n_frames * hop + 1)


def test_upsample_linear_is_linear_between_frames():
  hop = 50
  frames = np.array([100.0, 200.0, 400.0, 400.0], np.float32)[None, :, None]
  out = core.upsample_linear(frames, 4 * hop).numpy()[0, :, 0]
  np.testing.assert_allclose(out[::hop], frames[0, :, 0])
  np.testing.assert_allclose(out[:hop], 100.0 + 100.0 * np.arange(hop) / hop,
                             rtol=1e-6)
  np.testing.assert_allclose(out[2 * hop:], 400.0)   # Constant stays constant.


def test_resample_frames_keeps_constants_and_lines():
  t = np.arange(1000, dtype=np.float32) / 250.0            # 250 frames/s
  frames = np.stack([np.full_like(t, 3.0), 10.0 * t], -1)[None]
  out = core.resample_frames(frames, 125).numpy()[0]       # 31.25 frames/s
  np.testing.assert_allclose(out[:, 0], 3.0)
  np.testing.assert_allclose(out[:, 1], 10.0 * np.arange(125) / 31.25, rtol=1e-5)


# ------------------------------------------------------------------ phases
def _random_glides(n_samples, channels, seed):
  """Frequencies [1, n_samples, channels] gliding over 100-7900 Hz."""
  rng = np.random.default_rng(seed)
  t = np.arange(n_samples)[None, :, None] / n_samples
  rate = rng.uniform(0.5, 3.0, (1, 1, channels))
  return 4000.0 + 3900.0 * np.sin(2.0 * np.pi * rate * t + rng.uniform(0, 6, channels))


def test_angular_cumsum_matches_float64_cumsum_mod_2pi():
  omegas = (_random_glides(64000, 4, seed=0) * 2 * np.pi / 16000).astype(np.float32)
  reference = np.mod(np.cumsum(omegas.astype(np.float64), axis=1), 2 * np.pi)
  phase = core.angular_cumsum(tf.constant(omegas)).numpy()
  assert phase.min() >= 0.0 and phase.max() <= 2 * np.pi
  error = _wrapped_error(phase, reference)
  naive = _wrapped_error(tf.cumsum(omegas, axis=1).numpy(), reference)
  assert error < 0.05               # < 1 % of a cycle after 4 s of 8 kHz
  assert error < naive / 10.0       # ...where a float32 cumsum drifts.


def test_linear_chirp_phases_match_a_cumsum_of_linear_frequencies():
  frames = np.random.default_rng(2).uniform(50.0, 7900.0, (2, 125, 3))
  frames = frames.astype(np.float32)
  phases, freqs = core.linear_chirp_phases(frames, 64000)
  audio_rate = core.upsample_linear(frames, 64000).numpy()
  np.testing.assert_allclose(freqs, audio_rate, rtol=1e-6)
  reference = np.cumsum(audio_rate.astype(np.float64) * 2 * np.pi / 16000, axis=1)
  assert _wrapped_error(phases, reference) < 0.01
