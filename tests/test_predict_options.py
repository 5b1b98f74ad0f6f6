"""The tracker's options (--fmin/--fmax, --viterbi, --voicing-threshold, the
activation, --notes, --midi, -q) from the CLI and Python, and bad input."""

import os

import numpy as np
import pytest
import soundfile

import pitchfit
from pitchfit.errors import UserError
from pitchfit.track import notes as notes_lib
from pitchfit.track import predict as predict_lib
from pitchfit.track import streaming
from tests.predict_fixtures import error_lines, run_cli_in_process, tone, write_tone

pytestmark = pytest.mark.skipif(not os.path.isfile(predict_lib.DEFAULT_MODEL_PATH),
                                reason='no shipped default model')
SR = 16000


def melody(seconds_per_note=0.6, midi=(57, 60, 64, 69), sample_rate=SR):
  """A harmonic tone per MIDI note, back to back: (audio, onsets s)."""
  parts = [tone(440.0 * 2 ** ((m - 69) / 12), seconds_per_note, sample_rate)
           for m in midi]
  onsets = np.arange(len(midi)) * seconds_per_note
  return np.concatenate(parts), onsets


def cents(a, b):
  return 1200 * np.abs(np.log2(np.asarray(a) / np.asarray(b)))


# ------------------------------------------------------------- Python API
def test_fmax_keeps_f0_inside_the_range():
  audio = tone(440.0, 1.0, SR)
  full = pitchfit.predict(audio, SR)
  assert np.median(cents(full.frequency[full.voiced], 440.0)) < 25
  low = pitchfit.predict(audio, SR, fmax=300.0)
  assert low.frequency.max() <= 300.0 * 2 ** (0.5 / 12)
  high = pitchfit.predict(audio, SR, fmin=600.0)
  assert high.frequency.min() >= 600.0 / 2 ** (0.5 / 12)


def test_bad_ranges_are_one_line_errors():
  with pytest.raises(UserError, match='below fmax'):
    pitchfit.predict(np.zeros(1600), SR, fmin=500.0, fmax=100.0)
  code, _, stderr = run_cli_in_process('predict', '--fmin', '5000', '--fmax',
                                       '6000', write_tone_tmp())
  assert code == 2 and len(error_lines(stderr)) == 1
  assert 'holds none of the model' in stderr


def write_tone_tmp():
  import tempfile  # pylint: disable=g-import-not-at-top
  folder = tempfile.mkdtemp(prefix='pitchfit-options-')
  return write_tone(os.path.join(folder, 'a.wav'), 220.0, 0.3)


def test_viterbi_removes_an_isolated_octave_jump():
  """A posterior whose argmax jumps an octave for one row: Viterbi stays."""
  audio, _ = melody(midi=(60,))
  track = pitchfit.predict(audio, SR, activation=True)
  bins = streaming.f0_bins_hz(predict_lib.load_model(None).config.model)
  from pitchfit.track import decode  # pylint: disable=g-import-not-at-top
  posterior = track.activation.copy()
  k = posterior.shape[0] // 2
  octave = int(round(12 / (12 * np.log2(bins[1] / bins[0]))))
  posterior[k] = np.roll(posterior[k], octave) * 0.9 + 0.1 * posterior[k]
  plain = decode.frequency_at(posterior, bins, posterior.argmax(axis=1))
  smooth = decode.frequency_at(posterior, bins,
                               decode.viterbi_path(posterior, bins))
  assert cents(plain[k], plain[k - 1]) > 1000
  assert cents(smooth[k], smooth[k - 1]) < 50
  # Through predict: the same track with --viterbi stays on the note.
  v = pitchfit.predict(audio, SR, viterbi=True)
  assert np.median(cents(v.frequency[v.voiced], 261.63)) < 25


def test_activation_is_the_posterior_of_every_row():
  audio = tone(220.0, 1.0, SR)
  track = pitchfit.predict(audio, SR, activation=True)
  t, f, c = track  # still unpacks as CREPE's three arrays
  model = predict_lib.load_model(None)
  assert track.activation.shape == (t.size, model.config.model.f0_bins)
  np.testing.assert_allclose(track.activation.sum(axis=1), 1.0, atol=1e-3)
  bins = streaming.f0_bins_hz(model.config.model)
  peak = bins[track.activation.argmax(axis=1)]
  assert np.median(cents(peak[track.voiced], 220.0)) < 50


def test_voicing_threshold_moves_the_voiced_rows():
  audio = np.concatenate([tone(220.0, 0.5, SR), np.zeros(SR // 2, np.float32)])
  default = pitchfit.predict(audio, SR)
  assert default.voicing_threshold == 0.5
  strict = pitchfit.predict(audio, SR, voicing_threshold=0.99)
  lax = pitchfit.predict(audio, SR, voicing_threshold=0.0)
  assert strict.voiced.sum() <= default.voiced.sum() < lax.voiced.sum()
  assert lax.voiced.all()
  np.testing.assert_array_equal(default.voiced, default.confidence >= 0.5)


def test_notes_of_a_melody():
  audio, onsets = melody()
  track = pitchfit.predict(audio, SR, notes=True)
  assert [n.midi_pitch for n in track.notes] == [57, 60, 64, 69]
  np.testing.assert_allclose([n.onset_s for n in track.notes], onsets,
                             atol=0.05)


# ------------------------------------------------------------------ CLI
def test_cli_writes_notes_midi_npz_and_is_quiet(tmp_path):
  audio, _ = melody(sample_rate=22050)
  path = tmp_path / 'tune.wav'
  soundfile.write(path, audio, 22050)
  code, stdout, stderr = run_cli_in_process(
      'predict', path, '-o', tmp_path / 'out', '--format', 'npz', '--notes',
      '--midi', '--viterbi', '--voicing-threshold', '0.6', '--fmin', '100',
      '--fmax', '800', '--plot', '-q')
  assert code == 0, stderr
  assert stdout == '' and stderr == ''
  out = tmp_path / 'out'
  assert sorted(os.listdir(out)) == ['tune.f0.npz', 'tune.f0.png', 'tune.mid',
                                     'tune.notes.csv']
  with np.load(out / 'tune.f0.npz') as arrays:
    assert float(arrays['voicing_threshold']) == pytest.approx(0.6)
    np.testing.assert_array_equal(arrays['voiced'], arrays['confidence'] >= 0.6)
    assert arrays['activation'].shape == (arrays['time'].size,
                                          arrays['activation_bins_hz'].size)
    assert arrays['frequency'].min() >= 100 / 2 ** (0.5 / 12)
  found = notes_lib.read_notes_csv(out / 'tune.notes.csv')
  assert [n.midi_pitch for n in found] == [57, 60, 64, 69]
  import mido  # pylint: disable=g-import-not-at-top
  on = [m.note for m in mido.MidiFile(out / 'tune.mid') if m.type == 'note_on'
        and m.velocity > 0]
  assert on == [57, 60, 64, 69]


def test_cli_csv_is_unchanged_by_notes(tmp_path):
  path = write_tone(tmp_path / 'a.wav', 330.0, 1.0)
  code, _, stderr = run_cli_in_process('predict', path, '-o', tmp_path / 'x')
  assert code == 0, stderr
  code, _, stderr = run_cli_in_process('predict', path, '-o', tmp_path / 'y',
                                       '--notes')
  assert code == 0, stderr
  assert ((tmp_path / 'x' / 'a.f0.csv').read_text()
          == (tmp_path / 'y' / 'a.f0.csv').read_text())


# ------------------------------------------------------------ bad input
@pytest.mark.parametrize('name,audio', [
    ('silence', np.zeros(3 * SR, np.float32)),
    ('dc', np.full(3 * SR, 0.5, np.float32)),
    ('negative dc', np.full(3 * SR, -0.8, np.float32)),
])
def test_no_pitch_in_silence_or_dc(name, audio):
  track = pitchfit.predict(audio, SR)
  assert not track.voiced.any(), name


def test_the_high_pass_removes_an_offset_without_a_step():
  from pitchfit.track import conditioning  # pylint: disable=g-import-not-at-top
  offset = np.full(SR, 0.5, np.float32)
  assert np.abs(conditioning.highpass(offset, SR)).max() < 1e-6
  # In blocks as in one call: the state carries over.
  audio = tone(196.0, 1.0, SR) + 0.3
  whole = conditioning.highpass(audio, SR)
  stream = conditioning.HighPass(SR)
  blocks = np.concatenate([stream(audio[i:i + 999])
                           for i in range(0, audio.size, 999)])
  np.testing.assert_allclose(blocks, whole, atol=1e-6)
  # The offset goes, the tone stays (100 Hz and up lose under 0.2 dB).
  settled = whole[SR // 2:]
  assert abs(settled.mean()) < 1e-3
  ratio_db = 20 * np.log10(settled.std() / (audio - 0.3)[SR // 2:].std())
  assert -0.2 < ratio_db < 0.1


def test_dc_offset_under_a_tone_changes_nothing():
  audio = tone(196.0, 2.0, SR)
  clean = pitchfit.predict(audio, SR)
  offset = pitchfit.predict(audio + 0.4, SR)
  assert offset.voiced.mean() > 0.9
  assert np.median(cents(offset.frequency[offset.voiced], 196.0)) < 25
  assert np.median(cents(offset.frequency, clean.frequency)) < 5


def test_evaluate_on_an_empty_label_file_prints_only_the_error(tmp_path):
  import subprocess, sys  # pylint: disable=g-import-not-at-top,multiple-imports
  from tests.conftest import REPO  # pylint: disable=g-import-not-at-top
  write_tone(tmp_path / 'a.wav', 220.0, 0.5)
  (tmp_path / 'a.f0.csv').write_text('time_s,f0_hz\n')
  result = subprocess.run(
      [sys.executable, os.path.join(REPO, 'cli.py'), 'evaluate', '--audio-dir',
       str(tmp_path)], capture_output=True, text=True,
      env=dict(os.environ, PYTHONPATH=REPO), timeout=300)
  assert result.returncode == 1
  lines = [l for l in result.stderr.splitlines() if l.strip()]
  assert lines and all(l.startswith('pitchfit: error:') for l in lines), lines
  assert 'a.f0.csv' in lines[0]
