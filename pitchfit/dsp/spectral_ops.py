"""Spectral features: STFT magnitudes, log-mel, A-weighted loudness."""

import functools

import librosa
import numpy as np
import tensorflow as tf

from pitchfit.dsp import core


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
