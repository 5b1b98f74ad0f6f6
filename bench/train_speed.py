"""Training speed of the shipped configs on this machine: steps/s and examples/s.

  python bench/train_speed.py [--steps 20] [--paper-batch 2]

Measures the demo and CPU configs at their own batch size and the paper's
config at a small batch (to show its cost per example), in the same run.
The first steps (graph tracing) are excluded.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pitchfit.quiet import import_tensorflow  # pylint: disable=wrong-import-position

tf = import_tensorflow()

from pitchfit import config as config_lib  # pylint: disable=wrong-import-position
from pitchfit.train import data  # pylint: disable=wrong-import-position
from pitchfit.train import job as training  # pylint: disable=wrong-import-position

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def measure(path, overrides, steps):
  config = config_lib.load(os.path.join(REPO, path),
                           ['data.synthetic=generator', *overrides])
  model = training.build_model(config)
  dataset = data.train_dataset(config)
  model.fit(dataset, steps_per_epoch=2, epochs=1, verbose=0, shuffle=False)
  start = time.perf_counter()
  model.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
  seconds = time.perf_counter() - start
  batch = config.data.batch_size
  params = sum(int(tf.size(v)) for v in model.trainable_variables)
  return steps / seconds, steps * batch / seconds, batch, params, config


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--steps', type=int, default=20)
  parser.add_argument('--paper-batch', type=int, default=2)
  args = parser.parse_args()
  runs = [('configs/demo.yaml', []), ('experiments/cpu_stages/pretrain.yaml', []),
          ('configs/pretrain.yaml', [f'data.batch_size={args.paper_batch}'])]
  print(f'{"config":28s} {"batch":>5s} {"params":>10s} {"window s":>8s} '
        f'{"steps/s":>8s} {"examples/s":>10s} {"audio s/s":>9s}')
  results = {}
  for path, overrides in runs:
    # The paper model is ~50x slower per step: fewer steps keep the bench short.
    steps = max(3, args.steps // 4) if path == 'configs/pretrain.yaml' else args.steps
    sps, eps, batch, params, config = measure(path, overrides, steps)
    window = config.model.n_samples / config.model.sample_rate
    results[path] = eps * window
    print(f'{path:28s} {batch:5d} {params:10,d} {window:8.3f} {sps:8.2f} '
          f'{eps:10.1f} {eps * window:9.1f}')
  ratio = results['experiments/cpu_stages/pretrain.yaml'] / results['configs/pretrain.yaml']
  print(f'CPU config trains on {ratio:.0f}x more seconds of audio per second '
        'than the paper config.')


if __name__ == '__main__':
  main()
