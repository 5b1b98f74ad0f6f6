"""STFT magnitudes in NumPy: the log-frequency models' first step, without TensorFlow.

A `harmonic_cnn` model reads its audio through centred STFTs (2048 and 512
samples every 10 ms for the default model). In a LiteRT export those FFTs
ran on LiteRT's reference kernel, a third of the whole model's time per
second of audio; NumPy's pocketfft computes the same magnitudes in a third
of that, and releases the GIL, so files tracked side by side still use both
cores. The export therefore starts after the magnitudes
(pitchfit.track.export, format 2) and the LiteRT runtime computes them here
(pitchfit.track.litert_model). The export checks the two halves together
against the Keras model, so the split cannot drift.

The window is defined here, once, and the TensorFlow model uses it too
(`spectral_ops.centred_stft_magnitudes`): TensorFlow's and NumPy's float32
cosines differ in the last bit for a twentieth of the samples, enough to
move the log of a near-silent bin by a tenth. The framing is
`spectral_ops.centred_frames`': frame k is centred on sample k * hop_size,
zeros beyond the signal. NumPy only: the light install imports this.
"""

import functools
import threading

import numpy as np


@functools.lru_cache(maxsize=8)
def hann_window(size):
  """Periodic Hann window, float32 [size], computed in float64.

  Read-only: it is cached and shared.
  """
  n = np.arange(size)
  window = (0.5 - 0.5 * np.cos(2.0 * np.pi * n / size)).astype(np.float32)
  window.flags.writeable = False
  return window


def centred_frames(audio, frame_size, hop_size, padded=None):
  """Frames centred every hop_size samples, zeros beyond the signal.

  Args:
    audio: float32 [batch, n_samples], n_samples a multiple of hop_size.
    frame_size, hop_size: samples.
    padded: optional float32 buffer of at least batch * (n_samples +
      frame_size) elements to hold the zero-padded audio (default: a new
      array).

  Returns:
    A read-only view, float32 [batch, n_samples // hop_size, frame_size]
    (into `padded` if given).
  """
  audio = np.asarray(audio, np.float32)
  batch, n = audio.shape
  n_frames = n // hop_size
  half = frame_size // 2
  size = batch * (n + frame_size)
  if padded is None:
    padded = np.empty(size, np.float32)
  padded = padded[:size].reshape(batch, n + frame_size)
  padded[:, :half] = 0.0
  padded[:, half:half + n] = audio
  padded[:, half + n:] = 0.0
  windows = np.lib.stride_tricks.sliding_window_view(padded, frame_size,
                                                     axis=-1)
  return windows[:, :n_frames * hop_size:hop_size]


def stft_magnitudes(audio, fft_size, hop_size, out=None):
  """|STFT| of centred, Hann-windowed frames.

  Frames go through the FFT CHUNK_FRAMES at a time, in float64, in scratch
  buffers kept per thread. NumPy's pocketfft runs several float64
  transforms at once in SIMD lanes, and float32 ones one by one: 4.3 against
  17 microseconds per 2048-sample frame on this project's CPU. Whole-window
  temporaries (2.5 MB for a 3-s window) were fresh pages at every call, and
  the kernel time spent faulting them in cancelled half the gain; the
  zero-padded copy of the audio is kept the same way.

  Args:
    audio: float32 [batch, n_samples] at the model's rate, n_samples a
      multiple of hop_size.
    fft_size: window and FFT length, samples.
    hop_size: samples per frame.
    out: optional float32 array of the result's shape to write into (e.g.
      an interpreter's input tensor).

  Returns:
    float32 [batch, n_samples // hop_size, fft_size // 2 + 1], linear
    magnitudes (`out` if given).
  """
  audio = np.asarray(audio, np.float32)
  padded = _scratch('padded', audio.size + audio.shape[0] * fft_size)
  frames = centred_frames(audio, fft_size, hop_size, padded)
  batch, n_frames = frames.shape[:2]
  shape = (batch, n_frames, fft_size // 2 + 1)
  if out is None:
    out = np.empty(shape, np.float32)
  elif out.shape != shape or out.dtype != np.float32:
    raise ValueError(f'out must be float32 {shape}, not {out.dtype} '
                     f'{out.shape}')
  windowed = _scratch('windowed', CHUNK_FRAMES * fft_size, np.float64)
  windowed = windowed.reshape(CHUNK_FRAMES, fft_size)
  spectrum = _scratch('spectrum', CHUNK_FRAMES * (fft_size // 2 + 1),
                      np.complex128).reshape(CHUNK_FRAMES, fft_size // 2 + 1)
  window = hann_window(fft_size)
  for b in range(batch):
    for start in range(0, n_frames, CHUNK_FRAMES):
      m = min(CHUNK_FRAMES, n_frames - start)
      np.multiply(frames[b, start:start + m], window, out=windowed[:m])
      np.fft.rfft(windowed[:m], axis=-1, out=spectrum[:m])
      np.abs(spectrum[:m], out=out[b, start:start + m], casting='same_kind')
  return out


# Frames per FFT call: 64 frames of 2048 samples are 1 MB of input and 1 MB
# of spectrum, cache-sized, and few Python iterations (5 for 3 s); 16 frames
# measured as fast per frame, 304 (a whole 3-s window) a third slower.
CHUNK_FRAMES = 64
_local = threading.local()


def _scratch(name, size, dtype=np.float32):
  """This thread's buffer `name`, at least `size` elements of dtype, flat.

  Kept between calls (and grown when a longer window comes), so tracking
  file after file allocates nothing here.
  """
  buffers = getattr(_local, 'buffers', None)
  if buffers is None:
    buffers = _local.buffers = {}
  buffer = buffers.get(name)
  if buffer is None or buffer.size < size:
    buffer = buffers[name] = np.empty(size, dtype)
  return buffer[:size]
