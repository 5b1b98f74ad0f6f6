"""Copy of an exported model whose f0 read-out averages another number of bins.

  python tools/set_readout_radius.py runs/x/model.npz /tmp/x_r1/model.npz --radius 1

`model.f0_peak_radius_bins` is a decode setting (core.frequencies_around_peak):
the weights and the voicing calibration are copied unchanged, only the config
stored in the file changes. Candidates trained with another radius in their
recipe are scored at the shipped one this way (experiments/readout_radius_v5).
"""

import argparse
import os
import sys

import numpy as np
import yaml

from pitchfit.io import atomic
from pitchfit.track.pitch_model import CONFIG_KEY


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('model', help='an exported .npz (pitchfit export, a recipe\'s model.npz)')
  parser.add_argument('out', help='the copy to write (.npz)')
  parser.add_argument('--radius', type=int, required=True,
                      help='bins each side of the peak that the read-out averages')
  args = parser.parse_args(argv)
  if args.radius < 0:
    sys.exit('error: --radius must be 0 or more')
  try:
    with np.load(args.model) as npz:
      arrays = {k: npz[k] for k in npz.files}
  except (OSError, ValueError, EOFError) as e:
    sys.exit(f'error: {args.model}: not an exported model ({e})')
  if CONFIG_KEY not in arrays:
    sys.exit(f'error: {args.model}: no config inside (export it with pitchfit export)')
  config = yaml.safe_load(str(arrays[CONFIG_KEY]))
  old = config['model'].get('f0_peak_radius_bins')
  config['model']['f0_peak_radius_bins'] = args.radius
  arrays[CONFIG_KEY] = np.array(yaml.safe_dump(config, sort_keys=False))
  os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
  with atomic.atomic_path(args.out, suffix='.tmp.npz') as tmp:
    np.savez_compressed(tmp, **arrays)
  print(f'{args.model} (radius {old}) -> {args.out} (radius {args.radius})')


if __name__ == '__main__':
  main()
