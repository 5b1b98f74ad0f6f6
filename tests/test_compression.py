import numpy as np
import pytest

from pitchfit.track import compression
from pitchfit.track import pitch_model as inference
from pitchfit.train import job as training


def test_low_rank_factors_are_the_best_rank_r_product():
  rng = np.random.default_rng(0)
  kernel = rng.normal(size=(40, 12)) @ rng.normal(size=(12, 90))   # rank 12
  first, second = compression.low_rank_factors(kernel, 12)
  assert first.shape == (40, 12) and second.shape == (12, 90)
  np.testing.assert_allclose(first @ second, kernel, atol=1e-3)
  assert compression.explained_energy(kernel, 12) == pytest.approx(1.0)
  assert compression.explained_energy(kernel, 3) < 1.0


def test_full_rank_factorised_model_gives_the_same_outputs(tiny_config):
  model = training.build_model(tiny_config)
  original = inference.PitchModel(model, tiny_config)
  n_in = model.sinusoidal_encoder.frequency_head.kernel.shape[0]
  factorised = compression.with_low_rank_frequency_head(original, n_in)
  assert factorised.config.model.frequency_head_rank == n_in
  audio = np.random.default_rng(1).normal(
      size=(2, tiny_config.model.n_samples)).astype(np.float32) * 0.1
  a, b = original(audio), factorised(audio)
  np.testing.assert_allclose(a['f0_hz'], b['f0_hz'], rtol=1e-3)
  np.testing.assert_allclose(a['sin_freqs'], b['sin_freqs'], rtol=1e-3)
  smaller = compression.with_low_rank_frequency_head(original, 4)
  weights = lambda m: sum(int(np.prod(v.shape)) for v in m.model.weights)
  assert weights(smaller) < weights(original)
