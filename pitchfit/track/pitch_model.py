"""A trained model for inference: load from a save dir or an exported file.

`PitchModel.load(path)` accepts
  * a `pitchfit train` save dir (its config.yaml and newest checkpoint),
  * a checkpoint file inside one (`.../checkpoints/ckpt-N.npz`),
  * a weights file written by `PitchModel.export` (one `.npz` holding the
    config, the weights and the voicing calibration, e.g. the recipe's export
    and pitchfit/assets/default_model.npz).

This is the TensorFlow side of tracking (and of `pitchfit sample`, which
resynthesizes). It builds the Keras model without an optimizer and never
imports the training job. Tracking without TensorFlow runs the LiteRT export
of the same model (pitchfit.track.litert_model, pitchfit.track.export).
"""

import io
import os

import numpy as np
import yaml

from pitchfit.io import atomic
from pitchfit.model import checkpoints
from pitchfit import config as config_lib
from pitchfit.errors import UserError

# Keys of an exported .npz: its config and its voicing calibration
# (pitchfit.voicing).
CONFIG_KEY = '__config_yaml__'
_VOICING_KEY = '__voicing_yaml__'


def _read_config_next_to(ckpt_path):
  save_dir = os.path.dirname(os.path.dirname(os.path.abspath(ckpt_path)))
  path = os.path.join(save_dir, 'config.yaml')
  if not os.path.isfile(path):
    raise UserError(f'{ckpt_path}: no config.yaml in {save_dir}, so the model '
                    'size is unknown')
  return config_lib.load(path)


def build_model(config):
  """A TranscribingAutoencoder with its variables built, for inference.

  No optimizer (training.build_model adds Adam): restoring a checkpoint with
  restore_optimizer=False needs the model variables only.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from pitchfit.model import autoencoder  # pylint: disable=g-import-not-at-top
  model = autoencoder.TranscribingAutoencoder(config)
  model(tf.zeros([1, config.model.n_samples]), synthesize=False)
  return model


class PitchModel:
  """A TranscribingAutoencoder with its config, ready to run on audio windows."""

  def __init__(self, model, config, source='', voicing=None):
    self.model = model
    self.config = config
    self.source = source
    # {'weights': [..], 'bias': b} from pitchfit.voicing, or None if the
    # model was never calibrated (pitchfit.predict calibrates it then).
    self.voicing = voicing
    self._functions = {}

  @property
  def sample_rate(self):
    return self.config.model.sample_rate

  @property
  def n_samples(self):
    """Window length the model takes, in samples."""
    return self.config.model.n_samples

  @property
  def hop_size(self):
    """Samples per frame (config.model.hop_size)."""
    return self.config.model.hop_size

  @property
  def n_frames(self):
    return self.n_samples // self.hop_size

  @property
  def variable_length(self):
    """Whether windows may be any whole number of frames long.

    True for the log-frequency CNN, as in its LiteRT export: the tracker then
    gives both the same long windows (streaming.VARIABLE_WINDOW_S), so the two
    paths differ by float rounding only, not by where windows fall or how much
    audio the per-window level normalisation sees.
    """
    from pitchfit.track import streaming  # pylint: disable=g-import-not-at-top
    return streaming.is_convolutional(self)

  @classmethod
  def load(cls, path):
    """Loads a save dir, a checkpoint or an exported file; UserError if not a model."""
    if not os.path.exists(path):
      raise UserError(f'{path}: no such model file or directory')
    voicing = None
    if os.path.isdir(path):
      ckpt = checkpoints.latest(path)
      if ckpt is None:
        raise UserError(f'{path}: not a pitchfit model (no checkpoints in it)')
      config = _read_config_next_to(ckpt) if os.path.basename(
          os.path.dirname(ckpt)) == checkpoints.CHECKPOINT_DIR else None
      if config is None:
        raise UserError(f'{path}: no config.yaml beside its checkpoints')
    else:
      try:
        with np.load(path) as arrays:
          has_config = CONFIG_KEY in arrays.files
          text = str(arrays[CONFIG_KEY]) if has_config else None
          voicing = (yaml.safe_load(str(arrays[_VOICING_KEY]))
                     if _VOICING_KEY in arrays.files else None)
      except (OSError, ValueError, EOFError) as e:
        raise UserError(f'{path}: not a pitchfit model ({e})') from None
      ckpt = path
      if has_config:
        config = config_lib.from_dict(yaml.safe_load(text), path)
      else:
        config = _read_config_next_to(path)
    model = build_model(config)
    checkpoints.restore(model, ckpt, restore_optimizer=False)
    return cls(model, config, source=ckpt, voicing=voicing)

  def export(self, path, dtype=np.float16):
    """Writes one .npz with the config and the model weights (no optimizer).

    float16 halves the size; the weights are cast back to float32 on load.
    """
    arrays = {k: v.astype(dtype) for k, v in
              checkpoints.model_arrays(self.model).items()}
    stream = io.StringIO()
    yaml.safe_dump(config_lib.to_dict(self.config), stream, sort_keys=False)
    arrays[CONFIG_KEY] = np.array(stream.getvalue())
    if self.voicing is not None:
      arrays[_VOICING_KEY] = np.array(yaml.safe_dump(self.voicing))
    with atomic.atomic_path(path, suffix='.tmp.npz') as tmp:
      np.savez_compressed(tmp, **arrays)
    return path

  def __call__(self, audio, synthesize=False):
    """Runs the model on windows.

    Args:
      audio: float32 [batch, n_samples] at self.sample_rate; with
        variable_length and not synthesize, [batch, n] for any positive
        multiple n of hop_size.
      synthesize: also return the resynthesized audio.

    Returns:
      dict of numpy arrays, [batch, n_frames, ...] (see
      TranscribingAutoencoder.call); frame k describes time k * hop / sr
      from the window's start. f0_hz is decoded around the f0 softmax's
      peak (training and resynthesis use its full expectation).
    """
    outputs = self._function(bool(synthesize))(np.asarray(audio, np.float32))
    return {k: v.numpy() for k, v in outputs.items()}

  def _function(self, synthesize):
    """The model as a tf.function: about 100x faster than eager calls.

    One trace per value of `synthesize`; the batch dimension is left open so
    a shorter last batch does not trace again, and so is the time axis of a
    variable_length model.
    """
    if synthesize not in self._functions:
      import tensorflow as tf  # pylint: disable=g-import-not-at-top
      from pitchfit.dsp import core  # pylint: disable=g-import-not-at-top
      c = self.config.model

      def run(audio):
        outputs = dict(self.model(audio, synthesize=synthesize))
        outputs['f0_hz'] = core.frequencies_around_peak(
            outputs['f0_logits'], c.f0_bins, c.f0_hz_min, c.f0_hz_max,
            c.f0_peak_radius_bins)
        return outputs

      # Resynthesis renders n_samples: its windows keep the model's length.
      free = self.variable_length and not synthesize
      n_samples = None if free else self.n_samples
      spec = tf.TensorSpec([None, n_samples], tf.float32)
      self._functions[synthesize] = tf.function(run, input_signature=[spec])
    return self._functions[synthesize]
