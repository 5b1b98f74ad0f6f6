"""Voicing confidence: features, input-level gate, calibration and its cache."""

import os

import numpy as np
import pytest
import yaml

from pitchfit.track import voicing
from tests.predict_fixtures import tiny_model, tiny_save_dir  # pylint: disable=unused-import


def test_input_level_of_a_full_scale_sine_is_minus_3_db():
  n = 8192
  sine = np.sin(2 * np.pi * 250.0 * np.arange(n) / 16000.0)[np.newaxis]
  level = voicing.input_level_db(sine, 512, 16)
  # Frames whose 2048-sample span lies inside the window see the whole sine.
  np.testing.assert_allclose(level[0, 2:-2], 20 * np.log10(np.sqrt(0.5)),
                             atol=0.05)
  assert level[0, 0] < level[0, 4] - 2.0  # half of frame 0's span is padding
  silent = voicing.input_level_db(np.zeros((1, n)), 512, 16)
  assert np.all(silent <= -139.0)


def test_level_gate_fades_silence_to_zero():
  calibration = {'weights': [0.0, 0.0, 0.0], 'bias': 3.0}
  features = np.zeros((4, 3))
  level = np.array([-120.0, voicing.SILENCE_DB - 5.0, voicing.SILENCE_DB, -20.0])
  conf = voicing.confidence(features, calibration, level)
  full = 1 / (1 + np.exp(-3.0))
  np.testing.assert_allclose(conf, [0.0, 0.5 * full, full, full], rtol=1e-5)


def test_f0_peak_is_log_of_the_largest_probability():
  logits = np.array([[[0.0, 0.0, 0.0, 0.0], [20.0, 0.0, 0.0, 0.0]]])
  outputs = {'harm_amps': np.ones((1, 2, 3)), 'f0_logits': logits,
             'noise_magnitudes': np.ones((1, 2, 5))}
  features = voicing.frame_features(outputs)
  np.testing.assert_allclose(features[0, :, 2], [np.log(0.25), 0.0], atol=1e-6)
  np.testing.assert_allclose(features[0, :, 0], 10 * np.log10(1.5), atol=1e-5)


def test_fit_separates_classes_and_orders_confidence():
  rng = np.random.default_rng(1)
  n = 2000
  voiced = rng.uniform(size=n) < 0.9  # imbalanced, as synthetic notes are
  amp_db = np.where(voiced, rng.normal(-20, 6, n), rng.normal(-70, 6, n))
  features = np.stack([amp_db, rng.normal(0, 5, n), rng.normal(-1, 0.3, n)], -1)
  calibration = voicing.fit(features, voiced)
  assert calibration['balanced_accuracy'] > 0.97
  assert calibration['weights'][0] > 0
  # Balanced classes: the threshold sits between the two clusters.
  midway = voicing.confidence(np.array([[-45.0, 0.0, -1.0]]), calibration)[0]
  assert 0.1 < midway < 0.9
  with pytest.raises(ValueError):
    voicing.fit(features, np.ones(n, bool))


def test_calibration_is_cached_outside_the_run_dir(tiny_model, tiny_save_dir,
                                                 monkeypatch, tmp_path):
  before = sorted(os.listdir(tiny_save_dir))
  cache = voicing.cache_path(tiny_model.source)
  assert not cache.startswith(os.path.abspath(tiny_save_dir))
  with open(cache) as f:
    cached = yaml.safe_load(f)
  assert len(cached['weights']) == 3
  calls = []
  monkeypatch.setattr(voicing, 'calibrate',
                      lambda model: calls.append(1) or dict(cached, bias=9.0))
  saved = tiny_model.voicing
  try:
    tiny_model.voicing = None
    voicing.ensure_calibrated(tiny_model)  # read from the cache
    assert calls == [] and tiny_model.voicing['bias'] == cached['bias']
    # Another checkpoint file (another path) is another cache entry.
    other = tmp_path / 'ckpt-1.npz'
    other.write_bytes(open(tiny_model.source, 'rb').read())
    assert voicing.cache_path(str(other)) != cache
  finally:
    tiny_model.voicing = saved
  assert sorted(os.listdir(tiny_save_dir)) == before  # nothing written there


def test_synthetic_frames_label_silent_notes_unvoiced(tiny_model):
  from pitchfit.notes import generator  # pylint: disable=g-import-not-at-top
  features, voiced = voicing.synthetic_frames(tiny_model, n_examples=8)
  m = tiny_model.config.model
  assert features.shape == (8 * m.n_frames, 3)
  assert np.all(np.isfinite(features))
  # The labels are the generator's own: voiced exactly where the note's true
  # harmonic amplitude reaches the loss's threshold, frame by frame.
  note_config = generator.NoteConfig(n_frames=m.n_frames,
                                     n_noise_bands=m.n_noise_bands,
                                     n_harmonics=m.n_harmonics)
  harm_amp = np.concatenate([
      generator.generate_example(voicing.CALIBRATION_SEED, i,
                                 note_config)['harm_amp'].reshape(-1)
      for i in range(8)])
  expected = harm_amp >= tiny_model.config.losses.harmonic.amp_threshold
  assert voiced.dtype == bool
  np.testing.assert_array_equal(voiced, expected)
  assert 0 < np.sum(~voiced) < voiced.size / 2  # silent notes, a minority
  assert np.all(harm_amp[~voiced] < 1e-5)       # ... really silent



def test_synthetic_frames_are_reproducible(tiny_model):
  first = voicing.synthetic_frames(tiny_model, n_examples=4)
  again = voicing.synthetic_frames(tiny_model, n_examples=4)
  # The synthesizer's filtered noise is seeded too: one model, one fit.
  np.testing.assert_array_equal(first[0], again[0])
  np.testing.assert_array_equal(first[1], again[1])
