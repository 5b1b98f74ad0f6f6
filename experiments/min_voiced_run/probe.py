"""Voicing with and without the short-run opening, on the project's own sets.

  .venv/bin/python experiments/min_voiced_run/probe.py MODEL.tflite ... \
      --data /work/data/selection_melodies /work/data/wide_small_test \
      /work/data/speech_small_test

For each model, set and variant (clean; pink noise at 25 dB SNR, made as
bench/corpus.py makes eval-data's `pink25db`, seeded by the file's name):
voicing recall, false alarm and overall accuracy (mir_eval, at the 0.5
threshold on the reference's frames), pooled over the set's frames, with
voicing.MIN_VOICED_S as shipped (0.03) and 0 (no opening). selection_rule.md
says what they decide.
"""

import argparse
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, 'bench'))

import corpus  # pylint: disable=wrong-import-position
import pitchfit  # pylint: disable=wrong-import-position
from pitchfit.evaluate import metrics  # pylint: disable=wrong-import-position
from pitchfit.evaluate import runs  # pylint: disable=wrong-import-position
from pitchfit.io import audio as audio_io  # pylint: disable=wrong-import-position
from pitchfit.track import voicing  # pylint: disable=wrong-import-position

RATE = 16000


def pooled_voicing(model, pairs, variant, min_voiced_s):
  voicing.MIN_VOICED_S = min_voiced_s
  frames = []
  for audio_path, label_path in pairs:
    audio = audio_io.load_audio(str(audio_path), RATE)
    audio = corpus.make_variant(audio, variant, corpus.clip_seed(audio_path.stem))
    ref_time, ref_f0 = runs.read_reference(label_path)
    track = pitchfit.predict(audio, RATE, model=model)
    est = (track.time, track.frequency, track.confidence, track.voiced)
    est_f0, est_voiced = metrics.on_reference(est, ref_time)
    frames.append(metrics.to_frames(ref_time, ref_f0, est_f0, est_voiced))
  s = metrics.scores(metrics.Frames.concatenate(frames))
  return (100 * s['voicing_recall'], 100 * s['voicing_false_alarm'],
          100 * s['overall_accuracy'])


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('models', nargs='+')
  parser.add_argument('--data', nargs='+', required=True)
  args = parser.parse_args()
  shipped = voicing.MIN_VOICED_S
  print('model | set | variant | VR / VFA / OA without | with | OA change | VR change')
  for model in args.models:
    for folder in args.data:
      pairs, _ = runs.labelled_files(folder)
      for variant in ('clean', 'pink25db'):
        without = pooled_voicing(model, pairs, variant, 0.0)
        with_ = pooled_voicing(model, pairs, variant, shipped)
        print(f'{os.path.basename(model)} | {os.path.basename(folder)} | {variant} | '
              f'{without[0]:.2f} / {without[1]:.2f} / {without[2]:.2f} | '
              f'{with_[0]:.2f} / {with_[1]:.2f} / {with_[2]:.2f} | '
              f'{with_[2] - without[2]:+.2f} | {with_[0] - without[0]:+.2f}',
              flush=True)
  voicing.MIN_VOICED_S = shipped


if __name__ == '__main__':
  main()
