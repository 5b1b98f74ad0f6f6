"""How much window overlap a convolutional model needs when tracking a file.

  python experiments/default_model_v3/stride.py --model runs/X/model.npz \
      [--contexts 25 16 8] [DIR]

Runs tools/octave_report.py's protocol (pooled RPA/RCA by octave band of a
labelled folder, default the selection melodies) once per context: windows
overlap by 2 x context frames (streaming.CONV_CONTEXT_FRAMES), so 25 is the
half-window stride every model used before (100-frame windows) and smaller
contexts run fewer windows per second of audio.
"""

import argparse
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, 'tools'))
sys.path.insert(0, REPO)

import octave_report  # pylint: disable=wrong-import-position
from pitchfit.track import streaming  # pylint: disable=wrong-import-position


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('data', nargs='?', default=octave_report.DEFAULT_DIR)
  parser.add_argument('--model', required=True)
  parser.add_argument('--contexts', type=int, nargs='+', default=[25, 16, 8])
  args = parser.parse_args()
  for context in args.contexts:
    streaming.CONV_CONTEXT_FRAMES = context
    print(f'== context {context} frames (overlap {2 * context})', flush=True)
    octave_report.main([args.data, '--model', args.model, '--quiet'])


if __name__ == '__main__':
  main()
