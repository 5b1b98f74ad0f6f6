"""Atomic writes: the old file survives a failed write, no temporaries stay."""

import os

import numpy as np
import pytest

from pitchfit.io import atomic


def test_success_replaces_the_file(tmp_path):
  path = tmp_path / 'a.txt'
  path.write_text('old')
  with atomic.atomic_open(path) as f:
    f.write('new')
    assert path.read_text() == 'old'   # not visible until the block ends
  assert path.read_text() == 'new'
  assert os.listdir(tmp_path) == ['a.txt']


def test_failure_keeps_the_old_file_and_removes_the_temporary(tmp_path):
  path = tmp_path / 'a.txt'
  path.write_text('old')
  with pytest.raises(KeyboardInterrupt):
    with atomic.atomic_open(path) as f:
      f.write('half')
      raise KeyboardInterrupt
  assert path.read_text() == 'old'
  assert os.listdir(tmp_path) == ['a.txt']


def test_suffix_for_writers_that_append_an_extension(tmp_path):
  path = tmp_path / 'w.npz'
  with atomic.atomic_path(path, suffix='.tmp.npz') as temporary:
    np.savez(temporary, x=np.arange(3))   # np.savez keeps a .npz name as is
  np.testing.assert_array_equal(np.load(path)['x'], np.arange(3))
  assert os.listdir(tmp_path) == ['w.npz']
