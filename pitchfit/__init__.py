"""pitchfit: self-supervised pitch detection by inverse audio synthesis.

    import pitchfit
    time, frequency, confidence = pitchfit.predict(audio, sample_rate)

`pitchfit.predict` is the module pitchfit/predict.py, made callable (calling
it is `pitchfit.predict.predict`). It is imported on first use, so
`import pitchfit` stays fast and does not load TensorFlow.
"""

import importlib

__version__ = "0.1.0"


def __getattr__(name):
  if name == 'predict':
    return importlib.import_module('pitchfit.track.predict')
  raise AttributeError(f"module 'pitchfit' has no attribute {name!r}")
