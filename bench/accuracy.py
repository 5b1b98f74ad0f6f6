"""Pitch accuracy of pitchfit against pYIN, PESTO, CREPE, SwiftF0 and FCPE, in one run.

  python bench/accuracy.py [--model M] [--data ../shared/eval-data]
      [--variants clean,quiet20db,pink25db,reverb]
      [--trackers pitchfit,pyin,pesto,torchcrepe,swiftf0,fcpe]
      [--json OUT] [--plot OUT.png]

Every tracker hears the same 16 kHz mono audio of every labelled clip
(bench/corpus.py), clean, 20 dB quieter, with pink noise at 25 dB SNR, and
in a synthetic room (RT60 0.3-0.9 s; labels unchanged).
Its frequencies are interpolated (in log-frequency) onto the reference's
times; RPA and RCA (mir_eval.melody, 50 cents) count the reference-voiced
frames whose estimate is within 50 cents of the label (RCA: up to whole
octaves). The tracker's own voicing decision is ignored, as in the CREPE,
PESTO and DDSP-inv papers' raw-pitch protocol; a frame where it gives no
frequency at all counts as wrong. Frames are pooled over the clips of each
row: instrument+voice of the resynthesized corpus (the target row),
instrument, voice, speech (outside the synthetic pretraining's range), and
the real labelled clips. The same frames are also scored by octave band of
the reference f0, C1-C2 up to C7-C8 (bench/octaves.py), per row and over
all clips. pitchfit's differences from each peer, and every tracker's
change from clean in each variant, are printed beside the figures, with
pitchfit's targets (docs/benchmark.md) and issue 18's goals against the
best peers, and the target row's headroom: the share of its frames that at
least one tracker of the run gets right.

PESTO, torchcrepe, SwiftF0 and FCPE run when the `peers` extra is installed
(CPU torch, onnxruntime), and are skipped with a one-line note otherwise.

Over the ~400-line guide: the scoring, the tables and the checks of one run
stay together so that a reader sees the protocol in one file.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, 'bench'))

import numpy as np  # pylint: disable=wrong-import-position

import corpus  # pylint: disable=wrong-import-position
import octaves  # pylint: disable=wrong-import-position
import trackers as trackers_lib  # pylint: disable=wrong-import-position
from pitchfit.evaluate import scoring as evaluation  # pylint: disable=wrong-import-position

DEFAULT_MODEL = os.path.join(REPO, 'pitchfit', 'assets', 'default_model.npz')
# Targets for pitchfit on the target row (see docs/benchmark.md).
TARGET_RPA = 0.96
MAX_OCTAVE_GAP = 0.01      # RCA - RPA
MAX_VARIANT_CHANGE = 0.01  # |RPA of a variant - RPA clean|
# Issue 18's goals for the next default model (checked when peers ran).
GOAL_MARGIN = 0.005        # target row >= best of SwiftF0 and FCPE + 0.5
GOAL_OCTAVE_GAP = 0.005    # RCA - RPA
GOAL_VARIANT_CHANGE = 0.005  # quiet20db, pink25db vs clean
GOAL_REVERB_DROP = 0.02    # reverb vs clean
NEW_PEERS = ('swiftf0', 'fcpe')
ALL_CLIPS = 'all'          # octave breakdowns also pool every clip


# ----------------------------------------------------------------- scoring
def clip_frames(clip, est_time, est_f0):
  """A tracker's output on a clip as mir_eval-ready Frames at the label times."""
  f0 = trackers_lib.estimate_at(clip.ref_time, est_time, est_f0)
  return evaluation.to_frames(clip.ref_time, clip.ref_f0, f0, f0 > 0)


def pooled_scores(frames):
  """RPA, RCA (oracle voicing) and counts of a list of Frames, pooled."""
  scores = evaluation.scores(evaluation.Frames.concatenate(frames))
  return {'rpa': scores['rpa'], 'rca': scores['rca'],
          'n_voiced': scores['n_voiced'], 'n_clips': len(frames)}


def run(trackers, clips, variants, progress=None):
  """Runs every tracker on every variant of every clip.

  Returns:
    {tracker: {variant: {clip name: Frames}}}, and
    {tracker: {variant: seconds of compute}}.
  """
  frames, seconds, cache = {}, {}, {}
  jobs = [(t, v, c) for t in trackers for v in variants for c in clips]
  for tracker, variant, clip in (progress(jobs) if progress else jobs):
    key = (variant, clip.name)
    if key not in cache:  # every tracker hears the same audio, made once
      cache[key] = corpus.make_variant(clip.audio, variant,
                                       corpus.clip_seed(clip.name))
    audio = cache[key]
    start = time.perf_counter()
    est_time, est_f0 = tracker.track(audio)
    elapsed = time.perf_counter() - start
    frames.setdefault(tracker.name, {}).setdefault(variant, {})[clip.name] = (
        clip_frames(clip, est_time, est_f0))
    seconds.setdefault(tracker.name, {}).setdefault(variant, 0.0)
    seconds[tracker.name][variant] += elapsed
  return frames, seconds


def summarize(frames, clips):
  """{tracker: {variant: {group: scores}}} for corpus.GROUPS with clips."""
  summary = {}
  for tracker, by_variant in frames.items():
    for variant, by_clip in by_variant.items():
      for group, categories in corpus.GROUPS:
        members = [by_clip[c.name] for c in corpus.group_clips(clips, categories)]
        if members:
          summary.setdefault(tracker, {}).setdefault(variant, {})[group] = (
              pooled_scores(members))
  return summary


def octave_breakdown(frames, clips):
  """{tracker: {variant: {group: {band: scores}}}}: the frames of each row
  of corpus.GROUPS (and ALL_CLIPS) scored by octave band of the reference."""
  groups = list(corpus.GROUPS) + [(ALL_CLIPS, None)]
  out = {}
  for tracker, by_variant in frames.items():
    for variant, by_clip in by_variant.items():
      for group, categories in groups:
        members = [by_clip[c.name] for c in (
            clips if categories is None else
            corpus.group_clips(clips, categories))]
        if members:
          out.setdefault(tracker, {}).setdefault(variant, {})[group] = (
              octaves.band_scores(evaluation.Frames.concatenate(members)))
  return out


def per_clip(frames, clips):
  """{tracker: {variant: [{name, category, rpa, rca, n_voiced}]}}."""
  out = {}
  for tracker, by_variant in frames.items():
    for variant, by_clip in by_variant.items():
      rows = []
      for clip in clips:
        s = evaluation.scores(by_clip[clip.name])
        rows.append({'name': clip.name, 'category': clip.category,
                     'rpa': s['rpa'], 'rca': s['rca'],
                     'n_voiced': s['n_voiced']})
      out.setdefault(tracker, {})[variant] = rows
  return out


def check_targets(summary, variants):
  """pitchfit's targets on the target row: [(description, value, passed)]."""
  if 'pitchfit' not in summary:
    return []
  ours = summary['pitchfit']
  group = corpus.TARGET_GROUP
  checks = []
  if 'clean' in ours and group in ours['clean']:
    clean = ours['clean'][group]
    checks.append((f'RPA {group} clean >= {TARGET_RPA}', clean['rpa'],
                   clean['rpa'] >= TARGET_RPA))
    pyin = summary.get('pyin', {}).get('clean', {}).get(group)
    if pyin:
      checks.append((f'RPA {group} clean >= pyin ({pyin["rpa"]:.4f})',
                     clean['rpa'], clean['rpa'] >= pyin['rpa']))
    checks.append((f'RCA - RPA {group} clean < {MAX_OCTAVE_GAP}',
                   clean['rca'] - clean['rpa'],
                   clean['rca'] - clean['rpa'] < MAX_OCTAVE_GAP))
    for variant in variants:
      # The room has its own, looser goal (check_goals).
      if variant not in ('clean', 'reverb') and group in ours.get(variant, {}):
        change = ours[variant][group]['rpa'] - clean['rpa']
        checks.append((f'|RPA {variant} - RPA clean| {group} <= '
                       f'{MAX_VARIANT_CHANGE}', change,
                       abs(change) <= MAX_VARIANT_CHANGE))
  return checks


def _rpa(summary, tracker, variant, group, key='rpa'):
  scores = summary.get(tracker, {}).get(variant, {}).get(group)
  return None if not scores or np.isnan(scores[key]) else scores[key]


def check_goals(summary, variants, ours='pitchfit'):
  """Issue 18's goals for `ours`: [(description, value, passed)].

  Against the best of SwiftF0 and FCPE (target row, +0.5 point) and the
  best peer (speech row, the reverb drop); empty if `ours` or every peer is
  missing. Goals without a peer to compare with are left out.
  """
  group, clean = corpus.TARGET_GROUP, 'clean'
  mine = _rpa(summary, ours, clean, group)
  peers = [t for t in summary if t != ours]
  if mine is None or not peers:
    return []
  goals = []
  new = [(_rpa(summary, t, clean, group), t) for t in NEW_PEERS]
  new = [x for x in new if x[0] is not None]
  if new:
    best, name = max(new)
    goals.append((f'RPA {group} clean >= {name} ({best:.4f}) + '
                  f'{GOAL_MARGIN}', mine - best, mine >= best + GOAL_MARGIN))
  speech = [(_rpa(summary, t, clean, 'speech'), t) for t in peers]
  speech = [x for x in speech if x[0] is not None]
  mine_speech = _rpa(summary, ours, clean, 'speech')
  if speech and mine_speech is not None:
    best, name = max(speech)
    goals.append((f'RPA speech clean >= {name} ({best:.4f})',
                  mine_speech - best, mine_speech >= best))
  gap = _rpa(summary, ours, clean, group, 'rca') - mine
  goals.append((f'RCA - RPA {group} clean < {GOAL_OCTAVE_GAP}', gap,
                gap < GOAL_OCTAVE_GAP))
  for variant in variants:
    value = _rpa(summary, ours, variant, group)
    if variant == clean or value is None:
      continue
    change = value - mine
    if variant == 'reverb':
      goals.append((f'RPA reverb - clean {group} >= -{GOAL_REVERB_DROP}',
                    change, change >= -GOAL_REVERB_DROP))
      drops = [(_rpa(summary, t, variant, group) - _rpa(summary, t, clean,
                                                        group), t)
               for t in peers if _rpa(summary, t, variant, group) is not None
               and _rpa(summary, t, clean, group) is not None]
      if drops:
        best, name = max(drops)
        goals.append((f'RPA reverb - clean {group} >= {name}\'s '
                      f'({best:+.4f})', change, change >= best))
    else:
      goals.append((f'|RPA {variant} - RPA clean| {group} <= '
                     f'{GOAL_VARIANT_CHANGE}', change,
                     abs(change) <= GOAL_VARIANT_CHANGE))
  return goals


# --------------------------------------------------------------- reporting
def _pct(value):
  return '   -' if value is None or np.isnan(value) else f'{100 * value:5.1f}'


def format_table(summary, variants):
  """Text table: one row per tracker and group, RPA / RCA per variant."""
  header = f'{"tracker":11s} {"group":17s} {"clips":>5s} {"voiced":>6s}'
  header += ''.join(f'  {v + " RPA/RCA":>19s}' for v in variants)
  lines = ['RPA / RCA in % (mir_eval, 50 cents, reference-voiced frames, '
           'pooled)', header]
  for tracker, by_variant in summary.items():
    for group, _ in corpus.GROUPS:
      first = next((by_variant[v][group] for v in variants
                    if group in by_variant.get(v, {})), None)
      if first is None:
        continue
      line = (f'{tracker:11s} {group:17s} {first["n_clips"]:5d} '
              f'{first["n_voiced"]:6d}')
      for variant in variants:
        s = by_variant.get(variant, {}).get(group)
        cell = f'{_pct(s["rpa"])} / {_pct(s["rca"])}' if s else '-'
        line += f'  {cell:>19s}'
      lines.append(line)
  return '\n'.join(lines)


def _points(value):
  return '    -' if value is None or np.isnan(value) else f'{100 * value:+5.1f}'


def format_differences(summary, variants, ours='pitchfit'):
  """Text table: RPA of `ours` minus each peer's, in points, per row."""
  peers = [t for t in summary if t != ours]
  if ours not in summary or not peers:
    return ''
  lines = [f'RPA of {ours} minus each peer, points (+ = {ours} ahead)',
           f'{"peer":11s} {"group":17s}' + ''.join(f' {v:>9s}'
                                                   for v in variants)]
  for peer in peers:
    for group, _ in corpus.GROUPS:
      cells = []
      for variant in variants:
        a, b = (_rpa(summary, t, variant, group) for t in (ours, peer))
        cells.append(_points(None if a is None or b is None else a - b))
      if any(c.strip() != '-' for c in cells):
        lines.append(f'{peer:11s} {group:17s}' + ''.join(f' {c:>9s}'
                                                         for c in cells))
  return '\n'.join(lines)


def format_changes(summary, variants, groups=(corpus.TARGET_GROUP, 'speech')):
  """Text table: each tracker's RPA in each variant minus clean, points."""
  others = [v for v in variants if v != 'clean']
  if 'clean' not in variants or not others:
    return ''
  lines = ['RPA of each variant minus clean, points',
           f'{"tracker":11s} {"group":17s}' + ''.join(f' {v:>9s}'
                                                      for v in others)]
  for tracker in summary:
    for group in groups:
      clean = _rpa(summary, tracker, 'clean', group)
      if clean is None:
        continue
      cells = [_points(None if _rpa(summary, tracker, v, group) is None else
                       _rpa(summary, tracker, v, group) - clean)
               for v in others]
      lines.append(f'{tracker:11s} {group:17s}' + ''.join(f' {c:>9s}'
                                                          for c in cells))
  return '\n'.join(lines)


def format_octaves(breakdown, variants):
  """The octave tables: the target row in every variant, every row clean."""
  if not breakdown:
    return ''
  target = corpus.TARGET_GROUP
  first = next(iter(breakdown.values()))
  tables = []
  for group in [target, 'speech', ALL_CLIPS]:
    for variant in (variants if group == target else ['clean']):
      rows = [(t, by_variant[variant][group])
              for t, by_variant in breakdown.items()
              if group in by_variant.get(variant, {})]
      if rows:
        tables.append(octaves.format_bands(
            rows, f'RPA % by octave of the reference f0: {group}, {variant}',
            counts_from=first.get(variant, {}).get(group)))
  return '\n\n'.join(tables)


def _color(tracker, index):
  """The same colour for a tracker in every chart, whoever else is in it."""
  if tracker in trackers_lib.TRACKER_NAMES:
    index = trackers_lib.TRACKER_NAMES.index(tracker)
  return f'C{index}'


def plot(summary, variants, path, title=''):
  """Grouped bars: one panel per variant, groups on x, a bar per tracker.

  Bars are RPA; the black tick on each bar is RCA.
  """
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  names = list(summary)
  groups = [g for g, _ in corpus.GROUPS
            if any(g in summary[t].get(v, {}) for t in names for v in variants)]
  fig, axes = plt.subplots(1, len(variants), figsize=(5.2 * len(variants), 4.4),
                           sharey=True, squeeze=False)
  width = 0.8 / max(1, len(names))
  lowest = 1.0
  for ax, variant in zip(axes[0], variants):
    for i, tracker in enumerate(names):
      x = np.arange(len(groups)) + (i - (len(names) - 1) / 2) * width
      rpa = [summary[tracker].get(variant, {}).get(g, {}).get('rpa', np.nan)
             for g in groups]
      rca = [summary[tracker].get(variant, {}).get(g, {}).get('rca', np.nan)
             for g in groups]
      ax.bar(x, rpa, width, label=tracker, color=_color(tracker, i))
      ax.scatter(x, rca, marker='_', s=120, color='black', zorder=3)
      lowest = min([lowest] + [v for v in rpa if not np.isnan(v)])
    ax.set_title(variant)
    ax.set_xticks(np.arange(len(groups)))
    ax.set_xticklabels(groups, rotation=20, ha='right')
    ax.grid(axis='y', alpha=0.3)
  axes[0][0].set_ylabel('RPA (bars), RCA (ticks)')
  axes[0][0].set_ylim(max(0.0, np.floor(lowest * 20) / 20 - 0.05), 1.0)
  handles, labels = axes[0][0].get_legend_handles_labels()
  fig.legend(handles, labels, loc='upper center', ncol=len(names),
             bbox_to_anchor=(0.5, 0.95), fontsize=9, frameon=False)
  if title:
    fig.suptitle(title, fontsize=9)
  fig.tight_layout(rect=(0, 0, 1, 0.9))
  fig.savefig(path, dpi=110)
  plt.close(fig)


def environment(trackers):
  """Date, machine and versions, for the record."""
  cpu = platform.processor()
  try:
    with open('/proc/cpuinfo') as f:
      cpu = next(line.split(':', 1)[1].strip() for line in f
                 if line.startswith('model name'))
  except (OSError, StopIteration):
    pass
  try:
    commit = subprocess.run(['git', 'describe', '--always', '--dirty'],
                            cwd=REPO, capture_output=True, text=True,
                            check=False).stdout.strip()
  except OSError:
    commit = ''
  versions = {name: trackers_lib.package_version(name) for name in (
      'numpy', 'librosa', 'mir_eval', 'tensorflow', 'torch', 'pesto-pitch',
      'torchcrepe', 'swift-f0', 'onnxruntime', 'torchfcpe', 'pitchfit')}
  return {
      'date': datetime.datetime.now().astimezone().isoformat(timespec='seconds'),
      'machine': f'{cpu}, {len(os.sched_getaffinity(0))} cores, '
                 f'{platform.system()} {platform.machine()}',
      'python': platform.python_version(),
      'load_average': os.getloadavg(),
      'commit': commit,
      'versions': versions,
      'trackers': {t.name: {'version': t.version, 'settings': t.settings}
                   for t in trackers},
  }


def load_summary(path, trackers=None):
  """The summary of a --json file, for the trackers named (None: all).

  Lets the table and the chart be remade, or a tracker left out of them,
  without tracking again.
  """
  with open(path) as f:
    record = json.load(f)
  nan = float('nan')
  summary = {
      tracker: {variant: {group: {k: nan if v is None else v
                                  for k, v in scores.items()}
                          for group, scores in groups.items()}
                for variant, groups in by_variant.items()}
      for tracker, by_variant in record['summary'].items()
      if trackers is None or tracker in trackers}
  return record, summary


# -------------------------------------------------------------------- main
def parse_list(text, allowed, what):
  items = [x.strip() for x in text.split(',') if x.strip()]
  unknown = [x for x in items if x not in allowed]
  if unknown or not items:
    raise argparse.ArgumentTypeError(
        f'unknown {what} {", ".join(unknown) or "(none given)"}; choose from '
        f'{", ".join(allowed)}')
  return items


def add_common_arguments(parser):
  """Arguments shared with bench/speed.py."""
  parser.add_argument('--model', default=None,
                      help='pitchfit model: an exported .npz or a save dir '
                      '(default: the shipped pitchfit/assets/default_model.npz)')
  parser.add_argument('--data', default=corpus.DEFAULT_DATA,
                      help='folder of labelled clips (default: '
                      '../shared/eval-data beside the repo)')
  parser.add_argument('--trackers', default=None,
                      type=lambda s: parse_list(s, trackers_lib.TRACKER_NAMES,
                                                'tracker'),
                      help='comma-separated (default: '
                      f'{",".join(trackers_lib.TRACKER_NAMES)})')
  parser.add_argument('--crepe-model', default='full', choices=('full', 'tiny'),
                      help="torchcrepe's capacity (default: %(default)s)")
  parser.add_argument('--half-hop', default=None, choices=('on', 'off'),
                      help="pitchfit's second pass half a frame later "
                      "(default: pitchfit.predict's)")


def resolve_model(parser, args):
  """The pitchfit model path, or a usage error if there is none."""
  if 'pitchfit' not in (args.trackers or trackers_lib.TRACKER_NAMES):
    return None
  if args.model:
    return args.model
  if os.path.isfile(DEFAULT_MODEL):
    return DEFAULT_MODEL
  parser.error(f'no default model at {DEFAULT_MODEL} yet: pass --model PATH '
               '(a `pitchfit train` save dir or an exported .npz), or leave '
               'pitchfit out of --trackers')
  return None


def setup(parser, args):
  """Quiet TensorFlow, the clips and the trackers (shared with speed.py)."""
  args.trackers = args.trackers or list(trackers_lib.TRACKER_NAMES)
  model_path = resolve_model(parser, args)
  from pitchfit.errors import UserError  # pylint: disable=g-import-not-at-top
  if model_path:
    from pitchfit.quiet import import_tensorflow  # pylint: disable=g-import-not-at-top
    import_tensorflow()
  try:
    clips = corpus.find_clips(args.data)
    trackers, notes = trackers_lib.make_trackers(
        args.trackers, model_path, args.crepe_model,
        log=lambda m: print(m, file=sys.stderr),
        half_hop=None if args.half_hop is None else args.half_hop == 'on')
  except UserError as e:
    sys.exit(f'error: {e}')
  if not trackers:
    sys.exit('error: no tracker can run here')
  return clips, trackers, notes


def headroom(frames, clips, variant='clean', group=corpus.TARGET_GROUP):
  """What any tracker of the run gets right on one row, frame by frame.

  Returns {'union': share of the row's reference-voiced frames that at least
  one tracker has within 50 cents, 'none': share no tracker has, 'n_voiced'},
  or None without two trackers. The union is the most a tracker could score
  by being right wherever some tracker of the run is; a goal above it asks
  for frames no one tracks.
  """
  names = [t for t in frames if variant in frames[t]]
  members = [c.name for c in corpus.group_clips(clips, dict(corpus.GROUPS)[group])]
  if len(names) < 2 or not members:
    return None
  hits = []
  for name in names:
    f = evaluation.Frames.concatenate([frames[name][variant][c] for c in members])
    voiced = f.ref_voicing > 0
    # mir_eval's test, so a tracker's hits here are the frames of its RPA.
    hits.append(np.abs(f.est_cent - f.ref_cent)[voiced] < 50.0)
  any_hit = np.any(np.stack(hits), axis=0)
  return {'union': float(np.mean(any_hit)), 'none': float(np.mean(~any_hit)),
          'n_voiced': int(any_hit.size)}


def print_comparisons(summary, variants, breakdown):
  """Prints differences from peers, changes from clean, the octave tables and
  issue 18's goals; returns the goals."""
  for text in (format_differences(summary, variants),
               format_changes(summary, variants),
               format_octaves(breakdown, variants)):
    if text:
      print()
      print(text)
  goals = check_goals(summary, variants)
  if goals:
    print()
  for description, value, passed in goals:
    print(f'issue-18 goal {"PASS" if passed else "FAIL"}: {description} '
          f'(measured {value:+.4f})')
  return goals


def replot(args):
  """--from-json: the table and chart of an earlier run."""
  record, summary = load_summary(args.from_json, args.trackers)
  variants = [v for v in record['variants'] if v in args.variants]
  print(f'from {args.from_json} ({record["date"]}, {record["machine"]})')
  print(format_table(summary, variants))
  print_comparisons(summary, variants,
                    {t: b for t, b in record.get('octaves', {}).items()
                     if t in summary})
  if args.plot:
    plot(summary, variants, args.plot,
         title=f'{record["date"][:10]}, {record["machine"]}')
    print(f'wrote {args.plot}')


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  add_common_arguments(parser)
  parser.add_argument('--variants', default=','.join(corpus.VARIANTS),
                      type=lambda s: parse_list(s, corpus.VARIANTS, 'variant'),
                      help='comma-separated (default: %(default)s)')
  parser.add_argument('--json', help='write all scores, per clip too, here')
  parser.add_argument('--plot', help='write a grouped bar chart (PNG) here')
  parser.add_argument('--quiet', action='store_true', help='no progress bar')
  parser.add_argument('--from-json', metavar='JSON',
                      help='track nothing: remake the table (and --plot) from '
                      'a --json file of an earlier run, for the --trackers '
                      'given')
  args = parser.parse_args(argv)
  if args.from_json:
    replot(args)
    return
  clips, trackers, notes = setup(parser, args)
  from tqdm import tqdm  # pylint: disable=g-import-not-at-top
  audio_s = sum(c.seconds for c in clips)
  print(f'{len(clips)} clips, {audio_s:.1f} s of audio, from {args.data}; '
        f'trackers: {", ".join(t.name for t in trackers)}', file=sys.stderr)
  progress = None if args.quiet else (
      lambda jobs: tqdm(jobs, unit='clip', desc='tracking', file=sys.stderr))
  frames, seconds = {}, {}
  for done, tracker in enumerate(trackers, 1):
    # One tracker at a time, the JSON rewritten after each: a long run that
    # is stopped keeps the trackers it finished (`complete` says if all did).
    tracker_frames, tracker_seconds = run([tracker], clips, args.variants,
                                          progress)
    frames.update(tracker_frames)
    seconds.update(tracker_seconds)
    if args.json and done < len(trackers):
      write_record(args.json, make_record(args, trackers[:done], clips,
                                          notes, frames, seconds, [], []),
                   complete=False)
  summary = summarize(frames, clips)
  breakdown = octave_breakdown(frames, clips)
  print(format_table(summary, args.variants))
  for note in notes:
    print(note)
  targets = check_targets(summary, args.variants)
  for description, value, passed in targets:
    print(f'target {"PASS" if passed else "FAIL"}: {description} '
          f'(measured {value:.4f})')
  goals = print_comparisons(summary, args.variants, breakdown)
  room = headroom(frames, clips)
  if room:
    print(f'\n{corpus.TARGET_GROUP}, clean: {100 * room["union"]:.2f} % of '
          f'{room["n_voiced"]} voiced frames are within 50 cents for at least '
          f'one tracker of this run; {100 * room["none"]:.2f} % for none')
  if args.plot:
    env = environment(trackers)
    plot(summary, args.variants, args.plot,
         title=f'{env["date"][:10]}, {env["machine"]}')
    print(f'wrote {args.plot}')
  if args.json:
    write_record(args.json, make_record(args, trackers, clips, notes, frames,
                                        seconds, targets, goals),
                 complete=True)
    print(f'wrote {args.json}')


def make_record(args, trackers, clips, notes, frames, seconds, targets,
                goals):
  """Everything a --json file holds, for the trackers run so far."""
  return {**environment(trackers), 'data': os.path.abspath(args.data),
          'audio_seconds': sum(c.seconds for c in clips),
          'variants': args.variants, 'notes': notes,
          'summary': summarize(frames, clips),
          'octaves': octave_breakdown(frames, clips),
          'targets': [{'target': d, 'value': v, 'passed': p}
                      for d, v, p in targets],
          'goals': [{'goal': d, 'value': v, 'passed': p}
                    for d, v, p in goals],
          'compute_seconds': seconds,
          'clips': per_clip(frames, clips)}


def write_record(path, record, complete):
  """Writes a --json record atomically (never a half-written file)."""
  from pitchfit.io import atomic  # pylint: disable=g-import-not-at-top
  with atomic.atomic_open(path) as f:
    json.dump(evaluation.json_safe({**record, 'complete': complete}), f,
              indent=1)

if __name__ == '__main__':
  main()
