"""The note generator: deterministic per (seed, i), with the paper's statistics."""

import dataclasses

import numpy as np
import pytest

from pitchfit.dsp import core
from pitchfit.notes import generator as synthetic_notes

CONFIG = synthetic_notes.NoteConfig()
VOICED = 1e-4  # harm_amp threshold: silent notes are ~1e-7, voiced > 4e-3.


def _midi(hz):
  return 69.0 + 12.0 * np.log2(hz / 440.0)


def test_examples_have_the_declared_shapes_and_dtypes():
  example = synthetic_notes.generate_example(0, 0)
  shapes = synthetic_notes.feature_shapes(CONFIG)
  assert sorted(example) == sorted(shapes) == sorted(synthetic_notes.FEATURE_DESCRIPTIONS)
  for name, shape in shapes.items():
    assert example[name].shape == shape and example[name].dtype == np.float32, name


def test_same_seed_and_index_give_the_same_example():
  a = synthetic_notes.generate_example(7, 3)
  b = synthetic_notes.generate_example(7, 3)
  for name in a:
    np.testing.assert_array_equal(a[name], b[name])
  for other in (synthetic_notes.generate_example(7, 4),
                synthetic_notes.generate_example(8, 3)):
    assert not np.array_equal(a['noise_magnitudes'], other['noise_magnitudes'])
    assert not np.array_equal(a['harm_amp'], other['harm_amp'])


def test_about_one_note_in_ten_is_silent():
  harm_amp = np.stack([synthetic_notes.generate_example(1, i)['harm_amp']
                       for i in range(400)])
  silent = harm_amp < VOICED
  # Silence is independent of note length, so ~10 % of frames (~3,300 notes:
  # standard error ~0.006).
  assert 0.07 < silent.mean() < 0.13
  # Silent frames are silent (exp_sigmoid(-10) ~ 1e-7), voiced ones clearly not.
  assert harm_amp[silent].max() < 1e-6 and harm_amp[~silent].min() > 1e-3


def test_notes_last_5_to_25_frames():
  # Without vibrato or silence each note is one pitch plus <= 0.1 semitone
  # jitter, so a jump of over a semitone between frames marks a new note
  # (two neighbours within a semitone of each other, ~2 % of notes, merge).
  config = dataclasses.replace(CONFIG, p_silent=0.0, p_vibrato=0.0)
  lengths = []
  for i in range(150):
    midi = _midi(synthetic_notes.generate_example(2, i, config)['f0_hz'])
    starts = np.concatenate([[0], np.flatnonzero(np.abs(np.diff(midi)) > 1.0) + 1])
    lengths.extend(np.diff(starts))  # The last note may be cut at frame 125.
  lengths = np.array(lengths)
  assert lengths.min() == 5
  assert np.mean(lengths <= 25) > 0.95
  assert np.sum(lengths == 25) > 0 and np.sum(lengths == 24) > 0
  assert 13.0 < np.median(lengths) < 17.0   # Uniform on 5..25: median 15.


def test_voiced_pitch_stays_in_midi_24_84_and_harmonics_below_nyquist():
  examples = [synthetic_notes.generate_example(3, i) for i in range(100)]
  f0 = np.stack([e['f0_hz'] for e in examples])
  voiced = np.stack([e['harm_amp'] for e in examples]) >= VOICED
  midi = _midi(f0[voiced])
  assert 24.0 - 1.5 <= midi.min() < 30.0 and 78.0 < midi.max() <= 84.0 + 1.5
  np.testing.assert_allclose(f0[~voiced], 8.1758, rtol=1e-4)  # MIDI 0
  for example in examples:
    dist = example['harm_dist']
    np.testing.assert_allclose(dist.sum(-1), 1.0, atol=1e-5)
    assert np.all(dist[example['sin_freqs'] >= CONFIG.sample_rate / 2] == 0.0)
    np.testing.assert_allclose(example['sin_amps'],
                               example['harm_amp'][:, None] * dist, rtol=1e-5)


def test_numpy_scalings_match_the_tensorflow_ones():
  x = np.linspace(-12.0, 6.0, 50)
  np.testing.assert_allclose(synthetic_notes.exp_sigmoid(x), core.exp_sigmoid(x),
                             rtol=1e-5)
  midi = np.linspace(0.0, 127.0, 50)
  np.testing.assert_allclose(synthetic_notes.midi_to_hz(midi), core.midi_to_hz(midi),
                             rtol=1e-5)


def test_random_blend_is_monotone_from_start_to_end():
  rng = np.random.default_rng(0)
  for _ in range(20):
    curve = synthetic_notes.random_blend(rng, 17, 3.0, -1.0)
    assert curve[0] == pytest.approx(3.0) and curve[-1] == pytest.approx(-1.0)
    assert np.all(np.diff(curve) <= 1e-12)


def test_as_dataset_yields_the_generator_examples():
  dataset = synthetic_notes.as_dataset(seed=5, start=10, count=3)
  examples = list(dataset.as_numpy_iterator())
  assert len(examples) == 3
  for offset, example in enumerate(examples):
    expected = synthetic_notes.generate_example(5, 10 + offset)
    assert sorted(example) == sorted(expected)
    for name in expected:
      np.testing.assert_array_equal(example[name], expected[name])


def test_render_audio_is_finite_and_full_length():
  example = synthetic_notes.generate_example(0, 1)
  audio = synthetic_notes.render_audio(example, seed=3)
  assert audio.shape == (CONFIG.n_samples,) == (64000,)
  assert np.isfinite(audio).all() and np.sqrt(np.mean(audio ** 2)) > 1e-3
  np.testing.assert_array_equal(audio, synthetic_notes.render_audio(example, seed=3))


# ------------------------------------------------------------ the sung style
SUNG = synthetic_notes.note_config('sung')


def test_paper_style_is_the_default_config_and_unknown_styles_are_refused():
  assert synthetic_notes.note_config('paper') == CONFIG
  assert synthetic_notes.note_config('sung', n_frames=32).n_frames == 32
  with pytest.raises(ValueError, match='sung'):
    synthetic_notes.note_config('opera')


def test_zero_sung_probabilities_leave_the_paper_examples_unchanged():
  # The released paper-style splits must not move: with p_legato = p_formant
  # = 0 not a single extra random number may be drawn.
  longer = dataclasses.replace(CONFIG, max_glide_frames=3)
  for i in range(5):
    a = synthetic_notes.generate_example(11, i)
    b = synthetic_notes.generate_example(11, i, longer)
    for name in a:
      np.testing.assert_array_equal(a[name], b[name])


def test_sung_examples_are_valid_controls():
  for i in range(10):
    ex = synthetic_notes.generate_example(5, i, SUNG)
    for name, value in ex.items():
      assert np.all(np.isfinite(value)), name
    voiced = ex['harm_amp'] >= VOICED
    np.testing.assert_allclose(ex['harm_dist'].sum(-1), 1.0, rtol=1e-5)
    assert np.all(ex['harm_dist'][ex['sin_freqs'] >= CONFIG.sample_rate / 2] == 0)
    midi = _midi(ex['f0_hz'][voiced])
    assert midi.min() > 24 - 3 and midi.max() < 84 + 3  # vibrato and jitter


def _glides(config, n=60, run=3):
  """Runs of `run` frame steps that all move the pitch > 0.5 semitone the same
  way: a glide. A paper-style jump is one step; vibrato turns back sooner."""
  count = 0
  for i in range(n):
    ex = synthetic_notes.generate_example(2, i, config)
    voiced = ex['harm_amp'] >= VOICED
    step = np.diff(_midi(ex['f0_hz']))
    both_voiced = voiced[1:] & voiced[:-1]
    for moving in ((step > 0.5) & both_voiced, (step < -0.5) & both_voiced):
      windows = np.lib.stride_tricks.sliding_window_view(moving, run)
      count += np.sum(windows.all(axis=-1))
  return count


def test_sung_notes_glide_between_pitches():
  assert _glides(SUNG) > 5 * max(_glides(CONFIG), 5)


def test_mixed_notes_glide_more_than_paper_ones_and_less_than_sung_ones():
  mixed = _glides(synthetic_notes.note_config('mixed'))
  assert 2 * max(_glides(CONFIG), 5) < mixed < _glides(SUNG)


def test_sung_notes_last_up_to_60_frames():
  lengths = []
  for i in range(40):
    midi = _midi(synthetic_notes.generate_example(3, i, SUNG)['f0_hz'])
    # A note ends where the base pitch jumps; vibrato and glides move < 1.
    cuts = np.flatnonzero(np.abs(np.diff(midi)) > 2.5)
    lengths += list(np.diff(cuts))
  assert max(lengths) > 25


def test_vowel_response_is_one_at_dc_and_peaks_at_its_formants():
  formants = np.array([500.0, 1500.0])
  bandwidths = np.array([50.0, 100.0])
  freqs = np.linspace(1.0, 3000.0, 3000)
  log_response = synthetic_notes.vowel_log_response(freqs, formants, bandwidths)
  np.testing.assert_allclose(
      synthetic_notes.vowel_log_response(np.array([0.0]), formants, bandwidths),
      0.0, atol=1e-9)
  peaks = freqs[1:-1][(log_response[1:-1] > log_response[:-2])
                      & (log_response[1:-1] > log_response[2:])]
  np.testing.assert_allclose(peaks, formants, atol=5.0)
  # Alone, a resonator gains F / B at F.
  one = synthetic_notes.vowel_log_response(np.array([500.0]), formants[:1],
                                           bandwidths[:1])
  np.testing.assert_allclose(np.exp(one), 500.0 / 50.0, rtol=1e-6)


def test_formant_envelope_is_fixed_in_hz_not_in_harmonic_number():
  # Same vowel (same rng state), pitch halved: harmonic 2k of the low note sits
  # where harmonic k of the high one did, so their levels differ only by the
  # source tilt (a constant here) and the per-harmonic noise (std <= 0.3);
  # at equal harmonic numbers the formants make them differ far more.
  def logits(f0):
    return synthetic_notes.formant_logits(np.random.default_rng(4),
                                          np.full(3, f0), 40)[0]
  high, low = logits(220.0), logits(110.0)
  k = np.arange(1, 21)
  same_hz = low[2 * k - 1] - high[k - 1]
  same_number = low[k - 1] - high[k - 1]
  assert np.std(same_hz) < 0.6
  assert np.std(same_number) > 3 * np.std(same_hz)
