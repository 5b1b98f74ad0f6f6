"""The note generator: deterministic per (seed, i), with the paper's statistics."""

import dataclasses

import numpy as np
import pytest

from pitchfit import core
from pitchfit import synthetic_notes

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
