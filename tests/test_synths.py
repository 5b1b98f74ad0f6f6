"""Synthesizers checked by their spectra: partials where asked, noise shaped."""

import numpy as np
import tensorflow as tf

from pitchfit.dsp import synths

SR = 16000
N_SAMPLES = 64000
N_FRAMES = 125


def _spectrum(audio):
  """Hann-windowed magnitude spectrum of one 1-D signal and its bin freqs (Hz)."""
  audio = np.asarray(audio, np.float64)
  magnitude = np.abs(np.fft.rfft(audio * np.hanning(len(audio))))
  return magnitude, np.fft.rfftfreq(len(audio), 1.0 / SR)


def _peaks(magnitude, count):
  """Indices of the `count` largest local maxima."""
  inner = (magnitude[1:-1] > magnitude[:-2]) & (magnitude[1:-1] >= magnitude[2:])
  candidates = np.flatnonzero(inner) + 1
  return np.sort(candidates[np.argsort(magnitude[candidates])[-count:]])


def _band_energy(power, freqs, lo_hz, hi_hz):
  return power[(freqs >= lo_hz) & (freqs < hi_hz)].sum()


def _constant(values, n_frames=N_FRAMES):
  """[1, n_frames, len(values)] constant control."""
  return tf.constant(np.tile(np.float32(values), (1, n_frames, 1)))


def test_harmonic_tone_has_its_peaks_at_f0_times_k():
  f0, n_harmonics = 196.7, 30                             # 30 * f0 < 8 kHz
  weights = np.random.default_rng(0).uniform(0.5, 1.0, n_harmonics)
  audio = synths.harmonic(_constant([0.5]), _constant(weights), _constant([f0]),
                          N_SAMPLES).numpy()
  assert audio.shape == (1, N_SAMPLES)
  magnitude, freqs = _spectrum(audio[0])
  peaks_hz = freqs[_peaks(magnitude, n_harmonics)]
  expected_hz = f0 * np.arange(1, n_harmonics + 1)
  np.testing.assert_allclose(peaks_hz, expected_hz, atol=0.5)  # 0.25 Hz bins
  # Partial amplitudes (root of each window lobe's energy, which unlike the
  # peak height does not depend on where f0 * k falls between bins) follow
  # the harmonic distribution...
  power = magnitude ** 2
  lobes = np.sqrt([_band_energy(power, freqs, hz - 1.0, hz + 1.0)
                   for hz in expected_hz])
  np.testing.assert_allclose(lobes / lobes.sum(), weights / weights.sum(),
                             rtol=0.01)
  # ...and nearly all the energy is at the partials.
  near = np.min(np.abs(freqs[:, None] - expected_hz), axis=1) < 3.0
  assert power[~near].sum() < 1e-4 * power.sum()


def test_partials_at_or_above_nyquist_are_silent():
  sin_freqs = [3000.0, 6000.0, 9000.0, 12000.0, 15000.0]   # aliases: 7, 4, 1 kHz
  amplitude = 0.2
  audio = synths.sinusoidal(_constant([amplitude] * 5), _constant(sin_freqs),
                            N_SAMPLES).numpy()[0]
  magnitude, freqs = _spectrum(audio)
  power = magnitude ** 2
  for alias_hz in (7000.0, 4000.0, 1000.0):
    assert _band_energy(power, freqs, alias_hz - 20, alias_hz + 20) < 1e-8 * power.sum()
  # The two audible partials keep their amplitude (a Hann window on a whole
  # number of cycles peaks at amplitude * N / 4).
  for partial_hz in (3000.0, 6000.0):
    peak = magnitude[np.argmin(np.abs(freqs - partial_hz))]
    assert abs(peak / (amplitude * N_SAMPLES / 4) - 1.0) < 0.01
  # A harmonic tone at f0 = 3 kHz keeps harm_amp on the two partials left.
  harmonic = synths.harmonic(_constant([0.4]), _constant([1.0] * 5),
                             _constant([3000.0]), N_SAMPLES).numpy()[0]
  np.testing.assert_allclose(harmonic, audio, atol=1e-3)


def test_oscillator_bank_sine_has_the_expected_rms():
  n = 16000
  freqs = tf.fill([1, n, 1], 440.0)
  amps = tf.fill([1, n, 1], 0.3)
  audio = synths.oscillator_bank(freqs, amps).numpy()[0]
  assert abs(np.sqrt(np.mean(audio ** 2)) - 0.3 / np.sqrt(2)) < 1e-3
  assert abs(audio[0]) < 0.3 * 2 * np.pi * 440 / SR + 1e-6  # Phase starts at 0.


def _average_power(audio, size=512):
  """Welch average power spectrum of a 1-D signal, and bin frequencies."""
  frames = audio[: len(audio) // size * size].reshape(-1, size) * np.hanning(size)
  return (np.abs(np.fft.rfft(frames, axis=-1)) ** 2).mean(0), np.fft.rfftfreq(size, 1 / SR)


def test_filtered_noise_follows_the_requested_magnitudes():
  ramp = np.linspace(0.0, 1.0, 65)
  shapes = {'low_pass': 1.0 - ramp, 'high_pass': ramp,
            'bumps': 0.1 + np.cos(3 * np.pi * ramp) ** 2}
  for name, shape in shapes.items():
    audio = synths.filtered_noise(_constant(shape), N_SAMPLES, seed=3).numpy()[0]
    power, freqs = _average_power(audio)
    low = _band_energy(power, freqs, 0, 2000)
    high = _band_energy(power, freqs, 6000, 8000)
    if name == 'low_pass':
      assert low > 20 * high
    elif name == 'high_pass':
      assert high > 20 * low
    # The measured amplitude response tracks the requested one.
    requested = np.interp(freqs, np.linspace(0, SR / 2, 65), shape)
    measured = np.sqrt(power)
    inside = (freqs > 200) & (freqs < 7800)  # Away from the edges' windowing.
    correlation = np.corrcoef(measured[inside], requested[inside])[0, 1]
    assert correlation > 0.97, (name, correlation)


def test_filtered_noise_changes_filter_per_frame():
  ramp = np.linspace(0.0, 1.0, 65, dtype=np.float32)
  magnitudes = np.concatenate([np.tile(1 - ramp, (1, 62, 1)),
                               np.tile(ramp, (1, 63, 1))], axis=1)
  audio = synths.filtered_noise(magnitudes, N_SAMPLES, seed=4).numpy()[0]
  def centroid(segment):
    power, freqs = _average_power(segment)
    return (power * freqs).sum() / power.sum()
  split = 62 * 512
  assert centroid(audio[:split]) < 3000 < 5000 < centroid(audio[split:])


def test_flat_filter_passes_audio_unchanged_and_aligned():
  audio = np.random.default_rng(5).uniform(-1, 1, (2, 6400)).astype(np.float32)
  flat = synths.frequency_impulse_responses(tf.ones([2, 10, 65]))
  np.testing.assert_allclose(synths.fft_convolve(audio, flat), audio, atol=1e-5)
  # Reproducible with a seed, different without.
  a = synths.filtered_noise(tf.ones([1, 10, 65]), 6400, seed=7)
  b = synths.filtered_noise(tf.ones([1, 10, 65]), 6400, seed=7)
  np.testing.assert_array_equal(a, b)
  assert abs(np.var(a.numpy()) - 1.0 / 3.0) < 0.03  # Uniform(-1, 1) noise.


def test_render_controls_is_finite_and_sums_both_parts():
  sin_amps, sin_freqs = _constant([0.1, 0.05]), _constant([220.0, 440.0])
  noise = _constant(np.full(65, 0.01))
  audio = synths.render_controls(sin_amps, sin_freqs, noise, N_SAMPLES, seed=1)
  assert audio.shape == (1, N_SAMPLES) and np.isfinite(audio).all()
  parts = (synths.sinusoidal(sin_amps, sin_freqs, N_SAMPLES)
           + synths.filtered_noise(noise, N_SAMPLES, seed=1))
  np.testing.assert_allclose(audio, parts, atol=1e-6)


def test_colored_noise_has_unit_rms_and_the_requested_slope():
  n = 32768
  noise = synths.colored_noise(tf.constant([0.0, 1.0, 2.0]), n,
                               tf.random.Generator.from_seed(3)).numpy()
  np.testing.assert_allclose(np.sqrt(np.mean(noise ** 2, axis=-1)), 1.0,
                             rtol=1e-4)
  np.testing.assert_allclose(noise.mean(axis=-1), 0.0, atol=1e-4)  # no DC
  # Power per bin a decade apart: 0, 10 and 20 dB per decade.
  power = np.abs(np.fft.rfft(noise, axis=-1)) ** 2
  low, high = power[:, 200:400].mean(-1), power[:, 2000:4000].mean(-1)
  np.testing.assert_allclose(10 * np.log10(low / high), [0, 10, 20], atol=1.0)


def test_mix_at_snr_sets_the_ratio_per_example_and_spares_silence():
  n = 16000
  signal = tf.random.stateless_normal([3, n], [0, 1]) * [[1.0], [0.1], [0.0]]
  noise = 5.0 * tf.random.stateless_normal([3, n], [0, 2])
  mixed = synths.mix_at_snr(signal, noise, [10.0, 30.0, 10.0]).numpy()
  added = mixed - signal.numpy()
  rms = lambda x: np.sqrt(np.mean(x ** 2, axis=-1))
  snr = 20 * np.log10(rms(signal.numpy()[:2]) / rms(added[:2]))
  np.testing.assert_allclose(snr, [10.0, 30.0], atol=1e-3)
  np.testing.assert_array_equal(mixed[2], 0.0)
