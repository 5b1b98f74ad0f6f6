"""`pitchfit export`: the tracking part of a model as a LiteRT flatbuffer.

TensorFlow side of pitchfit.track.litert_model. The exported graph is
audio windows [batch_size, n_samples] -> f0_hz (decoded around the f0
softmax's peak, as PitchModel does), f0_logits, harm_amps, noise_magnitudes
per frame: no resynthesis, no losses, no optimizer.

Two things the converter needs, both set here and not in the model code:
  * recurrent layers run unrolled (`unroll=True`), or the converter emits
    TensorList "Flex" ops that the LiteRT runtime lacks (stack.md); the flag
    is set on the loaded model's layers for the conversion only;
  * a fixed batch size: with a free batch dimension the encoders' dynamic
    `[..., newaxis]` slices need Flex ops too. The runtime pads the last
    call instead (measured on the default model: 3.6 ms a window at batch 4
    or 8, 4.1 ms at batch 1, one thread).

A log-frequency CNN (`harmonic_cnn`) sees only a few frames either side of
each frame, so its export takes windows of any length (`variable_length`
in the metadata; the time axis is free): the tracker then runs long windows
that overlap in a smaller proportion, and cuts the last one to the audio
left, instead of padding 1-s windows (pitchfit.track.streaming). Its
per-window level normalisation sees more audio; on the labelled selection
melodies 3-s and 10-s windows scored the 1-s ones' RPA within 0.2 point in
every octave band (experiments/long_windows).

After converting, the file is run by TensorFlow's own TFLite interpreter on
noise and on a tone and compared with the Keras model output by output; a
mismatch fails the export rather than shipping a different model. The same
comparison tells which output tensor is which, stored in the metadata.
"""

import os

import numpy as np

from pitchfit import config as config_lib
from pitchfit.errors import UserError
from pitchfit.io import atomic
from pitchfit.track import litert_model
from pitchfit.track import streaming

DEFAULT_BATCH_SIZE = 4
# Largest output difference accepted between Keras and the converted model,
# relative to each output's largest magnitude. Float32 sums in another order
# (XNNPACK against oneDNN) through the ResNet's normalisations: measured up to
# 3e-3 on the default model's harmonic amplitudes, 0.13 cents on its f0.
MAX_RELATIVE_ERROR = 1e-2


def _recurrent_layers(model):
  import keras  # pylint: disable=g-import-not-at-top
  return [layer for layer in model._flatten_layers()  # pylint: disable=protected-access
          if isinstance(layer, keras.layers.RNN)]


def tracking_function(pitch_model, batch_size):
  """The model's tracking outputs as a tf.function of [batch_size, n_samples].

  n_samples is free (None) for the CNNs (`streaming.is_convolutional`).
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from pitchfit.dsp import core  # pylint: disable=g-import-not-at-top
  c = pitch_model.config.model

  def run(audio):
    outputs = pitch_model.model(audio, synthesize=False)
    f0_hz = core.frequencies_around_peak(outputs['f0_logits'], c.f0_bins,
                                         c.f0_hz_min, c.f0_hz_max,
                                         c.f0_peak_radius_bins)
    return (f0_hz, outputs['f0_logits'], outputs['harm_amps'],
            outputs['noise_magnitudes'])

  variable = streaming.is_convolutional(pitch_model)
  n_samples = None if variable else pitch_model.n_samples
  spec = tf.TensorSpec([batch_size, n_samples], tf.float32, name='audio')
  return tf.function(run, input_signature=[spec])


def convert(pitch_model, batch_size=DEFAULT_BATCH_SIZE):
  """Converts a PitchModel: (flatbuffer bytes, tf.function it came from)."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  function = tracking_function(pitch_model, batch_size)
  rnns = _recurrent_layers(pitch_model.model)
  saved = [layer.unroll for layer in rnns]
  try:
    for layer in rnns:
      layer.unroll = True
    concrete = function.get_concrete_function()
    # The tf.function, not the Keras model, as the trackable object: with the
    # model there, the converted graph's outputs were all NaN (TF 2.21).
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [concrete], function)
    data = converter.convert()
  finally:
    for layer, value in zip(rnns, saved):
      layer.unroll = value
  return data, function


def _test_windows(pitch_model, batch_size):
  """Noise, and harmonic tones over noise, [batch_size, n_samples].

  Every window has broadband noise: a log-mel bin of pure digital silence sits
  on the log floor, where float32 rounding is a large relative change.
  """
  rng = np.random.default_rng(0)
  n = pitch_model.n_samples
  t = np.arange(n) / pitch_model.sample_rate
  windows = 0.05 * rng.standard_normal((batch_size, n))
  for i in range(0, batch_size, 2):
    f0 = 110.0 * 2.0 ** (i / 4.0)
    windows[i] = 0.1 * windows[i] + sum(
        0.2 / k * np.sin(2 * np.pi * k * f0 * t) for k in (1, 2, 3))
  return windows.astype(np.float32)


def match_outputs(data, function, windows):
  """Maps the flatbuffer's output tensor names to OUTPUT_KEYS by value.

  Raises:
    UserError: an output of the converted model differs from Keras's.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  expected = dict(zip(litert_model.OUTPUT_KEYS,
                      (v.numpy() for v in function(windows))))
  interpreter = tf.lite.Interpreter(model_content=data)
  index = interpreter.get_input_details()[0]['index']
  interpreter.resize_tensor_input(index, windows.shape)  # free time axis
  interpreter.allocate_tensors()
  interpreter.set_tensor(index, windows)
  interpreter.invoke()
  names, errors = {}, {}
  for detail in interpreter.get_output_details():
    value = interpreter.get_tensor(detail['index'])
    for key, reference in expected.items():
      if key in names.values() or reference.shape != value.shape:
        continue
      scale = max(float(np.max(np.abs(reference))), 1e-12)
      error = float(np.max(np.abs(reference - value))) / scale
      if error <= MAX_RELATIVE_ERROR:
        names[detail['name']] = key
        errors[key] = error
        break
  missing = [k for k in expected if k not in names.values()]
  if missing:
    raise UserError(f'the converted model differs from the Keras model in '
                    f'{", ".join(missing)}; not exported')
  return names, errors


def export_litert(pitch_model, path, batch_size=DEFAULT_BATCH_SIZE):
  """Writes a calibrated PitchModel as a .tflite with its metadata, atomically.

  Returns:
    {output key: relative max error against Keras} from the check.
  """
  if pitch_model.voicing is None:
    raise ValueError('calibrate the model first (voicing.ensure_calibrated)')
  from pitchfit import __version__  # pylint: disable=g-import-not-at-top
  data, function = convert(pitch_model, batch_size)
  windows = _test_windows(pitch_model, batch_size)
  names, errors = match_outputs(data, function, windows)
  variable = streaming.is_convolutional(pitch_model)
  if variable:  # and on a window of another length, 2.5 times as long
    hop = pitch_model.hop_size
    length = 5 * pitch_model.n_samples // 2 // hop * hop
    match_outputs(data, function, np.tile(windows, (1, 3))[:, :length])
  n_frames = int(function(windows)[0].shape[1])
  metadata = {
      'format': litert_model.FORMAT_VERSION,
      'pitchfit_version': __version__,
      'source': os.path.basename(os.fspath(pitch_model.source)),
      'config': config_lib.to_dict(pitch_model.config),
      'voicing': pitch_model.voicing,
      'sample_rate': int(pitch_model.sample_rate),
      'n_samples': int(pitch_model.n_samples),
      'n_frames': n_frames,
      'hop_size': int(pitch_model.n_samples // n_frames),
      'batch_size': int(batch_size),
      'variable_length': variable,
      'outputs': names,
  }
  data = litert_model.with_metadata(data, metadata)
  with atomic.atomic_path(os.fspath(path), suffix='.tmp.tflite') as tmp:
    with open(tmp, 'wb') as f:
      f.write(data)
  return errors
