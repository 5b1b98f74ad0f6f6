"""The shipped default model tracks plain notes across its range.

Every other model-based test uses an untrained tiny model and so can only
check shapes and ranges; this one loads what users get (`pitchfit.predict`
with no model) and checks values: a halved f0, inverted voicing or a shifted
time axis in inference fails here. About 2 s once the model is loaded.
"""

import numpy as np
import pytest

import pitchfit

SAMPLE_RATE = 22050          # not the model's 16 kHz: resampling is on the path
NOTE_S = 0.8
GAP_S = 0.4
# Seven octaves of the default model's 27.5-4435 Hz range. C1 (32.7 Hz) has
# a test of its own: its voicing starts about 40 ms after the onset (its
# period is 31 ms), later than the onsets below are held to.
F0S_HZ = (55.0, 110.0, 220.0, 440.0, 880.0, 1760.0, 3520.0)
EDGE_S = 0.06                # frames this close to a note's edges are not scored
NOISE_DBFS = -60.0           # the gaps: quiet noise (above the -70 dBFS silence gate)


def harmonic_tone(f0_hz, seconds, sample_rate):
  """Five harmonics at 1/k amplitude, 10-ms fades, peak 0.3. Float32 [n]."""
  t = np.arange(int(seconds * sample_rate)) / sample_rate
  x = sum(np.sin(2 * np.pi * k * f0_hz * t + k) / k
          for k in range(1, 6) if k * f0_hz < sample_rate / 2)
  fade = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.01)
  return (0.3 * x / np.max(np.abs(x)) * fade).astype(np.float32)


@pytest.fixture(scope='module')
def notes_and_track():
  """Noise, note, noise, note, ...; returns the note spans and the track."""
  rng = np.random.default_rng(0)
  noise = lambda: rng.normal(0, 10 ** (NOISE_DBFS / 20),
                             int(GAP_S * SAMPLE_RATE)).astype(np.float32)
  pieces, spans, start = [noise()], [], GAP_S
  for f0 in F0S_HZ:
    pieces += [harmonic_tone(f0, NOTE_S, SAMPLE_RATE), noise()]
    spans.append((start, start + NOTE_S, f0))
    start += NOTE_S + GAP_S
  audio = np.concatenate(pieces)
  times, frequency, confidence = pitchfit.predict(audio, SAMPLE_RATE)[:3]
  return spans, times, frequency, confidence


@pytest.fixture(scope='module')
def row_s():
  """The shipped model's frame spacing, s (from its config, not its output)."""
  model = pitchfit.predict.load_model()
  return model.hop_size / model.sample_rate


@pytest.mark.parametrize('index', range(len(F0S_HZ)))
def test_each_note_has_its_pitch_and_is_voiced(notes_and_track, index):
  spans, times, frequency, confidence = notes_and_track
  start, end, f0 = spans[index]
  inside = (times > start + EDGE_S) & (times < end - EDGE_S)
  cents = 1200 * np.abs(np.log2(frequency[inside] / f0))
  # Raw pitch accuracy at 50 cents (measured 1.0 on every note, median
  # error 0-7 cents); an octave error is 1200 cents.
  assert np.mean(cents < 50) >= 0.95, (f0, np.median(cents))
  assert np.median(cents) < 20
  assert np.mean(confidence[inside] >= 0.5) >= 0.95  # measured: all >= 0.96


def test_c1_tone_has_its_pitch_and_is_voiced():
  """The lowest C, alone: read within 20 cents and voiced past its onset."""
  f0 = 32.7
  audio = harmonic_tone(f0, NOTE_S, SAMPLE_RATE)
  times, frequency, confidence = pitchfit.predict(audio, SAMPLE_RATE)[:3]
  # Past the first 60 ms: voicing starts about 40 ms in (measured).
  inside = (times > EDGE_S) & (times < NOTE_S - EDGE_S)
  cents = 1200 * np.abs(np.log2(frequency[inside] / f0))
  assert np.mean(cents < 50) >= 0.95, np.median(cents)  # measured: 1.0
  assert np.median(cents) < 20                          # measured: 1 cent
  assert np.mean(confidence[inside] >= 0.5) >= 0.95     # measured: all


def test_quiet_noise_between_notes_is_unvoiced(notes_and_track):
  spans, times, _, confidence = notes_and_track
  gaps = np.ones(times.shape, bool)
  for start, end, _ in spans:
    gaps &= ~((times > start - EDGE_S) & (times < end + EDGE_S))
  assert gaps.sum() > 150
  # Measured: 3 of 240 frames >= 0.5 (one at a note's onset, two in the
  # last 30 ms of the signal), 95 % of them <= 0.19.
  assert np.mean(confidence[gaps] < 0.5) >= 0.95


def test_voicing_starts_and_ends_with_each_note(notes_and_track, row_s):
  """The time axis is right, and voicing follows the notes.

  Up to 220 Hz, voiced rows begin and end within a row (+5 ms) of each
  note's true onset and offset (measured with 10-ms rows: 0-10 ms), so a
  shift of the whole track by one row moves the mean of their onset and
  offset errors past 0.6 row (measured: under 2 ms). From 440 Hz up the
  model hears a note coming: voicing starts up to 30 ms early (version 4:
  50-60 ms) and ends up to 20 ms late (the 128-ms STFT window reaches 64 ms
  either side of a frame); held to 60 and 20 ms and one row more, and
  documented in docs/default_model.md."""
  spans, times, _, confidence = notes_and_track
  voiced = confidence >= 0.5
  onset_errors, offset_errors = [], []
  for start, end, _ in spans:
    near = (times > start - GAP_S / 2) & (times < end + GAP_S / 2)
    rows = times[near & voiced]
    onset_errors.append(rows[0] - start)
    offset_errors.append(rows[-1] - end)
  low = np.array([f0 <= 220.0 for _, _, f0 in spans])
  onset_errors, offset_errors = np.array(onset_errors), np.array(offset_errors)
  row = row_s + 0.005
  assert np.max(np.abs(onset_errors[low])) < row, onset_errors
  assert np.max(np.abs(offset_errors[low])) < row, offset_errors
  assert abs(np.mean(onset_errors[low]) + np.mean(offset_errors[low])) / 2 < 0.6 * row_s, (
      onset_errors, offset_errors)
  assert np.all((onset_errors[~low] > -0.06 - row) & (onset_errors[~low] < row)), onset_errors
  assert np.all((offset_errors[~low] > -row) & (offset_errors[~low] < 0.02 + row)), offset_errors


def test_grid_is_every_10_ms_from_zero(notes_and_track):
  # The output grid (streaming.DEFAULT_STEP_MS), whatever the model's frame.
  spans, times, _, _ = notes_and_track
  total_s = spans[-1][1] + GAP_S
  np.testing.assert_allclose(times, np.arange(times.size) * 0.01, atol=1e-6)
  assert times.size == int(np.ceil(total_s * 100 - 1e-6))
