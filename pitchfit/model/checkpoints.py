"""Checkpoints: model (and optimizer) variables in one .npz, written atomically.

A flat `.npz` keyed by each variable's path is transparent (numpy can read
it), small, and lets a restore check every shape and name the offending
layer. Files are written to a temporary name and renamed, so a kill -9 at
any moment leaves the previous checkpoint intact.
"""

import glob
import os
import re

import numpy as np

from pitchfit.io import atomic
from pitchfit.errors import UserError

CHECKPOINT_DIR = 'checkpoints'
_PATTERN = re.compile(r'ckpt-(\d+)\.npz$')


def _variable_key(variable, root_name):
  """A variable's path without the model's own (instance) name."""
  path = variable.path
  prefix = root_name + '/'
  return 'model/' + (path[len(prefix):] if path.startswith(prefix) else path)


def model_arrays(model):
  return {_variable_key(v, model.name): np.asarray(v.numpy())
          for v in model.weights}


def save(model, directory, step, keep=3, include_optimizer=True):
  """Writes directory/ckpt-<step>.npz and keeps only the newest `keep`."""
  os.makedirs(directory, exist_ok=True)
  arrays = model_arrays(model)
  if include_optimizer and getattr(model, 'optimizer', None) is not None:
    for i, v in enumerate(model.optimizer.variables):
      arrays[f'optimizer/{i:05d}'] = np.asarray(v.numpy())
  path = os.path.join(directory, f'ckpt-{int(step)}.npz')
  with atomic.atomic_path(path, suffix='.tmp.npz') as tmp:
    np.savez(tmp, **arrays)
  for old in list_checkpoints(directory)[:-keep]:
    os.remove(old)
  return path


def list_checkpoints(directory):
  """Checkpoint files in a directory, oldest first."""
  found = []
  for path in glob.glob(os.path.join(directory, 'ckpt-*.npz')):
    match = _PATTERN.search(os.path.basename(path))
    if match:
      found.append((int(match.group(1)), path))
  return [path for _, path in sorted(found)]


def latest(directory):
  """Newest checkpoint in a directory (or a save dir's checkpoints/), or None."""
  for candidate in (os.path.join(directory, CHECKPOINT_DIR), directory):
    paths = list_checkpoints(candidate)
    if paths:
      return paths[-1]
  return None


def step_of(path):
  match = _PATTERN.search(os.path.basename(path))
  return int(match.group(1)) if match else 0


def _open(path):
  try:
    return np.load(path)
  except (OSError, ValueError) as e:
    raise UserError(f'{path}: not a pitchfit checkpoint ({e})') from None


def restore(model, path, restore_optimizer=True, may_be_new=()):
  """Loads a checkpoint into a built model (and its built optimizer).

  Raises UserError naming the variable (layer) whose shape differs, or that
  is missing, so a finetuning config that changed a size fails clearly.

  Args:
    may_be_new: layer names (path components) whose variables may be absent
      from the checkpoint; they keep their initial values. For layers that
      extend a model without changing its function (nn.ResNet's zero-init
      second stem), when starting from a model trained without them.

  Returns:
    keys of the variables left at their initial values.
  """
  arrays = _open(path)
  kept = []
  keys = {_variable_key(v, model.name) for v in model.weights}
  unused = sorted(k for k in arrays.files
                  if k.startswith('model/') and k not in keys)
  if unused:
    # Loading would silently drop these layers (e.g. a second STFT input the
    # config forgot to enable), giving a different model than was trained.
    raise UserError(
        f'{path}: has weights for layer variables this model lacks: '
        f"{', '.join(k[len('model/'):] for k in unused[:3])}"
        f"{' ...' if len(unused) > 3 else ''} (was it made by a different "
        'model configuration?)')
  for variable in model.weights:
    key = _variable_key(variable, model.name)
    if key not in arrays and set(key.split('/')) & set(may_be_new):
      kept.append(key)
      continue
    if key not in arrays:
      raise UserError(f'{path}: has no weights for layer variable '
                      f"'{key[len('model/'):]}' (was it made by a different "
                      'model configuration?)')
    value = arrays[key]
    if tuple(value.shape) != tuple(variable.shape):
      raise UserError(
          f"{path}: layer variable '{key[len('model/'):]}' has shape "
          f'{tuple(value.shape)} in the checkpoint but {tuple(variable.shape)} '
          'in this model; the model sizes in the config differ')
    variable.assign(np.asarray(value, dtype=variable.dtype))
  if restore_optimizer and getattr(model, 'optimizer', None) is not None:
    names = sorted(k for k in arrays.files if k.startswith('optimizer/'))
    variables = model.optimizer.variables
    if len(names) != len(variables):
      raise UserError(f'{path}: optimizer state does not match this model '
                      f'({len(names)} saved variables, {len(variables)} here)')
    for name, variable in zip(names, variables):
      variable.assign(arrays[name])
  return kept
