"""Tracking cost of candidate architectures, untrained, as LiteRT would run them.

  python experiments/default_model_v3/speed_probe.py [--threads 1] [--steps 0]

Each variant is configs/default_model.yaml's model with the overrides of
VARIANTS. The tracking graph is converted exactly as `pitchfit export` does
and run by ai-edge-litert on batches of 4 one-second windows (fastest of 5
runs after a warm-up). Windows start half a window apart when tracking a
file, so the tracker's real-time factor is about 2 x the seconds per window.
--steps N also times N training steps (after 3 of tracing).
"""

import argparse
import os
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)

from pitchfit.quiet import import_tensorflow  # pylint: disable=wrong-import-position

tf = import_tensorflow()

from pitchfit.train import recipe as recipe_lib  # pylint: disable=wrong-import-position
from pitchfit.track import export  # pylint: disable=wrong-import-position
from pitchfit.track import pitch_model as pitch_model_lib  # pylint: disable=wrong-import-position

VARIANTS = {
    'v2 (36 bpo, 16 ch)': [],
    '36 bpo, 16 ch, separable': ['model.cnn_separable=true'],
    '24 bpo, 16 ch': ['model.f0_bins=177'],
    '24 bpo, 16 ch, separable': ['model.f0_bins=177', 'model.cnn_separable=true'],
    '24 bpo, 24 ch, separable': ['model.f0_bins=177', 'model.cnn_separable=true',
                                 'model.cnn_channels=24'],
    '36 bpo, 24 ch, separable': ['model.cnn_separable=true', 'model.cnn_channels=24'],
}


def litert_seconds_per_window(config, threads):
  from ai_edge_litert.interpreter import Interpreter  # pylint: disable=g-import-not-at-top
  model = pitch_model_lib.build_model(config)
  pm = pitch_model_lib.PitchModel(model, config, source='probe')
  data, _ = export.convert(pm, batch_size=4)
  interpreter = Interpreter(model_content=data, num_threads=threads)
  interpreter.allocate_tensors()
  index = interpreter.get_input_details()[0]['index']
  windows = np.random.default_rng(0).standard_normal(
      (4, config.model.n_samples)).astype(np.float32) * 0.1
  interpreter.set_tensor(index, windows)
  interpreter.invoke()
  best = float('inf')
  for _ in range(5):
    start = time.perf_counter()
    interpreter.set_tensor(index, windows)
    interpreter.invoke()
    best = min(best, time.perf_counter() - start)
  params = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
  return best / 4, params


def train_seconds_per_step(config, steps):
  from pitchfit.train import data as data_lib  # pylint: disable=g-import-not-at-top
  from pitchfit.train import job  # pylint: disable=g-import-not-at-top
  model = job.build_model(config)
  dataset = data_lib.train_dataset(config)
  model.fit(dataset, steps_per_epoch=3, epochs=1, verbose=0, shuffle=False)
  start = time.perf_counter()
  model.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
  return (time.perf_counter() - start) / steps


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--threads', type=int, default=1)
  parser.add_argument('--steps', type=int, default=0)
  parser.add_argument('--only', nargs='*', default=None)
  args = parser.parse_args()
  base = os.path.join(REPO, 'configs', 'default_model.yaml')
  print(f'{"variant":28s} {"params":>7s} {"ms/window":>9s} {"~RTF":>6s}'
        + (f' {"s/step":>6s}' if args.steps else ''))
  for name, overrides in VARIANTS.items():
    if args.only and name not in args.only:
      continue
    config = recipe_lib.load(base, overrides).phases[0].config
    seconds, params = litert_seconds_per_window(config, args.threads)
    line = f'{name:28s} {params:7,d} {1000 * seconds:9.1f} {2 * seconds:6.4f}'
    if args.steps:
      line += f' {train_seconds_per_step(config, args.steps):6.3f}'
    print(line, flush=True)


if __name__ == '__main__':
  main()
