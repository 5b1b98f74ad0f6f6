"""Real-time factor of pitchfit, pYIN, PESTO and torchcrepe, in one run.

  python bench/speed.py [--model M] [--data ../shared/eval-data]
      [--trackers pitchfit,pyin,pesto,torchcrepe] [--repeats 1] [--json OUT]

The same trackers and settings as bench/accuracy.py, on the same clips (clean
16 kHz mono audio, already in memory: file reading and resampling are left
out for every tracker alike). Each tracker is called once on a 2-s excerpt
before timing, so one-time costs are excluded: pYIN's numba compilation
(about 20 s in a fresh venv), the TensorFlow graph trace, and model loading.

Real-time factor (RTF) = compute seconds / audio seconds, summed over all
clips; below 1 is faster than real time. Two clocks:
  * wall: elapsed time, what a user waits for; it depends on what else runs
    on the machine (the load average is printed);
  * cpu: CPU seconds of this process, all threads (a tracker using both
    cores for 1 s counts 2 s); less sensitive to other processes.
With --repeats N each tracker's total is the fastest of N passes.
"""

import argparse
import json
import os
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, 'bench'))

import accuracy  # pylint: disable=wrong-import-position
from pitchfit.evaluate import scoring as evaluation  # pylint: disable=wrong-import-position

WARM_UP_S = 2.0
TARGET_RTF = 0.05


def time_tracker(tracker, clips, repeats):
  """(wall s, cpu s) of the fastest of `repeats` passes over the clips."""
  tracker.track(clips[0].audio[:int(WARM_UP_S * accuracy.corpus.SAMPLE_RATE)])
  best = None
  for _ in range(repeats):
    wall = cpu = 0.0
    for clip in clips:
      wall_start, cpu_start = time.perf_counter(), time.process_time()
      tracker.track(clip.audio)
      wall += time.perf_counter() - wall_start
      cpu += time.process_time() - cpu_start
    if best is None or wall < best[0]:
      best = (wall, cpu)
  return best


def threads():
  """Intra-op thread counts of the frameworks that are loaded."""
  out = {}
  if 'tensorflow' in sys.modules:
    tf = sys.modules['tensorflow']
    out['tensorflow'] = tf.config.threading.get_intra_op_parallelism_threads()
  if 'torch' in sys.modules:
    out['torch'] = sys.modules['torch'].get_num_threads()
  return out


def format_table(results, audio_s):
  pyin = results.get('pyin')
  lines = [f'{"tracker":11s} {"audio s":>8s} {"wall s":>8s} {"RTF wall":>9s} '
           f'{"cpu s":>8s} {"RTF cpu":>8s} {"vs pyin (wall)":>15s}']
  for name, (wall, cpu) in results.items():
    if not pyin:
      ratio = '-'
    elif name == 'pyin':
      ratio = 'reference'
    elif wall <= pyin[0]:
      ratio = f'{pyin[0] / wall:6.2f}x faster'
    else:
      ratio = f'{wall / pyin[0]:6.2f}x slower'
    lines.append(f'{name:11s} {audio_s:8.1f} {wall:8.2f} {wall / audio_s:9.4f} '
                 f'{cpu:8.2f} {cpu / audio_s:8.4f} {ratio:>15s}')
  return '\n'.join(lines)


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  accuracy.add_common_arguments(parser)
  parser.add_argument('--repeats', type=int, default=1,
                      help='passes per tracker, the fastest is kept')
  parser.add_argument('--json', help='write the figures here')
  args = parser.parse_args(argv)
  if args.repeats < 1:
    parser.error('--repeats must be at least 1')
  clips, trackers, notes = accuracy.setup(parser, args)
  audio_s = sum(c.seconds for c in clips)
  load_before = os.getloadavg()
  print(f'{len(clips)} clips, {audio_s:.1f} s of audio; load average '
        f'{load_before[0]:.2f} on {len(os.sched_getaffinity(0))} cores',
        file=sys.stderr)
  results = {}
  for tracker in trackers:
    results[tracker.name] = time_tracker(tracker, clips, args.repeats)
    print(f'{tracker.name}: {results[tracker.name][0] / audio_s:.4f} x real '
          'time (wall)', file=sys.stderr)
  load_after = os.getloadavg()
  print(format_table(results, audio_s))
  print(f'load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; '
        f'threads {threads()}')
  for note in notes:
    print(note)
  checks = []
  if 'pitchfit' in results:
    rtf = results['pitchfit'][0] / audio_s
    checks.append((f'RTF (wall) <= {TARGET_RTF}', rtf, rtf <= TARGET_RTF))
    if 'pyin' in results:
      pyin_rtf = results['pyin'][0] / audio_s
      checks.append((f'faster than pyin (RTF {pyin_rtf:.4f})', rtf,
                     rtf < pyin_rtf))
  for description, value, passed in checks:
    print(f'target {"PASS" if passed else "FAIL"}: pitchfit {description} '
          f'(measured {value:.4f})')
  if args.json:
    record = {**accuracy.environment(trackers), 'data': os.path.abspath(args.data),
              'audio_seconds': audio_s, 'repeats': args.repeats,
              'load_average_before': load_before, 'load_average_after': load_after,
              'threads': threads(), 'notes': notes,
              'results': {name: {'wall_s': wall, 'cpu_s': cpu,
                                 'rtf_wall': wall / audio_s,
                                 'rtf_cpu': cpu / audio_s}
                          for name, (wall, cpu) in results.items()},
              'targets': [{'target': d, 'value': v, 'passed': p}
                          for d, v, p in checks]}
    with open(args.json, 'w') as f:
      json.dump(evaluation.json_safe(record), f, indent=1)
    print(f'wrote {args.json}')


if __name__ == '__main__':
  main()
