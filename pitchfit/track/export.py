"""`pitchfit export`: the tracking part of a model as a LiteRT flatbuffer.

TensorFlow side of pitchfit.track.litert_model. The exported graph is
audio windows [batch_size, n_samples] -> f0_hz (decoded around the f0
softmax's peak, as PitchModel does), f0_logits, harm_amps, noise_magnitudes
per frame: no resynthesis, no losses, no optimizer. For the log-frequency
CNNs the graph starts one step later, at the windows' STFT magnitudes
(format 2, `stft_inputs` in the metadata), which the runtime computes in
NumPy, about three times as fast as LiteRT's FFT kernel
(pitchfit.dsp.numpy_stft).

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
noise and on a tone (through the NumPy front end when it has one) and
compared with the Keras model on the same audio, output by output; a
mismatch fails the export rather than shipping a different model. The same
comparison tells which output tensor is which, stored in the metadata.
"""

import os

import numpy as np

from pitchfit import config as config_lib
from pitchfit.dsp import numpy_stft
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


def _tracking_outputs(pitch_model, outputs):
  """The exported outputs, in OUTPUT_KEYS order, from the model's dict."""
  from pitchfit.dsp import core  # pylint: disable=g-import-not-at-top
  c = pitch_model.config.model
  f0_hz = core.frequencies_around_peak(outputs['f0_logits'], c.f0_bins,
                                       c.f0_hz_min, c.f0_hz_max,
                                       c.f0_peak_radius_bins)
  return (f0_hz, outputs['f0_logits'], outputs['harm_amps'],
          outputs['noise_magnitudes'])


def tracking_function(pitch_model, batch_size):
  """The model's tracking outputs as a tf.function of [batch_size, n_samples].

  n_samples is free (None) for the CNNs (`streaming.is_convolutional`).
  The reference the export is checked against, and what is converted for
  the ResNets.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top

  def run(audio):
    return _tracking_outputs(pitch_model,
                             pitch_model.model(audio, synthesize=False))

  variable = streaming.is_convolutional(pitch_model)
  n_samples = None if variable else pitch_model.n_samples
  spec = tf.TensorSpec([batch_size, n_samples], tf.float32, name='audio')
  return tf.function(run, input_signature=[spec])


def stft_input_name(fft_size):
  """The flatbuffer input holding the |STFT| of fft_size-sample frames."""
  return f'stft_magnitudes_{int(fft_size)}'


def magnitudes_function(pitch_model, batch_size):
  """The CNNs' tracking outputs from their STFT magnitudes, a tf.function.

  One input per model.spectrum_fft_sizes, [batch_size, frames (free),
  fft_size // 2 + 1], named by stft_input_name: what is converted for the
  log-frequency CNNs, whose runtime computes the magnitudes in NumPy
  (pitchfit.dsp.numpy_stft; see its docstring for why).
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  sizes = pitch_model.config.model.spectrum_fft_sizes
  specs = [tf.TensorSpec([batch_size, None, size // 2 + 1], tf.float32,
                         name=stft_input_name(size)) for size in sizes]

  def run(*magnitudes):
    return _tracking_outputs(
        pitch_model, pitch_model.model.track_from_magnitudes(list(magnitudes)))

  return tf.function(run, input_signature=specs)


def convert(pitch_model, batch_size=DEFAULT_BATCH_SIZE):
  """Converts a PitchModel: (flatbuffer bytes, the audio tf.function it matches).

  A log-frequency CNN is converted from its STFT magnitudes on
  (`magnitudes_function`), any other model from audio (`tracking_function`);
  the second value is always the audio function, the reference.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  function = tracking_function(pitch_model, batch_size)
  converted = (magnitudes_function(pitch_model, batch_size)
               if streaming.is_convolutional(pitch_model) else function)
  rnns = _recurrent_layers(pitch_model.model)
  saved = [layer.unroll for layer in rnns]
  try:
    for layer in rnns:
      layer.unroll = True
    concrete = converted.get_concrete_function()
    # The tf.function, not the Keras model, as the trackable object: with the
    # model there, the converted graph's outputs were all NaN (TF 2.21).
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [concrete], converted)
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


def stft_inputs(data):
  """{input name: fft_size} of a flatbuffer converted from magnitudes, or {}.

  Read from the inputs' widths (fft_size // 2 + 1): the names the converter
  gives them need not be the TensorSpecs'.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  details = tf.lite.Interpreter(model_content=data).get_input_details()
  if len(details) == 1 and len(details[0]['shape_signature']) == 2:
    return {}  # audio windows
  return {d['name']: 2 * (int(d['shape_signature'][-1]) - 1) for d in details}


def _model_inputs(windows, stft_sizes, hop_size):
  """{input name: array} for the flatbuffer, from audio windows."""
  if not stft_sizes:
    return None
  return {name: numpy_stft.stft_magnitudes(windows, size, hop_size)
          for name, size in stft_sizes.items()}


def match_outputs(data, function, windows, stft_sizes=None, hop_size=None):
  """Maps the flatbuffer's output tensor names to OUTPUT_KEYS by value.

  Args:
    data: the flatbuffer.
    function: the Keras model's audio tf.function (the reference).
    windows: float32 [batch_size, n] audio.
    stft_sizes: `stft_inputs(data)`: when not empty, the flatbuffer is fed
      the windows' magnitudes from pitchfit.dsp.numpy_stft, as the runtime
      does, so the check covers the NumPy half too.
    hop_size: samples per frame (with stft_sizes).

  Raises:
    UserError: an output of the converted model differs from Keras's.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  expected = dict(zip(litert_model.OUTPUT_KEYS,
                      (v.numpy() for v in function(windows))))
  interpreter = tf.lite.Interpreter(model_content=data)
  inputs = _model_inputs(windows, stft_sizes, hop_size)
  by_name = {d['name']: d['index'] for d in interpreter.get_input_details()}
  if inputs is None:
    inputs = {next(iter(by_name)): windows}
  for name, value in inputs.items():  # free time axis
    interpreter.resize_tensor_input(by_name[name], value.shape)
  interpreter.allocate_tensors()
  for name, value in inputs.items():
    interpreter.set_tensor(by_name[name], value)
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
  stft_sizes = stft_inputs(data)
  hop = pitch_model.hop_size
  names, errors = match_outputs(data, function, windows, stft_sizes, hop)
  variable = streaming.is_convolutional(pitch_model)
  if variable:  # and on a window of another length, 2.5 times as long
    length = 5 * pitch_model.n_samples // 2 // hop * hop
    match_outputs(data, function, np.tile(windows, (1, 3))[:, :length],
                  stft_sizes, hop)
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
  if stft_sizes:
    metadata['stft_inputs'] = stft_sizes
  data = litert_model.with_metadata(data, metadata)
  with atomic.atomic_path(os.fspath(path), suffix='.tmp.tflite') as tmp:
    with open(tmp, 'wb') as f:
      f.write(data)
  return errors
