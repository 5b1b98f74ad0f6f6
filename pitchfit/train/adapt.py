"""`pitchfit adapt`: self-supervised adaptation to a user's unlabelled recordings.

    adapt(['~/my_oboe'], 'runs/my_oboe')        # then: pitchfit predict --model runs/my_oboe

Starts from a trained model (the shipped one by default), keeps training it on
batches that zip the user's audio with synthetic notes (whose controls are
known, so the pretraining losses keep the pitch anchored), and adds a loss
that needs no label on the user's audio (pitchfit.model.consistency: the f0
of a transposed copy must move by the transposition). Which losses, learning
rate and steps: METHODS, chosen by measurement (docs/adaptation.md).

Audio is read here, not through the `audio_folder` TFDS builder: every file
the user names is used (the builder would hash a fifth of them into
validation and test splits), a file that cannot be read or is silent is
named on one line and skipped, the folder is re-read when the command runs
again (new files join), nothing is copied to disk, and the transposed copy of
each window needs the audio after the window, which the builder's fixed
windows do not keep.

The save dir is a `pitchfit train` save dir (config.yaml, checkpoints/,
history.csv, logs/), so `pitchfit predict --model DIR` and `pitchfit export
DIR` read it, plus adapt.yaml (the starting model, the method, the files).
Running the same command again resumes from its newest checkpoint.

Over 400 lines because adaptation is one job from a user's folder to a model:
finding and screening the audio (with the errors a user sees), the input
pipeline with its transposed copies, and the resumable training loop.
"""

import dataclasses
import math
import os
import time

import numpy as np
import yaml

from pitchfit import config as config_lib
from pitchfit.errors import UserError
from pitchfit.io import atomic
from pitchfit.io import audio as audio_io

ADAPT_FILE = 'adapt.yaml'
DEFAULT_MINUTES = 30.0     # the default budget: at most this much wall clock
SILENCE_DBFS = -60.0       # a file whose loudest 32 ms is below this is silent
MAX_AUDIO_MINUTES = 120.0  # audio kept in memory; longer collections are cut
LOG_EVERY_STEPS = 25       # one history row (and Keras "epoch") per this many
CHECKPOINT_EVERY_SECONDS = 60.0


@dataclasses.dataclass(frozen=True)
class Method:
  """One adaptation recipe (docs/adaptation.md measures each).

  Attributes:
    steps: optimizer steps by default (also capped by DEFAULT_MINUTES).
    learning_rate: Adam's, constant.
    real_batch / synthetic_batch: examples of each kind per step.
    transposition_weight: weight of consistency.transposition_loss.
    max_shift_semitones: transpositions are uniform in +-this.
    paper_losses: also the paper's finetuning losses on the real audio
      (multi-scale spectral on both resyntheses, sinusoid->harmonic KDE),
      with the gradient stopped between the encoders.
    freeze: '' (train all), 'sinusoidal' or 'harmonic' (that encoder fixed).
  """
  steps: int = 300
  learning_rate: float = 3e-5
  real_batch: int = 8
  synthetic_batch: int = 8
  transposition_weight: float = 1.0
  max_shift_semitones: float = 4.0
  paper_losses: bool = False
  freeze: str = ''


METHODS = {
    'transposition': Method(),
    'transposition_no_synthetic': Method(synthetic_batch=0),
    'transposition_lr1e-5': Method(learning_rate=1e-5),
    'transposition_harmonic_only': Method(freeze='sinusoidal'),
    'transposition_lr1e-4': Method(learning_rate=1e-4),
    'transposition_long': Method(steps=1200),
    'paper': Method(transposition_weight=0.0, paper_losses=True),
    'synthetic_only': Method(transposition_weight=0.0),
}
DEFAULT_METHOD = 'transposition'


# --------------------------------------------------------------- the audio
@dataclasses.dataclass
class Recordings:
  """The user's audio, 16 kHz mono, and what was left out and why."""
  audio: list          # np.float32 [n] per usable file
  paths: list          # their paths (str)
  skipped: list        # one-line reasons, each naming its file

  @property
  def seconds(self):
    return sum(a.size for a in self.audio) / audio_io.DEFAULT_SAMPLE_RATE


def peak_frame_dbfs(audio, frame=512):
  """dBFS RMS of the loudest non-overlapping `frame`-sample block of audio [n]."""
  n = max(1, audio.size // frame)
  blocks = np.resize(audio, n * frame).reshape(n, frame) if audio.size >= frame \
      else audio[np.newaxis]
  rms = np.sqrt(np.mean(np.square(blocks, dtype=np.float64), axis=1))
  return 20.0 * np.log10(max(float(rms.max()), 1e-12))


def read_recordings(paths, on_skip=None, max_minutes=MAX_AUDIO_MINUTES):
  """Finds and reads the audio named by paths (files or folders).

  Raises:
    UserError: a path does not exist; no audio file is found; none is
      readable; all are silent. One line each.
  """
  on_skip = on_skip or (lambda message: None)
  files = audio_io.find_audio_files(paths)
  if not files:
    raise UserError(f'no audio files in {", ".join(map(str, paths))} '
                    f'({", ".join(audio_io.AUDIO_EXTENSIONS)})')
  kept, kept_paths, skipped, silent = [], [], [], 0
  budget = max_minutes * 60.0 * audio_io.DEFAULT_SAMPLE_RATE
  for path in files:
    try:
      audio = audio_io.load_audio(path)
    except UserError as e:
      skipped.append(f'{e}; skipped')
      on_skip(skipped[-1])
      continue
    if peak_frame_dbfs(audio) < SILENCE_DBFS:
      silent += 1
      skipped.append(f'{path}: silent (no 32 ms louder than {SILENCE_DBFS:.0f} '
                     'dBFS); skipped')
      on_skip(skipped[-1])
      continue
    if budget <= 0:
      skipped.append(f'{path}: beyond the first {max_minutes:.0f} minutes of '
                     'audio; not used')
      on_skip(skipped[-1])
      continue
    kept.append(audio[:int(budget)])
    kept_paths.append(str(path))
    budget -= audio.size
  if not kept:
    if silent == len(files):
      raise UserError(f'all {len(files)} audio file(s) are silent (no 32 ms '
                      f'louder than {SILENCE_DBFS:.0f} dBFS); nothing to adapt to')
    raise UserError(f'none of the {len(files)} audio file(s) could be used '
                    f'({skipped[0]}{" ..." if len(skipped) > 1 else ""})')
  return Recordings(kept, kept_paths, skipped)


def transpose(span, semitones, n_samples):
  """The first n_samples of span [m] played `semitones` higher, y(t) = x(r t).

  Resampled with soxr (pitchfit's one resampler); zero-padded if span is
  short. r = 2 ** (semitones / 12).
  """
  import soxr  # pylint: disable=g-import-not-at-top
  ratio = 2.0 ** (semitones / 12.0)
  rate = audio_io.DEFAULT_SAMPLE_RATE
  out = soxr.resample(span, rate * ratio, rate, quality=audio_io.SOXR_QUALITY)
  out = out[:n_samples]
  return np.pad(out, (0, n_samples - out.size)).astype(np.float32)


def window_stream(recordings, n_samples, hop, max_shift, seed):
  """Endless examples {'audio', 'shifted_audio', 'shift_semitones'}.

  A file is drawn in proportion to its length, a start on a whole hop, and
  windows quieter than SILENCE_DBFS are redrawn (up to 20 times). The
  transposition is uniform in +-max_shift semitones and is resampled from
  the audio that follows the window (pitch up reads further).
  """
  rng = np.random.default_rng(seed)
  lengths = np.array([a.size for a in recordings.audio], np.float64)
  weights = lengths / lengths.sum()
  longest = int(math.ceil(n_samples * 2.0 ** (max_shift / 12.0))) + 64
  while True:
    for _ in range(20):
      audio = recordings.audio[rng.choice(len(weights), p=weights)]
      n_starts = max(1, (audio.size - n_samples) // hop + 1)
      start = int(rng.integers(n_starts)) * hop
      window = audio[start:start + n_samples]
      if window.size and peak_frame_dbfs(window) >= SILENCE_DBFS:
        break
    window = np.pad(window, (0, n_samples - window.size))
    shift = float(rng.uniform(-max_shift, max_shift)) if max_shift else 0.0
    yield {'audio': window.astype(np.float32),
           'shifted_audio': transpose(audio[start:start + longest], shift,
                                      n_samples),
           'shift_semitones': np.float32(shift)}


# ---------------------------------------------------------------- the model
def starting_point(path):
  """(config, weights path) of a save dir or an exported .npz model."""
  from pitchfit.model import checkpoints  # pylint: disable=g-import-not-at-top
  if not os.path.exists(path):
    raise UserError(f'{path}: no such model file or directory')
  if os.path.isdir(path):
    ckpt = checkpoints.latest(path)
    config_path = os.path.join(path, 'config.yaml')
    if ckpt is None or not os.path.isfile(config_path):
      raise UserError(f'{path}: not a pitchfit model (needs config.yaml and '
                      'checkpoints/)')
    return config_lib.load(config_path), ckpt
  try:
    with np.load(path) as arrays:
      text = str(arrays['__config_yaml__']) if '__config_yaml__' in arrays.files \
          else None
  except (OSError, ValueError, EOFError) as e:
    raise UserError(f'{path}: not a pitchfit model ({e})') from None
  if text is None:
    raise UserError(f'{path}: not an exported pitchfit model (no config '
                    'inside; pass its save dir instead)')
  return config_lib.from_dict(yaml.safe_load(text), path), path


def adaptation_config(base, method, seed=0):
  """The base model's config set up for `method` (model sizes unchanged)."""
  config = config_lib.from_dict(config_lib.to_dict(base), '<adapt>')
  d, t, l = config.data, config.train, config.losses
  d.real = None            # the real half comes from window_stream
  d.synthetic = 'generator'
  d.synthetic_seed = 900_000 + seed   # notes pretraining never drew
  d.batch_size = method.synthetic_batch or 1
  d.synthetic_batch_size = method.synthetic_batch or None
  t.learning_rate = method.learning_rate
  t.decay_rate, t.decay_steps = 1.0, 1000
  t.restart_schedule = True
  t.restore_from = None
  t.log_every_steps = LOG_EVERY_STEPS
  t.checkpoint_every_steps = 10 ** 9       # by time instead
  t.checkpoint_every_seconds = CHECKPOINT_EVERY_SECONDS
  t.eval_every_steps = 0
  t.max_minutes = None
  t.seed = seed
  if method.paper_losses:  # the paper's finetuning (reference section 5)
    for spectral in (l.sin_spectral, l.harm_spectral):
      spectral.mag_weight = spectral.logmag_weight = 1.0
    l.kde.weight_a = l.kde.weight_b = l.kde.weight_mean_amp = 0.1
    l.kde.unsupervised_weight = 1.0
    config.model.stop_gradient = True
  return config


def build_model(config, method):
  """Compiled model with `method`'s frozen encoder and transposition weight."""
  import keras  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from pitchfit.model import autoencoder  # pylint: disable=g-import-not-at-top
  from pitchfit.train import job  # pylint: disable=g-import-not-at-top
  model = autoencoder.TranscribingAutoencoder(config)
  model(tf.zeros([1, config.model.n_samples]), synthesize=False)
  if method.freeze:
    getattr(model, f'{method.freeze}_encoder').trainable = False
  model.transposition_weight = float(method.transposition_weight)
  optimizer = keras.optimizers.Adam(job.learning_rate_schedule(config.train),
                                    global_clipnorm=config.train.clip_norm)
  model.compile(optimizer=optimizer)
  optimizer.build(model.trainable_variables)
  return model


def train_dataset(config, method, recordings, start_step):
  """(real, synthetic) batches, or real batches alone without a synthetic half."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from pitchfit.train import data  # pylint: disable=g-import-not-at-top
  m = config.model
  n = m.n_samples
  spec = {'audio': tf.TensorSpec([n], tf.float32),
          'shifted_audio': tf.TensorSpec([n], tf.float32),
          'shift_semitones': tf.TensorSpec([], tf.float32)}
  seed = config.train.seed * 1_000_003 + start_step
  real = tf.data.Dataset.from_generator(
      lambda: window_stream(recordings, n, m.hop_size,
                            method.max_shift_semitones, seed),
      output_signature=spec).batch(method.real_batch, drop_remainder=True)
  if not method.synthetic_batch:
    return real.prefetch(2)
  synthetic = data.synthetic_train(
      config.data, m.n_frames, start_step * method.synthetic_batch,
      m.hop_size).batch(
          method.synthetic_batch, drop_remainder=True)
  return tf.data.Dataset.zip((real, synthetic)).prefetch(2)


# ------------------------------------------------------------------ the run
def _progress_callback(total_steps, start_step, enabled):
  import keras  # pylint: disable=g-import-not-at-top
  from tqdm import tqdm  # pylint: disable=g-import-not-at-top

  class Progress(keras.callbacks.Callback):
    """One tqdm bar over all steps, with the loss."""

    def on_train_begin(self, logs=None):
      self.bar = tqdm(total=total_steps, initial=start_step, unit='step',
                      desc='adapting', disable=not enabled or None,
                      dynamic_ncols=True)

    def on_train_batch_end(self, batch, logs=None):
      self.bar.update(1)
      if logs and batch % 5 == 0:
        self.bar.set_postfix(loss=f'{float(logs.get("total_loss", 0.0)):.3f}')

    def on_train_end(self, logs=None):
      self.bar.close()

  return Progress()


def _write_record(save_dir, record):
  with atomic.atomic_open(os.path.join(save_dir, ADAPT_FILE)) as f:
    yaml.safe_dump(record, f, sort_keys=False)


def _read_record(save_dir):
  path = os.path.join(save_dir, ADAPT_FILE)
  if not os.path.isfile(path):
    return None
  with open(path) as f:
    return yaml.safe_load(f)


def adapt(paths, save_dir, from_model=None, steps=None, minutes=None,
          method=DEFAULT_METHOD, seed=0, echo=print, progress=True):
  """Adapts a model to unlabelled recordings; resumable. Returns the save dir.

  Args:
    paths: audio files and/or folders (searched recursively).
    save_dir: where the adapted model goes; if it holds an adaptation
      already, that one resumes (same starting model and method).
    from_model: a save dir or exported .npz [default: the shipped model].
    steps / minutes: budget; at most one. Default: the method's steps,
      stopped after DEFAULT_MINUTES of training (interrupted runs count).
    method: a key of METHODS.
  """
  if steps is not None and minutes is not None:
    raise UserError('give --steps or --minutes, not both')
  if method not in METHODS:
    raise UserError(f'unknown adaptation method {method!r} (known: '
                    f'{", ".join(METHODS)})')
  recordings = read_recordings(paths, on_skip=lambda m: echo(f'pitchfit: {m}'))
  echo(f'Adapting to {len(recordings.audio)} file(s), '
       f'{recordings.seconds / 60.0:.1f} min of audio'
       + (f' ({len(recordings.skipped)} skipped)' if recordings.skipped else '')
       + f' -> {save_dir}')
  from pitchfit.quiet import import_tensorflow  # pylint: disable=g-import-not-at-top
  import_tensorflow()
  import keras  # pylint: disable=g-import-not-at-top
  from pitchfit.model import checkpoints  # pylint: disable=g-import-not-at-top
  from pitchfit.track import predict as predict_lib  # pylint: disable=g-import-not-at-top
  from pitchfit.train import job  # pylint: disable=g-import-not-at-top

  record = _read_record(save_dir)
  source = os.path.abspath(from_model) if from_model else None
  if record is not None:
    if source and source != record['from']:
      raise UserError(f'{save_dir}: adapts {record["from"]}, not {source}; '
                      'use another --save-dir to start from another model')
    if method != DEFAULT_METHOD and method != record['method']:
      raise UserError(f'{save_dir}: was adapted with method '
                      f'{record["method"]!r}; use another --save-dir')
    source, method = record['from'], record['method']
  source = source or predict_lib.DEFAULT_WEIGHTS_PATH
  if not os.path.exists(source):
    raise UserError(f'{source}: no such model (pass --from a save dir or an '
                    'exported .npz)')
  recipe = METHODS[method]
  base, weights = starting_point(source)
  if record is not None and os.path.isfile(os.path.join(save_dir, 'config.yaml')):
    config = config_lib.load(os.path.join(save_dir, 'config.yaml'))
  else:
    config = adaptation_config(base, recipe, seed)
  total_steps = steps if steps is not None else (
      10 ** 9 if minutes is not None else recipe.steps)
  max_minutes = minutes if minutes is not None else (
      None if steps is not None else DEFAULT_MINUTES)
  config.train.steps = total_steps

  os.makedirs(save_dir, exist_ok=True)
  config_lib.dump(config, os.path.join(save_dir, 'config.yaml'))
  _write_record(save_dir, {'from': os.path.abspath(source), 'method': method,
                           'method_settings': dataclasses.asdict(recipe),
                           'files': recordings.paths,
                           'skipped': recordings.skipped})
  ckpt_dir = os.path.join(save_dir, checkpoints.CHECKPOINT_DIR)
  keras.utils.set_random_seed(config.train.seed)
  model = build_model(config, recipe)
  resume_from = checkpoints.latest(ckpt_dir) if os.path.isdir(ckpt_dir) else None
  if resume_from:
    checkpoints.restore(model, resume_from)
    echo(f'Resumed from step {checkpoints.step_of(resume_from)}.')
  else:
    checkpoints.restore(model, weights, restore_optimizer=False)
    checkpoints.save(model, ckpt_dir, 0)  # predict works from the start
  start_step = int(model.optimizer.iterations.numpy())
  if start_step >= total_steps:
    echo(f'Already adapted for {start_step} steps; nothing to do.')
    return save_dir
  keras.utils.set_random_seed(config.train.seed + start_step)

  run_log = job.RunLog(os.path.join(save_dir, 'history.csv'))
  if max_minutes is not None and run_log.minutes_done >= max_minutes:
    echo(f'Already adapted for {run_log.minutes_done:.1f} minutes '
         f'(budget {max_minutes:g}); nothing to do.')
    return save_dir
  checkpointer = job.Checkpointer(ckpt_dir, None, CHECKPOINT_EVERY_SECONDS)
  callbacks = [
      job.StopCondition(total_steps, max_minutes, run_log.minutes_done),
      checkpointer, run_log,
      _progress_callback(total_steps, start_step, progress),
  ]
  per_epoch = LOG_EVERY_STEPS
  started = time.time()
  try:
    model.fit(train_dataset(config, recipe, recordings, start_step),
              epochs=-(-total_steps // per_epoch),
              initial_epoch=start_step // per_epoch,
              steps_per_epoch=per_epoch, callbacks=callbacks, shuffle=False,
              verbose=0)
  except KeyboardInterrupt:
    # Between steps the weights are whole: keep them.
    checkpoints.save(model, ckpt_dir, int(model.optimizer.iterations.numpy()))
    raise
  step = int(model.optimizer.iterations.numpy())
  echo(f'Adapted {step - start_step} steps in {(time.time() - started) / 60:.1f} '
       f'min (step {step}); use it with: pitchfit predict --model {save_dir}')
  return save_dir
