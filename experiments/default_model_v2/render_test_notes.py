"""Renders synthetic test notes as a labelled folder (WAV + <stem>.f0.csv).

  python experiments/default_model_v2/render_test_notes.py OUT [--set wide_small] [--count 64]

Example i of the set's test split, rendered by the synthesizer it is defined
by, with its f0 where the note is voiced (harm_amp >= 1e-4) and 0 elsewhere:
the selection rule's synthetic test, readable by any tracker through
`pitchfit evaluate --audio-dir` or tools/octave_report.py.
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))

from pitchfit.quiet import import_tensorflow  # pylint: disable=wrong-import-position

import_tensorflow()

from pitchfit.io import audio as audio_io  # pylint: disable=wrong-import-position
from pitchfit.notes import generator  # pylint: disable=wrong-import-position
from pitchfit.notes import registry  # pylint: disable=wrong-import-position


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('out')
  parser.add_argument('--set', default='wide_small')
  parser.add_argument('--count', type=int, default=64)
  args = parser.parse_args()
  os.makedirs(args.out, exist_ok=True)
  config = registry.note_config(args.set)
  seed = registry.split_seed(args.set, 'test')
  frame_s = config.hop_size / config.sample_rate
  for i in range(args.count):
    example = generator.generate_example(seed, i, config)
    audio = generator.render_audio(example, config, seed=i)
    peak = np.max(np.abs(audio))
    audio = audio * (0.9 / peak) if peak > 0.9 else audio
    stem = os.path.join(args.out, f'{args.set}_test_{i:04d}')
    audio_io.write_wav(stem + '.wav', audio.astype(np.float32),
                       config.sample_rate)
    voiced = example['harm_amp'] >= registry.VOICED_AMP_THRESHOLD
    f0 = np.where(voiced, example['f0_hz'], 0.0)
    times = np.arange(len(f0)) * frame_s
    np.savetxt(stem + '.f0.csv', np.stack([times, f0], axis=1),
               delimiter=',', header='time_s,f0_hz', comments='', fmt='%.6f')


if __name__ == '__main__':
  main()
