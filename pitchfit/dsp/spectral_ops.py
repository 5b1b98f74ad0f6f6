"""Spectral features: STFT magnitudes, log-mel, log-frequency, periodicity, A-weighted loudness."""

import functools

import librosa
import numpy as np
import tensorflow as tf

from pitchfit.dsp import core
from pitchfit.dsp import numpy_stft


def stft(audio, frame_size=2048, overlap=0.75, pad_end=True):
  """Complex STFT with a periodic Hann window.

  Args:
    audio: [batch, n_samples].
    frame_size: window and FFT length in samples.
    overlap: fraction of a frame shared with the next (hop = size * (1 - o)).
    pad_end: pad so every sample starts a frame: n_frames = ceil(n / hop).

  Returns:
    [batch, n_frames, frame_size // 2 + 1] complex64.
  """
  hop = int(frame_size * (1.0 - overlap))
  return tf.signal.stft(tf.convert_to_tensor(audio, tf.float32),
                        frame_length=frame_size, frame_step=hop,
                        fft_length=frame_size, pad_end=pad_end)


def compute_mag(audio, frame_size=2048, overlap=0.75, pad_end=True):
  """STFT magnitude, [batch, n_frames, frame_size // 2 + 1]."""
  return tf.abs(stft(audio, frame_size, overlap, pad_end))


def compute_logmel(audio, sample_rate=core.SAMPLE_RATE, n_mels=229, lo_hz=0.0,
                   hi_hz=8000.0, fft_size=2048, overlap=0.75, pad_end=True,
                   center=False):
  """Log mel-magnitude spectrogram, the transcribing autoencoder's input.

  Defaults are the paper's (Onsets and Frames' FFT parameters): 229 HTK mel
  bins from 0 to 8 kHz, FFT 2048, hop 512 -> 125 frames per 4 s at 16 kHz.

  Args:
    center: if True, frame k's window is centred on sample k * hop (zeros
      padded in front) instead of starting there, so it describes the same
      instant as control frame k; the frame count is unchanged.

  Returns:
    [batch, n_frames, n_mels], natural log of magnitude (floor 1e-5).
  """
  audio = tf.convert_to_tensor(audio, tf.float32)
  if center:
    hop = int(fft_size * (1.0 - overlap))
    n_frames = -(-audio.shape[-1] // hop)
    audio = tf.pad(audio, [[0, 0], [fft_size // 2, 0]])
  mag = compute_mag(audio, fft_size, overlap, pad_end)
  if center:
    mag = mag[:, :n_frames]
  mel_matrix = tf.signal.linear_to_mel_weight_matrix(
      n_mels, fft_size // 2 + 1, sample_rate, lo_hz, hi_hz)
  return core.safe_log(tf.tensordot(mag, mel_matrix, 1))


def log_frequency_grid_hz(hz_min, bins_per_octave, hz_max):
  """Centre frequencies of log-spaced bins from hz_min, bins_per_octave apart,
  up to hz_max inclusive: float64 [n_bins], Hz (NumPy, for constants)."""
  n_bins = int(np.floor(bins_per_octave * np.log2(hz_max / hz_min) + 1e-9)) + 1
  return hz_min * 2.0 ** (np.arange(n_bins) / bins_per_octave)


@functools.lru_cache(maxsize=8)
def log_frequency_matrix(fft_size, sample_rate, hz_min, bins_per_octave, hz_max):
  """[fft_size // 2 + 1, n_bins] weights from STFT bins to log-frequency bins.

  Output bin k is a triangle centred on its frequency f_k in linear Hz, as
  wide as the larger of its distance to the next log bin and one STFT bin:
  where log bins are wider than STFT bins (high frequencies) it averages
  them, as a mel filter does; where they are narrower (low frequencies, long
  before the window resolves them) it interpolates between the two nearest
  STFT bins. Columns sum to 1, so a steady sinusoid keeps its magnitude.
  """
  grid = log_frequency_grid_hz(hz_min, bins_per_octave, hz_max)
  stft_hz = np.arange(fft_size // 2 + 1) * sample_rate / fft_size
  spacing = np.maximum(grid * (2.0 ** (1.0 / bins_per_octave) - 1.0),
                       sample_rate / fft_size)
  weights = np.maximum(
      0.0, 1.0 - np.abs(stft_hz[:, None] - grid[None, :]) / spacing[None, :])
  weights /= np.maximum(weights.sum(axis=0, keepdims=True), 1e-12)
  return weights.astype(np.float32)


@functools.lru_cache(maxsize=8)
def periodicity_matrix(fft_size, sample_rate, periods_hz, max_hz):
  """[n_rows, n_periods] cosines from power-spectrum bins to autocorrelations.

  Row k, column j: cos(2 pi k lag_j / fft_size), lag_j = sample_rate /
  periods_hz[j] samples, for the STFT bins k up to max_hz. periods_hz: a
  tuple (cached by value).
  """
  n_rows = int(max_hz * fft_size / sample_rate) + 1
  k = np.arange(min(n_rows, fft_size // 2 + 1))[:, None]
  lags = sample_rate / np.asarray(periods_hz, np.float64)[None, :]
  return np.cos(2.0 * np.pi * k * lags / fft_size).astype(np.float32)


def periodicity_from_magnitudes(mag, sample_rate, fft_size, periods_hz,
                                max_hz=4000.0):
  """Normalised autocorrelation of each frame at the lags 1 / periods_hz.

  The autocorrelation is the cosine transform of the power spectrum
  (Wiener-Khinchin), so it is read at any fractional lag as one matmul on
  the magnitudes the encoders already have, with no inverse FFT. At the lag
  of a periodic frame's period every partial adds in phase: where the
  spectrum's peaks are smeared or leaning, the lag still marks the period,
  the cue YIN and pYIN track. Partials above max_hz are left out: they add
  cost and, in a 2048-sample window, little precision.

  Args:
    mag: [..., fft_size // 2 + 1] linear |STFT|.
    sample_rate: Hz.
    fft_size: the STFT's length.
    periods_hz: sequence of n_periods candidate f0s, Hz.
    max_hz: highest STFT bin used, Hz.

  Returns:
    [..., n_periods] in [-1, 1]: 1 where every partial is a harmonic of the
    candidate; 0 for a silent frame.
  """
  matrix = periodicity_matrix(fft_size, float(sample_rate),
                              tuple(float(f) for f in periods_hz), float(max_hz))
  power = tf.square(mag[..., :matrix.shape[0]])
  total = tf.reduce_sum(power, axis=-1, keepdims=True)
  return tf.matmul(power, matrix) / (total + 1e-20)


def compute_log_frequency(audio, sample_rate, hop_size, fft_size, hz_min,
                          bins_per_octave, hz_max=None):
  """Log-magnitude spectrogram on a log-frequency grid, frames centred.

  A pitch change moves every partial by the same number of bins, so a
  convolution over frequency sees a transposed note as the same pattern.

  Args:
    audio: [batch, n_samples].
    sample_rate: Hz.
    hop_size: samples per frame; n_samples must be a multiple of it.
    fft_size: STFT window and FFT length, samples.
    hz_min, bins_per_octave, hz_max: the grid (`log_frequency_grid_hz`);
      hz_max defaults to Nyquist.

  Returns:
    [batch, n_samples // hop_size, n_bins], natural log of magnitude
    (floor 1e-5); frame k's window is centred on sample k * hop_size.
  """
  return log_frequency_from_magnitudes(
      centred_stft_magnitudes(audio, fft_size, hop_size), sample_rate,
      fft_size, hz_min, bins_per_octave, hz_max)


def centred_stft_magnitudes(audio, fft_size, hop_size):
  """|STFT| of centred frames, periodic Hann window.

  Args:
    audio: [batch, n_samples], n_samples a multiple of hop_size.
    fft_size: window and FFT length, samples.
    hop_size: samples per frame.

  Returns:
    [batch, n_samples // hop_size, fft_size // 2 + 1], linear magnitudes;
    frame k's window is centred on sample k * hop_size. The window is
    numpy_stft's, which computes the same magnitudes for the LiteRT runtime.
  """
  frames = centred_frames(audio, fft_size, hop_size)
  window = tf.constant(numpy_stft.hann_window(fft_size))
  return tf.abs(tf.signal.rfft(frames * window, [fft_size]))


def log_frequency_from_magnitudes(mag, sample_rate, fft_size, hz_min,
                                  bins_per_octave, hz_max=None):
  """STFT magnitudes [..., fft_size // 2 + 1] -> log magnitudes [..., n_bins].

  The grid is `log_frequency_grid_hz`'s; natural log, floor 1e-5.
  """
  matrix = log_frequency_matrix(fft_size, sample_rate, float(hz_min),
                                float(bins_per_octave),
                                float(hz_max or sample_rate / 2.0))
  return core.safe_log(tf.matmul(mag, matrix))


def centred_frames(audio, frame_size, hop_size):
  """Frames centred every hop_size samples, zeros beyond the signal.

  The frames of tf.signal.frame on the signal padded by frame_size // 2 on
  each side, cut from hop-sized blocks by slices whose bounds are constants.
  tf.signal.frame gathers indices computed from the run-time length; in a
  LiteRT export with a free time axis those are unknown until each call, so
  LiteRT would allocate every later tensor at each call instead of planning
  them once.

  Args:
    audio: [batch, n_samples], n_samples a multiple of hop_size.
    frame_size, hop_size: samples.

  Returns:
    [batch, n_samples // hop_size, frame_size]; frame k is centred on
    sample k * hop_size.
  """
  audio = tf.convert_to_tensor(audio, tf.float32)
  blocks_per_frame = -(-frame_size // hop_size)
  padded = tf.pad(audio, [[0, 0], [frame_size // 2,
                                   blocks_per_frame * hop_size
                                   - frame_size // 2]])
  # n_samples // hop_size + blocks_per_frame blocks; frame k spans blocks
  # k .. k + blocks_per_frame - 1.
  blocks = tf.reshape(padded, tf.concat([tf.shape(padded)[:1], [-1, hop_size]],
                                        axis=0))
  frames = tf.concat([blocks[:, j:j - blocks_per_frame]
                      for j in range(blocks_per_frame)], axis=-1)
  return frames[..., :frame_size]


@functools.lru_cache(maxsize=8)
def _a_weighting_db(sample_rate, n_fft):
  frequencies = librosa.fft_frequencies(sr=sample_rate, n_fft=n_fft)
  return librosa.A_weighting(frequencies).astype(np.float32)


def compute_loudness(audio, sample_rate=core.SAMPLE_RATE, frame_rate=250,
                     n_fft=512, range_db=80.0, ref_db=20.7):
  """A-weighted loudness in dB, per frame.

  Magnitude spectrum in dB, perceptually weighted with the A-curve, made
  relative to ref_db, floored at -range_db per bin (so silent bins count as
  -range_db, not -inf-like), then averaged over frequency.

  Args:
    audio: [batch, n_samples].
    frame_rate: frames per second; sample_rate must be a multiple of it.

  Returns:
    [batch, ceil(n_samples / hop)] loudness in dB, >= -range_db.
  """
  hop = sample_rate // frame_rate
  mag = tf.abs(tf.signal.stft(tf.convert_to_tensor(audio, tf.float32),
                              frame_length=n_fft, frame_step=hop,
                              fft_length=n_fft, pad_end=True))
  power_db = 20.0 * core.safe_log(mag) / np.log(10.0)
  weighted = power_db + _a_weighting_db(sample_rate, n_fft) - ref_db
  return tf.reduce_mean(tf.maximum(weighted, -range_db), axis=-1)
