"""RPA of a perfect tracker that looks every HOP ms, by octave band.

  python experiments/default_model_v5_fast/frame_rate_oracle.py DIR [--hops 10 16]

For each `<stem>.f0.csv` under DIR: the reference f0 itself, sampled every
hop (log-frequency interpolation of the labels, unvoiced where the nearest
label is), then read back at the label times exactly as the benchmark reads
a tracker (`bench/trackers.estimate_at`). What is lost is what a frame rate
alone costs on these labels: fast vibrato and note changes between frames.
"""

import argparse
import glob
import os
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, 'bench'))
sys.path.insert(0, REPO)

import octaves  # pylint: disable=wrong-import-position
import trackers  # pylint: disable=wrong-import-position

BANDS = ('C1-C2', 'C2-C3', 'C3-C4', 'C4-C5', 'C5-C6', 'C6-C7', 'C7-C8')


def oracle_hits(ref_time, ref_f0, hop_s):
  """Per voiced reference frame: is the hop_s oracle within 50 cents?"""
  voiced = ref_f0 > 0
  est_time = np.arange(0.0, ref_time[-1] + hop_s, hop_s)
  log_f0 = np.interp(est_time, ref_time[voiced], np.log(ref_f0[voiced]))
  nearest = np.clip(np.searchsorted(ref_time, est_time), 0, ref_time.size - 1)
  est_f0 = np.where(voiced[nearest], np.exp(log_f0), 0.0)
  read = trackers.estimate_at(ref_time, est_time, est_f0)
  with np.errstate(divide='ignore', invalid='ignore'):
    cents = 1200.0 * np.abs(np.log2(read[voiced] / ref_f0[voiced]))
  return octaves.band_index_hz(ref_f0[voiced]), np.nan_to_num(cents, nan=1e9) <= 50.0


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('data')
  parser.add_argument('--hops', type=float, nargs='+', default=[10.0, 16.0])
  args = parser.parse_args()
  labels = [np.loadtxt(p, delimiter=',', skiprows=1)
            for p in sorted(glob.glob(os.path.join(args.data, '*.f0.csv')))]
  print(f'{len(labels)} files from {args.data}; RPA % of a perfect tracker')
  print(f'{"hop":>6s} {"pooled":>7s} ' + ' '.join(f'{b:>6s}' for b in BANDS))
  for hop_ms in args.hops:
    bands, hits = zip(*[oracle_hits(l[:, 0], l[:, 1], hop_ms / 1000.0)
                        for l in labels])
    bands, hits = np.concatenate(bands), np.concatenate(hits)
    inside = bands >= 0
    row = [100 * hits[bands == i].mean() if np.any(bands == i) else np.nan
           for i in range(len(BANDS))]
    print(f'{hop_ms:4.0f}ms {100 * hits[inside].mean():7.2f} '
          + ' '.join(f'{v:6.1f}' for v in row))


if __name__ == '__main__':
  main()
