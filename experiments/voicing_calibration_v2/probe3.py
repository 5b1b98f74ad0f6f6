"""Candidate 3: today's fit against four features on notes with noise.

Runs on the product with candidate3.patch applied (`git apply`); the
product itself kept three features.

  .venv/bin/python experiments/voicing_calibration_v2/probe3.py MODEL.npz ...

Today's fit: amp_db, hnr_db, f0_peak on clean notes. Candidate 3: those and
harm_to_input_db on the notes of `voicing.synthetic_frames` (every
augmentation of the model's last phase but the room). Both fitted on seed
CALIBRATION_SEED and scored (balanced accuracy at 0.5) on held-out notes of
HELD_OUT_SEED, clean and augmented (selection_rule.md).
"""

import sys

import numpy as np

from pitchfit.track import predict
from pitchfit.track import voicing

HELD_OUT_SEED = 7_000_101
N_EXAMPLES = 128


def balanced_accuracy(calibration, features, voiced):
  predicted = voicing.confidence(features, calibration) >= voicing.THRESHOLD
  return 0.5 * (np.mean(predicted[voiced]) + np.mean(~predicted[~voiced]))


def main(paths):
  for path in paths:
    model = predict.load_tf_model(path)
    frames = lambda seed, augmented: voicing.synthetic_frames(
        model, N_EXAMPLES, seed, augmented=augmented)
    clean_features, clean_voiced = frames(voicing.CALIBRATION_SEED, False)
    fits = {'today (3 features, clean)': voicing.fit(clean_features[:, :3],
                                                     clean_voiced),
            'candidate 3 (4, noise)': voicing.fit(
                *frames(voicing.CALIBRATION_SEED, True))}
    held_out = {'clean': frames(HELD_OUT_SEED, False),
                'augmented': frames(HELD_OUT_SEED, True)}
    print(path)
    for name, calibration in fits.items():
      scores = {k: 100 * balanced_accuracy(calibration, *v)
                for k, v in held_out.items()}
      print(f'  {name:27s} weights {np.round(calibration["weights"], 3)} '
            f'bias {calibration["bias"]:.2f}  held-out clean '
            f'{scores["clean"]:.2f}  augmented {scores["augmented"]:.2f}')


if __name__ == '__main__':
  main(sys.argv[1:])
