"""Tests for pitchfit.track.notes: note segmentation, notes CSV, MIDI files."""

import subprocess
import sys

import mido
import numpy as np
import pytest

from pitchfit.track import notes as notes_lib

HOP = 0.01  # s, the tracker's default output step


def _hz(midi):
  return 440.0 * 2 ** ((np.asarray(midi, dtype=np.float64) - 69) / 12)


def _track(pieces, vibrato_st=0.6, vibrato_hz=5.5, seed=0):
  """A frame track from [(midi or None for a gap, seconds)], with vibrato/noise.

  Returns (times, f0_hz, confidence, true onsets of each voiced piece).
  """
  rng = np.random.default_rng(seed)
  midi, conf, onsets, t = [], [], [], 0.0
  for pitch, seconds in pieces:
    n = int(round(seconds / HOP))
    if pitch is None:
      midi.append(rng.uniform(40, 80, n))   # garbage f0 where unvoiced
      conf.append(rng.uniform(0.0, 0.3, n))
    else:
      local = np.arange(n) * HOP
      midi.append(np.broadcast_to(pitch, (n,)) + vibrato_st * np.sin(
          2 * np.pi * vibrato_hz * local) + rng.normal(0, 0.1, n))
      conf.append(rng.uniform(0.7, 1.0, n))
      onsets.append(t)
    t += n * HOP
  midi = np.concatenate(midi)
  times = np.arange(midi.size) * HOP
  return times, _hz(midi), np.concatenate(conf), onsets


def test_three_notes_with_vibrato_and_a_gap():
  times, f0, conf, onsets = _track(
      [(None, 0.1), (60, 0.5), (None, 0.15), (64, 0.5), (62, 0.55), (None, 0.2)])
  found = notes_lib.segment_notes(times, f0, conf)
  assert [n.midi_pitch for n in found] == [60, 64, 62]
  assert np.allclose([n.onset_s for n in found], onsets, atol=HOP + 1e-9)
  assert found[0].offset_s == pytest.approx(0.6, abs=HOP + 1e-9)
  assert found[1].offset_s == pytest.approx(found[2].onset_s)  # legato
  assert found[2].offset_s == pytest.approx(1.8, abs=HOP + 1e-9)
  for n, midi in zip(found, [60, 64, 62]):
    assert abs(notes_lib.hz_to_midi(n.mean_f0_hz) - midi) < 0.15
    assert 0.7 <= n.confidence <= 1.0


@pytest.mark.parametrize('vibrato_hz', [5.0, 6.0, 7.0])
@pytest.mark.parametrize('seed', [0, 1, 2])
def test_vibrato_of_a_semitone_and_more_stays_one_note(vibrato_hz, seed):
  # +-0.6 semitone: the raw pitch crosses into both neighbouring semitones
  # every cycle, and the steps around the note are one and two semitones.
  times, f0, conf, onsets = _track([(62, 0.5), (67, 1.2), (65, 0.6), (66, 0.6)],
                                   vibrato_st=0.6, vibrato_hz=vibrato_hz,
                                   seed=seed)
  assert np.ptp(np.round(notes_lib.hz_to_midi(f0[50:170]))) >= 2
  found = notes_lib.segment_notes(times, f0, conf)
  assert [n.midi_pitch for n in found] == [62, 67, 65, 66]
  assert np.allclose([n.onset_s for n in found], onsets, atol=0.05)


def test_a_semitone_step_splits():
  times, f0, conf, onsets = _track([(60, 0.4), (61, 0.4)], vibrato_st=0.3)
  found = notes_lib.segment_notes(times, f0, conf)
  assert [n.midi_pitch for n in found] == [60, 61]
  assert found[1].onset_s == pytest.approx(onsets[1], abs=2 * HOP)


def test_portamento_between_two_notes():
  glide = np.linspace(60, 67, 16)[1:-1]  # 0.14 s glide up a fifth
  midi = np.concatenate([np.full(40, 60.0), glide, np.full(40, 67.0)])
  times = np.arange(midi.size) * HOP
  found = notes_lib.segment_notes(times, _hz(midi), np.ones(midi.size))
  assert [n.midi_pitch for n in found] == [60, 67]  # no glide pieces
  middle = times[40 + glide.size // 2]
  assert found[1].onset_s == pytest.approx(middle, abs=0.03)
  assert found[0].offset_s == found[1].onset_s
  assert found[0].onset_s == 0 and found[1].offset_s == pytest.approx(
      times[-1] + HOP)


def test_octave_blips_dropouts_and_clicks():
  times, f0, conf, _ = _track([(None, 0.1), (57, 0.6), (None, 0.3),
                               (57, 0.02), (None, 0.3), (57, 0.5)])
  f0[30] *= 2         # a one-frame octave error inside the first note
  conf[45] = 0.1      # a one-frame voicing dropout inside it
  found = notes_lib.segment_notes(times, f0, conf)
  # The 20-ms click is dropped; the repeated note after a rest is its own.
  assert [n.midi_pitch for n in found] == [57, 57]
  assert found[0].onset_s == pytest.approx(0.1) and found[0].offset_s == (
      pytest.approx(0.7))
  # A longer minimum duration drops the short note too; a lower threshold
  # keeps the unvoiced stretches (garbage f0) as notes.
  assert len(notes_lib.segment_notes(times, f0, conf, min_duration_s=0.55)) == 1
  assert len(notes_lib.segment_notes(times, f0, conf, threshold=0.0)) > 2


def test_empty_and_unvoiced_tracks():
  assert notes_lib.segment_notes([], [], []) == []
  times = np.arange(50) * HOP
  assert notes_lib.segment_notes(times, np.full(50, 220.0), np.zeros(50)) == []
  f0 = np.full(50, 220.0)
  f0[10:20] = np.nan
  found = notes_lib.segment_notes(times, f0, np.ones(50))
  # A 100-ms gap (no f0) is longer than max_gap_s: two notes.
  assert [(n.onset_s, n.midi_pitch) for n in found] == [
      (0.0, 57), (pytest.approx(0.2), 57)]


@pytest.mark.parametrize('kwargs, message', [
    ({'times_s': np.zeros(3)}, 'increasing'),
    ({'f0_hz': np.ones(4)}, 'one length'),
    ({'hysteresis_semitones': 0.5}, 'hysteresis'),
])
def test_segment_errors(kwargs, message):
  args = {'times_s': np.arange(3) * HOP, 'f0_hz': np.ones(3),
          'confidence': np.ones(3)}
  args.update(kwargs)
  with pytest.raises(ValueError, match=message):
    notes_lib.segment_notes(**args)


def _notes():
  times, f0, conf, _ = _track(
      [(None, 0.1), (60, 0.5), (None, 0.15), (64, 0.5), (62, 0.55)])
  return notes_lib.segment_notes(times, f0, conf)


def test_notes_csv_round_trips(tmp_path):
  notes = _notes()
  path = tmp_path / 'a.notes.csv'
  notes_lib.write_notes_csv(notes, path)
  assert path.read_text().splitlines()[0] == 'onset,offset,midi,frequency'
  back = notes_lib.read_notes_csv(path)
  assert [n.midi_pitch for n in back] == [n.midi_pitch for n in notes]
  for a, b in zip(notes, back):
    assert b.onset_s == pytest.approx(a.onset_s, abs=1e-4)
    assert b.offset_s == pytest.approx(a.offset_s, abs=1e-4)
    assert b.mean_f0_hz == pytest.approx(a.mean_f0_hz, abs=1e-3)
  assert list(tmp_path.iterdir()) == [path]  # no temporary left behind
  (tmp_path / 'bad.csv').write_text('time,frequency,confidence\n')
  with pytest.raises(ValueError, match='not a notes CSV'):
    notes_lib.read_notes_csv(tmp_path / 'bad.csv')


def _read_midi(path):
  """(onset, offset, pitch, velocity) per note, parsed with mido."""
  started, found = {}, []
  now = 0.0
  for message in mido.MidiFile(path):  # iteration gives times in seconds
    now += message.time
    if message.type == 'note_on' and message.velocity > 0:
      started[message.note] = (now, message.velocity)
    elif message.type in ('note_off', 'note_on'):
      onset, velocity = started.pop(message.note)
      found.append((onset, now, message.note, velocity))
  return sorted(found)


@pytest.mark.parametrize('bpm', [120.0, 93.0])
def test_midi_file_parses_back_to_the_same_notes(tmp_path, bpm):
  notes = _notes()
  path = tmp_path / 'a.mid'
  notes_lib.write_midi(notes, path, bpm=bpm)
  back = _read_midi(path)
  assert [b[2] for b in back] == [n.midi_pitch for n in notes]
  for n, (onset, offset, _, velocity) in zip(notes, back):
    assert onset == pytest.approx(n.onset_s, abs=2e-3)
    assert offset == pytest.approx(n.offset_s, abs=2e-3)
    assert velocity == 100


def test_midi_velocity_from_confidence_and_legato(tmp_path):
  notes = [notes_lib.Note(0.0, 0.5, 60, 261.6, 1.0),
           notes_lib.Note(0.5, 1.0, 62, 293.7, 0.5)]  # note_off and on at 0.5
  path = tmp_path / 'b.mid'
  notes_lib.write_midi(notes, path, velocity=None)
  back = _read_midi(path)
  assert [(b[2], b[3]) for b in back] == [(60, 127), (62, 64)]
  assert back[0][1] == pytest.approx(0.5, abs=2e-3)
  with pytest.raises(ValueError, match='velocity'):
    notes_lib.write_midi(notes, path, velocity=0)


def test_imports_neither_tensorflow_nor_scipy():
  code = ('import sys, pitchfit.track.notes; '
          'print(sorted({"tensorflow", "scipy", "mido"} & set(sys.modules)))')
  out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                       text=True, check=True)
  assert out.stdout.strip() == '[]'
