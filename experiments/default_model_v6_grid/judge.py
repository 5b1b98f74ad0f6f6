"""Parts (a)-(d) of selection_rule.md from score.sh's JSON files.

  .venv/bin/python experiments/default_model_v6_grid/judge.py TAG... [--dir D]

Pooled RPA is frame-weighted over the octave bands of the clean variant.
Parts (e) (cost_probe.py) and (f) (`make test` with the model shipped) are
run separately.
"""

import argparse
import json
import os

BANDS = ('C1-C2', 'C2-C3', 'C3-C4', 'C4-C5', 'C5-C6', 'C6-C7')
VERSION_3_BANDS = (91.8, 97.3, 96.2, 95.8, 96.1, 92.3)
BARS = {'selection': 95.39, 'wide': 94.28, 'speech': 88.98}
BAND_SLACK = 1.0


def pooled(path):
  """(pooled RPA %, {band: RPA % or None}) of one octave_report JSON."""
  with open(path) as f:
    bands = json.load(f)['bands']['pitchfit']['clean']
  n = sum(b['n_voiced'] for b in bands.values())
  total = sum((b['rpa'] or 0.0) * b['n_voiced'] for b in bands.values())
  by_band = {k: None if b['rpa'] is None else 100 * b['rpa']
             for k, b in bands.items()}
  return 100 * total / n, by_band


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('tags', nargs='+')
  parser.add_argument('--dir', default='/work/runs3/v6')
  args = parser.parse_args()
  for tag in args.tags:
    scores = {k: pooled(os.path.join(args.dir, f'{tag}_{k}.json'))
              for k in BARS}
    by_band = scores['selection'][1]
    bands_ok = all(by_band.get(b) is not None and by_band[b] >= v - BAND_SLACK
                   for b, v in zip(BANDS, VERSION_3_BANDS))
    parts = [f'(a) melodies {scores["selection"][0]:.2f} '
             f'{"ok" if scores["selection"][0] >= BARS["selection"] else "FAIL"}',
             '(b) bands ' + '/'.join(
                 'nan' if by_band.get(b) is None else f'{by_band[b]:.1f}'
                 for b in BANDS) + (' ok' if bands_ok else ' FAIL'),
             f'(c) wide {scores["wide"][0]:.2f} '
             f'{"ok" if scores["wide"][0] >= BARS["wide"] else "FAIL"}',
             f'(d) speech {scores["speech"][0]:.2f} '
             f'{"ok" if scores["speech"][0] >= BARS["speech"] else "FAIL"}']
    print(f'{tag}: ' + ' | '.join(parts))


if __name__ == '__main__':
  main()
