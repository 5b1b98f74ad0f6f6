"""STFT, log-mel and loudness features, checked on tones, clicks and noise."""

import librosa
import numpy as np
import pytest

from pitchfit.dsp import spectral_ops

SR = 16000


def _sine(hz, amplitude=1.0, n_samples=SR):
  return (amplitude * np.sin(2 * np.pi * hz * np.arange(n_samples) / SR)
          ).astype(np.float32)[None]


@pytest.mark.parametrize('size', [2048, 1024, 512, 256, 128, 64])
def test_stft_shapes_and_sine_peak(size):
  audio = np.concatenate([_sine(1000.0), _sine(1000.0)])  # batch of 2
  mag = spectral_ops.compute_mag(audio, size).numpy()
  hop = size // 4
  assert mag.shape == (2, -(-SR // hop), size // 2 + 1)    # ceil(n / hop) frames
  middle = mag[:, mag.shape[1] // 2]
  np.testing.assert_array_equal(np.argmax(middle, -1), round(1000 * size / SR))


def test_logmel_shape_peak_and_scaling():
  audio = _sine(1000.0, 0.5, 64000)
  logmel = spectral_ops.compute_logmel(audio).numpy()
  assert logmel.shape == (1, 125, 229) and np.isfinite(logmel).all()
  mel_hz = librosa.mel_frequencies(229 + 2, fmin=0.0, fmax=8000.0, htk=True)[1:-1]
  peak_bin = np.argmax(logmel[0, 60])
  assert abs(mel_hz[peak_bin] - 1000.0) < 40.0
  # 10x the amplitude adds ln 10 to the log magnitude where above the floor.
  louder = spectral_ops.compute_logmel(audio * 10.0).numpy()
  strong = logmel > np.log(1e-3)
  np.testing.assert_allclose((louder - logmel)[strong], np.log(10.0), atol=1e-3)
  silent = spectral_ops.compute_logmel(np.zeros((1, 64000), np.float32))
  np.testing.assert_allclose(silent, np.log(1e-5), rtol=1e-6)


@pytest.mark.parametrize('center, expected_frame', [(False, 3), (True, 5)])
def test_logmel_centering_moves_a_click_to_its_frame(center, expected_frame):
  audio = np.zeros((1, 64000), np.float32)
  audio[0, 5 * 512] = 1.0          # A click at control frame 5's instant.
  logmel = spectral_ops.compute_logmel(audio, center=center).numpy()
  assert logmel.shape == (1, 125, 229)
  assert np.argmax(logmel[0].sum(-1)) == expected_frame


def test_loudness_tracks_level_in_db():
  noise = np.random.default_rng(0).uniform(-1, 1, (1, SR)).astype(np.float32)
  loudness = spectral_ops.compute_loudness(noise).numpy()
  assert loudness.shape == (1, SR // 64)                   # 250 frames/s
  quieter = spectral_ops.compute_loudness(noise * 0.1).numpy()
  middle = slice(5, -5)
  # 20 dB per decade of level, a little less because the A-weighted bottom
  # bins sit on the per-bin -80 dB floor at both levels.
  np.testing.assert_allclose((loudness - quieter)[:, middle], 20.0, atol=0.2)
  assert np.all((loudness - quieter)[:, middle] < 20.0)
  assert np.all(loudness <= 0.0)
  silence = spectral_ops.compute_loudness(np.zeros_like(noise)).numpy()
  np.testing.assert_array_equal(silence, -80.0)


@pytest.mark.parametrize('frame_size', [2048, 512, 320, 160, 100])
def test_centred_frames_are_tf_signal_frames_of_the_padded_signal(frame_size):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  hop = 160
  audio = np.random.default_rng(3).standard_normal((2, 25 * hop)).astype(
      np.float32)
  got = spectral_ops.centred_frames(audio, frame_size, hop).numpy()
  padded = np.pad(audio, [(0, 0), (frame_size // 2, frame_size // 2)])
  want = tf.signal.frame(padded, frame_size, hop).numpy()[:, :25]
  assert got.shape == (2, 25, frame_size)
  np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize('frame_size', [2048, 512, 320, 160, 100])
def test_numpy_frames_are_the_tensorflow_ones(frame_size):
  from pitchfit.dsp import numpy_stft  # pylint: disable=g-import-not-at-top
  hop = 160
  audio = np.random.default_rng(4).standard_normal((2, 25 * hop)).astype(
      np.float32)
  want = spectral_ops.centred_frames(audio, frame_size, hop).numpy()
  np.testing.assert_array_equal(numpy_stft.centred_frames(audio, frame_size, hop),
                                want)


@pytest.mark.parametrize('fft_size', [2048, 512])
@pytest.mark.parametrize('n_frames', [1, 37, 64, 150])
def test_numpy_stft_magnitudes_are_the_models(fft_size, n_frames):
  # The LiteRT runtime computes the model's first step in NumPy, in chunks
  # of frames through scratch buffers: any length, either side of a chunk.
  from pitchfit.dsp import numpy_stft  # pylint: disable=g-import-not-at-top
  hop = 160
  rng = np.random.default_rng(n_frames)
  audio = (0.3 * rng.standard_normal((2, n_frames * hop))).astype(np.float32)
  audio[1] += _sine(440.0, 0.5, n_frames * hop)[0]
  want = spectral_ops.centred_stft_magnitudes(audio, fft_size, hop).numpy()
  got = numpy_stft.stft_magnitudes(audio, fft_size, hop)
  assert got.dtype == np.float32 and got.shape == want.shape
  np.testing.assert_allclose(got, want, rtol=0, atol=2e-6 * want.max())
  # Into a caller's array (an interpreter's input tensor), of that shape only.
  out = np.full(want.shape, np.nan, np.float32)
  assert numpy_stft.stft_magnitudes(audio, fft_size, hop, out=out) is out
  np.testing.assert_array_equal(out, got)
  with pytest.raises(ValueError, match='out must be float32'):
    numpy_stft.stft_magnitudes(audio, fft_size, hop, out=out[:, 1:])


def test_periodicity_peaks_at_the_period_of_a_harmonic_tone():
  sr, fft_size, f0 = 16000, 2048, 147.0
  t = np.arange(fft_size) / sr
  tone = sum(np.cos(2 * np.pi * h * f0 * t) / h for h in range(1, 8))
  mag = np.abs(np.fft.rfft(tone * np.hanning(fft_size)))[None].astype(np.float32)
  candidates = f0 * 2.0 ** (np.arange(-300, 301, 5) / 1200)  # +-3 semitones
  r = spectral_ops.periodicity_from_magnitudes(mag, sr, fft_size,
                                               candidates).numpy()[0]
  assert r.shape == candidates.shape
  assert abs(1200 * np.log2(candidates[np.argmax(r)] / f0)) <= 5
  assert r.max() > 0.9 and np.all(np.abs(r) <= 1 + 1e-5)
  # Half the f0 is also a period of the tone; a semitone off is clearly
  # less of one.
  half = spectral_ops.periodicity_from_magnitudes(
      mag, sr, fft_size, [f0 / 2, f0 * 2 ** (1 / 12)]).numpy()[0]
  assert half[0] > 0.9 and half[1] < r.max() - 0.15
  silent = spectral_ops.periodicity_from_magnitudes(
      np.zeros_like(mag), sr, fft_size, candidates).numpy()
  assert np.all(silent == 0)
