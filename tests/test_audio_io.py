"""Tests of pitchfit.audio_io: formats, rates, channels and bad files."""

import numpy as np
import pytest
import soundfile

from pitchfit.io import audio as audio_io
from pitchfit.errors import UserError


def tone(freq_hz, seconds, rate, amplitude=0.5):
  """Sine [n] at `freq_hz`."""
  t = np.arange(int(round(seconds * rate))) / rate
  return (amplitude * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def dominant_hz(audio, rate):
  """Frequency of the largest FFT bin (1 Hz resolution by zero padding)."""
  n = max(len(audio), rate)
  spectrum = np.abs(np.fft.rfft(audio * np.hanning(len(audio)), n=n))
  return np.argmax(spectrum) * rate / n


@pytest.fixture(name='stereo_44k')
def fixture_stereo_44k(tmp_path):
  """1.5 s at 44.1 kHz: 440 Hz on the left, 660 Hz on the right."""
  path = tmp_path / 'stereo.wav'
  data = np.stack([tone(440, 1.5, 44100), tone(660, 1.5, 44100)], axis=1)
  soundfile.write(path, data, 44100, subtype='PCM_16')
  return path


def test_stereo_44k_is_resampled_and_channels_chosen(stereo_44k):
  left = audio_io.load_audio(stereo_44k, channel=0)
  right = audio_io.load_audio(stereo_44k, channel=1)
  assert left.dtype == np.float32 and left.ndim == 1
  assert len(left) == 24000  # 1.5 s at 16 kHz
  assert abs(dominant_hz(left, 16000) - 440) <= 2
  assert abs(dominant_hz(right, 16000) - 660) <= 2


def test_mix_is_the_mean_of_channels(stereo_44k):
  mix = audio_io.load_audio(stereo_44k)
  left = audio_io.load_audio(stereo_44k, channel=0)
  right = audio_io.load_audio(stereo_44k, channel=1)
  np.testing.assert_allclose(mix, (left + right) / 2, atol=1e-4)


def test_resampling_keeps_time_alignment(tmp_path):
  # A click at 0.5 s must stay at 0.5 s: labels are aligned by time.
  data = np.zeros(48000, np.float32)
  data[24000] = 1.0
  path = tmp_path / 'click.wav'
  soundfile.write(path, data, 48000, subtype='FLOAT')
  audio = audio_io.load_audio(path)
  assert abs(int(np.argmax(np.abs(audio))) - 8000) <= 1


def test_other_rates_are_resampled(tmp_path):
  path = tmp_path / 'a.wav'
  soundfile.write(path, tone(300, 1.0, 22050), 22050)
  audio = audio_io.load_audio(path, sample_rate=8000)
  assert len(audio) == 8000
  assert abs(dominant_hz(audio, 8000) - 300) <= 2


@pytest.mark.parametrize('suffix,fmt', [('.flac', 'FLAC'), ('.ogg', 'OGG'),
                                        ('.mp3', 'MP3')])
def test_compressed_formats(tmp_path, suffix, fmt):
  if fmt not in soundfile.available_formats():
    pytest.skip(f'libsndfile {soundfile.__libsndfile_version__} cannot write {fmt}')
  path = tmp_path / f'a{suffix}'
  soundfile.write(path, tone(500, 1.0, 16000), 16000, format=fmt)
  audio = audio_io.load_audio(path)
  # Lossy codecs add encoder delay/padding: allow a few frames of slack.
  assert abs(len(audio) - 16000) < 2400
  assert abs(dominant_hz(audio, 16000) - 500) <= 3


def test_empty_file_is_a_user_error(tmp_path):
  path = tmp_path / 'empty.wav'
  path.write_bytes(b'')
  with pytest.raises(UserError, match='empty.wav: empty file'):
    audio_io.load_audio(path)


def test_corrupt_file_is_a_user_error(tmp_path):
  path = tmp_path / 'corrupt.wav'
  path.write_bytes(b'RIFF\x10\x00\x00\x00WAVEjunk' + bytes(range(200)))
  with pytest.raises(UserError, match='corrupt.wav: not a readable audio file') as e:
    audio_io.load_audio(path)
  assert '\n' not in str(e.value)


def test_header_without_samples_is_a_user_error(tmp_path):
  path = tmp_path / 'silent.wav'
  soundfile.write(path, np.zeros((0, 1), np.float32), 16000)
  with pytest.raises(UserError, match='silent.wav: no audio samples'):
    audio_io.load_audio(path)


def test_missing_file_and_missing_channel(tmp_path, stereo_44k):
  with pytest.raises(UserError, match='nope.wav: no such file'):
    audio_io.load_audio(tmp_path / 'nope.wav')
  with pytest.raises(UserError, match='has 2 channel'):
    audio_io.load_audio(stereo_44k, channel=2)


def test_non_finite_samples_are_a_user_error(tmp_path):
  data = tone(200, 0.2, 16000)
  data[100] = np.nan
  path = tmp_path / 'nan.wav'
  soundfile.write(path, data, 16000, subtype='FLOAT')
  with pytest.raises(UserError, match='NaN'):
    audio_io.load_audio(path)


def test_find_audio_files(tmp_path):
  for name in ['b/z.WAV', 'b/c/y.flac', 'a.mp3', 'notes.txt', 'b/.hidden.wav',
               '__MACOSX/b/._z.wav', 'd.ogg']:
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_bytes(b'x')
  found = audio_io.find_audio_files(tmp_path)
  rel = [p.relative_to(tmp_path).as_posix() for p in found]
  assert rel == ['a.mp3', 'b/c/y.flac', 'b/z.WAV', 'd.ogg']
  # Files and folders mix; duplicates collapse; order stays sorted.
  both = audio_io.find_audio_files([tmp_path / 'd.ogg', tmp_path / 'b', str(tmp_path / 'd.ogg')])
  assert [p.name for p in both] == ['y.flac', 'z.WAV', 'd.ogg']
  assert audio_io.find_audio_files([]) == []


def test_find_audio_files_errors(tmp_path):
  (tmp_path / 'notes.txt').write_text('x')
  with pytest.raises(UserError, match='notes.txt: not an audio file'):
    audio_io.find_audio_files(tmp_path / 'notes.txt')
  with pytest.raises(UserError, match='missing: no such file or folder'):
    audio_io.find_audio_files(tmp_path / 'missing')


def test_probe_audio_reads_the_header_only(tmp_path, stereo_44k):
  assert audio_io.probe_audio(stereo_44k) == (44100, 66150, 2)
  (tmp_path / 'empty.flac').write_bytes(b'')
  (tmp_path / 'bad.wav').write_bytes(b'not audio at all')
  with pytest.raises(UserError, match='empty.flac: empty file'):
    audio_io.probe_audio(tmp_path / 'empty.flac')
  with pytest.raises(UserError, match='bad.wav: not a readable audio file'):
    audio_io.probe_audio(tmp_path / 'bad.wav')
  with pytest.raises(UserError, match='gone.wav: no such file'):
    audio_io.probe_audio(tmp_path / 'gone.wav')


def test_write_wav_round_trips_at_16_bits(tmp_path):
  audio = (0.5 * np.sin(np.arange(1600) / 5.0)).astype(np.float32)
  path = tmp_path / 'x.wav'
  audio_io.write_wav(path, audio, 16000)
  info = soundfile.info(path)
  assert (info.samplerate, info.channels, info.subtype) == (16000, 1, 'PCM_16')
  np.testing.assert_allclose(audio_io.load_audio(path), audio, atol=1 / 32768)
  assert [p.name for p in tmp_path.iterdir()] == ['x.wav']
