"""tools/render_melodies.py: the MIDI writer, the melodies, and a short render."""

import importlib.util
import os
import shutil
import struct

import numpy as np
import pytest

from conftest import REPO

_spec = importlib.util.spec_from_file_location(
    'render_melodies', os.path.join(REPO, 'tools', 'render_melodies.py'))
rm = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rm)

needs_fluidsynth = pytest.mark.skipif(
    shutil.which('fluidsynth') is None or not os.path.isfile(rm.SOUNDFONT),
    reason=f'needs fluidsynth and {rm.SOUNDFONT} ({rm.INSTALL_HINT})')


def _read_variable_length(data, i):
  value = 0
  while True:
    byte = data[i]
    value = (value << 7) | (byte & 0x7F)
    i += 1
    if not byte & 0x80:
      return value, i


def parse_midi(data):
  """A minimal SMF reader: (division, [(tick, status, data bytes)])."""
  tag, length, fmt, n_tracks, division = struct.unpack('>4sIHHH', data[:14])
  assert (tag, length, fmt, n_tracks) == (b'MThd', 6, 0, 1)
  tag, track_length = struct.unpack('>4sI', data[14:22])
  assert tag == b'MTrk' and 22 + track_length == len(data)
  events, i, tick, end = [], 22, 0, len(data)
  sizes = {0x80: 2, 0x90: 2, 0xB0: 2, 0xC0: 1, 0xE0: 2}
  while i < end:
    delta, i = _read_variable_length(data, i)
    tick += delta
    status = data[i]
    if status == 0xFF:
      meta_type = data[i + 1]
      size, j = _read_variable_length(data, i + 2)
      events.append((tick, (0xFF, meta_type), data[j:j + size]))
      i = j + size
    else:
      size = sizes[status & 0xF0]
      assert all(b < 0x80 for b in data[i + 1:i + 1 + size])
      events.append((tick, status, data[i + 1:i + 1 + size]))
      i += 1 + size
  return division, events


@pytest.mark.parametrize('value, encoded', [
    (0, b'\x00'), (0x7F, b'\x7f'), (0x80, b'\x81\x00'),
    (0x3FFF, b'\xff\x7f'), (0x200000, b'\x81\x80\x80\x00')])
def test_variable_length_matches_the_smf_spec(value, encoded):
  assert rm.variable_length(value) == encoded


def test_midi_file_is_valid_and_orders_events():
  events = [rm.note_off(500, 0, 60), rm.note_on(0, 0, 60, 100),
            rm.pitch_bend(500, 0, 2.0), rm.note_on(500, 0, 62, 90)]
  division, parsed = parse_midi(rm.midi_file_bytes(events))
  assert division == rm.TICKS_PER_QUARTER
  assert parsed[0][1] == (0xFF, 0x51)  # tempo first
  assert parsed[-1][1] == (0xFF, 0x2F) and parsed[-1][0] == 501
  # At tick 500: the old note ends, then the bend, then the new note starts.
  at_500 = [status & 0xF0 for tick, status, _ in parsed
            if tick == 500 and isinstance(status, int)]
  assert at_500 == [0x80, 0xE0, 0x90]


def test_pitch_bend_is_14_bit_in_the_set_range():
  def value(semitones):
    message = rm.pitch_bend(0, 3, semitones)[2]
    assert message[0] == 0xE3
    return message[1] | (message[2] << 7)
  assert value(0.0) == 8192
  assert value(rm.BEND_RANGE_SEMITONES / 2) == 8192 + 4096
  assert value(-100.0) == 0 and value(100.0) == 16383


def test_melodies_are_monophonic_in_range_and_deterministic():
  for program in rm.PROGRAMS[::5]:
    rng = np.random.default_rng(7)
    style = rm.draw_style(rng, program)
    notes = rm.draw_melody(rng, program, style, 20.0)
    assert len(notes) >= 5
    assert all(program.low <= n.pitch <= program.high for n in notes)
    assert all(a.end_s <= b.start_s + 1e-9 for a, b in zip(notes, notes[1:]))
    assert notes[-1].end_s <= 20.0
    assert all(abs(n.glide_from) <= rm.BEND_RANGE_SEMITONES for n in notes)
  assert rm.draw_file(3, rm.PROGRAMS[0], 12.0) == rm.draw_file(
      3, rm.PROGRAMS[0], 12.0)
  assert rm.draw_file(3, rm.PROGRAMS[0], 12.0) != rm.draw_file(
      4, rm.PROGRAMS[0], 12.0)


def test_programs_stay_in_the_pretraining_range():
  assert all(36 <= p.low < p.high <= 84 for p in rm.PROGRAMS)
  assert len({p.number for p in rm.PROGRAMS}) == len(rm.PROGRAMS)


def test_plan_adds_up_to_the_minutes_and_covers_programs():
  items = rm.plan(0, 10.0, 10.0, 30.0)
  seconds = sum(item[3] for item in items)
  assert 600.0 <= seconds < 630.0
  assert len({item[2].name for item in items}) == min(len(items),
                                                       len(rm.PROGRAMS))
  assert items == rm.plan(0, 10.0, 10.0, 30.0)


def _peak_hz(audio, sample_rate):
  spectrum = np.abs(np.fft.rfft(audio * np.hanning(audio.size)))
  return np.fft.rfftfreq(audio.size, 1.0 / sample_rate)[np.argmax(spectrum)]


def test_labels_follow_the_notes_and_their_bends():
  style = rm.Style(beat_s=0.5, legato=0.0, vibrato_hz=5.0, vibrato_cents=0.0,
                   vibrato_delay_s=0.1, reverb=0)
  notes = [rm.Note(0.1, 0.5, 69, 90, 0.0, 0.0, 0.0),          # A4, plain
           rm.Note(0.5, 1.0, 71, 90, -2.0, 0.1, 10.0)]        # glide from A4
  times, f0 = rm.f0_labels(notes, style, seconds=1.5)
  assert times[1] - times[0] == pytest.approx(0.01)
  assert np.all(f0[(times < 0.1) | (times >= 1.0)] == 0.0)     # no note
  np.testing.assert_allclose(f0[(times >= 0.1) & (times < 0.5)], 440.0)
  # The glide starts on the previous pitch and lands 10 cents sharp of B4.
  assert f0[np.searchsorted(times, 0.5)] == pytest.approx(440 * 2 ** (0.1 / 12))
  settled = f0[(times >= 0.6) & (times < 1.0)]
  np.testing.assert_allclose(settled, 493.883 * 2 ** (0.1 / 12), rtol=1e-4)
  # The same pitch the MIDI file bends to, note by note.
  melody, file_style = rm.draw_notes(3, rm.PROGRAMS[0], 8.0)
  times, f0 = rm.f0_labels(melody, file_style, 8.0)
  for note in melody:
    inside = (times >= note.start_s) & (times < note.end_s)
    midi = 69 + 12 * np.log2(f0[inside] / 440.0)
    expected = note.pitch + rm.bend_curve(note, file_style,
                                          times[inside] - note.start_s)
    np.testing.assert_allclose(midi, expected, atol=1e-6)


@needs_fluidsynth
def test_render_plays_the_note_and_the_bend(tmp_path):
  """A flute A4 (440 Hz), then bent up 2 semitones (493.9 Hz)."""
  import soundfile
  flute = 73
  events = [rm.program_change(0, 0, flute), rm.control_change(0, 0, 91, 0)]
  events += rm.bend_range_events(0, 0)
  events += [rm.note_on(0, 0, 69, 100), rm.pitch_bend(600, 0, 2.0),
             rm.note_off(1200, 0, 69)]
  midi = tmp_path / 'a4.mid'
  midi.write_bytes(rm.midi_file_bytes(events))
  wav = tmp_path / 'a4.wav'
  seconds = rm.render(midi, wav, level_db=-20.0)
  audio, rate = soundfile.read(wav, dtype='float32')
  assert rate == 16000 and audio.ndim == 1
  assert seconds == pytest.approx(audio.size / rate)
  assert 20 * np.log10(np.sqrt(np.mean(audio ** 2))) == pytest.approx(
      -20.0, abs=0.1)
  before, after = audio[1600:9600], audio[11200:19200]   # 0.1-0.6, 0.7-1.2 s
  assert _peak_hz(before, rate) == pytest.approx(440.0, rel=0.01)
  assert _peak_hz(after, rate) == pytest.approx(493.88, rel=0.01)


@needs_fluidsynth
def test_cli_writes_audio_and_manifest_but_no_labels(tmp_path):
  rm.main(['--minutes', '0.1', '--min-seconds', '2', '--max-seconds', '3',
           '--out', str(tmp_path)])
  wavs = sorted(p.name for p in tmp_path.glob('*.wav'))
  assert len(wavs) >= 2
  assert not list(tmp_path.glob('*.f0.csv'))
  lines = (tmp_path / 'manifest.csv').read_text().splitlines()
  assert lines[0].split(',')[:3] == ['file', 'program', 'seed']
  assert sorted(line.split(',')[0] for line in lines[1:]) == wavs


@needs_fluidsynth
def test_cli_labels_every_file_when_asked(tmp_path):
  rm.main(['--minutes', '0.05', '--min-seconds', '2', '--max-seconds', '3',
           '--out', str(tmp_path), '--labels'])
  import soundfile
  for wav in tmp_path.glob('*.wav'):
    rows = np.loadtxt(tmp_path / f'{wav.stem}.f0.csv', delimiter=',',
                      skiprows=1)
    assert rows[0, 0] == 0.0 and np.all(np.diff(rows[:, 0]) > 0)
    assert rows[-1, 0] <= soundfile.info(str(wav)).duration
    voiced = rows[rows[:, 1] > 0, 1]
    assert voiced.size and np.all((voiced > 60) & (voiced < 1100))


# ------------------------------------ the wide selection set (issue 18)
def test_wide_programs_cover_c1_to_c7_with_the_high_instruments():
  programs = rm.WIDE_PROGRAMS
  assert min(p.low for p in programs) == rm.WIDE_LOW == 24     # C1
  assert max(p.high for p in programs) == rm.WIDE_HIGH == 96   # C7
  assert all(rm.WIDE_LOW <= p.low < p.high <= rm.WIDE_HIGH for p in programs)
  assert len({p.name for p in programs}) == len(programs)
  by_number = {p.number: p for p in programs}
  for number, top in ((73, 96), (72, 96), (40, 96)):  # flute, piccolo, violin
    assert by_number[number].high == top
  sopranos = [p for p in programs if p.number in (52, 53)]  # choir, voice
  assert len(sopranos) == 2 and all(p.low >= 60 and p.high >= 84
                                    for p in sopranos)
  # Every octave band from C1-C2 to C6-C7 is played by several programs.
  for band in range(6):
    low, high = 24 + 12 * band, 24 + 12 * band + 11
    assert sum(p.low <= high and p.high >= low for p in programs) >= 3, band
  assert rm.PROGRAM_SETS == {'finetune': rm.PROGRAMS, 'wide': programs}


def test_wide_melodies_stay_in_range_and_seeds_are_disjoint():
  for program in rm.WIDE_PROGRAMS:
    notes, _ = rm.draw_notes(5, program, 15.0)
    assert notes and all(program.low <= n.pitch <= program.high
                         for n in notes)
  wide = rm.plan(1800, 3.0, 8.0, 15.0, rm.WIDE_PROGRAMS)
  assert {item[2].name for item in wide} <= {p.name for p in rm.WIDE_PROGRAMS}
  assert wide == rm.plan(1800, 3.0, 8.0, 15.0, rm.WIDE_PROGRAMS)
  used = {item[1] for seed in (0, 1000) for item in rm.plan(seed, 30.0, 8.0,
                                                           15.0)}
  assert not {item[1] for item in wide} & used


@needs_fluidsynth
def test_cli_labels_use_the_wide_programs_up_to_c7(tmp_path):
  rm.main(['--minutes', '0.2', '--min-seconds', '2', '--max-seconds', '3',
           '--out', str(tmp_path), '--labels', '--seed', '7'])
  names = {p.name for p in rm.WIDE_PROGRAMS}
  lines = (tmp_path / 'manifest.csv').read_text().splitlines()[1:]
  assert lines and all(line.split(',')[3] in names for line in lines)
  voiced = np.concatenate([
      np.loadtxt(path, delimiter=',', skiprows=1)[:, 1]
      for path in tmp_path.glob('*.f0.csv')])
  voiced = voiced[voiced > 0]
  # Intonation and vibrato bend a note by well under a semitone.
  assert np.all((voiced > 32.7 * 2 ** (-1 / 12)) & (voiced < 2093 * 2 ** (1 / 12)))
