"""Parts (a)-(d) of selection_rule.md from score.sh's JSON files.

  .venv/bin/python experiments/default_model_v6_grid/judge.py TAG... [--dir D]
      [--against INCUMBENT]

With --against, also the differences that parts (g), (h) and (r) of the
later rules read: pooled melodies, each band, wide_small and speech_small, and
(when TAG_{selection,speech}_rooms.json exist, from octave_report.py
--variants clean,reverb) the pooled RPA in rooms, and (when TAG_timgm.json and
TAG_musescore.json exist) the pooled RPA on the other soundfonts' melodies,
and (when TAG_festival.json exists; part (t) of the session-11 rules)
Festival's speech, clean and in rooms, and (when all six exist; part (g') of
selection_rule_c12deepp.md) the mean pooled RPA over the six clean sets.

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


def pooled(path, variant='clean'):
  """(pooled RPA %, {band: RPA % or None}) of one octave_report JSON."""
  with open(path) as f:
    bands = json.load(f)['bands']['pitchfit'][variant]
  n = sum(b['n_voiced'] for b in bands.values())
  total = sum((b['rpa'] or 0.0) * b['n_voiced'] for b in bands.values())
  by_band = {k: None if b['rpa'] is None else 100 * b['rpa']
             for k, b in bands.items()}
  return 100 * total / n, by_band


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('tags', nargs='+')
  parser.add_argument('--dir', default='/work/runs3/v6')
  parser.add_argument('--against', help='incumbent tag, for (g), (h), (r)')
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
    if args.against:
      print(f'  against {args.against}: ' + ' | '.join(
          _differences(args.dir, tag, args.against, scores)))


def _differences(directory, tag, incumbent, scores):
  """Signed differences (candidate - incumbent) of (g), (h) and (r)."""
  old = {k: pooled(os.path.join(directory, f'{incumbent}_{k}.json'))
         for k in BARS}
  new_bands, old_bands = scores['selection'][1], old['selection'][1]
  lines = [f'(g) melodies {scores["selection"][0] - old["selection"][0]:+.2f}',
           '(h) bands ' + '/'.join(
               f'{new_bands[b] - old_bands[b]:+.1f}' for b in BANDS)
           + f', wide {scores["wide"][0] - old["wide"][0]:+.2f}'
           f', speech {scores["speech"][0] - old["speech"][0]:+.2f}']
  rooms = []
  for key in ('selection', 'speech'):
    paths = [os.path.join(directory, f'{t}_{key}_rooms.json')
             for t in (tag, incumbent)]
    if all(os.path.exists(p) for p in paths):
      new, was = (pooled(p, 'reverb')[0] for p in paths)
      rooms.append(f'{key} {new:.2f} ({new - was:+.2f})')
  if rooms:
    lines.append('(r) rooms ' + ', '.join(rooms))
  other = []
  for key in ('timgm', 'musescore'):
    paths = [os.path.join(directory, f'{t}_{key}.json') for t in (tag, incumbent)]
    if all(os.path.exists(p) for p in paths):
      new, was = (pooled(p)[0] for p in paths)
      other.append(f'{key} {new:.2f} ({new - was:+.2f})')
  if other:
    lines.append('(s) other soundfonts ' + ', '.join(other))
  festival = []
  paths = [os.path.join(directory, f'{t}_festival.json') for t in (tag, incumbent)]
  if all(os.path.exists(p) for p in paths):
    for variant in ('clean', 'reverb'):
      new, was = (pooled(p, variant)[0] for p in paths)
      festival.append(f'{variant} {new:.2f} ({new - was:+.2f})')
  if festival:
    lines.append('(t) Festival speech ' + ', '.join(festival))
  six = [_six_set_mean(directory, t) for t in (tag, incumbent)]
  if None not in six:
    lines.append(f"(g') six-set mean {six[0]:.2f} ({six[0] - six[1]:+.2f})")
  return lines


SIX_SETS = ('selection', 'wide', 'speech', 'timgm', 'musescore', 'festival')


def _six_set_mean(directory, tag):
  """Mean pooled clean RPA over SIX_SETS (part (g') of the session-14 rule),
  or None when one is not scored."""
  paths = [os.path.join(directory, f'{tag}_{k}.json') for k in SIX_SETS]
  if not all(os.path.exists(p) for p in paths):
    return None
  return sum(pooled(p)[0] for p in paths) / len(paths)


if __name__ == '__main__':
  main()
