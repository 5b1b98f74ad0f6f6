"""Exports a model's tracking part with a longer window than it was trained on.

  python experiments/long_windows/export_window.py MODEL.npz SECONDS OUT.tflite

The harmonic CNN is convolutional in time, so it runs on any window; only
its per-window level normalisation (mean and variance of the log spectra
over the window) sees more audio. experiments/long_windows/README.md says
what that does to accuracy and cost.
"""

import dataclasses
import sys

from pitchfit.quiet import import_tensorflow
from pitchfit.track import export
from pitchfit.track import pitch_model as pitch_model_lib
from pitchfit.model import checkpoints


def main(model_path, seconds, out_path):
  import_tensorflow()
  loaded = pitch_model_lib.PitchModel.load(model_path)
  c = loaded.config
  n_samples = int(round(float(seconds) * c.model.sample_rate / c.model.hop_size)
                  ) * c.model.hop_size
  config = dataclasses.replace(
      c, model=dataclasses.replace(c.model, n_samples=n_samples))
  model = pitch_model_lib.build_model(config)
  checkpoints.restore(model, loaded.source, restore_optimizer=False)
  longer = pitch_model_lib.PitchModel(model, config, source=loaded.source,
                                      voicing=loaded.voicing)
  export.export_litert(longer, out_path, batch_size=1)
  print(f'wrote {out_path}: {n_samples} samples per window')


if __name__ == '__main__':
  main(*sys.argv[1:])
