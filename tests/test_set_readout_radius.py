"""tools/set_readout_radius.py: the same weights, another read-out radius."""

import importlib.util
import os

import numpy as np
import pytest
import yaml

from conftest import REPO

_spec = importlib.util.spec_from_file_location(
    'set_readout_radius', os.path.join(REPO, 'tools', 'set_readout_radius.py'))
set_readout_radius = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(set_readout_radius)

SHIPPED = os.path.join(REPO, 'pitchfit', 'assets', 'default_model.npz')
KEY = set_readout_radius.CONFIG_KEY


def test_copy_changes_the_radius_and_nothing_else(tmp_path):
  out = str(tmp_path / 'r3' / 'model.npz')
  set_readout_radius.main([SHIPPED, out, '--radius', '3'])
  with np.load(SHIPPED) as a, np.load(out) as b:
    assert sorted(a.files) == sorted(b.files)
    for k in a.files:
      if k != KEY:
        np.testing.assert_array_equal(a[k], b[k])
    old, new = (yaml.safe_load(str(x[KEY])) for x in (a, b))
  assert new['model']['f0_peak_radius_bins'] == 3
  assert old['model']['f0_peak_radius_bins'] != 3
  new['model']['f0_peak_radius_bins'] = old['model']['f0_peak_radius_bins']
  assert new == old
  # The copy loads as a model with the new radius.
  from pitchfit.track.pitch_model import PitchModel
  assert PitchModel.load(out).config.model.f0_peak_radius_bins == 3


def test_not_a_model_is_one_line(tmp_path):
  bad = tmp_path / 'bad.npz'
  np.savez(bad, x=np.zeros(3))
  with pytest.raises(SystemExit, match='no config inside'):
    set_readout_radius.main([str(bad), str(tmp_path / 'o.npz'), '--radius', '1'])
  with pytest.raises(SystemExit, match='--radius must be 0 or more'):
    set_readout_radius.main([SHIPPED, str(tmp_path / 'o.npz'), '--radius', '-1'])
