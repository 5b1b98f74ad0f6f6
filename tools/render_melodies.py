"""Renders random monophonic melodies played by sampled instruments and voices.

  python tools/render_melodies.py [--minutes 30] [--seed 0] [--out data/finetune_audio]
  python tools/render_melodies.py --labels --minutes 16 --seed 1800 \
      --min-seconds 8 --max-seconds 15 --out /work/data/selection_melodies

Real-sounding audio for finetuning, made offline: each file is a random
melody written as a Standard MIDI File (with pitch bends for vibrato,
intonation and legato glides) and played by one General MIDI program of the
FluidR3 soundfont through `fluidsynth`, then mixed to 16 kHz mono WAV.
Programs are strings, woodwinds, brass, saxophones, choir and synth voices,
whistle, ocarina and more, each kept to its instrument's usual range (MIDI
36-84 overall, inside the synthetic pretraining's MIDI 24-84).

Finetuning is self-supervised, so by default no f0 labels are written beside
the audio (a `<name>.f0.csv` would make `audio_folder` treat the file as
labelled); `manifest.csv` lists file, program and seed. The same seed gives
the same MIDI files and, with the same fluidsynth and soundfont, the same
audio.

With `--labels` each file also gets `<name>.f0.csv` (time_s,f0_hz every
10 ms, 0 = no note) computed from its MIDI notes and pitch bends: a labelled
set for choosing between models (`bench/accuracy.py --data OUT`), kept apart
from the finetuning audio and from `../shared/eval-data`. Its labels are the
score's pitch, not a measurement: a sample's own tuning, attack and release
are not in them.

Program sets (`--programs`):
  * `finetune` (the default without --labels): PROGRAMS, each instrument's
    usual range cut to MIDI 36-84, inside the old pretraining's range;
  * `wide` (the default with --labels): WIDE_PROGRAMS, MIDI 24-96 (C1-C7,
    32.7-2093 Hz) in all, so that a labelled set has frames in every octave
    band from C1-C2 to C6-C7 (tools/octave_report.py scores them): flute,
    piccolo, violin, fiddle, recorder, whistle and pan flute up to C7,
    soprano choir and voice patches (`choir_aahs`/`voice_oohs` at a
    soprano's C4-F6), contrabass, tuba, acoustic bass and church organ down
    to C1-E1, and woodwinds, brass and strings between.

Seeds used so far (file seeds are `SeedSequence([seed, index])`, so
different `--seed` values give disjoint files):
  * 0: finetuning audio (`make finetune-audio`, `--programs finetune`);
  * 1000: the first selection set, 32 melodies, 6.9 min
    (`--minutes 6 --seed 1000 --min-seconds 8 --max-seconds 15 --labels
    --programs finetune`; MIDI 36-84);
  * 1800: the wide selection set of issue 18 (`--labels --minutes 16 --seed
    1800 --min-seconds 8 --max-seconds 15`, i.e. `--programs wide`), rendered
    into /work/data/selection_melodies, outside the repository. It is a
    selection set for choosing between models, never training audio, and
    not eval-data.
  * 1900 and 2000: the same kind of selection set played by other
    soundfonts (`--soundfont /usr/share/sounds/sf2/TimGM6mb.sf2` and
    `/usr/share/sounds/sf3/MuseScore_General_Lite.sf3`, Debian's
    timgm6mb-soundfont and musescore-general-soundfont-small), rendered into
    /work/data/selection_timgm and selection_musescore: a model that gains
    on FluidR3 by learning its samples loses there.
Pick a new seed for any new set.

Needs Debian's `fluidsynth` and `fluid-soundfont-gm` packages.
"""

import argparse
import csv
import dataclasses
import os
import pathlib
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np

SOUNDFONT = '/usr/share/sounds/sf2/FluidR3_GM.sf2'
INSTALL_HINT = 'sudo apt-get install -y fluidsynth fluid-soundfont-gm'
SAMPLE_RATE = 16000
# 500 ticks per quarter note at 120 bpm (500000 us per quarter) = 1 ms a tick.
TICKS_PER_QUARTER = 500
TEMPO_US_PER_QUARTER = 500000
TICKS_PER_SECOND = 1000
BEND_RANGE_SEMITONES = 12     # set by RPN 0, so a legato glide spans an octave
BEND_STEP_S = 0.01            # pitch bend messages every 10 ms during a note
TAIL_S = 0.8                  # silence after the last note: release and reverb
# Each file's RMS level is drawn from this range (dBFS), peaks kept below
# PEAK_DB: recordings come at many levels.
LEVEL_DB = (-38.0, -16.0)
PEAK_DB = -1.0
# Notes rotate over channels so that a note's glide or vibrato (channel-wide
# pitch bend) never bends the release tail of the notes before it.
CHANNELS = (0, 1, 2, 3)
LABEL_HOP_S = 0.01            # --labels: one f0 value every 10 ms


@dataclasses.dataclass(frozen=True)
class Program:
  """A General MIDI program and the MIDI note range it plays here."""
  number: int          # 0-based GM program
  name: str
  low: int             # lowest MIDI note
  high: int            # highest MIDI note
  vibrato: bool = True  # False for plucked and struck sounds


# Ranges are the instruments' (or voices') usual ones, cut to MIDI 36-84.
PROGRAMS = (
    Program(40, 'violin', 55, 84),
    Program(41, 'viola', 48, 79),
    Program(42, 'cello', 36, 72),
    Program(43, 'contrabass', 36, 55),
    Program(110, 'fiddle', 55, 84),
    Program(56, 'trumpet', 55, 82),
    Program(57, 'trombone', 40, 72),
    Program(58, 'tuba', 36, 58),
    Program(60, 'french_horn', 41, 77),
    Program(64, 'soprano_sax', 56, 84),
    Program(65, 'alto_sax', 49, 80),
    Program(66, 'tenor_sax', 44, 75),
    Program(67, 'baritone_sax', 36, 69),
    Program(68, 'oboe', 58, 84),
    Program(69, 'english_horn', 52, 81),
    Program(70, 'bassoon', 36, 72),
    Program(71, 'clarinet', 50, 84),
    Program(72, 'piccolo', 74, 84),
    Program(73, 'flute', 60, 84),
    Program(74, 'recorder', 60, 84),
    Program(75, 'pan_flute', 60, 84),
    Program(77, 'shakuhachi', 55, 79),
    Program(78, 'whistle', 60, 84),
    Program(79, 'ocarina', 60, 84),
    Program(111, 'shanai', 60, 84),
    Program(22, 'harmonica', 60, 84),
    Program(21, 'accordion', 53, 84),
    Program(52, 'choir_aahs', 40, 79),
    Program(53, 'voice_oohs', 40, 79),
    Program(54, 'synth_voice', 40, 79),
    Program(85, 'lead_voice', 48, 79),
    Program(24, 'nylon_guitar', 40, 76, vibrato=False),
    Program(32, 'acoustic_bass', 36, 55, vibrato=False),
    Program(46, 'harp', 36, 84, vibrato=False),
)

# The labelled selection set's programs: real ranges, cut to MIDI 24-96
# (C1-C7). Highs: piccolo D5-C7 (its top octave, C7-C8, is left out),
# flute C4-C7, violin G3-C7, soprano C4-F6. Lows: contrabass and acoustic
# bass from E1, tuba from D1, organ pedals from C1.
WIDE_LOW, WIDE_HIGH = 24, 96
WIDE_PROGRAMS = (
    Program(73, 'flute', 60, 96),
    Program(72, 'piccolo', 74, 96),
    Program(40, 'violin', 55, 96),
    Program(110, 'fiddle', 55, 91),
    Program(74, 'recorder', 72, 96),
    Program(78, 'whistle', 72, 96),
    Program(75, 'pan_flute', 60, 91),
    Program(52, 'soprano_aahs', 60, 89),
    Program(53, 'soprano_oohs', 60, 89),
    Program(54, 'synth_voice', 48, 84),
    Program(68, 'oboe', 58, 91),
    Program(71, 'clarinet', 50, 91),
    Program(64, 'soprano_sax', 56, 87),
    Program(56, 'trumpet', 54, 86),
    Program(60, 'french_horn', 34, 77),
    Program(57, 'trombone', 34, 72),
    Program(58, 'tuba', 26, 58),
    Program(70, 'bassoon', 34, 75),
    Program(67, 'baritone_sax', 33, 69),
    Program(41, 'viola', 48, 88),
    Program(42, 'cello', 36, 81),
    Program(43, 'contrabass', 28, 55),
    Program(32, 'acoustic_bass', 28, 55, vibrato=False),
    Program(19, 'church_organ', 24, 72, vibrato=False),
)
PROGRAM_SETS = {'finetune': PROGRAMS, 'wide': WIDE_PROGRAMS}


# ------------------------------------------------------------ MIDI writing
def variable_length(value):
  """A MIDI variable-length quantity: 7 bits a byte, high bit = more follows."""
  if value < 0:
    raise ValueError(f'negative MIDI delta time {value}')
  out = [value & 0x7F]
  value >>= 7
  while value:
    out.append(0x80 | (value & 0x7F))
    value >>= 7
  return bytes(reversed(out))


# Order of events that share a tick: ends first, then set-up, then starts, so
# a glide's starting bend is in place before its note sounds.
_NOTE_OFF, _CONTROL, _BEND, _NOTE_ON, _END = range(5)


def note_on(tick, channel, note, velocity):
  return (tick, _NOTE_ON, bytes([0x90 | channel, note, velocity]))


def note_off(tick, channel, note):
  return (tick, _NOTE_OFF, bytes([0x80 | channel, note, 64]))


def control_change(tick, channel, controller, value):
  return (tick, _CONTROL, bytes([0xB0 | channel, controller, value]))


def program_change(tick, channel, program):
  return (tick, _CONTROL, bytes([0xC0 | channel, program]))


def pitch_bend(tick, channel, semitones):
  """Bend by `semitones` (within +-BEND_RANGE_SEMITONES), 14-bit resolution."""
  value = int(round(8192 + semitones / BEND_RANGE_SEMITONES * 8192))
  value = min(max(value, 0), 16383)
  return (tick, _BEND, bytes([0xE0 | channel, value & 0x7F, value >> 7]))


def bend_range_events(tick, channel, semitones=BEND_RANGE_SEMITONES):
  """RPN 0 (pitch bend sensitivity) = semitones, then RPN null."""
  return [control_change(tick, channel, cc, v) for cc, v in
          ((101, 0), (100, 0), (6, semitones), (38, 0), (101, 127), (100, 127))]


def midi_file_bytes(events):
  """A format-0 Standard MIDI File holding `events`.

  Args:
    events: [(tick, order, message bytes)], any order; ticks are 1 ms
      (TICKS_PER_QUARTER at TEMPO_US_PER_QUARTER). The track ends one tick
      after the last event.

  Returns:
    bytes of the .mid file.
  """
  tempo = (0, _CONTROL, b'\xff\x51\x03' + TEMPO_US_PER_QUARTER.to_bytes(3, 'big'))
  events = sorted([tempo] + list(events), key=lambda e: (e[0], e[1]))
  end = (events[-1][0] + 1, _END, b'\xff\x2f\x00')
  track, previous = bytearray(), 0
  for tick, _, message in events + [end]:
    track += variable_length(tick - previous) + message
    previous = tick
  header = struct.pack('>4sIHHH', b'MThd', 6, 0, 1, TICKS_PER_QUARTER)
  return header + struct.pack('>4sI', b'MTrk', len(track)) + bytes(track)


# ------------------------------------------------------------ the melodies
@dataclasses.dataclass
class Note:
  start_s: float
  end_s: float
  pitch: int             # MIDI note number
  velocity: int
  glide_from: float      # semitones relative to pitch at the start (0: none)
  glide_s: float
  detune_cents: float    # intonation: a constant offset for the whole note


@dataclasses.dataclass
class Style:
  """How one file is played: its tempo, phrasing and vibrato."""
  beat_s: float
  legato: float          # probability that a note is slurred from the last
  vibrato_hz: float
  vibrato_cents: float   # peak deviation
  vibrato_delay_s: float
  reverb: int            # CC 91 send, 0..127


def draw_style(rng, program):
  return Style(
      beat_s=60.0 / rng.uniform(60, 150),
      legato=rng.uniform(0.1, 0.8),
      vibrato_hz=rng.uniform(4.5, 7.0),
      vibrato_cents=rng.uniform(10, 50) if program.vibrato else 0.0,
      vibrato_delay_s=rng.uniform(0.08, 0.3),
      reverb=int(rng.integers(0, 70)))


# Melodic steps in semitones and their weights: mostly steps and small leaps.
_STEPS = np.array([0, 1, 2, 3, 4, 5, 7, 12])
_STEP_WEIGHTS = np.array([4, 10, 12, 6, 4, 3, 2, 0.5])
# Note lengths in beats.
_BEATS = np.array([0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0])
_BEAT_WEIGHTS = np.array([1, 4, 6, 2, 3, 1, 1])


def next_pitch(rng, pitch, program):
  """A random melodic step from `pitch`, reflected back into the range."""
  step = rng.choice(_STEPS, p=_STEP_WEIGHTS / _STEP_WEIGHTS.sum())
  candidate = pitch + step * rng.choice([-1, 1])
  if candidate < program.low or candidate > program.high:
    candidate = pitch - (candidate - pitch)
  return int(min(max(candidate, program.low), program.high))


def draw_melody(rng, program, style, seconds):
  """Notes filling about `seconds`: phrases of 3-12 notes with breaths between.

  Returns:
    [Note], in time order, never overlapping (a monophonic line).
  """
  notes, time = [], rng.uniform(0.05, 0.4)
  pitch = int(rng.integers(program.low, program.high + 1))
  phrase_left = int(rng.integers(3, 13))
  velocity = int(rng.integers(50, 110))
  while True:
    length = rng.choice(_BEATS, p=_BEAT_WEIGHTS / _BEAT_WEIGHTS.sum())
    duration = max(0.12, length * style.beat_s * rng.uniform(0.9, 1.1))
    if time + duration > seconds:
      break
    slurred = bool(notes) and notes[-1].end_s >= time - 1e-6
    glide_s = rng.uniform(0.03, 0.15) if slurred else 0.0
    glide_from = (notes[-1].pitch - pitch) if slurred else 0.0
    sounding = duration if rng.random() < style.legato else (
        duration * rng.uniform(0.6, 0.95))
    velocity = int(np.clip(velocity + rng.integers(-12, 13), 35, 120))
    notes.append(Note(time, time + sounding, pitch, velocity, glide_from,
                      min(glide_s, 0.5 * sounding), rng.normal(0.0, 6.0)))
    time += duration
    phrase_left -= 1
    if phrase_left == 0:  # a breath: the next note starts fresh
      time += style.beat_s * rng.choice([0.5, 1.0, 2.0])
      phrase_left = int(rng.integers(3, 13))
    pitch = next_pitch(rng, pitch, program)
  return notes


def bend_curve(note, style, times):
  """Pitch bend of a note in semitones at `times` (s from the note's start).

  A raised-cosine glide from the previous note, the note's intonation
  offset, and vibrato that fades in after its delay.
  """
  glide = np.zeros_like(times)
  if note.glide_s > 0:
    phase = np.clip(times / note.glide_s, 0.0, 1.0)
    glide = note.glide_from * 0.5 * (1.0 + np.cos(np.pi * phase))
  fade = np.clip((times - style.vibrato_delay_s) / 0.25, 0.0, 1.0)
  vibrato = (style.vibrato_cents / 100.0) * fade * np.sin(
      2 * np.pi * style.vibrato_hz * times)
  return glide + note.detune_cents / 100.0 + vibrato


def melody_events(notes, program, style):
  """MIDI events playing `notes` with `program`, rotating over CHANNELS."""
  events = []
  for channel in CHANNELS:
    events += [program_change(0, channel, program.number),
               control_change(0, channel, 7, 100),      # volume
               control_change(0, channel, 91, style.reverb),
               control_change(0, channel, 93, 0)]       # no chorus detuning
    events += bend_range_events(0, channel)
  for i, note in enumerate(notes):
    channel = CHANNELS[i % len(CHANNELS)]
    start = int(round(note.start_s * TICKS_PER_SECOND))
    end = max(start + 1, int(round(note.end_s * TICKS_PER_SECOND)))
    times = np.arange(0.0, (end - start) / TICKS_PER_SECOND, BEND_STEP_S)
    for t, semitones in zip(times, bend_curve(note, style, times)):
      events.append(pitch_bend(start + int(round(t * TICKS_PER_SECOND)),
                               channel, semitones))
    events += [note_on(start, channel, note.pitch, note.velocity),
               note_off(end, channel, note.pitch)]
  last = max(e[0] for e in events)
  # A silent event keeps the file going while the last note rings out.
  events.append(control_change(last + int(TAIL_S * TICKS_PER_SECOND),
                               CHANNELS[0], 91, style.reverb))
  return events


def draw_notes(seed, program, seconds):
  """(notes, style) of one melody: a pure function of (seed, program, seconds)."""
  rng = np.random.default_rng(seed)
  style = draw_style(rng, program)
  return draw_melody(rng, program, style, seconds - TAIL_S), style


def draw_file(seed, program, seconds):
  """The MIDI bytes of one melody: a pure function of (seed, program, seconds)."""
  notes, style = draw_notes(seed, program, seconds)
  return midi_file_bytes(melody_events(notes, program, style))


def f0_labels(notes, style, seconds, hop_s=LABEL_HOP_S):
  """The pitch the MIDI file asks for, every hop_s, as (times [n], f0 Hz [n]).

  Inside a note: its MIDI pitch plus its bend curve (glide, intonation,
  vibrato), as `melody_events` sends it; elsewhere 0 (no note).
  """
  times = np.arange(0.0, seconds, hop_s)
  f0_hz = np.zeros_like(times)
  for note in notes:
    inside = (times >= note.start_s) & (times < note.end_s)
    midi = note.pitch + bend_curve(note, style, times[inside] - note.start_s)
    f0_hz[inside] = 440.0 * 2.0 ** ((midi - 69.0) / 12.0)
  return times, f0_hz


def write_labels(path, times, f0_hz):
  """Writes a `time_s,f0_hz` CSV as `pitchfit evaluate --audio-dir` reads it."""
  with open(path, 'w', newline='') as f:
    f.write('time_s,f0_hz\n')
    for t, hz in zip(times, f0_hz):
      f.write(f'{t:.3f},{hz:.3f}\n')


def write_manifest(path, rows):
  """Writes rows (dicts with the same keys, in order) as a CSV with a header.

  Written last and atomically, so a folder with a manifest is a whole render.
  """
  from pitchfit.io import atomic  # pylint: disable=g-import-not-at-top
  with atomic.atomic_open(path, newline='') as f:
    writer = csv.DictWriter(f, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)


# ------------------------------------------------------------- rendering
def check_tools(soundfont=SOUNDFONT):
  """Exits with an install hint if fluidsynth or the soundfont is missing."""
  missing = []
  if shutil.which('fluidsynth') is None:
    missing.append('the fluidsynth program')
  if not os.path.isfile(soundfont):
    missing.append(f'the soundfont {soundfont}')
  if missing:
    sys.exit(f'render_melodies: {" and ".join(missing)} not found. '
             f'Install with:\n  {INSTALL_HINT}')


def set_level(audio, rms_db, peak_db=PEAK_DB):
  """Scales audio [n] to `rms_db` dBFS RMS, less if a peak would pass `peak_db`.

  The peak cap keeps the 16-bit file from clipping.
  """
  rms = np.sqrt(np.mean(np.square(audio, dtype=np.float64)))
  peak = np.max(np.abs(audio))
  if rms == 0.0:
    return audio
  gain = min(10.0 ** (rms_db / 20.0) / rms, 10.0 ** (peak_db / 20.0) / peak)
  return (audio * gain).astype(np.float32)


def render(midi_path, wav_path, level_db, soundfont=SOUNDFONT,
           sample_rate=SAMPLE_RATE):
  """Plays a MIDI file with fluidsynth into 16-bit mono WAV at sample_rate.

  fluidsynth writes stereo (its reverb is stereo); the mean of the two
  channels is the mono mix, scaled to an RMS of `level_db` dBFS (fluidsynth's
  own output sits near -45 dBFS, quieter than most recordings).

  Returns:
    seconds of audio written.
  """
  import soundfile  # pylint: disable=g-import-not-at-top
  with tempfile.TemporaryDirectory() as tmp:
    stereo = os.path.join(tmp, 'stereo.wav')
    result = subprocess.run(
        ['fluidsynth', '-ni', '-q', '-F', stereo, '-r', str(sample_rate),
         '-T', 'wav', '-O', 'float', '-o', 'synth.cpu-cores=1',
         soundfont, str(midi_path)],
        capture_output=True, text=True, check=False)
    if result.returncode != 0 or not os.path.isfile(stereo):
      raise RuntimeError(f'fluidsynth failed on {midi_path}: '
                         f'{result.stderr.strip() or result.stdout.strip()}')
    audio, rate = soundfile.read(stereo, dtype='float32', always_2d=True)
  mono = set_level(audio.mean(axis=1), level_db)
  soundfile.write(str(wav_path), mono, rate, subtype='PCM_16')
  return mono.size / rate


def plan(seed, minutes, min_seconds, max_seconds, programs=PROGRAMS):
  """[(index, file seed, Program, seconds, level dBFS)] adding up to `minutes`.

  Programs come in shuffled rounds, so every program gets a share even of a
  short run. File seeds are spawned from `seed`, one per file.
  """
  rng = np.random.default_rng(seed)
  total, items, order = 0.0, [], []
  while total < minutes * 60.0:
    if not order:
      order = list(rng.permutation(len(programs)))
    seconds = float(rng.uniform(min_seconds, max_seconds))
    index = len(items)
    file_seed = int(np.random.SeedSequence([seed, index]).generate_state(1)[0])
    level_db = float(rng.uniform(*LEVEL_DB))
    items.append((index, file_seed, programs[order.pop()], seconds, level_db))
    total += seconds
  return items


def file_name(index, program):
  return f'melody_{index:05d}_{program.name}'


def render_all(items, out_dir, soundfont=SOUNDFONT, keep_midi=False,
               progress=True, labels=False):
  """Writes one WAV per planned item and manifest.csv; returns audio seconds.

  With labels, also each WAV's `<name>.f0.csv` (`f0_labels`).
  """
  from tqdm import tqdm  # pylint: disable=g-import-not-at-top
  out_dir = pathlib.Path(out_dir)
  out_dir.mkdir(parents=True, exist_ok=True)
  rows, total = [], 0.0
  with tempfile.TemporaryDirectory() as tmp:
    for index, file_seed, program, seconds, level_db in tqdm(
        items, unit='file', disable=not progress, desc='rendering'):
      name = file_name(index, program)
      midi_dir = out_dir / 'midi' if keep_midi else pathlib.Path(tmp)
      midi_dir.mkdir(exist_ok=True)
      midi_path = midi_dir / f'{name}.mid'
      notes, style = draw_notes(file_seed, program, seconds)
      midi_path.write_bytes(
          midi_file_bytes(melody_events(notes, program, style)))
      audio_s = render(midi_path, out_dir / f'{name}.wav', level_db, soundfont)
      if labels:
        write_labels(out_dir / f'{name}.f0.csv',
                     *f0_labels(notes, style, audio_s))
      total += audio_s
      rows.append({'file': f'{name}.wav', 'program': program.number,
                   'seed': file_seed, 'program_name': program.name,
                   'seconds': f'{audio_s:.3f}', 'level_db': f'{level_db:.1f}'})
  write_manifest(out_dir / 'manifest.csv', rows)
  return total


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--out', default='data/finetune_audio',
                      help='output folder (default: %(default)s)')
  parser.add_argument('--minutes', type=float, default=30.0,
                      help='total audio to render (default: %(default)s)')
  parser.add_argument('--min-seconds', type=float, default=10.0)
  parser.add_argument('--max-seconds', type=float, default=30.0)
  parser.add_argument('--seed', type=int, default=0)
  parser.add_argument('--keep-midi', action='store_true',
                      help='also keep the .mid files (in OUT/midi/)')
  parser.add_argument('--soundfont', default=SOUNDFONT)
  parser.add_argument('--labels', action='store_true',
                      help='also write <name>.f0.csv from the MIDI pitch: a '
                           'labelled selection set, never finetuning audio')
  parser.add_argument('--programs', choices=sorted(PROGRAM_SETS),
                      help='program set: finetune (MIDI 36-84) or wide (MIDI '
                           '24-96, C1-C7; flute, piccolo, violin, soprano); '
                           'default: wide with --labels, else finetune')
  args = parser.parse_args(argv)
  if not 1.0 <= args.min_seconds <= args.max_seconds:
    parser.error('need 1 <= --min-seconds <= --max-seconds')
  programs = PROGRAM_SETS[args.programs or (
      'wide' if args.labels else 'finetune')]
  check_tools(args.soundfont)
  items = plan(args.seed, args.minutes, args.min_seconds, args.max_seconds,
               programs)
  import time  # pylint: disable=g-import-not-at-top
  start = time.perf_counter()
  total = render_all(items, args.out, args.soundfont, args.keep_midi,
                     labels=args.labels)
  elapsed = time.perf_counter() - start
  print(f'{len(items)} files, {total / 60:.1f} min of audio in {args.out} '
        f'({elapsed:.0f} s, {total / max(elapsed, 1e-9):.0f}x real time)')


if __name__ == '__main__':
  main()
