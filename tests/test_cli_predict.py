"""`pitchfit predict` / `export` end to end, and every kind of bad input.

Most bad inputs share one batch run (as a user's folder would hold them): each
must give a correct result or one line naming the file, the other files must
still be processed, the exit status must say that something failed, and no
output may be left half-written.

A 20-minute file goes through the CLI in bounded memory (2 hours with
PITCHFIT_SLOW_TESTS=1, about a minute with the tiny model), and a 5-minute
file in-process.
"""

import os
import struct
import tracemalloc

import numpy as np
import pytest
import soundfile

import pitchfit
from pitchfit.track import files
from pitchfit.track import predict as predict_lib
from pitchfit.track import voicing
from tests.predict_fixtures import error_lines, run_cli, run_cli_in_process, tiny_model, tiny_save_dir, tone, write_tone  # pylint: disable=unused-import

SLOW = os.environ.get('PITCHFIT_SLOW_TESTS') == '1'


def sparse_silent_wav(path, seconds, rate=16000):
  """A PCM16 WAV of digital silence that takes no disk space (sparse file)."""
  data_bytes = int(seconds * rate) * 2
  header = (b'RIFF' + struct.pack('<I', 36 + data_bytes) + b'WAVE'
            + b'fmt ' + struct.pack('<IHHIIHH', 16, 1, 1, rate, 2 * rate, 2, 16)
            + b'data' + struct.pack('<I', data_bytes))
  with open(path, 'wb') as f:
    f.write(header)
    f.truncate(len(header) + data_bytes)
  return path


def rows(path):
  return files.read_rows_csv(path)


@pytest.fixture(scope='module')
def batch(tmp_path_factory, tiny_save_dir):
  """One `pitchfit predict --plot` run over good and bad inputs."""
  root = tmp_path_factory.mktemp('batch')
  folder = root / 'in'
  folder.mkdir()
  write_tone(folder / 'good.wav', 220.0, 2.0, 44100)
  write_tone(folder / 'eight_channels.wav', 330.0, 1.5, 96000, channels=8)
  write_tone(folder / 'one_ms.wav', 440.0, 0.001, 16000)
  soundfile.write(folder / 'silence.flac', np.zeros(32000), 16000)
  write_tone(folder / 'song.mp3', 196.0, 2.0, 44100)
  write_tone(folder / 'melody.ogg', 262.0, 1.0, 48000)
  nan = tone(220.0, 1.0, 16000)
  nan[5000:5010] = np.nan
  soundfile.write(folder / 'nan.wav', nan, 16000, subtype='FLOAT')
  inf = tone(220.0, 1.0, 16000)
  inf[100] = -np.inf
  soundfile.write(folder / 'inf.wav', inf, 16000, subtype='DOUBLE')
  (folder / 'empty.wav').write_bytes(b'')
  (folder / 'garbage.ogg').write_bytes(np.random.default_rng(0).bytes(5000))
  for name in ('cut_flac.flac', 'cut_wav.wav'):  # cut in the middle
    write_tone(folder / name, 220.0, 3.0, 16000)
    data = (folder / name).read_bytes()
    (folder / name).write_bytes(data[:len(data) // 2])
  (folder / 'notes.txt').write_text('not audio, not searched')
  (root / 'no_audio').mkdir()
  (root / 'no_audio' / 'readme.md').write_text('nothing to hear')
  out = root / 'out'
  result = run_cli('predict', folder, root / 'missing.wav', root / 'no_audio',
                   '--model', tiny_save_dir, '-o', out, '--plot')
  return folder, out, result


def test_batch_exit_status_and_summary(batch):
  _, out, result = batch
  assert result.returncode == 1, result.stderr
  summary = result.stdout.strip().splitlines()[-1]
  # 12 audio files + a missing path + a folder without audio; 6 certainly
  # fail, the truncated FLAC may (a decoder error) or may not.
  flac_failed = not (out / 'cut_flac.f0.csv').exists()
  done, failed = 8 - flac_failed, 6 + flac_failed
  assert summary.startswith(f'{done} file(s) done, {failed} failed;'), summary
  assert 'real-time factor' in summary
  assert len(error_lines(result.stderr)) == failed


@pytest.mark.parametrize('name,problem', [
    ('missing.wav', 'no such file'),
    ('no_audio', 'no audio files'),
    ('nan.wav', 'NaN or infinite'),
    ('inf.wav', 'NaN or infinite'),
    ('empty.wav', 'empty file'),
    ('garbage.ogg', 'not a readable audio file')])
def test_bad_input_gets_one_line_naming_it(batch, name, problem):
  _, out, result = batch
  lines = [l for l in error_lines(result.stderr) if name in l]
  assert len(lines) == 1, result.stderr
  assert problem in lines[0]
  assert not (out / (os.path.splitext(name)[0] + '.f0.csv')).exists()
  assert 'Traceback' not in result.stderr


def test_no_output_is_left_half_written(batch):
  _, out, _ = batch
  names = os.listdir(out)
  assert not [n for n in names if 'tmp' in n], names


@pytest.mark.parametrize('name,seconds', [
    ('good', 2.0), ('eight_channels', 1.5), ('one_ms', 0.001),
    ('silence', 2.0), ('melody', 1.0)])
def test_good_files_have_one_row_per_10_ms_and_a_plot(batch, name, seconds,
                                                     tiny_save_dir):
  _, out, _ = batch
  assert (out / f'{name}.f0.csv').read_text().startswith(
      'time,frequency,confidence\n')
  times, frequency, confidence = rows(out / f'{name}.f0.csv')
  assert times.size == int(np.ceil(seconds * 100 - 1e-6))
  np.testing.assert_allclose(times, np.arange(times.size) * 0.01, atol=1e-5)
  # The rows are the values pitchfit.predict gives for the same audio and
  # model (the CLI streams and resamples block by block, so to 1e-3).
  folder, _, _ = batch
  (path,) = [p for p in os.listdir(folder) if p.startswith(name + '.')]
  audio, rate = soundfile.read(folder / path, dtype='float32')
  expected = pitchfit.predict(audio, rate, model=tiny_save_dir)
  np.testing.assert_allclose(frequency, expected[1], rtol=2e-3, atol=1e-3)
  np.testing.assert_allclose(confidence, expected[2], atol=2e-3)
  assert (out / f'{name}.f0.png').read_bytes()[:4] == b'\x89PNG'


def test_default_model_through_the_cli_tracks_the_tone(tmp_path):
  """The shipped model, as `pitchfit predict x.wav` runs it: a 220 Hz tone
  at 44.1 kHz comes back as 220 Hz, voiced, in the CSV."""
  audio = write_tone(tmp_path / 'a.wav', 220.0, 1.5, 44100)
  result = run_cli('predict', audio)
  assert result.returncode == 0, result.stderr
  times, frequency, confidence = rows(tmp_path / 'a.f0.csv')
  assert times.size == 150
  inside = (times > 0.1) & (times < 1.4)
  cents = 1200 * np.abs(np.log2(frequency[inside] / 220.0))
  assert np.mean(cents < 50) >= 0.95 and np.median(cents) < 20
  assert np.mean(confidence[inside] >= voicing.THRESHOLD) >= 0.95


def test_mp3_is_read(batch):
  _, out, _ = batch
  times, _, _ = rows(out / 'song.f0.csv')
  # MP3 encoders pad a little at both ends.
  assert 200 <= times.size <= 215


def test_silence_is_unvoiced_everywhere(batch):
  _, out, _ = batch
  _, _, confidence = rows(out / 'silence.f0.csv')
  assert confidence.max() < voicing.THRESHOLD


def test_truncated_files_give_their_audio_or_one_line(batch):
  _, out, result = batch
  for name in ('cut_flac.flac', 'cut_wav.wav'):
    csv = out / (name.split('.')[0] + '.f0.csv')
    lines = [l for l in error_lines(result.stderr) if name in l]
    if csv.exists():  # what could be decoded: at most the 3 s once there
      assert not lines
      assert 0 < rows(csv)[0].size <= 300
    else:
      assert len(lines) == 1
  # A WAV cut short still has its first half.
  assert 100 <= rows(out / 'cut_wav.f0.csv')[0].size <= 160


def test_model_that_is_not_a_model(tmp_path):
  fake = tmp_path / 'model.npz'
  fake.write_text('this is not a model')
  audio = write_tone(tmp_path / 'a.wav', seconds=0.1)
  for model in (fake, tmp_path / 'nowhere'):
    result = run_cli('predict', audio, '--model', model)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('pitchfit: error:')
    assert str(model) in lines[0]
  assert not (tmp_path / 'a.f0.csv').exists()


def test_no_default_model_message(tmp_path, monkeypatch):
  """As an install without the shipped model file would say it."""
  monkeypatch.setattr(predict_lib, 'DEFAULT_MODEL_PATH',
                      str(tmp_path / 'no_default_model.tflite'))
  audio = write_tone(tmp_path / 'a.wav', seconds=0.1)
  code, _, stderr = run_cli_in_process('predict', audio)
  assert code == 2
  assert 'no default model' in stderr and '--model PATH' in stderr
  assert not (tmp_path / 'a.f0.csv').exists()


def test_export_then_predict_with_the_file(tiny_save_dir, tmp_path):
  exported = tmp_path / 'model.npz'
  code, _, stderr = run_cli_in_process('export', tiny_save_dir, exported)
  assert code == 0, stderr
  audio = write_tone(tmp_path / 'a.wav', seconds=0.5)
  code, stdout, stderr = run_cli_in_process(
      'predict', audio, '--model', exported, '--format', 'npz', '--step-ms', 5)
  assert code == 0, stderr
  assert stdout.startswith('1 file(s) done, 0 failed')
  with np.load(tmp_path / 'a.f0.npz') as arrays:  # beside the audio
    assert arrays['time'].size == 100
    assert float(arrays['voicing_threshold']) == voicing.THRESHOLD


def test_five_minute_file_streams_with_bounded_memory(tiny_model, tmp_path):
  """48-kHz stereo: reading it whole would take 115 MB of float32 alone."""
  path = tmp_path / 'five_minutes.wav'
  with soundfile.SoundFile(path, 'w', 48000, 2, 'PCM_16') as f:
    block = tone(220.0, 10.0, 48000, amplitude=0.1, channels=2)
    for _ in range(30):
      f.write(block)
  tracemalloc.start()
  try:
    seconds, n_rows = files.predict_file(path, tmp_path / 'out.f0.csv',
                                         tiny_model)
    _, peak = tracemalloc.get_traced_memory()
  finally:
    tracemalloc.stop()
  assert seconds == pytest.approx(300.0, abs=0.01)
  assert n_rows == 30000
  assert peak < 40e6, f'peak traced memory {peak / 1e6:.0f} MB'


def test_long_file_through_the_cli_in_bounded_memory(tiny_save_dir, tmp_path):
  """Peak RSS of a 20-minute file (2 hours with PITCHFIT_SLOW_TESTS=1, about
  a minute) equals that of a 10-second one."""
  import sys  # pylint: disable=g-import-not-at-top
  from tests.conftest import REPO  # pylint: disable=g-import-not-at-top
  import subprocess  # pylint: disable=g-import-not-at-top
  wrapper = ('import atexit, resource, runpy, sys\n'
             'atexit.register(lambda: print("MAXRSS_KB", resource.getrusage('
             'resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr))\n'
             'sys.argv = ["cli.py"] + sys.argv[1:]\n'
             f'runpy.run_path({os.path.join(REPO, "cli.py")!r}, '
             'run_name="__main__")\n')
  peaks = {}
  long_seconds = 7200.0 if SLOW else 1200.0
  for name, seconds in (('short', 10.0), ('long', long_seconds)):
    path = sparse_silent_wav(tmp_path / f'{name}.wav', seconds)
    result = subprocess.run(
        [sys.executable, '-c', wrapper, 'predict', str(path), '--model',
         tiny_save_dir], capture_output=True, text=True,
        env=dict(os.environ, PYTHONPATH=REPO), timeout=900)
    assert result.returncode == 0, result.stderr
    peaks[name] = int(result.stderr.split('MAXRSS_KB')[-1].split()[0])
  assert rows(tmp_path / 'long.f0.csv')[0].size == int(long_seconds * 100)
  # Reading 20 minutes whole would add 77 MB (float32 at 16 kHz) or more.
  assert peaks['long'] - peaks['short'] < 50_000, peaks
