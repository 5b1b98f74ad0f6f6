"""tools/frame_errors.py: which frames count as moving, near a change, steady."""

import importlib.util
import os

import numpy as np

from conftest import REPO

_spec = importlib.util.spec_from_file_location(
    'frame_errors', os.path.join(REPO, 'tools', 'frame_errors.py'))
frame_errors = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(frame_errors)


def test_jumps_glides_and_steady_notes_are_told_apart():
  midi = np.array([60, 60, 60, 67, 67, 67, 68, 69, 70, 70, 70], float)
  kinds = frame_errors.frame_kinds(440.0 * 2.0 ** ((midi - 69.0) / 12.0))
  # The jump 60 -> 67 marks the frames on both sides of it.
  np.testing.assert_array_equal(np.flatnonzero(kinds['near change']), [2, 3])
  # The glide 67 -> 70 (1 semitone per frame) moves, by the central
  # difference at each frame; the flat frames around it do not.
  np.testing.assert_array_equal(np.flatnonzero(kinds['moving']), [5, 6, 7, 8])
  np.testing.assert_array_equal(np.flatnonzero(kinds['steady']), [0, 1, 4, 9, 10])
  total = sum(k.astype(int) for k in kinds.values())
  assert np.all(total == 1)  # every frame is of exactly one kind
