"""tools/readout_choices.py: its read-outs and stitchings match the product's."""

import importlib.util
import os

import numpy as np

from conftest import REPO
from pitchfit.dsp import core
from pitchfit.track import streaming

_spec = importlib.util.spec_from_file_location(
    'readout_choices', os.path.join(REPO, 'tools', 'readout_choices.py'))
readout_choices = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(readout_choices)


def test_read_outs_match_the_model_functions():
  logits = np.random.default_rng(0).normal(0.0, 3.0, (5, 256))
  for radius, function in ((None, core.frequencies_softmax),
                           (8, core.frequencies_around_peak)):
    expected = function(logits.astype(np.float32), 256, 20.0, 1200.0,
                        *(() if radius is None else (radius,)))
    np.testing.assert_allclose(
        readout_choices.read_out(logits, 20.0, 1200.0, radius),
        np.log(expected.numpy()[:, 0]), atol=1e-4)


def test_stitching_matches_the_streaming_tracker():
  rng = np.random.default_rng(1)
  n_windows, n_frames = 6, 16
  log_f0 = 5.0 + rng.normal(0.0, 0.02, (n_windows, n_frames))
  log_f0[2, :4] += np.log(2.0)  # one window an octave off at its start
  stitcher = streaming._Stitcher(n_frames, n_frames // 2)  # pylint: disable=protected-access
  done = [stitcher.add(np.stack([row, np.ones(n_frames)], -1))[1][:, 0]
          for row in log_f0]
  product = np.concatenate(done)
  tool = readout_choices.stitch(log_f0, product.size, agree_cents=100.0)
  np.testing.assert_allclose(tool, product, atol=1e-9)
  # Always averaging differs exactly where the octave was.
  mean = readout_choices.stitch(log_f0, product.size)
  differs = np.flatnonzero(np.abs(mean - product) > 1e-9)
  np.testing.assert_array_equal(differs, np.arange(4) + 1 * 8)
