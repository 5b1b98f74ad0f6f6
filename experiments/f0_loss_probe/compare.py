"""The probe's rule: each arm's six-set mean and per-set change against arm A.

  .venv/bin/python experiments/f0_loss_probe/compare.py pa pb pc --dir /work/runs3/probe/scores

Reads the octave_report JSONs written by default_model_v6_grid/score.sh
(TAG_{selection,wide,speech,timgm,musescore,festival}.json) and pools them
as judge.py does; the first tag is the control.
"""

import argparse
import importlib.util
import os

_spec = importlib.util.spec_from_file_location('judge', os.path.join(
    os.path.dirname(__file__), '..', 'default_model_v6_grid', 'judge.py'))
judge = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(judge)

SETS = ('selection', 'wide', 'speech', 'timgm', 'musescore', 'festival')
MIN_GAIN, MAX_LOSS = 0.15, 0.3  # README's rule, points


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('tags', nargs='+', help='control first')
  parser.add_argument('--dir', default='/work/runs3/probe/scores')
  args = parser.parse_args()
  scores = {t: {s: judge.pooled(os.path.join(args.dir, f'{t}_{s}.json'))[0]
                for s in SETS} for t in args.tags}
  control = args.tags[0]
  print('tag       ' + ' '.join(f'{s:>10s}' for s in SETS) + '       mean')
  for t in args.tags:
    mean = sum(scores[t].values()) / len(SETS)
    print(f'{t:10s}' + ' '.join(f'{scores[t][s]:10.2f}' for s in SETS) + f' {mean:10.3f}')
  base = sum(scores[control].values()) / len(SETS)
  for t in args.tags[1:]:
    diff = {s: scores[t][s] - scores[control][s] for s in SETS}
    gain = sum(scores[t].values()) / len(SETS) - base
    worst = min(diff, key=diff.get)
    helps = gain >= MIN_GAIN and diff[worst] >= -MAX_LOSS
    print(f'{t}: mean {gain:+.3f} against {control}, worst set {worst} '
          f'{diff[worst]:+.2f} -> {"helps" if helps else "does not help"}')


if __name__ == '__main__':
  main()
