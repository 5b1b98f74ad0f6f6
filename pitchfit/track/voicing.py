"""Voicing confidence: how sure a model is that a frame has a pitch, 0..1.

The transcribing autoencoder has no voicing output, but it explains every
frame as harmonics plus filtered noise, and it picks f0 from a softmax. Three
of its outputs tell a pitched frame from an unpitched one:

  * `amp_db`: power of the harmonic part, dB (silence drives it to -140 dB),
  * `hnr_db`: harmonic-to-noise power ratio, dB (breath, consonants, noise),
  * `f0_peak`: log of the f0 softmax's largest probability (a pitch the model
    is sure of has one sharp bin, as in CREPE's confidence).

`confidence = sigmoid(w . features + b)`: a logistic regression fitted per
model on synthetic notes, whose voicing is known (silent notes, 10-25 % of
frames), with the two classes weighted equally. The notes are clean: fits on
notes with the model's training augmentations were measured and not adopted
(experiments/voicing_calibration_v2). So `THRESHOLD = 0.5` is the
point where a voiced and an unvoiced frame are equally likely under a 50/50
prior; frames at or above it are reported as voiced. Real audio never enters
the calibration (the eval data is for evaluation only).

Frames whose input is near digital silence (below `SILENCE_DB` dBFS) are
faded to confidence 0 whatever the model says: with no signal there is no
pitch, and an uncalibrated corner of the model should not claim one.

A model is calibrated once: `pitchfit export` stores the fit in the exported
file (.tflite metadata or .npz). A `pitchfit train` checkpoint is fitted in
memory when first tracked and the fit is cached under the user's cache folder
(`$PITCHFIT_CACHE_DIR`, else `$XDG_CACHE_HOME/pitchfit`, else
`~/.cache/pitchfit`), keyed by the checkpoint's path, size and time: reading a
run directory never writes into it.
"""

import os

import numpy as np

from pitchfit.io import atomic

THRESHOLD = 0.5
SILENCE_DB = -70.0        # dBFS RMS of the input around a frame; 0 confidence
SILENCE_FADE_DB = 10.0    # below SILENCE_DB - this; full confidence above it.
LEVEL_WINDOW = 2048       # samples of input measured around each frame
FEATURE_NAMES = ('amp_db', 'hnr_db', 'f0_peak')
CACHE_FOLDER = 'voicing'
# Generator seed of the calibration notes: not the training seed (0) nor a
# TFDS split's, so a model is calibrated on notes it never trained on.
CALIBRATION_SEED = 7_000_003
# Part of a cached calibration's key: raised when the fit changes, so a cache
# never hands back a fit made the old way. 2: the synthesizer's noise is
# seeded (before, two fits of one model differed slightly).
CALIBRATION_VERSION = 2
_POWER_FLOOR = 1e-14      # -140 dB, the synthetic notes' silence


def _db(power):
  return 10.0 * np.log10(np.maximum(power, _POWER_FLOOR))


def frame_features(outputs):
  """Voicing features of each frame from the model's outputs.

  Args:
    outputs: dict of numpy arrays from PitchModel: harm_amps [b, f, harmonics]
      (linear sinusoid amplitudes, zero above Nyquist), noise_magnitudes
      [b, f, bands] (linear filter gains), f0_logits [b, f, bins].

  Returns:
    float32 [b, f, 3]: amp_db, hnr_db (dB) and f0_peak (natural log, <= 0).
  """
  harm_power = 0.5 * np.sum(np.square(outputs['harm_amps']), axis=-1)
  # Uniform noise in [-1, 1] has power 1/3; the filter scales it by the mean
  # squared gain (a constant factor either way, absorbed by the bias).
  noise_power = np.mean(np.square(outputs['noise_magnitudes']), axis=-1) / 3.0
  logits = outputs['f0_logits'].astype(np.float64)
  logits = logits - logits.max(axis=-1, keepdims=True)
  f0_peak = -np.log(np.sum(np.exp(logits), axis=-1))  # log max softmax prob
  amp_db = _db(harm_power)
  hnr_db = np.clip(amp_db - _db(noise_power), -100.0, 100.0)
  return np.stack([amp_db, hnr_db, f0_peak], axis=-1).astype(np.float32)


def input_level_db(windows, hop, n_frames):
  """RMS level of the input around each frame, dBFS.

  Args:
    windows: float32 [b, n_samples] model input.
    hop: samples per frame; frame k describes sample k * hop.
    n_frames: frames per window.

  Returns:
    float32 [b, n_frames]: RMS in dB (re full scale 1.0) of the LEVEL_WINDOW
    samples centred on each frame (zeros beyond the window's ends).
  """
  windows = np.asarray(windows, np.float64)
  half = LEVEL_WINDOW // 2
  padded = np.pad(np.square(windows), [(0, 0), (half + 1, half)])
  cumsum = np.cumsum(padded, axis=-1)
  centres = np.arange(n_frames) * hop + half + 1
  energy = cumsum[:, centres + half - 1] - cumsum[:, centres - half - 1]
  return _db(energy / LEVEL_WINDOW).astype(np.float32)


def confidence(features, calibration, level_db=None):
  """Voicing confidence in [0, 1] of each frame.

  Args:
    features: [..., 3] from frame_features.
    calibration: {'weights': [3], 'bias': float} from `fit`.
    level_db: optional [...] input level from input_level_db; near-silent
      frames are faded to 0.

  Returns:
    float32 [...] in [0, 1]; >= THRESHOLD means voiced.
  """
  weights = np.asarray(calibration['weights'], np.float64)
  logit = np.asarray(features, np.float64) @ weights + calibration['bias']
  result = 0.5 * (1.0 + np.tanh(0.5 * logit))  # sigmoid without overflow
  if level_db is not None:
    fade = (np.asarray(level_db) - (SILENCE_DB - SILENCE_FADE_DB)) / SILENCE_FADE_DB
    result = result * np.clip(fade, 0.0, 1.0)
  return result.astype(np.float32)


def fit(features, voiced):
  """Fits the logistic calibration on labelled frames.

  Args:
    features: [n, 3] from frame_features.
    voiced: bool [n], the truth.

  Returns:
    {'weights': [3] floats, 'bias': float, 'balanced_accuracy': float,
     'n_frames': int}.

  Raises:
    ValueError: if the frames hold only one class.
  """
  from sklearn.linear_model import LogisticRegression  # pylint: disable=g-import-not-at-top
  features = np.asarray(features, np.float64).reshape(-1, len(FEATURE_NAMES))
  voiced = np.asarray(voiced, bool).reshape(-1)
  if voiced.all() or not voiced.any():
    raise ValueError('calibration frames are all voiced or all unvoiced')
  # Fit on standardised features (well-conditioned), report per raw unit.
  mean, std = features.mean(axis=0), features.std(axis=0) + 1e-6
  regression = LogisticRegression(class_weight='balanced', C=1.0)
  regression.fit((features - mean) / std, voiced)
  weights = regression.coef_[0] / std
  bias = float(regression.intercept_[0] - np.sum(weights * mean))
  calibration = {'weights': [float(w) for w in weights], 'bias': bias}
  predicted = confidence(features, calibration) >= THRESHOLD
  balanced = 0.5 * (np.mean(predicted[voiced]) + np.mean(~predicted[~voiced]))
  calibration.update(balanced_accuracy=float(balanced),
                     n_frames=int(voiced.size))
  return calibration


def synthetic_frames(pitch_model, n_examples=128, seed=CALIBRATION_SEED,
                     batch_size=16):
  """Runs a model on rendered synthetic notes: (features [n, 3], voiced [n]).

  Notes are drawn from the generator in the model's training style (the
  paper's for a style it does not know), on the model's frames
  (`synthetic_notes.retime`) and window, and rendered with seeded noise, so
  one model always gets one calibration. A frame is voiced where its true
  harmonic amplitude reaches the training loss's amp_threshold (silent
  notes sit at about 1e-7).
  """
  from pitchfit.notes import augment  # pylint: disable=g-import-not-at-top
  from pitchfit.notes import generator as synthetic_notes  # pylint: disable=g-import-not-at-top
  from pitchfit.notes.generator import CONTROL_KEYS  # pylint: disable=g-import-not-at-top
  m = pitch_model.config.model
  # The notes the model was trained on (speech with its unvoiced fricatives,
  # for the 10-ms model), on the model's own frame grid.
  style = pitch_model.config.data.synthetic_style
  if style not in synthetic_notes.NOTE_STYLES:
    style = 'paper'
  note_config = synthetic_notes.note_config(
      style, n_frames=m.n_frames, n_noise_bands=m.n_noise_bands,
      n_harmonics=m.n_harmonics, hop_size=m.hop_size)
  threshold = pitch_model.config.losses.harmonic.amp_threshold
  features, voiced = [], []
  for start in range(0, n_examples, batch_size):
    indices = range(start, min(start + batch_size, n_examples))
    examples = [synthetic_notes.generate_example(seed, i, note_config)
                for i in indices]
    controls = augment.as_controls(
        {k: np.stack([e[k] for e in examples]) for k in CONTROL_KEYS})
    audio = augment.render(controls, m.n_samples, m.sample_rate,
                           noise_seed=seed + start).numpy()
    outputs = pitch_model(audio)
    features.append(frame_features(outputs).reshape(-1, len(FEATURE_NAMES)))
    voiced.append(controls['harm_amp'].numpy().reshape(-1) >= threshold)
  return np.concatenate(features), np.concatenate(voiced)


def calibrate(pitch_model, n_examples=128, seed=CALIBRATION_SEED):
  """Fits a model's voicing calibration on synthetic notes (see module doc)."""
  features, voiced = synthetic_frames(pitch_model, n_examples, seed)
  return fit(features, voiced)


def cache_dir():
  """The folder of cached calibrations (created on first write)."""
  root = os.environ.get('PITCHFIT_CACHE_DIR')
  if not root:
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(
        os.path.expanduser('~'), '.cache')
    root = os.path.join(base, 'pitchfit')
  return os.path.join(root, CACHE_FOLDER)


def cache_path(checkpoint_path):
  """Where the calibration of a checkpoint file is cached, or None.

  The name hashes the checkpoint's absolute path, size and modification
  time and CALIBRATION_VERSION, so a retrained or replaced checkpoint, or a
  changed way of fitting, is never given an old fit.
  """
  try:
    stat = os.stat(checkpoint_path)
  except OSError:
    return None
  import hashlib  # pylint: disable=g-import-not-at-top  (TF models only)
  key = (f'{os.path.abspath(checkpoint_path)}|{stat.st_size}|'
         f'{stat.st_mtime_ns}|{CALIBRATION_VERSION}')
  digest = hashlib.sha256(key.encode()).hexdigest()[:24]
  return os.path.join(cache_dir(), f'{digest}.yaml')


def ensure_calibrated(pitch_model):
  """Gives pitch_model.voicing a calibration: stored, cached or fitted now.

  A fit is cached under cache_dir() (written atomically; skipped silently
  where that folder cannot be written), never beside the model.

  Returns:
    The calibration dict (also set on pitch_model.voicing).
  """
  if pitch_model.voicing is not None:
    return pitch_model.voicing
  # Here only for TensorFlow models without a stored calibration: the
  # LiteRT tracking path never loads yaml.
  import yaml  # pylint: disable=g-import-not-at-top
  cache = cache_path(pitch_model.source) if pitch_model.source else None
  if cache and os.path.isfile(cache):
    try:
      with open(cache) as f:
        cached = yaml.safe_load(f)
      if isinstance(cached, dict) and 'weights' in cached:
        pitch_model.voicing = cached
        return pitch_model.voicing
    except (OSError, yaml.YAMLError):
      pass  # a damaged cache is refitted below
  pitch_model.voicing = calibrate(pitch_model)
  if cache:
    try:
      os.makedirs(os.path.dirname(cache), exist_ok=True)
      with atomic.atomic_open(cache) as f:
        yaml.safe_dump(pitch_model.voicing, f)
    except OSError:
      pass  # read-only home: the fit is simply not cached
  return pitch_model.voicing
