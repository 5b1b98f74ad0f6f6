"""Shrinking a trained model for shipping: a low-rank frequency head.

The sinusoidal encoder's frequency head (features x n_sinusoids * bins, e.g.
1024 x 6400) holds over 90 % of the CPU model's weights. Its truncated SVD,
W ~ (U_r sqrt(S_r)) (sqrt(S_r) V_r^T), becomes two dense layers through r
units; the rest of the model is copied unchanged.
"""

import dataclasses

import numpy as np

from pitchfit.track import pitch_model as inference


def low_rank_factors(kernel, rank):
  """[n_in, n_out] -> ([n_in, rank], [rank, n_out]) with the best rank-r product."""
  u, s, vt = np.linalg.svd(kernel.astype(np.float64), full_matrices=False)
  root = np.sqrt(s[:rank])
  return ((u[:, :rank] * root).astype(np.float32),
          (root[:, None] * vt[:rank]).astype(np.float32))


def explained_energy(kernel, rank):
  """Fraction of the kernel's squared Frobenius norm kept at this rank."""
  s = np.linalg.svd(kernel.astype(np.float64), compute_uv=False)
  return float(np.sum(s[:rank] ** 2) / np.sum(s ** 2))


def with_low_rank_frequency_head(pitch_model, rank):
  """A copy of a PitchModel whose frequency head is factorised to `rank`."""
  source = pitch_model.model.sinusoidal_encoder
  if source.frequency_head_factor is not None:
    raise ValueError('the frequency head is already factorised')
  config = dataclasses.replace(
      pitch_model.config,
      model=dataclasses.replace(pitch_model.config.model,
                                frequency_head_rank=rank))
  model = inference.build_model(config)
  target = model.sinusoidal_encoder
  by_path = {v.path.split('/', 1)[1]: v for v in pitch_model.model.weights}
  for variable in model.weights:
    key = variable.path.split('/', 1)[1]
    if key in by_path and 'frequency_head' not in key:
      variable.assign(by_path[key].numpy())
  first, second = low_rank_factors(source.frequency_head.kernel.numpy(), rank)
  target.frequency_head_factor.kernel.assign(first)
  target.frequency_head.kernel.assign(second)
  target.frequency_head.bias.assign(source.frequency_head.bias.numpy())
  return inference.PitchModel(model, config, source=pitch_model.source,
                              voicing=getattr(pitch_model, 'voicing', None))
