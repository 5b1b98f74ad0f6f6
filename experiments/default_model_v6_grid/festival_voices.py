"""RPA per voice on Festival's speech set (render_sets.sh), for LiteRT exports.

  python experiments/default_model_v6_grid/festival_voices.py A.tflite [B.tflite ...]

A diagnostic beside part (t), not a rule: the model is read at the labels' times
(10-ms frames), voicing-agnostic, at 50 cents, as tools/octave_report.py does.
"""
import argparse
import collections
import csv
import os
import sys

import numpy as np
import soundfile as sf

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..'))
import pitchfit  # pylint: disable=wrong-import-position
from pitchfit.track import predict as predict_lib  # pylint: disable=wrong-import-position

CENTS = 50.0


def voice_scores(model_path, folder):
  """{voice: (frames within CENTS, voiced frames)} for one model."""
  model = predict_lib.load_model(model_path)
  hits, counts = collections.Counter(), collections.Counter()
  with open(os.path.join(folder, 'manifest.csv'), newline='') as f:
    rows = list(csv.DictReader(f))
  for row in rows:
    audio, sr = sf.read(os.path.join(folder, row['file']))
    labels = np.loadtxt(os.path.join(folder, row['file'][:-4] + '.f0.csv'),
                        delimiter=',', skiprows=1, ndmin=2)
    track = pitchfit.predict(audio, sr, model=model)
    estimate = np.interp(labels[:, 0], track.time, track.frequency)
    voiced = labels[:, 1] > 0
    cents = 1200 * np.abs(np.log2(np.maximum(estimate[voiced], 1e-3)
                                  / labels[voiced, 1]))
    hits[row['voice']] += int(np.sum(cents <= CENTS))
    counts[row['voice']] += int(np.sum(voiced))
  return {v: (hits[v], counts[v]) for v in sorted(counts)}


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('models', nargs='+')
  parser.add_argument('--data', default='/work/data/speech_festival')
  args = parser.parse_args()
  for path in args.models:
    scores = voice_scores(path, args.data)
    pooled = sum(h for h, _ in scores.values()) / sum(n for _, n in scores.values())
    print(os.path.basename(path), ' '.join(
        f'{v} {100 * h / n:.1f}' for v, (h, n) in scores.items()),
          f'pooled {100 * pooled:.2f}', flush=True)


if __name__ == '__main__':
  main()
