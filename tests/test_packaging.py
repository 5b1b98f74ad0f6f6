"""A non-editable install ships what users run by name.

Builds the wheel from a copy of the checkout (so no build/ or egg-info lands
in the working tree), offline (--no-build-isolation --no-index: the venv's own
setuptools), and lists it: the configs must be inside the package, where
`pitchfit.config.find_config` looks once the checkout is gone.
"""

import configparser
import glob
import os
import shutil
import subprocess
import sys
import zipfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = ('setup.py', 'setup.cfg', 'pyproject.toml', 'README.md', 'cli.py',
           'configs', 'pitchfit', 'tfds_builders')


def _build_wheel(tmp_path):
  src = tmp_path / 'src'
  src.mkdir()
  for name in SOURCES:
    path = os.path.join(REPO, name)
    if os.path.isdir(path):
      shutil.copytree(path, src / name,
                      ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
    else:
      shutil.copy(path, src / name)
  out = tmp_path / 'wheel'
  env = dict(os.environ, PIP_NO_INDEX='1', PIP_DISABLE_PIP_VERSION_CHECK='1')
  subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps',
                  '--no-build-isolation', '-q', str(src), '-w', str(out)],
                 check=True, env=env, capture_output=True)
  (wheel,) = glob.glob(str(out / '*.whl'))
  return zipfile.ZipFile(wheel)


def test_wheel_ships_configs_assets_and_command(tmp_path):
  wheel = _build_wheel(tmp_path)
  names = set(wheel.namelist())

  shipped = sorted(glob.glob(os.path.join(REPO, 'configs', '*.yaml')))
  assert any(p.endswith('demo.yaml') for p in shipped)
  for path in shipped:
    inside = 'pitchfit/configs/' + os.path.basename(path)
    assert inside in names, f'{inside} missing from the wheel'
    with open(path, 'rb') as f:
      assert wheel.read(inside) == f.read()
  # Nothing but the top-level configs (no experiments, no stray folders).
  assert {n for n in names if n.startswith('pitchfit/configs/')} == {
      'pitchfit/configs/' + os.path.basename(p) for p in shipped}
  assert not any(n.startswith('experiments/') for n in names)

  assert 'pitchfit/assets/default_model.npz' in names
  assert 'cli.py' in names
  assert 'tfds_builders/synthetic_notes/synthetic_notes_dataset_builder.py' in names

  (entry_points,) = [n for n in names if n.endswith('.dist-info/entry_points.txt')]
  parser = configparser.ConfigParser()
  parser.read_string(wheel.read(entry_points).decode())
  assert parser['console_scripts']['pitchfit'] == 'cli:main'
