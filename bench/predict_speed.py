"""Real-time factor of `pitchfit.predict` and of librosa's pYIN, in one run.

  python bench/predict_speed.py [--model PATH ...] [--audio-dir DIR]
      [--cores 2] [--repeats 3] [--long-minutes 0] [--no-pyin]

--model may be given more than once: every model is measured in the same
run, on the same clips, one after another.

RTF = seconds of compute per second of audio (below 1: faster than real
time), summed over the clips, the fastest of --repeats passes. Both trackers
get the same 16 kHz mono audio already in memory, so decoding and resampling
are left out for both; each runs once on a short excerpt first, so one-time
costs (the TensorFlow trace, pYIN's numba compilation) are excluded. The
process is pinned to --cores CPUs and TensorFlow to as many threads.

Clips: every audio file under --audio-dir (default: ../shared/eval-data if
present), else 30 s of synthesized harmonic tones. pYIN searches the same
f0 range as `pitchfit evaluate --baseline pyin` (32.7-1200 Hz, 10-ms hop).

--long-minutes N also streams an N-minute file from disk through
`predict_file` (decode, resample, track, write CSV) and prints its RTF and
the peak RSS before and after, to show that memory does not grow.
"""

import argparse
import os
import resource
import sys
import tempfile
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

EVAL_DATA = os.path.join(REPO, '..', 'shared', 'eval-data')
WARM_UP_SAMPLES = 32000


def load_clips(audio_dir):
  """[(name, float32 16 kHz mono)] of a folder, or synthesized tones."""
  from pitchfit.io import audio as audio_io  # pylint: disable=g-import-not-at-top
  if audio_dir and os.path.isdir(audio_dir):
    return [(str(p.relative_to(audio_dir)), audio_io.load_audio(p))
            for p in audio_io.find_audio_files([audio_dir])]
  t = np.arange(16000 * 10) / 16000.0
  clips = []
  for f0 in (110.0, 220.0, 440.0):
    audio = sum(0.2 / k * np.sin(2 * np.pi * k * f0 * t) for k in (1, 2, 3))
    clips.append((f'tone_{f0:.0f}Hz', audio.astype(np.float32)))
  return clips


def measure(track, clips, repeats):
  """(wall s, cpu s) of the fastest of `repeats` passes over all clips."""
  track(clips[0][1][:WARM_UP_SAMPLES])
  best = None
  for _ in range(repeats):
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    for _, audio in clips:
      track(audio)
    wall = time.perf_counter() - wall_start
    cpu = time.process_time() - cpu_start
    if best is None or wall < best[0]:
      best = (wall, cpu)
  return best


def pyin(audio):
  from pitchfit.evaluate import scoring as evaluation  # pylint: disable=g-import-not-at-top
  return evaluation.run_pyin(audio)


def max_rss_mb():
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def long_file(pitch_model, minutes):
  """Streams an N-minute 44.1-kHz file through predict_file: (RTF, RSS MB)."""
  import soundfile  # pylint: disable=g-import-not-at-top
  from pitchfit.track import files  # pylint: disable=g-import-not-at-top
  with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, 'long.wav')
    t = np.arange(44100 * 60) / 44100.0
    minute = (0.2 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)
    with soundfile.SoundFile(path, 'w', 44100, 1, 'PCM_16') as f:
      for _ in range(minutes):
        f.write(minute)
    before = max_rss_mb()
    start = time.perf_counter()
    seconds, _ = files.predict_file(path, os.path.join(folder, 'x.csv'),
                                    pitch_model)
    wall = time.perf_counter() - start
  return wall / seconds, before, max_rss_mb()


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--model', action='append', default=None,
                      help='save dir or exported file, repeatable [default: '
                      'the shipped model]')
  parser.add_argument('--no-pyin', action='store_true',
                      help='leave pYIN out (it takes the longest)')
  parser.add_argument('--audio-dir', default=EVAL_DATA)
  parser.add_argument('--cores', type=int, default=2)
  parser.add_argument('--repeats', type=int, default=3)
  parser.add_argument('--long-minutes', type=int, default=0)
  args = parser.parse_args()

  if hasattr(os, 'sched_setaffinity'):
    available = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, available[:args.cores])
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  from pitchfit.quiet import stderr_silenced  # pylint: disable=g-import-not-at-top
  with stderr_silenced():
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    # Before the first op: the thread pools are fixed once TF starts.
    tf.config.threading.set_intra_op_parallelism_threads(args.cores)
    tf.config.threading.set_inter_op_parallelism_threads(args.cores)
    tf.constant(0.0)
  import pitchfit  # pylint: disable=g-import-not-at-top
  from pitchfit.track import predict as predict_lib  # pylint: disable=g-import-not-at-top
  from pitchfit.track import streaming  # pylint: disable=g-import-not-at-top
  from pitchfit.errors import UserError  # pylint: disable=g-import-not-at-top
  models = []
  for path in args.model or [None]:
    try:
      models.append(predict_lib.load_model(path))
    except UserError as e:
      sys.exit(f'predict_speed: {e}')

  clips = load_clips(args.audio_dir)
  seconds = sum(audio.size for _, audio in clips) / 16000.0
  print(f'audio: {len(clips)} clips, {seconds:.1f} s at 16 kHz; '
        f'{len(os.sched_getaffinity(0))} cores; load average '
        f'{os.getloadavg()[0]:.2f}')
  results = {}
  for i, pitch_model in enumerate(models):
    tracked = (f'windows of any length, at most '
               f'{streaming.VARIABLE_WINDOW_S:g} s'
               if getattr(pitch_model, 'variable_length', False) else
               f'window {pitch_model.n_samples} samples, '
               f'{pitch_model.config.model.n_frames} frames')
    print(f'model {i + 1}: {pitch_model.source} ({tracked})')
    results[f'pitchfit model {i + 1}'] = measure(
        lambda a, m=pitch_model: pitchfit.predict(a, 16000, model=m), clips,
        args.repeats)
  if not args.no_pyin:
    results['librosa.pyin'] = measure(pyin, clips, args.repeats)
  print(f'{"tracker":18s} {"RTF wall":>9s} {"RTF cpu":>9s} {"x real time":>12s}')
  for name, (wall, cpu) in results.items():
    print(f'{name:18s} {wall / seconds:9.4f} {cpu / seconds:9.4f} '
          f'{seconds / wall:11.1f}x')
  first = results['pitchfit model 1'][0]
  for name, (wall, _) in results.items():
    if name != 'pitchfit model 1':
      print(f'{name} takes {wall / first:.2f}x the wall time of model 1.')
  pitch_model = models[0]
  if args.long_minutes:
    rtf, before, after = long_file(pitch_model, args.long_minutes)
    print(f'{args.long_minutes}-min 44.1-kHz file from disk: RTF {rtf:.4f}; '
          f'peak RSS {before:.0f} MB before, {after:.0f} MB after.')


if __name__ == '__main__':
  main()
