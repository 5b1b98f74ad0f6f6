"""Does `pitchfit adapt` help on a source pretraining never heard? The protocol.

  python bench/adapt.py render  [--programs oboe,harmonica,...] [--out DIR]
  python bench/adapt.py screen  [--out DIR]            # baseline per program
  python bench/adapt.py run --method NAME [--sources a,b,c] [--out DIR]
  python bench/adapt.py table [--out DIR]

For each source (one General MIDI program of the FluidR3 soundfont, played by
fluidsynth through tools/render_melodies.py), three disjoint sets of melodies
are rendered from disjoint seeds:
  screen/    labelled, only to pick the sources the pretrained model reads
             worst (timbres the synthetic notes imitate badly);
  adapt/     unlabelled audio given to `pitchfit adapt` (no .f0.csv is
             written, so no label can leak into adaptation);
  heldout/   labelled audio of the same source, scored before and after.
Eval-data (../shared/eval-data) is scored before and after as a report only;
it never chooses anything and is never adaptation audio.

Every score is `pitchfit evaluate --audio-dir` (mir_eval, 50 cents, RPA/RCA
over the reference's voiced frames), pooled over the frames of a folder.
Results go to OUT/results/<method>.json, one file per method.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, 'tools'))

import numpy as np  # pylint: disable=wrong-import-position

import render_melodies  # pylint: disable=wrong-import-position

EVAL_DATA = os.path.join(REPO, '..', 'shared', 'eval-data')
DEFAULT_OUT = os.path.join(REPO, 'data', 'adapt_bench')
# The shipped model's weights (the LiteRT file, if any, is the same model).
DEFAULT_MODEL = os.path.join(REPO, 'pitchfit', 'assets', 'default_model.npz')
# Seeds of the three sets; each file's seed is spawned from (set seed, index),
# so the sets share no melody.
SEEDS = {'screen': 1000, 'adapt': 2000, 'heldout': 3000}
# Minutes of audio per source and set.
MINUTES = {'screen': 0.75, 'adapt': 3.0, 'heldout': 1.5}
# Candidate sources: sustained timbres far from a harmonic sum with a smooth
# spectral envelope (reeds, free reeds, breathy flutes, voices, bowed bass).
CANDIDATES = ('oboe', 'english_horn', 'bassoon', 'baritone_sax', 'harmonica',
              'accordion', 'shanai', 'shakuhachi', 'pan_flute', 'choir_aahs',
              'voice_oohs', 'contrabass', 'tuba', 'trombone')


def program(name):
  for p in render_melodies.PROGRAMS:
    if p.name == name:
      return p
  raise SystemExit(f'unknown program {name!r}')


def plan(name, set_name, minutes=None, min_seconds=8.0, max_seconds=20.0):
  """[(index, file seed, Program, seconds, level dBFS)] of one source's set."""
  seed = SEEDS[set_name] + [p.name for p in render_melodies.PROGRAMS].index(name)
  rng = np.random.default_rng(seed)
  items, total = [], 0.0
  minutes = MINUTES[set_name] if minutes is None else minutes
  while total < minutes * 60.0:
    seconds = float(rng.uniform(min_seconds, max_seconds))
    file_seed = int(np.random.SeedSequence([seed, len(items)]).generate_state(1)[0])
    level_db = float(rng.uniform(*render_melodies.LEVEL_DB))
    items.append((len(items), file_seed, program(name), seconds, level_db))
    total += seconds
  return items


def render(name, set_name, out):
  folder = pathlib.Path(out) / name / set_name
  if (folder / 'manifest.csv').is_file():
    return folder
  render_melodies.render_all(plan(name, set_name), folder, progress=False,
                             labels=set_name != 'adapt')
  return folder


def score(model, folder, json_path):
  """RPA/RCA (%) pooled over a labelled folder, by `pitchfit evaluate`."""
  cmd = [os.path.join(REPO, '.venv', 'bin', 'pitchfit'), 'evaluate',
         '--audio-dir', str(folder), '--json', json_path, '--model', model]
  result = subprocess.run(cmd, capture_output=True, text=True, check=False)
  if not os.path.isfile(json_path):
    raise RuntimeError(f'evaluate failed on {folder}: {result.stderr[-2000:]}')
  with open(json_path) as f:
    report = json.load(f)
  pooled = report['pooled']
  system = next(iter(pooled))
  return {'rpa': 100.0 * pooled[system]['rpa'], 'rca': 100.0 * pooled[system]['rca']}


def screen(args):
  rows = {}
  for name in args.programs.split(','):
    folder = render(name, 'screen', args.out)
    rows[name] = score(args.model, folder,
                       str(pathlib.Path(args.out) / name / 'screen.json'))
    print(f'{name:14s} RPA {rows[name]["rpa"]:6.2f}  RCA {rows[name]["rca"]:6.2f}',
          flush=True)
  path = pathlib.Path(args.out) / 'screen.json'
  path.write_text(json.dumps(rows, indent=1))


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('command', choices=['render', 'screen', 'run', 'table'])
  parser.add_argument('--out', default=DEFAULT_OUT)
  parser.add_argument('--programs', default=','.join(CANDIDATES))
  parser.add_argument('--model', default=DEFAULT_MODEL,
                      help='starting model (default: the shipped one)')
  args = parser.parse_args(argv)
  render_melodies.check_tools()
  if args.command == 'screen':
    screen(args)


if __name__ == '__main__':
  main()
