"""Differentiable synthesizers: controls in, audio out, no hidden state.

All take frame-rate controls `[batch, n_frames, channels]` and return audio
`[batch, n_samples]`; `n_samples` must be a multiple of `n_frames` (the hop).
"""

import numpy as np
import tensorflow as tf

from pitchfit.dsp import core


def oscillator_bank(frequency_envelopes, amplitude_envelopes,
                    sample_rate=core.SAMPLE_RATE):
  """Sum of sinusoids from audio-rate envelopes.

  Args:
    frequency_envelopes: [batch, n_samples, n_sinusoids] in Hz.
    amplitude_envelopes: [batch, n_samples, n_sinusoids], linear amplitude.
    sample_rate: in Hz. Sinusoids at or above Nyquist are silenced.

  Returns:
    [batch, n_samples] audio. Phases start at 0.
  """
  amplitude_envelopes = core.remove_above_nyquist(
      frequency_envelopes, amplitude_envelopes, sample_rate)
  omegas = frequency_envelopes * (2.0 * np.pi / sample_rate)
  phases = core.angular_cumsum(omegas)
  return tf.reduce_sum(amplitude_envelopes * tf.sin(phases), axis=-1)


def sinusoidal(sin_amps, sin_freqs, n_samples, sample_rate=core.SAMPLE_RATE):
  """Sinusoidal synthesizer: independent sinusoids from frame-rate controls.

  Args:
    sin_amps: [batch, n_frames, n_sinusoids], linear amplitude.
    sin_freqs: [batch, n_frames, n_sinusoids] in Hz.
    n_samples: length of the output.

  Returns:
    [batch, n_samples] audio. Amplitudes are upsampled with overlapping Hann
    windows (smooth), frequencies linearly (no phase jumps).
  """
  amps = core.upsample_with_windows(sin_amps, n_samples)
  phases, freqs = core.linear_chirp_phases(sin_freqs, n_samples, sample_rate)
  amps = core.remove_above_nyquist(freqs, amps, sample_rate)
  return tf.reduce_sum(amps * tf.sin(phases), axis=-1)


def harmonic(harm_amp, harm_dist, f0_hz, n_samples, sample_rate=core.SAMPLE_RATE):
  """Harmonic synthesizer: partials at f0 * k.

  Args:
    harm_amp: [batch, n_frames, 1] overall amplitude.
    harm_dist: [batch, n_frames, n_harmonics] relative amplitudes; masked
      above Nyquist and renormalized here.
    f0_hz: [batch, n_frames, 1] fundamental frequency in Hz.

  Returns:
    [batch, n_samples] audio.
  """
  sin_amps, sin_freqs = core.harmonic_to_sinusoidal(
      harm_amp, harm_dist, f0_hz, sample_rate)
  return sinusoidal(sin_amps, sin_freqs, n_samples, sample_rate)


def frequency_impulse_responses(magnitudes):
  """Zero-phase magnitude responses -> windowed, causal FIR filters.

  Args:
    magnitudes: [batch, n_frames, n_bands], linear gain on bands spaced
      linearly from 0 Hz to Nyquist.

  Returns:
    [batch, n_frames, 2 * (n_bands - 1)] impulse responses, centred (delay of
    half their length) and Hann-windowed to a smooth frequency response.
  """
  magnitudes = tf.convert_to_tensor(magnitudes, tf.float32)
  impulse = tf.signal.irfft(tf.complex(magnitudes, tf.zeros_like(magnitudes)))
  ir_size = impulse.shape[-1]
  # The zero-phase response is centred on sample 0 (and wraps around); rotate
  # it to the middle (sample ir_size // 2), then taper with a Hann window that
  # peaks there (the periodic one does).
  impulse = tf.signal.fftshift(impulse, axes=-1)
  return impulse * tf.signal.hann_window(ir_size, periodic=True)


def fft_convolve(audio, impulse_responses):
  """Time-varying FIR filtering: block k of audio is convolved with IR k.

  Args:
    audio: [batch, n_samples].
    impulse_responses: [batch, n_frames, ir_size]; n_samples / n_frames
      samples per block.

  Returns:
    [batch, n_samples], aligned with the input (the IR's centring delay of
    ir_size // 2 samples is removed).
  """
  n_samples = audio.shape[-1]
  n_frames, ir_size = impulse_responses.shape[1], impulse_responses.shape[2]
  hop = n_samples // n_frames
  blocks = tf.signal.frame(audio, hop, hop)                 # [b, f, hop]
  fft_size = int(2 ** np.ceil(np.log2(hop + ir_size - 1)))
  spectrum = (tf.signal.rfft(blocks, [fft_size])
              * tf.signal.rfft(impulse_responses, [fft_size]))
  filtered = tf.signal.irfft(spectrum, [fft_size])[..., :hop + ir_size - 1]
  out = tf.signal.overlap_and_add(filtered, hop)
  delay = ir_size // 2
  return out[:, delay:delay + n_samples]


def filtered_noise(noise_magnitudes, n_samples, seed=None):
  """Uniform white noise shaped by a time-varying filter.

  Args:
    noise_magnitudes: [batch, n_frames, n_bands], linear gain of bands evenly
      spaced from 0 Hz to Nyquist (65 bands -> 125 Hz apart at 16 kHz).
    n_samples: length of the output; n_samples / n_frames samples per block.
    seed: optional int for reproducible noise.

  Returns:
    [batch, n_samples] audio.
  """
  batch = tf.shape(noise_magnitudes)[0]
  if seed is None:
    noise = tf.random.uniform([batch, n_samples], -1.0, 1.0)
  else:
    noise = tf.random.stateless_uniform([batch, n_samples], [seed, 0], -1.0, 1.0)
  return fft_convolve(noise, frequency_impulse_responses(noise_magnitudes))


def colored_noise(exponent, n_samples, rng=None):
  """Stationary broadband noise whose power falls as 1 / f**exponent.

  White Gaussian noise shaped in frequency: exponent 0 is white, 1 pink,
  2 brown (red). DC is removed and each example is scaled to unit RMS, so
  the caller sets its level.

  Args:
    exponent: [batch] spectral slope of each example, >= 0.
    n_samples: length of the output.
    rng: optional `tf.random.Generator`; default the global generator.

  Returns:
    [batch, n_samples] audio, unit RMS per example.
  """
  exponent = tf.convert_to_tensor(exponent, tf.float32)
  shape = [tf.shape(exponent)[0], n_samples]
  white = (rng.normal(shape) if rng is not None
           else tf.random.normal(shape))
  spectrum = tf.signal.rfft(white)
  # Bin k is at k * sample_rate / n_samples; the slope is scale-free, so bin
  # indices serve as frequencies. Bin 0 (DC) gets gain 0.
  bins = tf.range(n_samples // 2 + 1, dtype=tf.float32)
  gain = tf.where(bins > 0,
                  tf.maximum(bins, 1.0) ** (-exponent[:, tf.newaxis] / 2.0),
                  0.0)
  noise = tf.signal.irfft(spectrum * tf.cast(gain, tf.complex64), [n_samples])
  rms = tf.sqrt(tf.reduce_mean(tf.square(noise), axis=-1, keepdims=True))
  return noise / rms


def mix_at_snr(signal, noise, snr_db):
  """signal + noise, the noise scaled to snr_db below the signal (RMS).

  Args:
    signal: [batch, n_samples] audio.
    noise: [batch, n_samples] audio of any nonzero level.
    snr_db: [batch] or scalar, signal-to-noise ratio in dB over the whole
      example. A silent signal gets no noise.

  Returns:
    [batch, n_samples] audio.
  """
  def rms(x):
    return tf.sqrt(tf.reduce_mean(tf.square(x), axis=-1, keepdims=True))
  snr_db = tf.reshape(tf.cast(snr_db, tf.float32), [-1, 1])
  scale = core.safe_divide(rms(signal), rms(noise)) * core.db_to_amplitude(
      -snr_db)
  return signal + scale * noise


def render_controls(sin_amps, sin_freqs, noise_magnitudes, n_samples,
                    sample_rate=core.SAMPLE_RATE, seed=None):
  """Audio of a synthetic note: sinusoids plus filtered noise, [batch, n_samples]."""
  return (sinusoidal(sin_amps, sin_freqs, n_samples, sample_rate)
          + filtered_noise(noise_magnitudes, n_samples, seed=seed))


def room_impulse_response(rt60_s, drr_db, n_samples, sample_rate=core.SAMPLE_RATE,
                          rng=None):
  """Synthetic room impulse responses: a direct path, then decaying noise.

  The reverberant tail is Gaussian noise under an exponential envelope that
  falls 60 dB in rt60_s (Polack's statistical model of a diffuse field),
  starting 1 ms after the direct path; its energy sits drr_db below the
  direct path's (the direct-to-reverberant ratio).

  Args:
    rt60_s: [batch] reverberation time, s (> 0).
    drr_db: [batch] direct-to-reverberant energy ratio, dB.
    n_samples: length of each response.
    sample_rate: Hz.
    rng: optional `tf.random.Generator`; default the global generator.

  Returns:
    [batch, n_samples] impulse responses, 1.0 at sample 0.
  """
  rt60_s = tf.reshape(tf.cast(rt60_s, tf.float32), [-1, 1])
  drr_db = tf.reshape(tf.cast(drr_db, tf.float32), [-1, 1])
  shape = [tf.shape(rt60_s)[0], n_samples]
  noise = rng.normal(shape) if rng is not None else tf.random.normal(shape)
  t = tf.range(n_samples, dtype=tf.float32) / sample_rate
  # 60 dB of amplitude decay in rt60: exp(-6.91 t / rt60).
  envelope = tf.exp(-6.9078 * t / rt60_s) * tf.cast(t >= 1e-3, tf.float32)
  tail = noise * envelope
  tail_energy = tf.reduce_sum(tf.square(tail), -1, keepdims=True)
  tail *= tf.sqrt(core.safe_divide(core.db_to_amplitude(-drr_db) ** 2,
                                   tail_energy))
  direct = tf.one_hot(0, n_samples)[tf.newaxis]
  return direct + tail


def convolve_same_length(audio, impulse_responses):
  """Per-example linear convolution, cut to the input's length (causal).

  Args:
    audio: [batch, n_samples].
    impulse_responses: [batch, ir_size].

  Returns:
    [batch, n_samples].
  """
  n_samples = audio.shape[-1]
  ir_size = impulse_responses.shape[-1]
  fft_size = int(2 ** np.ceil(np.log2(n_samples + ir_size - 1)))
  spectrum = (tf.signal.rfft(audio, [fft_size])
              * tf.signal.rfft(impulse_responses, [fft_size]))
  return tf.signal.irfft(spectrum, [fft_size])[:, :n_samples]
