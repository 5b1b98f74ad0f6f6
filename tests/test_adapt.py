"""`pitchfit adapt`: bad input, resume, Ctrl-C, and the transposition loss.

A handful of steps of the tiny model (tests/predict_fixtures.tiny_save_dir)
each; what is checked is the command's behaviour, not accuracy (that is
bench/adapt.py's).
"""

import os

import numpy as np
import pytest
import soundfile

from tests.predict_fixtures import run_cli_in_process, tiny_save_dir, tone  # pylint: disable=unused-import


def write_tones(folder, names, seconds=1.5):
  folder.mkdir(parents=True, exist_ok=True)
  for i, name in enumerate(names):
    soundfile.write(folder / name, 0.3 * tone(196.0 * 1.25 ** i, seconds, 16000),
                    16000)
  return folder


def adapt(*args):
  return run_cli_in_process('adapt', *args)


def history_steps(save_dir):
  with open(os.path.join(save_dir, 'history.csv')) as f:
    return [int(line.split(',')[0]) for line in f.read().splitlines()[1:]]


def test_no_audio_is_one_line(tmp_path, tiny_save_dir):
  (tmp_path / 'notes.txt').write_text('no audio here')
  code, out, err = adapt(tmp_path, '--save-dir', tmp_path / 'run', '--from',
                         tiny_save_dir, '--steps', 1)
  assert code == 2
  assert err.strip().splitlines() == [
      f'pitchfit: error: no audio files in {tmp_path} '
      '(.wav, .flac, .ogg, .mp3, .aif, .aiff)']
  assert not (tmp_path / 'run').exists()


def test_missing_path_is_one_line(tmp_path, tiny_save_dir):
  code, _, err = adapt(tmp_path / 'nope', '--save-dir', tmp_path / 'run',
                       '--from', tiny_save_dir)
  assert code == 2 and 'nope: no such file or folder' in err
  assert len(err.strip().splitlines()) == 1


def test_all_silent_is_one_line(tmp_path, tiny_save_dir):
  folder = tmp_path / 'in'
  folder.mkdir()
  soundfile.write(folder / 'a.wav', np.zeros(16000), 16000)
  soundfile.write(folder / 'b.flac', 1e-5 * tone(220.0, 1.0, 16000), 16000)
  code, _, err = adapt(folder, '--save-dir', tmp_path / 'run', '--from',
                       tiny_save_dir, '--steps', 1)
  assert code == 2
  assert err.strip().splitlines()[-1].startswith(
      'pitchfit: error: all 2 audio file(s) are silent')


def test_unreadable_file_is_named_and_skipped_and_the_model_predicts(
    tmp_path, tiny_save_dir):
  folder = write_tones(tmp_path / 'in', ['a.wav', 'b.wav'])
  (folder / 'broken.wav').write_bytes(b'RIFF\x00\x00garbage' * 10)
  save_dir = tmp_path / 'run'
  code, out, err = adapt(folder, '--save-dir', save_dir, '--from',
                         tiny_save_dir, '--steps', 2, '-q')
  assert code == 0, err
  assert 'broken.wav: not a readable audio file' in out
  assert 'Adapting to 2 file(s)' in out
  assert os.path.isfile(save_dir / 'checkpoints' / 'ckpt-2.npz')
  from pitchfit.track import pitch_model
  model = pitch_model.PitchModel.load(str(save_dir))
  assert model.source.endswith('ckpt-2.npz')
  f0 = model(0.3 * tone(220.0, 1.0, 16000)[np.newaxis, :model.n_samples])['f0_hz']
  assert f0.shape[:2] == (1, model.n_frames) and np.all(np.isfinite(f0))
  code, out, err = run_cli_in_process('predict', folder / 'a.wav', '--model',
                                      save_dir, '-o', tmp_path / 'out')
  assert code == 0, err
  assert os.path.isfile(tmp_path / 'out' / 'a.f0.csv')


def test_resume_continues_from_the_checkpoint(tmp_path, tiny_save_dir):
  folder = write_tones(tmp_path / 'in', ['a.wav'])
  save_dir = tmp_path / 'run'
  args = (folder, '--save-dir', save_dir, '--from', tiny_save_dir, '-q')
  assert adapt(*args, '--steps', 2)[0] == 0
  code, out, err = adapt(*args, '--steps', 4)
  assert code == 0, err
  assert 'Resumed from step 2.' in out
  assert history_steps(save_dir) == [2, 4]
  code, out, _ = adapt(*args, '--steps', 4)
  assert code == 0 and 'nothing to do' in out
  # Another starting model in the same dir would mix two adaptations.
  code, _, err = adapt(folder, '--save-dir', save_dir, '--from', tmp_path, '-q')
  assert code == 2 and 'use another --save-dir' in err


def test_ctrl_c_keeps_what_was_learned(tmp_path, tiny_save_dir, monkeypatch):
  from pitchfit.train import adapt as adapt_lib
  from pitchfit.train import job
  monkeypatch.setattr(adapt_lib, 'LOG_EVERY_STEPS', 3)

  def interrupt(self, epoch, logs=None):
    raise KeyboardInterrupt
  monkeypatch.setattr(job.RunLog, 'on_epoch_end', interrupt)
  folder = write_tones(tmp_path / 'in', ['a.wav'])
  save_dir = tmp_path / 'run'
  code, _, err = adapt(folder, '--save-dir', save_dir, '--from', tiny_save_dir,
                       '--steps', 10, '-q')
  assert code == 130
  assert 'Run the same command to resume' in err
  assert os.path.isfile(save_dir / 'checkpoints' / 'ckpt-3.npz')


def test_steps_and_minutes_exclude_each_other(tmp_path, tiny_save_dir):
  folder = write_tones(tmp_path / 'in', ['a.wav'])
  code, _, err = adapt(folder, '--save-dir', tmp_path / 'run', '--steps', 2,
                       '--minutes', 1)
  assert code == 2 and 'not both' in err


# ------------------------------------------------------------ the pieces
def test_transpose_moves_a_tone_by_the_interval():
  from pitchfit.train import adapt as adapt_lib
  x = tone(200.0, 2.0, 16000).astype(np.float32)
  for semitones in (-4.0, 3.0):
    y = adapt_lib.transpose(x, semitones, 8192)
    spectrum = np.abs(np.fft.rfft(y * np.hanning(y.size)))
    peak_hz = np.argmax(spectrum) * 16000 / y.size
    assert abs(peak_hz - 200.0 * 2 ** (semitones / 12)) < 3.0


def test_transposition_loss_prefers_estimates_that_move_with_the_shift(
    tiny_config):
  from pitchfit.quiet import import_tensorflow
  tf = import_tensorflow()
  from pitchfit.dsp import core
  from pitchfit.model import consistency
  m = tiny_config.model
  bins_midi = core.hz_to_midi(core.frequency_bins_hz(
      m.f0_bins, m.f0_hz_min, m.f0_hz_max)).numpy()

  def logits_at(midi):  # [1, 8, bins], sharp peak at `midi`
    row = -0.5 * ((bins_midi - midi) / 0.3) ** 2
    return tf.constant(np.tile(row, (1, 8, 1)), tf.float32)

  loud = tf.ones([1, 8])
  shift = tf.constant([3.0])
  x = logits_at(60.0)
  right = consistency.transposition_loss(x, logits_at(63.0), shift, loud,
                                         loud, m)
  wrong = consistency.transposition_loss(x, logits_at(60.0), shift, loud,
                                         loud, m)
  octave = consistency.transposition_loss(x, logits_at(75.0), shift, loud,
                                          loud, m)
  assert float(right) < float(wrong) < float(octave)
  silent = consistency.transposition_loss(x, logits_at(75.0), shift,
                                          tf.zeros([1, 8]), loud, m)
  assert float(silent) == 0.0
