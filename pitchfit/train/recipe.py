"""Recipes: a model built by training phases in order, then exported.

A recipe is a config file (model, losses, data, train sections, as for a single
run) with two more keys:

    seed: 1                      # every random draw of every phase derives from it
    phases:                      # run in order; each starts from the previous one
      - name: pitch
        steps: 20000             # optimizer steps of this phase (never minutes)
        data: {synthetic_style: mixed, synthetic_noise: 0.3}
        train: {learning_rate: 1.0e-3, decay_steps: 5000}
      - ...
    export: model.npz            # written into the save dir when the last phase ends

Each phase is a normal training run (`job.train`) of the base config with the
phase's sections merged over it, in `<save_dir>/phases/<i>_<name>/`. A phase
after the first loads the previous phase's final weights and starts its own
learning-rate schedule. A phase is done when its checkpoint has reached its
steps, so running the same command again after an interruption (Ctrl-C, a
killed session) resumes the unfinished phase and skips the finished ones.

Seeds: phase i draws notes from data seed `seed * 1000 + i` and seeds Keras
(TensorFlow, NumPy, Python) with `seed * 1000 + i` plus the step it starts or
resumes at, so the same recipe on the same machine rebuilds the same model.
"""

import copy
import dataclasses
import os

import yaml

from pitchfit import config as config_lib
from pitchfit.errors import UserError

RECIPE_KEYS = ('seed', 'phases', 'export')
PHASE_KEYS = ('name', 'steps', 'model', 'losses', 'data', 'train')
PHASES_DIR = 'phases'


@dataclasses.dataclass
class Phase:
  index: int
  name: str
  steps: int
  config: config_lib.Config

  @property
  def dir_name(self):
    return f'{self.index}_{self.name}'


@dataclasses.dataclass
class Recipe:
  source: str
  seed: int
  phases: list
  export: str


def is_recipe(path):
  """True if the YAML file at path has a `phases` list."""
  try:
    with open(path) as f:
      values = yaml.safe_load(f)
  except (OSError, yaml.YAMLError):
    return False
  return isinstance(values, dict) and 'phases' in values


def _merge(base, update):
  merged = copy.deepcopy(base)
  for key, value in update.items():
    if isinstance(value, dict) and isinstance(merged.get(key), dict):
      merged[key] = _merge(merged[key], value)
    else:
      merged[key] = value
  return merged


def load(path, overrides=()):
  """Parses and validates a recipe file; ConfigError on any mistake."""
  with open(path) as f:
    values = yaml.safe_load(f) or {}
  base = {k: v for k, v in values.items() if k not in RECIPE_KEYS}
  seed = values.get('seed', 0)
  phases_values = values.get('phases')
  if not isinstance(seed, int):
    raise config_lib.ConfigError(f'{path}: seed must be an integer')
  if not isinstance(phases_values, list) or not phases_values:
    raise config_lib.ConfigError(f'{path}: phases must be a non-empty list')
  phases, names = [], set()
  for i, phase in enumerate(phases_values):
    where = f'{path}: phases[{i}]'
    if not isinstance(phase, dict):
      raise config_lib.ConfigError(f'{where} must be a mapping')
    unknown = set(phase) - set(PHASE_KEYS)
    if unknown:
      raise config_lib.ConfigError(
          f'{where}: unknown key {sorted(unknown)[0]!r} (a phase has '
          f'{", ".join(PHASE_KEYS)})')
    name = phase.get('name')
    if not isinstance(name, str) or not name.isidentifier() or name in names:
      raise config_lib.ConfigError(
          f'{where}: name must be a unique identifier, got {name!r}')
    names.add(name)
    steps = phase.get('steps')
    if not isinstance(steps, int) or steps <= 0:
      raise config_lib.ConfigError(f'{where} ({name}): steps must be a '
                                   f'positive integer, got {steps!r}')
    merged = _merge(base, {k: phase[k] for k in ('model', 'losses', 'data',
                                                 'train') if k in phase})
    train = merged.setdefault('train', {})
    if train.get('max_minutes') is not None:
      raise config_lib.ConfigError(
          f'{where} ({name}): a recipe counts steps, not minutes; remove '
          'train.max_minutes')
    train['steps'] = steps
    train['seed'] = seed * 1000 + i
    merged.setdefault('data', {})['synthetic_seed'] = seed * 1000 + i
    config = config_lib.from_dict(merged, f'{path} ({name})', overrides)
    phases.append(Phase(i, name, steps, config))
  export = values.get('export', 'model.npz')
  if not isinstance(export, str) or not export.endswith('.npz'):
    raise config_lib.ConfigError(f'{path}: export must be a file name ending '
                                 f'in .npz, got {export!r}')
  return Recipe(str(path), seed, phases, export)


def describe(recipe):
  """Lines saying what each phase trains on and how (for --dry-run)."""
  lines = [f'Recipe {recipe.source}: {len(recipe.phases)} phases, '
           f'{sum(p.steps for p in recipe.phases):,} steps, seed {recipe.seed}']
  for p in recipe.phases:
    d, t, m = p.config.data, p.config.train, p.config.model
    augmentations = [
        f'{name} {getattr(d, "synthetic_" + key):g}'
        for name, key in (('second voice', 'second_voice'), ('noise', 'noise'),
                          ('weak partials', 'weak_partials'),
                          ('simple tones', 'simple_tones'),
                          ('reverb', 'reverb'),
                          ('played backwards', 'time_reversed'),
                          ('noise floors alone', 'noise_only'))
        if getattr(d, 'synthetic_' + key)]
    source = (f'generator, style {d.synthetic_style}, seed {d.synthetic_seed}'
              if d.synthetic == 'generator' else d.synthetic)
    lines.append(
        f'  {p.dir_name}: {p.steps:,} steps x batch {d.batch_size}; '
        f'notes: {source}'
        + (f' + real {d.real}' if d.real else '')
        + (f'; levels -{d.synthetic_gain_db:g}..0 dB' if d.synthetic_gain_db
           else '')
        + (f'; {", ".join(augmentations)}' if augmentations else '')
        + f'; lr {t.learning_rate:g} x {t.decay_rate:g} per {t.decay_steps:,} '
        f'steps; model {m.encoder}, {m.f0_bins} f0 bins '
        f'{m.f0_hz_min:g}-{m.f0_hz_max:g} Hz, hop {m.hop_size}')
  lines.append(f'  then export -> {recipe.export}')
  return lines


def phase_dir(save_dir, phase):
  return os.path.join(save_dir, PHASES_DIR, phase.dir_name)


def run(recipe, save_dir, verbose=1, echo=print):
  """Runs every unfinished phase in order, then exports; returns the export path."""
  from pitchfit.model import checkpoints  # pylint: disable=g-import-not-at-top
  from pitchfit.train import job  # pylint: disable=g-import-not-at-top
  previous = None
  for phase in recipe.phases:
    directory = phase_dir(save_dir, phase)
    ckpt_dir = os.path.join(directory, checkpoints.CHECKPOINT_DIR)
    latest = checkpoints.latest(ckpt_dir) if os.path.isdir(ckpt_dir) else None
    done = latest is not None and checkpoints.step_of(latest) >= phase.steps
    if not done:
      config = phase.config
      if previous is not None:
        config = dataclasses.replace(config, train=dataclasses.replace(
            config.train, restore_from=previous, restart_schedule=True))
      echo(f'Phase {phase.dir_name}: {phase.steps:,} steps -> {directory}')
      job.train(config, directory, verbose=verbose, echo=echo)
      latest = checkpoints.latest(ckpt_dir)
      if latest is None or checkpoints.step_of(latest) < phase.steps:
        raise UserError(f'phase {phase.dir_name} stopped at step '
                        f'{checkpoints.step_of(latest) if latest else 0} of '
                        f'{phase.steps}; run the same command to resume')
    previous = latest
  from pitchfit.track import pitch_model as pitch_model_lib  # pylint: disable=g-import-not-at-top
  out_path = os.path.join(save_dir, recipe.export)
  model = pitch_model_lib.PitchModel.load(previous)
  model.export(out_path)
  echo(f'Exported {previous} -> {out_path}')
  return out_path
