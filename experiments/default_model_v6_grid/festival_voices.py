"""RPA per voice on Festival's speech set (render_sets.sh), for pitchfit models.

  python experiments/default_model_v6_grid/festival_voices.py A.tflite [B.tflite ...]

A diagnostic beside part (t), not a rule. Each model is scored with the
benchmark's protocol (bench/accuracy.py: estimates at the label times, mir_eval
RPA at 50 cents, voicing ignored), pooled over each voice's files, the voice
taken from the set's manifest.csv.
"""
import argparse
import csv
import os
import sys

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, 'bench'))

import accuracy  # pylint: disable=wrong-import-position
import corpus  # pylint: disable=wrong-import-position
import trackers as trackers_lib  # pylint: disable=wrong-import-position


def voices_of(folder):
  """{clip name: voice}, from the manifest render_speech.py writes."""
  with open(os.path.join(folder, 'manifest.csv'), newline='') as f:
    return {os.path.splitext(row['file'])[0]: row['voice']
            for row in csv.DictReader(f)}


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('models', nargs='+')
  parser.add_argument('--data', default='/work/data/speech_festival')
  args = parser.parse_args()
  voices = voices_of(args.data)
  clips = corpus.find_clips(args.data)
  for path in args.models:
    tracker = trackers_lib.PitchfitTracker(path)
    frames, _ = accuracy.run([tracker], clips, ['clean'])
    by_clip = frames[tracker.name]['clean']
    scores = {v: accuracy.pooled_scores(
        [f for name, f in by_clip.items() if voices[name] == v])['rpa']
              for v in sorted(set(voices.values()))}
    pooled = accuracy.pooled_scores(list(by_clip.values()))['rpa']
    print(os.path.basename(path),
          ' '.join(f'{v} {100 * s:.1f}' for v, s in scores.items()),
          f'pooled {100 * pooled:.2f}', flush=True)


if __name__ == '__main__':
  main()
