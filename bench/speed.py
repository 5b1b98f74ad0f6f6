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

Whole processes (issue 19; --processes, on by default, --no-processes to
skip): what a user who tracks one file at a time waits for, import and model
start-up included. Each command runs under `/usr/bin/time -v` (Debian's
`time` package) for its peak resident memory; wall time is measured around
it. Two jobs, the fastest of --process-repeats runs each:
  * one 3-s file (a harmonic tone at 44.1 kHz);
  * a folder of --folder-files 3-s files, one process for all of them.
pitchfit runs its CLI (`pitchfit predict FILES -o DIR -q`: decode, resample,
track, write CSV); SwiftF0 (`swift-f0`, the `peers` extra) runs the same job
from a script: one `SwiftF0()`, `detect_file` and `export_to_csv` per file.
Targets: one file, wall <= SwiftF0's and peak memory <= 250 MB; folder RTF
<= SwiftF0's. Before these runs pitchfit's own modules are compiled to
bytecode, as pip does when it installs a wheel (SwiftF0's, installed from
one, already are): from a source checkout, and with PYTHONDONTWRITEBYTECODE
set as on the team's machines, Python would otherwise compile every module
again in every process, about 15 ms of each run.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, 'bench'))

import accuracy  # pylint: disable=wrong-import-position
from pitchfit.evaluate import scoring as evaluation  # pylint: disable=wrong-import-position

WARM_UP_S = 2.0
TARGET_RTF = 0.05
TARGET_ONE_FILE_MB = 250.0
FILE_SECONDS = 3.0
SWIFT_SCRIPT = (
    'import os, sys\n'
    'from swift_f0 import SwiftF0, export_to_csv\n'
    'detector = SwiftF0()\n'
    'for path in sys.argv[2:]:\n'
    '  name = os.path.splitext(os.path.basename(path))[0] + ".f0.csv"\n'
    '  export_to_csv(detector.detect_file(path), os.path.join(sys.argv[1], name))\n')


# ------------------------------------------------------------ whole processes
def write_test_files(folder, n, seconds=FILE_SECONDS, rate=44100):
  """n harmonic tones of `seconds` at `rate` (different pitches), as WAVs."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  import soundfile  # pylint: disable=g-import-not-at-top
  t = np.arange(int(seconds * rate)) / rate
  paths = []
  for i in range(n):
    f0 = 110.0 * 2.0 ** ((i % 24) / 12.0)
    audio = sum(0.3 / k * np.sin(2 * np.pi * k * f0 * t) for k in (1, 2, 3))
    path = os.path.join(folder, f'tone_{i:03d}.wav')
    soundfile.write(path, audio.astype(np.float32), rate)
    paths.append(path)
  return paths


def measure_process(command, repeats):
  """(wall s, peak RSS MB) of the fastest of `repeats` runs of a command."""
  best = None
  for _ in range(repeats):
    start = time.perf_counter()
    result = subprocess.run(['/usr/bin/time', '-v'] + command,
                            capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if result.returncode != 0:
      raise RuntimeError(f'{command[0]} failed: {result.stderr[-800:]}')
    match = re.search(r'Maximum resident set size \(kbytes\): (\d+)',
                      result.stderr)
    rss = int(match.group(1)) / 1024.0 if match else float('nan')
    if best is None or wall < best[0]:
      best = (wall, rss)
  return best


def process_commands(files, out_dir):
  """{system: command} for tracking `files` into out_dir."""
  pitchfit = os.path.join(os.path.dirname(sys.executable), 'pitchfit')
  pitchfit = [pitchfit] if os.path.exists(pitchfit) else [
      sys.executable, os.path.join(REPO, 'cli.py')]
  commands = {'pitchfit': pitchfit + ['predict', *files, '-o', out_dir, '-q']}
  try:
    import importlib.util  # pylint: disable=g-import-not-at-top
    if importlib.util.find_spec('swift_f0') is not None:
      commands['swiftf0'] = [sys.executable, '-c', SWIFT_SCRIPT, out_dir,
                             *files]
  except ValueError:
    pass
  return commands


def compile_bytecode():
  """Compiles pitchfit's modules (and cli.py) to __pycache__, as pip does."""
  import compileall  # pylint: disable=g-import-not-at-top
  ok = compileall.compile_dir(os.path.join(REPO, 'pitchfit'), quiet=1)
  ok &= compileall.compile_file(os.path.join(REPO, 'cli.py'), quiet=1)
  if not ok:
    raise SystemExit('speed: pitchfit does not compile')


def whole_processes(n_files, repeats):
  """Runs both jobs for every system: {job: {system: (wall, rss, audio s)}}."""
  if not os.path.exists('/usr/bin/time'):
    raise SystemExit('speed: /usr/bin/time is missing (apt-get install time)')
  compile_bytecode()
  results = {}
  with tempfile.TemporaryDirectory(prefix='pitchfit-speed-') as folder:
    paths = write_test_files(folder, n_files)
    for job, files in (('one 3-s file', paths[:1]),
                       (f'folder of {n_files} files', paths)):
      results[job] = {}
      for system, command in process_commands(
          files, os.path.join(folder, 'out')).items():
        wall, rss = measure_process(command, repeats)
        results[job][system] = (wall, rss, FILE_SECONDS * len(files))
  return results


def format_process_table(results):
  lines = [f'{"job":20s} {"system":9s} {"wall s":>7s} {"peak MB":>8s} '
           f'{"RTF":>7s} {"wall vs swiftf0":>16s} {"memory vs swiftf0":>18s}']
  for job, systems in results.items():
    swift = systems.get('swiftf0')
    for system, (wall, rss, audio_s) in systems.items():
      ratios = ('', '')
      if swift and system != 'swiftf0':
        ratios = (f'{wall / swift[0]:.2f}x', f'{rss / swift[1]:.2f}x')
      lines.append(f'{job:20s} {system:9s} {wall:7.2f} {rss:8.0f} '
                   f'{wall / audio_s:7.4f} {ratios[0]:>16s} {ratios[1]:>18s}')
  return '\n'.join(lines)


def process_checks(results):
  """[(description, passed)] of issue 19's whole-process targets."""
  checks = []
  one, folder = list(results.values())
  if 'pitchfit' in one:
    wall, rss, _ = one['pitchfit']
    checks.append((f'one file: peak memory {rss:.0f} MB <= '
                   f'{TARGET_ONE_FILE_MB:g} MB', rss <= TARGET_ONE_FILE_MB))
    if 'swiftf0' in one:
      checks.append((f'one file: wall {wall:.2f} s <= SwiftF0\'s '
                     f'{one["swiftf0"][0]:.2f} s', wall <= one['swiftf0'][0]))
  if 'pitchfit' in folder and 'swiftf0' in folder:
    mine = folder['pitchfit'][0] / folder['pitchfit'][2]
    theirs = folder['swiftf0'][0] / folder['swiftf0'][2]
    checks.append((f'folder: RTF {mine:.4f} <= SwiftF0\'s {theirs:.4f}',
                   mine <= theirs))
  return checks


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
  parser.add_argument('--processes', action=argparse.BooleanOptionalAction,
                      default=True,
                      help='also time whole processes against SwiftF0')
  parser.add_argument('--process-repeats', type=int, default=3,
                      help='runs per whole-process job, the fastest is kept')
  parser.add_argument('--folder-files', type=int, default=40,
                      help='3-s files in the folder job')
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
  processes = None
  if args.processes:
    processes = whole_processes(args.folder_files, args.process_repeats)
    print('\nWhole processes (import, model start-up, decode, track, write):')
    print(format_process_table(processes))
    for description, passed in process_checks(processes):
      print(f'target {"PASS" if passed else "FAIL"}: pitchfit {description}')
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
                          for d, v, p in checks],
              'processes': processes}
    with open(args.json, 'w') as f:
      json.dump(evaluation.json_safe(record), f, indent=1)
    print(f'wrote {args.json}')


if __name__ == '__main__':
  main()
