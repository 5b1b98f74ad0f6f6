"""Pitch of any audio in one call: `pitchfit.predict`, and loading models for it.

    time, frequency, confidence = pitchfit.predict(audio, sample_rate)

As in CREPE: one row every `step_ms` (10 ms by default) at times 0, step,
2 step, ... (each the centre of the frame it describes), frequency in Hz on
every row (the model's best guess, also where it hears no pitch), and a voicing
confidence in [0, 1]; rows with confidence >= the voicing threshold (0.5)
are voiced (pitchfit.track.voicing says how it is calibrated). The result is
a `Track`: it unpacks as those three arrays and also carries `voiced`, and
on request the f0 posterior (`activation=True`) and notes (`notes=True`).

Options, as in CREPE, torchcrepe, PESTO and SwiftF0: `fmin`/`fmax` (the f0
range searched), `viterbi` (a smoothed path over the f0 posterior,
pitchfit.track.decode), `voicing_threshold`.

Models: the shipped default is a LiteRT flatbuffer run without TensorFlow
(pitchfit.track.litert_model); a `pitchfit train` save dir or a weights
`.npz` runs through TensorFlow (pitchfit.track.pitch_model). How a signal
goes through a model's fixed window: pitchfit.track.streaming. Files:
pitchfit.track.files.
"""

import collections
import dataclasses
import os
import sys
import types

import numpy as np

from pitchfit.errors import UserError
from pitchfit.track import litert_model
from pitchfit.track import streaming
from pitchfit.track import voicing

_ASSETS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       'assets')
DEFAULT_MODEL_PATH = os.path.join(_ASSETS, 'default_model.tflite')
# The same model's weights, for what needs TensorFlow (`pitchfit sample`
# resynthesizes; finetuning starts from it).
DEFAULT_WEIGHTS_PATH = os.path.join(_ASSETS, 'default_model.npz')
DEFAULT_STEP_MS = streaming.DEFAULT_STEP_MS
HALF_HOP = streaming.HALF_HOP
VOICING_THRESHOLD = voicing.THRESHOLD
_NO_DEFAULT_MODEL = (
    'no default model is shipped with this version of pitchfit; pass '
    '--model PATH (model=PATH in Python), where PATH is a .tflite written by '
    '`pitchfit export`, a `pitchfit train` save dir or a weights .npz')

_loaded_models = {}


# ------------------------------------------------------------------- models
def load_model(model=None):
  """A calibrated model from a path, a loaded model, or None (the default).

  `.tflite` files (`pitchfit export`) run with LiteRT, without TensorFlow;
  save dirs and weights `.npz` files load the Keras model (TensorFlow).
  Models loaded from a path are kept, so repeated `predict` calls with the
  same path load it once (as CREPE does).

  Raises:
    UserError: no default model is shipped, or the path is not a model.
  """
  if model is not None and not isinstance(model, (str, os.PathLike)):
    if getattr(model, 'voicing', None) is None:
      voicing.ensure_calibrated(model)
    return model
  if model is None:
    if not os.path.isfile(DEFAULT_MODEL_PATH):
      raise UserError(_NO_DEFAULT_MODEL)
    model = DEFAULT_MODEL_PATH
  path = os.path.abspath(os.fspath(model))
  if not os.path.exists(path):  # before any slow import
    raise UserError(f'{model}: no such model file or directory')
  key = _model_key(path)
  if key not in _loaded_models:
    if litert_model.is_litert_file(path):
      loaded = litert_model.LiteRTModel(path)
    else:
      loaded = load_tf_model(path)
    while len(_loaded_models) >= 2:  # models hold up to hundreds of MB
      del _loaded_models[next(iter(_loaded_models))]
    _loaded_models[key] = loaded
  return _loaded_models[key]


def load_tf_model(model=None):
  """The Keras model (TensorFlow) of a save dir or weights .npz, calibrated.

  For what LiteRT cannot do: resynthesis (`pitchfit sample`) and export.
  None is the shipped default model's weights.
  """
  from pitchfit.quiet import import_tensorflow  # pylint: disable=g-import-not-at-top
  from pitchfit.track.pitch_model import PitchModel  # pylint: disable=g-import-not-at-top
  if model is None:
    if not os.path.isfile(DEFAULT_WEIGHTS_PATH):
      raise UserError(_NO_DEFAULT_MODEL)
    model = DEFAULT_WEIGHTS_PATH
  path = os.fspath(model)
  if not os.path.exists(path):
    raise UserError(f'{model}: no such model file or directory')
  if litert_model.is_litert_file(path):
    raise UserError(f'{model}: a LiteRT model runs the tracker only; this '
                    'needs the Keras model (a save dir or a weights .npz)')
  import_tensorflow()
  loaded = PitchModel.load(path)
  if loaded.n_frames < 2:
    raise UserError(f'{model}: the model window has fewer than 2 frames')
  voicing.ensure_calibrated(loaded)
  return loaded


def _model_key(path):
  """Identifies what a path loads: a save dir by its newest checkpoint."""
  from pitchfit.model import checkpoints  # pylint: disable=g-import-not-at-top
  if os.path.isdir(path):
    path = checkpoints.latest(path) or path  # not the folder's mtime (logs)
  return (path, os.path.getmtime(path))


# ------------------------------------------------------------------ options
@dataclasses.dataclass(frozen=True)
class Options:
  """How to track: the options of `pitchfit predict` and `pitchfit.predict`.

  step_ms: output hop, ms. half_hop: a second model pass half a frame later
  (None: only for models with frames over 16 ms).
  fmin, fmax: f0 range searched, Hz (None: the model's own). viterbi: a
  smoothed path over the f0 posterior. voicing_threshold: voiced where
  confidence >= it. batch_size: windows per model call (None: the model's).
  """
  step_ms: float = DEFAULT_STEP_MS
  half_hop: bool = HALF_HOP   # None: by the model (streaming.uses_half_hop)
  fmin: float = None
  fmax: float = None
  viterbi: bool = False
  voicing_threshold: float = VOICING_THRESHOLD
  batch_size: int = None

  def check(self, pitch_model):
    """Raises UserError for values that cannot work with this model."""
    if not self.step_ms > 0:
      raise UserError(f'step must be positive, not {self.step_ms} ms')
    if not 0.0 <= self.voicing_threshold <= 1.0:
      raise UserError('the voicing threshold must be in 0..1, not '
                      f'{self.voicing_threshold}')
    if self.fmin is not None or self.fmax is not None:
      from pitchfit.track import decode  # pylint: disable=g-import-not-at-top
      bins = streaming.f0_bins_hz(pitch_model.config.model)
      try:
        decode.restrict_range(np.ones((1, bins.size)), bins, self.fmin,
                              self.fmax)
      except ValueError as e:
        raise UserError(str(e)) from None


def tracker_for(pitch_model, options, posterior=False):
  """A StreamingTracker of a model with these Options."""
  options.check(pitch_model)
  return streaming.StreamingTracker(
      pitch_model, options.step_ms, options.batch_size, options.half_hop,
      options.fmin, options.fmax, posterior=posterior or options.viterbi)


class Track(collections.namedtuple('Track', 'time frequency confidence')):
  """time [r] s, frequency [r] Hz, confidence [r] (unpacks as these three).

  Also: voiced (bool [r], confidence >= voicing_threshold),
  voicing_threshold, activation ([r, f0_bins] posterior or None), notes
  (list of pitchfit.track.notes.Note or None).
  """

  def __new__(cls, time, frequency, confidence, voicing_threshold=0.5,
              activation=None, notes=None):
    self = super().__new__(cls, time, frequency, confidence)
    self.voicing_threshold = voicing_threshold
    self.voiced = np.asarray(confidence) >= voicing_threshold
    self.activation = activation
    self.notes = notes
    return self


def finish_track(chunks, pitch_model, options, keep_activation=False):
  """Row chunks -> Track, with the Viterbi path applied if asked for.

  Viterbi picks one bin per row over the whole track (decode.viterbi_path)
  and reads f0 around it; voicing confidence is unchanged.
  """
  has_posterior = bool(chunks) and len(chunks[0]) > 3
  parts = streaming.concatenate(chunks, 4 if has_posterior else 3)
  time, frequency, confidence = parts[:3]
  activation = parts[3] if has_posterior else None
  if options.viterbi and activation is not None and time.size:
    from pitchfit.track import decode  # pylint: disable=g-import-not-at-top
    bins = streaming.f0_bins_hz(pitch_model.config.model)
    path = decode.viterbi_path(activation, bins)
    frequency = decode.frequency_at(
        activation, bins, path,
        pitch_model.config.model.f0_peak_radius_bins).astype(np.float32)
  return Track(time, frequency, confidence, options.voicing_threshold,
               activation if keep_activation else None)


def notes_of(track, options):
  """Notes of a Track at its voicing threshold (pitchfit.track.notes)."""
  from pitchfit.track import notes as notes_lib  # pylint: disable=g-import-not-at-top
  return notes_lib.segment_notes(track.time, track.frequency, track.confidence,
                                 threshold=options.voicing_threshold,
                                 hop_s=options.step_ms / 1000.0)


# ------------------------------------------------------------ the one call
def to_mono(audio):
  """[n] or [n, channels] -> float32 [n] (channels averaged)."""
  audio = np.asarray(audio, np.float32)
  if audio.ndim == 2:
    audio = audio.mean(axis=1)
  elif audio.ndim != 1:
    raise UserError(f'audio must be [n] or [n, channels], not {audio.shape}')
  return audio


def predict(audio, sample_rate, model=None, step_ms=DEFAULT_STEP_MS,
            batch_size=None, half_hop=HALF_HOP, fmin=None, fmax=None,
            viterbi=False, voicing_threshold=VOICING_THRESHOLD,
            activation=False, notes=False, quiet=True):
  """Pitch of a signal, CREPE-style.

  Args:
    audio: float [n] or [n, channels] (channels are averaged), any rate.
    sample_rate: of `audio`, Hz.
    model: a .tflite from `pitchfit export`, a `pitchfit train` save dir, a
      weights .npz, a loaded model, or None for the shipped default model.
    step_ms: output hop in milliseconds.
    batch_size: model windows per call (None: the model's own).
    half_hop: also run the model half a frame later and interleave, so it
      looks every hop / 2 (twice the compute).
    fmin, fmax: the f0 range searched, Hz (None: the model's whole range).
    viterbi: smooth the pitch path over the f0 posterior (fewer isolated
      octave jumps; CREPE's --viterbi).
    voicing_threshold: rows with confidence >= this are voiced.
    activation: also return the f0 posterior, Track.activation [r, bins].
    notes: also segment notes, Track.notes (onset, offset, MIDI, mean f0).
    quiet: False shows a progress bar on stderr.

  Returns:
    Track: (time [r] s, frequency [r] Hz, confidence [r] in 0..1), r = one
    row per step before the end of the audio, plus .voiced and the extras.

  Raises:
    UserError: no model, bad options, or NaN or infinite samples.
  """
  audio = to_mono(audio)
  if not np.all(np.isfinite(audio)):
    raise UserError('audio contains NaN or infinite samples')
  pitch_model = load_model(model)
  options = Options(step_ms, half_hop, fmin, fmax, viterbi, voicing_threshold,
                    batch_size)
  if sample_rate != pitch_model.sample_rate and audio.size:
    from pitchfit.io import audio as audio_io  # pylint: disable=g-import-not-at-top
    audio = audio_io.resample(audio, sample_rate, pitch_model.sample_rate)
  tracker = tracker_for(pitch_model, options, posterior=activation)
  chunks = []
  block = int(pitch_model.sample_rate * 8)
  bar = None
  if not quiet:  # quiet is the default: importing tqdm alone takes ~40 ms
    from tqdm import tqdm  # pylint: disable=g-import-not-at-top
    bar = tqdm(total=round(audio.size / pitch_model.sample_rate, 1), unit='s',
               disable=None, file=sys.stderr)
  for start in range(0, audio.size, block):
    chunks += tracker.push(audio[start:start + block])
    if bar is not None:
      bar.update(round(min(block, audio.size - start)
                       / pitch_model.sample_rate, 1))
  if bar is not None:
    bar.close()
  chunks += tracker.finish()
  track = finish_track(chunks, pitch_model, options, keep_activation=activation)
  if notes:
    track.notes = notes_of(track, options)
  return track


class _CallableModule(types.ModuleType):
  """Lets `pitchfit.predict(audio, sr)` call the function of the same name.

  A package attribute and its submodule share one name: importing
  pitchfit/track/predict.py sets `pitchfit.predict` to this module, so the
  module itself is made callable rather than shadowed by (or shadowing) a
  function.
  """

  def __call__(self, *args, **kwargs):
    return predict(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
