"""bench/speed.py with a fake tracker: warm-up excluded, table and ratios."""

import os
import sys

import numpy as np

from conftest import REPO

sys.path.insert(0, os.path.join(REPO, 'bench'))

import corpus  # pylint: disable=wrong-import-position
import speed  # pylint: disable=wrong-import-position


class _CountingTracker:
  name = 'fake'

  def __init__(self):
    self.sizes = []

  def track(self, audio):
    self.sizes.append(audio.size)
    return np.zeros(1), np.zeros(1)


def test_time_tracker_warms_up_on_an_excerpt_then_times_every_clip():
  audio = np.zeros(5 * corpus.SAMPLE_RATE, np.float32)
  clips = [corpus.Clip(f'c{i}', 'voice', None, None, None, None, audio)
           for i in range(3)]
  tracker = _CountingTracker()
  wall, cpu = speed.time_tracker(tracker, clips, repeats=2)
  assert tracker.sizes == [2 * corpus.SAMPLE_RATE] + [audio.size] * 6
  assert wall >= 0 and cpu >= 0


def test_table_gives_ratios_against_pyin():
  table = speed.format_table({'pitchfit': (1.0, 1.5), 'pyin': (10.0, 9.0),
                              'torchcrepe': (40.0, 39.0)}, 100.0)
  lines = table.splitlines()
  assert '10.00x faster' in lines[1] and '0.0100' in lines[1]
  assert 'reference' in lines[2]
  assert '4.00x slower' in lines[3]
