"""Step time of the probe variants, one after another in one process.

  python experiments/default_model_v2/step_time.py [--steps 20]

Each variant is `probe_base.yaml` with the overrides of VARIANTS; the first
5 steps (tracing) are excluded.
"""

import argparse
import os
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)

from pitchfit.quiet import import_tensorflow  # pylint: disable=wrong-import-position

tf = import_tensorflow()

from pitchfit import config as config_lib  # pylint: disable=wrong-import-position
from pitchfit.train import data  # pylint: disable=wrong-import-position
from pitchfit.train import job  # pylint: disable=wrong-import-position

VARIANTS = {
    'A': [],
    'B': ['model.cnn_channels=8'],
    'C': ['model.cnn_channels=32'],
    'D': ['model.spectrum_fft_sizes=[2048]'],
}


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--steps', type=int, default=20)
  args = parser.parse_args()
  base = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'probe_base.yaml')
  print(f'{"variant":8s} {"params":>8s} {"s/step":>7s}')
  for name, overrides in VARIANTS.items():
    config = config_lib.load(base, overrides)
    model = job.build_model(config)
    dataset = data.train_dataset(config)
    model.fit(dataset, steps_per_epoch=5, epochs=1, verbose=0, shuffle=False)
    start = time.perf_counter()
    model.fit(dataset, steps_per_epoch=args.steps, epochs=1, verbose=0,
              shuffle=False)
    seconds = (time.perf_counter() - start) / args.steps
    params = sum(int(tf.size(v)) for v in model.trainable_variables)
    print(f'{name:8s} {params:8,d} {seconds:7.3f}', flush=True)


if __name__ == '__main__':
  main()
