"""tools/pack_run.py: a save dir packed on one machine resumes on another."""

import importlib.util
import os
import tarfile

import pytest
import yaml

from conftest import REPO
from pitchfit.model import checkpoints
from pitchfit.train import recipe as recipe_lib
from test_recipe import SMALL_RECIPE

_spec = importlib.util.spec_from_file_location(
    'pack_run', os.path.join(REPO, 'tools', 'pack_run.py'))
pack_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pack_run)


def _recipe(tmp_path):
  path = tmp_path / 'recipe.yaml'
  path.write_text(yaml.safe_dump(SMALL_RECIPE))
  return recipe_lib.load(str(path))


def test_packed_run_resumes_where_it_stopped(tmp_path):
  recipe = _recipe(tmp_path)
  first_only = recipe_lib.Recipe(recipe.source, recipe.seed, recipe.phases[:1],
                                 recipe.export)
  original = str(tmp_path / 'machine_a')
  recipe_lib.run(first_only, original, verbose=0, echo=lambda *_: None)
  clean_dir = os.path.relpath(recipe_lib.phase_dir(original, recipe.phases[0]),
                              original)
  # Checkpoints every 2 steps: the phase left ckpt-2 and ckpt-4.
  assert len(checkpoints.list_checkpoints(
      os.path.join(original, clean_dir, 'checkpoints'))) == 2

  archive = str(tmp_path / 'resume' / 'run.tar.gz')
  pack_run.pack(original, archive)
  with tarfile.open(archive) as tar:
    names = tar.getnames()
  packed = [n for n in names if os.path.basename(n).startswith('ckpt-')]
  assert packed == [os.path.join(clean_dir, 'checkpoints', 'ckpt-4.npz')]
  assert os.path.join(clean_dir, 'history.csv') in names
  assert not any('logs' in n.split(os.sep) for n in names)

  # Another machine: the finished phase is skipped, the next one trains.
  fresh = str(tmp_path / 'machine_b')
  pack_run.unpack(archive, fresh)
  messages = []
  recipe_lib.run(recipe, fresh, verbose=0, echo=messages.append)
  assert not any('0_clean' in m and 'steps ->' in m for m in messages)
  assert any('1_noisy' in m and 'steps ->' in m for m in messages)
  assert os.path.exists(os.path.join(fresh, 'small.npz'))

  # An older archive never rolls a run that went further back.
  with pytest.raises(SystemExit, match='further along'):
    pack_run.unpack(archive, fresh)
  pack_run.pack(fresh, archive)
  pack_run.unpack(archive, fresh)  # the same progress: allowed


def test_pack_needs_a_checkpoint(tmp_path):
  (tmp_path / 'empty').mkdir()
  with pytest.raises(SystemExit, match='no checkpoint'):
    pack_run.pack(str(tmp_path / 'empty'), str(tmp_path / 'a.tar.gz'))
  with pytest.raises(SystemExit, match='no archive'):
    pack_run.unpack(str(tmp_path / 'missing.tar.gz'), str(tmp_path / 'b'))
