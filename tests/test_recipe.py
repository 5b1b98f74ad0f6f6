"""Recipes: phases in order, resumable, seeded, ending in an export."""

import os

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

import cli
from pitchfit import config as config_lib
from pitchfit.track import predict as predict_lib
from pitchfit.train import recipe as recipe_lib

# A small log-frequency CNN model on 10-ms frames: the default model's family.
SMALL_RECIPE = {
    'seed': 3,
    'model': {'encoder': 'harmonic_cnn', 'hop_size': 160, 'n_samples': 3200,
              'f0_hz_min': 27.5, 'f0_hz_max': 27.5 * 2 ** (130 / 18),
              'f0_bins': 131, 'n_sinusoids': 16, 'cnn_channels': 4,
              'cnn_layers': 2, 'harmonic_cnn_layers': 2, 'fc_units': 8,
              'spectrum_fft_sizes': [1024], 'stop_gradient': False},
    'losses': {'kde': {'unsupervised_weight': 0.0},
               'harmonic': {'f0_bins_weight': 1.0}},
    'data': {'synthetic': 'generator', 'synthetic_style': 'wide_speech',
             'batch_size': 2, 'eval': 'synthetic_notes/wide_tiny:test',
             'eval_examples': 1},
    'train': {'log_every_steps': 2, 'checkpoint_every_steps': 2,
              'eval_every_steps': 0},
    'phases': [
        {'name': 'clean', 'steps': 4},
        {'name': 'noisy', 'steps': 2,
         'data': {'synthetic_noise': 1.0, 'synthetic_reverb': 1.0},
         'train': {'learning_rate': 1.0e-4}},
    ],
    'export': 'small.npz',
}


def _write(tmp_path, recipe):
  path = tmp_path / 'recipe.yaml'
  path.write_text(yaml.safe_dump(recipe))
  return str(path)


def test_dry_run_lists_phases_with_steps_data_and_learning_rate(tmp_path):
  path = _write(tmp_path, SMALL_RECIPE)
  result = CliRunner().invoke(cli.main, ['train', path, '--dry-run'])
  assert result.exit_code == 0, result.output
  lines = result.output.strip().splitlines()
  assert '2 phases, 6 steps, seed 3' in lines[0]
  assert lines[1].strip().startswith('0_clean: 4 steps x batch 2')
  assert 'noise 1, reverb 1' in lines[2] and 'lr 0.0001' in lines[2]
  assert 'lr 0.0003' in lines[1] and 'reverb' not in lines[1]
  assert lines[-1].strip() == 'then export -> small.npz'
  assert not os.path.exists('runs/recipe')  # nothing trained


def test_the_shipped_default_recipe_resolves():
  recipe = recipe_lib.load(config_lib.find_config('default_model'))
  assert [p.name for p in recipe.phases] == ['pitch', 'robust', 'anneal',
                                             'noise_floor']
  # The last phase keeps the default model from hearing pitch in quiet noise.
  last = recipe.phases[-1].config
  assert last.data.synthetic_noise_only > 0
  assert last.losses.harmonic.amp_db_weight > 0
  for i, phase in enumerate(recipe.phases):
    assert phase.config.train.seed == recipe.seed * 1000 + i
    assert phase.config.data.synthetic_seed == recipe.seed * 1000 + i
    assert phase.config.train.max_minutes is None
    assert phase.config.model.hop_size == 160


def test_the_shipped_model_is_the_default_recipes_model():
  """The shipped weights carry the recipe's model section, read-out included:
  a model exported from another config, or a recipe edited without
  re-exporting, fails here."""
  recipe = recipe_lib.load(config_lib.find_config('default_model'))
  with np.load(predict_lib.DEFAULT_WEIGHTS_PATH) as arrays:
    config = config_lib.from_dict(yaml.safe_load(str(arrays['__config_yaml__'])))
  assert config.model == recipe.phases[-1].config.model


@pytest.mark.parametrize('change, message', [
    ({'phases': []}, 'non-empty list'),
    ({'phases': [{'name': 'a', 'steps': 0}]}, 'steps must be a positive'),
    ({'phases': [{'name': 'a', 'steps': 2}, {'name': 'a', 'steps': 2}]},
     'unique identifier'),
    ({'phases': [{'name': 'a', 'steps': 2, 'train': {'max_minutes': 5}}]},
     'steps, not minutes'),
    ({'phases': [{'name': 'a', 'steps': 2, 'optimizer': {}}]},
     "unknown key 'optimizer'"),
])
def test_bad_recipes_fail_with_one_line(tmp_path, change, message):
  path = _write(tmp_path, {**SMALL_RECIPE, **change})
  result = CliRunner().invoke(cli.main, ['train', path, '--dry-run'])
  assert result.exit_code != 0
  assert message in result.output and 'Traceback' not in result.output


def test_small_recipe_runs_every_phase_resumes_and_exports(tmp_path):
  from pitchfit.model import checkpoints
  from pitchfit.track import pitch_model
  path = _write(tmp_path, SMALL_RECIPE)
  recipe = recipe_lib.load(path)
  save_dir = str(tmp_path / 'run')
  # Interrupted after the first phase: only it is there.
  first = recipe_lib.Recipe(recipe.source, recipe.seed, recipe.phases[:1],
                            recipe.export)
  recipe_lib.run(first, save_dir, verbose=0, echo=lambda *_: None)
  clean_ckpt = checkpoints.latest(os.path.join(
      recipe_lib.phase_dir(save_dir, recipe.phases[0]), 'checkpoints'))
  assert checkpoints.step_of(clean_ckpt) == 4
  clean_mtime = os.path.getmtime(clean_ckpt)
  # Run again: the finished phase is skipped, the next one starts from it.
  messages = []
  out = recipe_lib.run(recipe, save_dir, verbose=0, echo=messages.append)
  assert os.path.getmtime(clean_ckpt) == clean_mtime
  assert not any('0_clean' in m and 'steps ->' in m for m in messages)
  assert any('Loaded pretrained weights' in m for m in messages)
  noisy_ckpt = checkpoints.latest(os.path.join(
      recipe_lib.phase_dir(save_dir, recipe.phases[1]), 'checkpoints'))
  assert checkpoints.step_of(noisy_ckpt) == 2
  # The export is the last phase's model, and it tracks pitch.
  assert out == os.path.join(save_dir, 'small.npz')
  model = pitch_model.PitchModel.load(out)
  assert model.config.model.encoder == 'harmonic_cnn'
  with np.load(noisy_ckpt) as trained, np.load(out) as exported:
    key = next(k for k in trained.files if 'f0_head' in k and 'kernel' in k)
    np.testing.assert_allclose(exported[key].astype(np.float32), trained[key],
                               rtol=1e-2, atol=1e-3)
  outputs = model(np.zeros([1, 3200], np.float32))
  assert outputs['f0_logits'].shape == (1, 20, 131)


def test_same_recipe_same_seed_same_weights(tmp_path):
  one_phase = {**SMALL_RECIPE, 'phases': SMALL_RECIPE['phases'][:1]}
  path = _write(tmp_path, one_phase)
  weights = []
  for name in ('a', 'b'):
    recipe_lib.run(recipe_lib.load(path), str(tmp_path / name), verbose=0,
                   echo=lambda *_: None)
    with np.load(tmp_path / name / 'small.npz') as f:
      weights.append({k: f[k] for k in f.files if not k.startswith('__')})
  assert weights[0].keys() == weights[1].keys()
  for key in weights[0]:
    np.testing.assert_array_equal(weights[0][key], weights[1][key])
