"""Does `pitchfit adapt` help on a source pretraining never heard? The protocol.

  python bench/adapt.py screen  [--programs oboe,...]   # baseline per program
  python bench/adapt.py render  [--sources a,b,c]       # the three sets
  python bench/adapt.py run --method NAME [--steps 150] [--sources a,b,c]
  python bench/adapt.py table                           # markdown of all runs

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
  """RPA/RCA (%) pooled over a labelled folder: `pitchfit evaluate --audio-dir`'s
  scoring (pitchfit.evaluate), run in this process so that TensorFlow and the
  model load once; the full report goes to json_path."""
  sys.path.insert(0, REPO)
  from pitchfit.evaluate import scoring as evaluation  # pylint: disable=g-import-not-at-top
  from pitchfit.track import predict as predict_lib  # pylint: disable=g-import-not-at-top
  estimator = evaluation.ModelEstimator(predict_lib.load_model(model))
  report = evaluation.evaluate_folder(str(folder), [estimator])
  data = report.to_json()
  with open(json_path, 'w') as f:
    json.dump(data, f, indent=1)
  pooled = next(iter(data['pooled'].values()))
  return {'rpa': 100.0 * pooled['rpa'], 'rca': 100.0 * pooled['rca']}


def adapt(audio, save_dir, model, method, steps):
  """`pitchfit adapt AUDIO --save-dir ... --from ... --method ... --steps ...`,
  in this process."""
  sys.path.insert(0, REPO)
  from pitchfit.train import adapt as adapt_lib  # pylint: disable=g-import-not-at-top
  adapt_lib.adapt([str(audio)], str(save_dir), model, steps, None, method,
                  progress=False)


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


# The screen's worst three with the version-3 default model (docs/adaptation.md;
# with the stage-15 model they were choir_aahs, shakuhachi, baritone_sax).
SOURCES = ('shakuhachi', 'choir_aahs', 'bassoon')
EVAL_FOLDERS = ('mdb_stem_synth', 'vocadito', 'resyn')


def eval_data_links(out):
  """A folder of links to eval-data's labelled clips (one --audio-dir)."""
  folder = pathlib.Path(out) / 'eval_data'
  if folder.is_dir():
    return folder
  folder.mkdir(parents=True)
  for sub in EVAL_FOLDERS:
    for path in sorted((pathlib.Path(EVAL_DATA) / sub).iterdir()):
      if path.suffix == '.wav' or path.name.endswith('.f0.csv'):
        os.symlink(path.resolve(), folder / f'{sub}__{path.name}')
  return folder


def cached_score(model, folder, json_path):
  """score(), or the pooled numbers of a report already at json_path."""
  if os.path.isfile(json_path):
    with open(json_path) as f:
      pooled = next(iter(json.load(f)['pooled'].values()))
    return {'rpa': 100.0 * pooled['rpa'], 'rca': 100.0 * pooled['rca']}
  return score(model, folder, json_path)


def scores_of(model, name, out, tag):
  """heldout/eval-data/screen scores of a model, cached in OUT/NAME/TAG.*.json.

  The baseline's eval-data report is shared by all sources, and its screen
  report is the `screen` command's.
  """
  base = pathlib.Path(out) / name / tag
  baseline = tag == 'baseline'
  return {
      'heldout': cached_score(model, render(name, 'heldout', out),
                              f'{base}.heldout.json'),
      'eval_data': cached_score(
          model, eval_data_links(out),
          str(pathlib.Path(out) / 'eval_data.baseline.json') if baseline
          else f'{base}.eval_data.json'),
      'screen': cached_score(
          model, render(name, 'screen', out),
          str(pathlib.Path(out) / name / 'screen.json') if baseline
          else f'{base}.screen.json'),
  }


def run(args):
  """Adapts from the shipped model to each source with one method; scores."""
  rows = {}
  for name in args.sources.split(','):
    adapt_audio = render(name, 'adapt', args.out)
    save_dir = pathlib.Path(args.out) / name / 'runs' / args.method
    start = time.time()
    adapt(adapt_audio, save_dir, args.model, args.method, args.steps)
    minutes = (time.time() - start) / 60.0
    before = scores_of(args.model, name, args.out, 'baseline')
    after = scores_of(str(save_dir), name, args.out, f'{args.method}')
    rows[name] = {'before': before, 'after': after, 'wall_minutes': minutes}
    print(name, json.dumps({k: {s: round(v['rpa'] - before[k]['rpa'], 2)
                                for s, v in [('rpa', after[k])]}
                            for k in after}), flush=True)
  results = pathlib.Path(args.out) / 'results'
  results.mkdir(exist_ok=True)
  (results / f'{args.method}.json').write_text(json.dumps(
      {'method': args.method, 'steps': args.steps, 'model': args.model,
       'sources': rows}, indent=1))


def table(args):
  """Markdown rows: RPA change per source on screen and heldout, eval-data."""
  results = sorted((pathlib.Path(args.out) / 'results').glob('*.json'))
  print('| method | steps | screen RPA change (per source) | mean | heldout RPA '
        'change (per source) | mean | heldout RCA mean change | eval-data RPA '
        'change (per model) |')
  print('|---|---|---|---|---|---|---|---|')
  for path in results:
    r = json.loads(path.read_text())
    rows = r['sources']

    def changes(set_name, metric='rpa'):
      return [rows[n]['after'][set_name][metric] - rows[n]['before'][set_name][metric]
              for n in rows]
    fmt = lambda xs: ' / '.join(f'{x:+.2f}' for x in xs)
    print(f"| {r['method']} | {r['steps']} | {fmt(changes('screen'))} | "
          f"{np.mean(changes('screen')):+.2f} | {fmt(changes('heldout'))} | "
          f"{np.mean(changes('heldout')):+.2f} | "
          f"{np.mean(changes('heldout', 'rca')):+.2f} | "
          f"{fmt(changes('eval_data'))} |")
  if results:
    for name, row in json.loads(results[0].read_text())['sources'].items():
      print(f'baseline {name}: ' + ', '.join(
          f"{k} RPA {v['rpa']:.2f} RCA {v['rca']:.2f}"
          for k, v in row['before'].items()))


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('command', choices=['render', 'screen', 'run', 'table'])
  parser.add_argument('--out', default=DEFAULT_OUT)
  parser.add_argument('--programs', default=','.join(CANDIDATES))
  parser.add_argument('--sources', default=','.join(SOURCES))
  parser.add_argument('--method', default='transposition')
  parser.add_argument('--steps', type=int, default=150)
  parser.add_argument('--model', default=DEFAULT_MODEL,
                      help='starting model (default: the shipped one)')
  args = parser.parse_args(argv)
  render_melodies.check_tools()
  if args.command == 'screen':
    screen(args)
  elif args.command == 'render':
    for name in args.sources.split(','):
      for set_name in SEEDS:
        render(name, set_name, args.out)
  elif args.command == 'run':
    run(args)
  else:
    table(args)


if __name__ == '__main__':
  main()
