"""RPA by octave band of f0 on a labelled folder, e.g. the selection melodies.

  python tools/octave_report.py [DIR] [--model PATH] [--trackers pitchfit]
      [--variants clean] [--min-rpa 0.95] [--json OUT]

Scores one or more trackers (pitchfit's shipped model by default; any
tracker of bench/accuracy.py) on every `<stem>.wav` + `<stem>.f0.csv` under
DIR (default /work/data/selection_melodies, rendered by
`tools/render_melodies.py --labels`), with the benchmark's protocol (audio
at 16 kHz, estimates read at the label times, mir_eval RPA/RCA at 50 cents,
the tracker's voicing ignored), and prints RPA per octave band of the
reference f0, C1-C2 up to C7-C8, pooled over all files. It then checks the
bands from C1-C2 to C6-C7 (f0 from C1 to C7) against --min-rpa: issue 18's
"no octave band from C1 to C7 below 95 %". Exit status 0 whatever the
result; the PASS/FAIL lines say it.

Never point it at ../shared/eval-data to choose a model: that folder
reports choices, it does not make them.
"""

import argparse
import json
import os
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, 'bench'))

import accuracy  # pylint: disable=wrong-import-position
import corpus  # pylint: disable=wrong-import-position
import octaves  # pylint: disable=wrong-import-position
import trackers as trackers_lib  # pylint: disable=wrong-import-position

DEFAULT_DIR = '/work/data/selection_melodies'
MIN_RPA = 0.95
CHECKED = ('C1-C2', 'C6-C7')   # first and last band checked: f0 C1 to C7


def pooled_bands(frames):
  """{tracker: {variant: {band: scores}}} over every clip of a run."""
  from pitchfit.evaluate import scoring as evaluation  # pylint: disable=g-import-not-at-top
  return {tracker: {variant: octaves.band_scores(
      evaluation.Frames.concatenate(list(by_clip.values())))
                    for variant, by_clip in by_variant.items()}
          for tracker, by_variant in frames.items()}


def check_bands(bands, min_rpa=MIN_RPA, checked=CHECKED):
  """[(band, rpa, passed)] for the checked bands; a band without frames
  fails (nothing shows it is good)."""
  names = octaves.BAND_NAMES
  first, last = names.index(checked[0]), names.index(checked[1])
  out = []
  for name in names[first:last + 1]:
    rpa = bands[name]['rpa']
    out.append((name, rpa, bool(not np.isnan(rpa) and rpa >= min_rpa)))
  return out


def report(by_tracker, variants, min_rpa=MIN_RPA):
  """The text of the report: band tables per variant, then the checks."""
  lines = []
  for variant in variants:
    rows = [(t, by_variant[variant]) for t, by_variant in by_tracker.items()]
    for metric in ('rpa', 'rca'):
      lines += [octaves.format_bands(
          rows, f'{metric.upper()} % by octave of the reference f0 '
          f'({variant})', metric), '']
  for tracker, by_variant in by_tracker.items():
    for variant in variants:
      checks = check_bands(by_variant[variant], min_rpa)
      failed = [f'{b} {100 * r:.1f}' if not np.isnan(r) else f'{b} no frames'
                for b, r, ok in checks if not ok]
      verdict = 'PASS' if not failed else 'FAIL'
      lines.append(f'{verdict}: {tracker} {variant}, every band '
                   f'{CHECKED[0]}..{CHECKED[1]} >= {100 * min_rpa:g} %'
                   + (f' (below: {", ".join(failed)})' if failed else ''))
  return '\n'.join(lines)


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('data', nargs='?', default=DEFAULT_DIR,
                      help='labelled folder (default: %(default)s)')
  parser.add_argument('--model', default=None,
                      help='pitchfit model: a save dir or an exported .npz '
                      '(default: the shipped one)')
  parser.add_argument('--trackers', default=['pitchfit'],
                      type=lambda s: accuracy.parse_list(
                          s, trackers_lib.TRACKER_NAMES, 'tracker'),
                      help='comma-separated (default: pitchfit; also '
                      f'{",".join(trackers_lib.TRACKER_NAMES[1:])})')
  parser.add_argument('--variants', default=['clean'],
                      type=lambda s: accuracy.parse_list(s, corpus.VARIANTS,
                                                         'variant'),
                      help='comma-separated (default: clean; also '
                      f'{",".join(corpus.VARIANTS[1:])})')
  parser.add_argument('--crepe-model', default='full', choices=('full', 'tiny'))
  parser.add_argument('--half-hop', default=None, choices=('on', 'off'))
  parser.add_argument('--min-rpa', type=float, default=MIN_RPA,
                      help='the bar for every band C1-C2..C6-C7 '
                      '(default: %(default)s)')
  parser.add_argument('--json', help='write the band scores here')
  parser.add_argument('--quiet', action='store_true', help='no progress bar')
  args = parser.parse_args(argv)
  if not os.path.isdir(args.data):
    parser.error(f'no folder {args.data}: render one with `python '
                 'tools/render_melodies.py --labels --out DIR` first')
  clips, trackers, notes = accuracy.setup(parser, args)
  from tqdm import tqdm  # pylint: disable=g-import-not-at-top
  progress = None if args.quiet else (
      lambda jobs: tqdm(jobs, unit='clip', desc='tracking', file=sys.stderr))
  frames, _ = accuracy.run(trackers, clips, args.variants, progress)
  by_tracker = pooled_bands(frames)
  print(f'{len(clips)} files, {sum(c.seconds for c in clips) / 60:.1f} min '
        f'from {args.data}')
  print(report(by_tracker, args.variants, args.min_rpa))
  for note in notes:
    print(note)
  if args.json:
    from pitchfit.evaluate import scoring as evaluation  # pylint: disable=g-import-not-at-top
    from pitchfit.io import atomic  # pylint: disable=g-import-not-at-top
    record = {'data': os.path.abspath(args.data), 'n_files': len(clips),
              'min_rpa': args.min_rpa,
              'trackers': {t.name: t.settings for t in trackers},
              'bands': by_tracker}
    with atomic.atomic_open(args.json) as f:
      json.dump(evaluation.json_safe(record), f, indent=1)
    print(f'wrote {args.json}')


if __name__ == '__main__':
  main()
