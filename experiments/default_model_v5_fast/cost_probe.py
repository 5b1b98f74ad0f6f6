"""LiteRT cost of candidate architectures per second of audio, untrained.

  python experiments/default_model_v5_fast/cost_probe.py [--threads 1]
  python experiments/default_model_v5_fast/cost_probe.py --exports a.tflite ...

Each variant is configs/default_model.yaml's model with the overrides of
VARIANTS, converted as `pitchfit export` converts it (batch 1, fixed 4-s
window, as the tracker's long windows) and run by ai-edge-litert; the
fastest of 7 calls after a warm-up, in ms per second of audio. --exports
times exported models (`pitchfit export`) the same way instead.
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

# The hop-256 variants are measured without the generator (whose notes are
# on 10-ms frames); only the model is built here.
_HOP16 = ['model.hop_size=256', 'model.n_samples=16384', 'data.synthetic=synthetic_notes/small']
VARIANTS = {
    'shipped config': [],
    'separable': ['model.cnn_separable=true'],
    '12 ch': ['model.cnn_channels=12'],
    '3+2 layers': ['model.cnn_layers=3', 'model.harmonic_cnn_layers=2'],
    'fft 1024+512': ['model.spectrum_fft_sizes=[1024,512]'],
    'hop 16 ms': _HOP16,
    'hop 16 ms, 12 ch': _HOP16 + ['model.cnn_channels=12'],
    'hop 16 ms, separable': _HOP16 + ['model.cnn_separable=true'],
    # Session 5: cheaper models that keep the 10-ms frame.
    '12 ch, 3+2 layers': ['model.cnn_channels=12', 'model.cnn_layers=3',
                          'model.harmonic_cnn_layers=2'],
    '3+2 layers, fft 1024+512': ['model.cnn_layers=3', 'model.harmonic_cnn_layers=2',
                                 'model.spectrum_fft_sizes=[1024,512]'],
    '8 ch': ['model.cnn_channels=8'],
    '5 stacked harmonics': ['model.stack_harmonics=[0.5,1,2,3,4]'],
    '12 bins per octave': ['model.f0_bins=89'],
    '18 bins per octave': ['model.f0_bins=133'],
    # Session 8, after the runtime became 0.68x as costly: room for a wider
    # or deeper model at version 4's old cost?
    '20 ch': ['model.cnn_channels=20'],
    '24 ch': ['model.cnn_channels=24'],
    '5+4 layers': ['model.cnn_layers=5', 'model.harmonic_cnn_layers=4'],
    # Session 12: C12DEEPT, the harmonic blocks dilated in time.
    'harmonic blocks dilated 1,2,4 in time': ['model.harmonic_cnn_time_dilations=[1,2,4]'],
}


def litert_ms_per_second(config, threads, seconds=4):
  m = config.model
  n_samples = m.hop_size * int(round(seconds * m.sample_rate / m.hop_size))
  model = pitch_model_lib.build_model(config)
  pm = pitch_model_lib.PitchModel(model, config, source='probe')
  data, _ = export.convert(pm, batch_size=1)
  params = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
  return flatbuffer_ms_per_second(data, n_samples, threads, m.hop_size), params


def flatbuffer_ms_per_second(data, n_samples, threads, hop_size):
  """Fastest of 7 calls, ms per second of audio, as the runtime runs it.

  A model exported from its STFT magnitudes (format 2) is timed with the
  NumPy front end that computes them (pitchfit.dsp.numpy_stft), as
  LiteRTModel runs it; a format-1 model from audio.
  """
  from ai_edge_litert.interpreter import Interpreter  # pylint: disable=g-import-not-at-top
  from pitchfit.dsp import numpy_stft  # pylint: disable=g-import-not-at-top
  interpreter = Interpreter(model_content=data, num_threads=threads)
  by_name = {d['name']: d['index'] for d in interpreter.get_input_details()}
  sizes = export.stft_inputs(data)
  windows = np.random.default_rng(0).standard_normal(
      (1, n_samples)).astype(np.float32) * 0.1
  # A CNN's export has a free time axis: plan it for this window.
  for name, index in by_name.items():
    shape = ([1, n_samples] if not sizes else
             [1, n_samples // hop_size, sizes[name] // 2 + 1])
    interpreter.resize_tensor_input(index, shape)
  interpreter.allocate_tensors()

  def call():
    if not sizes:
      interpreter.set_tensor(next(iter(by_name.values())), windows)
    for name, size in sizes.items():
      numpy_stft.stft_magnitudes(windows, size, hop_size,
                                 out=interpreter.tensor(by_name[name])())
    interpreter.invoke()

  call()
  best = float('inf')
  for _ in range(7):
    start = time.perf_counter()
    call()
    best = min(best, time.perf_counter() - start)
  return 1000 * best * 16000 / n_samples


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--threads', type=int, default=1)
  parser.add_argument('--only', nargs='*', default=None)
  parser.add_argument('--exports', nargs='*', default=None)
  args = parser.parse_args()
  if args.exports:
    from pitchfit.track import litert_model  # pylint: disable=g-import-not-at-top
    for path in args.exports:
      with open(path, 'rb') as f:
        data = f.read()
      hop = litert_model.read_metadata(data)['hop_size']
      n_samples = hop * int(round(4 * 16000 / hop))
      ms = flatbuffer_ms_per_second(data, n_samples, args.threads, hop)
      print(f'{path}: {ms:.2f} ms per s', flush=True)
    return
  base = os.path.join(REPO, 'configs', 'default_model.yaml')
  print(f'{"variant":24s} {"params":>7s} {"ms per s":>8s}')
  for name, overrides in VARIANTS.items():
    if args.only and name not in args.only:
      continue
    config = recipe_lib.load(base, overrides).phases[0].config
    ms, params = litert_ms_per_second(config, args.threads)
    print(f'{name:24s} {params:7,d} {ms:8.2f}', flush=True)


if __name__ == '__main__':
  main()
