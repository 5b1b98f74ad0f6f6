"""Notes from an f0 track (`--notes`, `--midi`), written as CSV or a MIDI file.

NumPy only: tracking runs without TensorFlow, and scipy.ndimage alone takes
0.2-0.3 s to import. `mido` (small, pure Python) is imported by write_midi.
"""

import csv
from typing import NamedTuple

import numpy as np

from pitchfit.io import atomic

CSV_HEADER = ('onset', 'offset', 'midi', 'frequency')


class Note(NamedTuple):
  """One note: times in seconds, equal-tempered MIDI pitch (A4 = 69 = 440 Hz)."""
  onset_s: float
  offset_s: float
  midi_pitch: int
  mean_f0_hz: float   # averaged in log-frequency over the note's voiced frames
  confidence: float = 1.0  # mean voicing confidence of those frames, 0..1


def hz_to_midi(f_hz):
  """Hz -> fractional MIDI note number (69 = 440 Hz)."""
  return 69.0 + 12.0 * np.log2(np.asarray(f_hz, dtype=np.float64) / 440.0)


def _quantise_with_hysteresis(smooth_midi, hysteresis, lookahead):
  """Start indices of constant-semitone pieces of one voiced run [n] (MIDI).

  Note m is kept while |pitch - m| <= 0.5 + hysteresis; past that the new
  note is the rounded median of the next `lookahead` frames (where the pitch
  stays, not a vibrato peak; if that is m, nothing changes), starting where
  the pitch crossed halfway (the detection is late by the hysteresis).
  """
  starts = [0]
  note = np.round(np.median(smooth_midi[:lookahead]))
  for i in range(1, smooth_midi.size):
    if abs(smooth_midi[i] - note) <= 0.5 + hysteresis:
      continue
    new = np.round(np.median(smooth_midi[i:i + lookahead]))
    if new == note:
      continue
    halfway, direction = (note + new) / 2, np.sign(new - note)
    boundary = i
    while (boundary - 1 > starts[-1]
           and (smooth_midi[boundary - 1] - halfway) * direction > 0):
      boundary -= 1
    starts.append(boundary)
    note = new
  return starts


def _median_filter(x, size):
  """Centred running median [n] of x [n] over `size` (odd) frames, edges repeated."""
  padded = np.pad(x, size // 2, mode='edge')
  return np.median(np.lib.stride_tricks.sliding_window_view(padded, size), axis=1)


def _split_point(smooth_midi, left_pitch, right_pitch):
  """Where a transition [m] (filtered MIDI) turns from the left note to the right.

  The k in 0..m minimising the distance of frames before k to the left pitch
  plus the rest's to the right one: mid-glide for a portamento.
  """
  to_left = np.concatenate([[0], np.cumsum(np.abs(smooth_midi - left_pitch))])
  to_right = np.concatenate(
      [np.cumsum(np.abs(smooth_midi - right_pitch)[::-1])[::-1], [0]])
  return int(np.argmin(to_left + to_right))


def segment_notes(times_s, f0_hz, confidence, threshold=0.5,
                  min_duration_s=0.05, hysteresis_semitones=0.25,
                  smooth_s=0.12, max_gap_s=0.03, hop_s=None):
  """Notes from a frame track (as `pitchfit predict` writes it).

  The rule, in order:
    1. Voiced frames: confidence >= threshold and a finite, positive f0. Each
       run of consecutive voiced frames is segmented on its own.
    2. Its pitch (fractional MIDI) is median-filtered over `smooth_s`: this
       halves 5-7 Hz vibrato or better, removes one-frame outliers, and keeps
       the edges of note steps (a mean would blur them).
    3. A new note starts where the pitch moves to another semitone and stays:
       beyond 0.5 + hysteresis_semitones from the current note, and the
       median over the next `smooth_s` rounds to another semitone too (so
       vibrato up to about +-0.6 semitone and intonation within a semitone
       do not split); the boundary goes where the pitch crossed halfway.
    4. Pieces that touch or are at most `max_gap_s` apart (a voicing dropout)
       form a chain; pieces of one pitch on both sides of a gap are one. The
       pieces of at least `min_duration_s` are the chain's notes; shorter
       ones between two notes (a glide, a scoop) are shared out where their
       pitch turns from one note's to the other's, those at a chain's ends
       go to its end notes, and a chain with no long piece is dropped
       (clicks, breaths). Neighbours of the same MIDI pitch are joined.
  A note's MIDI pitch (the rounded median) and mean f0 come from its long
  pieces' frames, not the glides shared into it. A frame at time t stands
  for [t, t + hop).

  Args:
    times_s: [n] frame times in seconds, increasing.
    f0_hz: [n] f0 per frame in Hz (any value on unvoiced frames).
    confidence: [n] voicing confidence per frame, 0..1.
    threshold: voiced where confidence >= threshold.
    min_duration_s: shortest note kept, in seconds.
    hysteresis_semitones: in 0..0.5, the margin beyond half a semitone.
    smooth_s: median filter length in seconds (0 or one frame: no filter).
    max_gap_s: longest unvoiced gap inside one note, in seconds.
    hop_s: frame spacing in seconds; default the median spacing of times_s.

  Returns:
    list of Note, in time order, not overlapping.
  """
  times_s, f0_hz, confidence = (np.asarray(x, dtype=np.float64)
                                 for x in (times_s, f0_hz, confidence))
  if times_s.ndim != 1 or not f0_hz.shape == confidence.shape == times_s.shape:
    raise ValueError(f'times_s, f0_hz and confidence must be [n] of one length,'
                     f' got {times_s.shape}, {f0_hz.shape}, {confidence.shape}')
  if np.any(np.diff(times_s) <= 0):
    raise ValueError('times_s must be increasing')
  if not 0 <= hysteresis_semitones < 0.5:
    raise ValueError(f'hysteresis_semitones must be in [0, 0.5), got '
                     f'{hysteresis_semitones}')
  if hop_s is None:
    hop_s = float(np.median(np.diff(times_s))) if times_s.size > 1 else 0.0
  voiced = (confidence >= threshold) & np.isfinite(f0_hz) & (f0_hz > 0)
  midi = np.where(voiced, hz_to_midi(np.where(voiced, f0_hz, 1.0)), np.nan)
  smooth = np.full(midi.shape, np.nan)
  pieces = []  # [start, end) frame ranges of constant semitone
  edges = np.diff(np.concatenate([[0], voiced.astype(np.int8), [0]]))
  size = max(1, int(round(smooth_s / hop_s))) if hop_s > 0 else 1
  size += 1 - size % 2  # odd, so the filter is centred
  for start, end in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
    smooth[start:end] = _median_filter(midi[start:end], size)
    bounds = _quantise_with_hysteresis(smooth[start:end],
                                       hysteresis_semitones, size)
    pieces += [[start + a, start + b]
               for a, b in zip(bounds, bounds[1:] + [end - start])]

  def duration(piece):
    return times_s[piece[1] - 1] + hop_s - times_s[piece[0]]

  def voiced_in(a, b):
    return np.flatnonzero(voiced[a:b]) + a

  def pitch(frames):
    return int(np.round(np.median(midi[frames])))

  chains = []  # step 4
  for piece in pieces:
    if chains and (times_s[piece[0]] - times_s[chains[-1][-1][1] - 1] - hop_s
                   <= max_gap_s + 1e-9):
      if pitch(voiced_in(*piece)) == pitch(voiced_in(*chains[-1][-1])):
        chains[-1][-1][1] = piece[1]
      else:
        chains[-1].append(piece)
    else:
      chains.append([piece])

  found = []
  for chain in chains:
    stable = [i for i, p in enumerate(chain) if duration(p) >= min_duration_s]
    if not stable:
      continue  # clicks, breaths, a glide that never settles
    notes = [{'start': chain[i][0], 'end': chain[i][1],
              'core': voiced_in(*chain[i])} for i in stable]
    notes[0]['start'] = chain[0][0]
    notes[-1]['end'] = chain[-1][1]
    for left, right in zip(notes, notes[1:]):
      a, b = left['end'], right['start']
      if a < b:
        frames = voiced_in(a, b)
        k = _split_point(smooth[frames], np.median(midi[left['core']]),
                         np.median(midi[right['core']]))
        left['end'] = right['start'] = frames[k] if k < frames.size else b
    merged = notes[:1]  # e.g. one pitch on both sides of a short wobble
    for note in notes[1:]:
      if pitch(note['core']) == pitch(merged[-1]['core']):
        merged[-1]['end'] = note['end']
        merged[-1]['core'] = np.concatenate([merged[-1]['core'], note['core']])
      else:
        merged.append(note)
    found += merged

  return [Note(onset_s=float(times_s[n['start']]),
               offset_s=float(times_s[n['end'] - 1] + hop_s),
               midi_pitch=pitch(n['core']),
               mean_f0_hz=float(440.0 * 2 ** ((midi[n['core']].mean() - 69) / 12)),
               confidence=float(confidence[voiced_in(n['start'], n['end'])].mean()))
          for n in found]


def write_notes_csv(notes, path):
  """Writes notes as `onset,offset,midi,frequency` (s, s, MIDI, Hz), atomically."""
  with atomic.atomic_open(path, newline='') as f:
    writer = csv.writer(f)
    writer.writerow(CSV_HEADER)
    for n in notes:
      writer.writerow([f'{n.onset_s:.4f}', f'{n.offset_s:.4f}', n.midi_pitch,
                       f'{n.mean_f0_hz:.3f}'])


def read_notes_csv(path):
  """Reads a notes CSV back: list of Note (confidence 1.0: not stored)."""
  with open(path, newline='') as f:
    rows = list(csv.reader(f))
  if not rows or tuple(rows[0]) != CSV_HEADER:
    raise ValueError(f'{path}: not a notes CSV (header {",".join(CSV_HEADER)})')
  return [Note(float(a), float(b), int(m), float(hz)) for a, b, m, hz in rows[1:]]


def write_midi(notes, path, velocity=100, program=0, bpm=120.0):
  """Writes notes as a standard MIDI file (type 0, one track, channel 1).

  Args:
    notes: Notes in time order, not overlapping (as segment_notes gives).
    path: the .mid file, written atomically.
    velocity: 1..127 for every note, or None: each note's confidence 0..1
      mapped onto 1..127.
    program: General MIDI program (0 = acoustic grand piano).
    bpm: tempo written to the file; times stay in seconds whatever it is
      (480 ticks per beat: about 1 ms resolution at 120 bpm).
  """
  if velocity is not None and not 1 <= velocity <= 127:
    raise ValueError(f'velocity must be 1..127 or None, got {velocity}')
  import mido  # pylint: disable=g-import-not-at-top
  ticks_per_beat, tempo = 480, mido.bpm2tempo(bpm)
  track = mido.MidiTrack([mido.MetaMessage('set_tempo', tempo=tempo),
                          mido.Message('program_change', program=program)])
  events = []  # (tick, order, message): note_off before note_on at a tick
  for n in notes:
    if not 0 <= n.midi_pitch <= 127:
      continue  # MIDI cannot hold it (below 8 Hz or above 12.5 kHz)
    v = int(velocity or 1 + round(126 * min(max(n.confidence, 0.0), 1.0)))
    on, off = (round(mido.second2tick(t, ticks_per_beat, tempo))
               for t in (n.onset_s, n.offset_s))
    events += [(on, 1, mido.Message('note_on', note=n.midi_pitch, velocity=v)),
               (max(on + 1, off), 0,
                mido.Message('note_off', note=n.midi_pitch))]
  now = 0
  for tick, _, message in sorted(events, key=lambda e: e[:2]):
    track.append(message.copy(time=tick - now))
    now = tick
  with atomic.atomic_open(path, 'wb') as f:  # save() adds end_of_track
    mido.MidiFile(type=0, ticks_per_beat=ticks_per_beat,
                  tracks=[track]).save(file=f)
