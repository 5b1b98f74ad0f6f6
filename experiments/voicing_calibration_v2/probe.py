"""Scores clean and augmented voicing calibrations on held-out notes.

  .venv/bin/python experiments/voicing_calibration_v2/probe.py [--room] MODEL.npz ...

For each model (weights .npz or save dir): fits the clean calibration (the
product's, `voicing.synthetic_frames`) and the candidate (the same notes with
the augmentations of the model's last training phase, `augment.training_notes`;
rooms only with --room, candidate 1) on seed CALIBRATION_SEED, and prints the
balanced accuracy of each on held-out notes of HELD_OUT_SEED, clean and
augmented (selection_rule.md).
"""

import dataclasses
import sys

import numpy as np
import tensorflow as tf

from pitchfit.notes import augment
from pitchfit.notes import generator as synthetic_notes
from pitchfit.track import predict
from pitchfit.track import voicing

HELD_OUT_SEED = 7_000_101
N_EXAMPLES = 128
BATCH = 16


def augmented_frames(model, seed, room):
  """As voicing.synthetic_frames, the notes played as in training."""
  m = model.config.model
  note_config = synthetic_notes.note_config(
      model.config.data.synthetic_style, n_frames=m.n_frames,
      n_noise_bands=m.n_noise_bands, n_harmonics=m.n_harmonics,
      hop_size=m.hop_size)
  data = model.config.data
  if not room:
    data = dataclasses.replace(data, synthetic_reverb=0.0)
  threshold = model.config.losses.harmonic.amp_threshold
  rng = tf.random.Generator.from_seed(seed)
  features, voiced = [], []
  for start in range(0, N_EXAMPLES, BATCH):
    examples = [synthetic_notes.generate_example(seed, i, note_config)
                for i in range(start, start + BATCH)]
    controls = {k: np.stack([e[k] for e in examples])
                for k in synthetic_notes.CONTROL_KEYS}
    _, audio = augment.training_notes(controls, data, m.n_samples,
                                      m.sample_rate, rng, seed + start)
    features.append(voicing.frame_features(model(audio.numpy())).reshape(-1, 3))
    # The truth is the note's own amplitude, before its level is drawn.
    voiced.append(controls['harm_amp'].reshape(-1) >= threshold)
  return np.concatenate(features), np.concatenate(voiced)


def balanced_accuracy(calibration, features, voiced):
  predicted = voicing.confidence(features, calibration) >= voicing.THRESHOLD
  return 0.5 * (np.mean(predicted[voiced]) + np.mean(~predicted[~voiced]))


def main(argv):
  room = '--room' in argv
  for path in [a for a in argv if a != '--room']:
    model = predict.load_tf_model(path)
    frames = {
        'clean': lambda seed: voicing.synthetic_frames(model, N_EXAMPLES, seed),
        'augmented': lambda seed: augmented_frames(model, seed, room)}
    fits = {name: voicing.fit(*make(voicing.CALIBRATION_SEED))
            for name, make in frames.items()}
    held_out = {name: make(HELD_OUT_SEED) for name, make in frames.items()}
    print(path, '(rooms in the augmented notes)' if room else '')
    for fit_name, calibration in fits.items():
      scores = {set_name: 100 * balanced_accuracy(calibration, *held)
                for set_name, held in held_out.items()}
      print(f'  fit on {fit_name:9s}  weights {np.round(calibration["weights"], 3)}'
            f' bias {calibration["bias"]:.2f}  held-out clean {scores["clean"]:.2f}'
            f'  augmented {scores["augmented"]:.2f}')


if __name__ == '__main__':
  main(sys.argv[1:])
