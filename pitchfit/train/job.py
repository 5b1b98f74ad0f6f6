"""The training job behind `pitchfit train`: Keras fit with resumable checkpoints.

Save dir layout:
  config.yaml        the resolved config of the run
  checkpoints/       ckpt-<step>.npz (model + optimizer), newest few kept
  logs/              TensorBoard (train/ and validation/)
  history.csv        one row per log interval: step, minutes, losses, RPA

Running again with the same save dir resumes from its newest checkpoint.
"""

import csv
import os
import time

import keras
import tensorflow as tf

from pitchfit.io import atomic
from pitchfit.model import checkpoints
from pitchfit import config as config_lib
from pitchfit.train import data
from pitchfit.model import autoencoder as model_lib
from pitchfit.model import nn
from pitchfit.errors import UserError


def make_strategy(name):
  """tf.distribute strategy for config.train.distribution."""
  if name == 'default':
    return tf.distribute.get_strategy()
  if name == 'mirrored':
    return tf.distribute.MirroredStrategy()
  if name == 'multi_worker':  # reads the cluster from TF_CONFIG
    return tf.distribute.MultiWorkerMirroredStrategy()
  if name == 'tpu':
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)
  raise UserError(f'unknown train.distribution {name!r}')


def learning_rate_schedule(train_config):
  """Adam's lr: learning_rate * decay_rate ** (step / decay_steps)."""
  return keras.optimizers.schedules.ExponentialDecay(
      train_config.learning_rate, train_config.decay_steps,
      train_config.decay_rate)


def build_model(config):
  """A compiled TranscribingAutoencoder with its variables and optimizer built."""
  model = model_lib.TranscribingAutoencoder(config)
  model(tf.zeros([1, config.model.n_samples]), synthesize=False)
  optimizer = keras.optimizers.Adam(learning_rate_schedule(config.train),
                                    global_clipnorm=config.train.clip_norm)
  model.compile(optimizer=optimizer)
  optimizer.build(model.trainable_variables)
  return model


def restore_pretrained(model, path, restart_schedule):
  """Loads pretrained weights for finetuning (a save dir or a ckpt file)."""
  ckpt = path if os.path.isfile(path) else checkpoints.latest(path)
  if ckpt is None:
    raise UserError(f'restore_from: {path}: no checkpoint found there')
  kept = checkpoints.restore(model, ckpt, restore_optimizer=False,
                             may_be_new=nn.ZERO_INIT_LAYERS)
  if kept:
    print(f'restore_from: {len(kept)} variables not in {ckpt} start at '
          f'their (function-preserving) initial values: {", ".join(kept)}')
  if not restart_schedule:
    model.optimizer.iterations.assign(checkpoints.step_of(ckpt))
  return ckpt


# ------------------------------------------------------------------ callbacks
class Checkpointer(keras.callbacks.Callback):
  """Saves every N steps and/or every T seconds, and when training ends."""

  def __init__(self, directory, every_steps=None, every_seconds=None, keep=3):
    super().__init__()
    self.directory = directory
    self.every_steps = every_steps
    self.every_seconds = every_seconds
    self.keep = keep
    self._last_time = time.time()
    self._last_step = None

  def _save(self, step):
    if step != self._last_step:
      checkpoints.save(self.model, self.directory, step, self.keep)
      self._last_step = step
      self._last_time = time.time()

  def on_train_batch_end(self, batch, logs=None):
    step = int(self.model.optimizer.iterations.numpy())
    if ((self.every_steps and step % self.every_steps == 0)
        or (self.every_seconds
            and time.time() - self._last_time >= self.every_seconds)):
      self._save(step)

  def on_train_end(self, logs=None):
    self._save(int(self.model.optimizer.iterations.numpy()))


class StopCondition(keras.callbacks.Callback):
  """Stops at a total step count or after a wall-clock training budget.

  The budget counts minutes of earlier (interrupted) runs too.
  """

  def __init__(self, max_steps, max_minutes=None, minutes_done=0.0):
    super().__init__()
    self.max_steps = max_steps
    self.max_minutes = max_minutes
    self._start = time.time() - 60.0 * minutes_done

  def on_train_batch_end(self, batch, logs=None):
    step = int(self.model.optimizer.iterations.numpy())
    over_time = (self.max_minutes is not None
                 and time.time() - self._start > 60.0 * self.max_minutes)
    if step >= self.max_steps or over_time:
      self.model.stop_training = True


class RunLog(keras.callbacks.Callback):
  """Adds step, minutes and learning rate to the logs and keeps history.csv.

  Runs before TensorBoard so those values are plotted too. Minutes accumulate
  across resumed runs (read back from history.csv). Validation columns appear
  only on evaluation epochs, so the file is rewritten (atomically) whenever
  the set of columns grows.
  """

  def __init__(self, path):
    super().__init__()
    self.path = path
    self.rows = []
    if os.path.exists(path):
      with open(path) as f:
        self.rows = list(csv.DictReader(f))
    self.minutes_done = float(self.rows[-1]['minutes']) if self.rows else 0.0
    self._start = time.time()

  def on_epoch_end(self, epoch, logs=None):
    if logs is None:
      return
    optimizer = self.model.optimizer
    logs['learning_rate'] = float(optimizer.learning_rate.numpy())
    logs['step'] = int(optimizer.iterations.numpy())
    logs['minutes'] = self.minutes_done + (time.time() - self._start) / 60.0
    self.rows.append({k: f'{float(v):.6g}' for k, v in logs.items()})
    fields = ['step', 'minutes']
    for row in self.rows:
      fields += [k for k in row if k not in fields]
    with atomic.atomic_open(self.path, newline='') as f:
      writer = csv.DictWriter(f, fieldnames=fields)
      writer.writeheader()
      writer.writerows(self.rows)


# ------------------------------------------------------------------ the job
def train(config, save_dir, verbose=1, echo=print):
  """Trains (or resumes) a model as configured; returns the Keras History."""
  t = config.train
  os.makedirs(save_dir, exist_ok=True)
  saved_config = os.path.join(save_dir, 'config.yaml')
  ckpt_dir = os.path.join(save_dir, checkpoints.CHECKPOINT_DIR)
  resume_from = checkpoints.latest(ckpt_dir) if os.path.isdir(ckpt_dir) else None
  config_lib.dump(config, saved_config)

  # Every draw (initial weights, augmentations, shuffles) follows train.seed.
  keras.utils.set_random_seed(t.seed)
  strategy = make_strategy(t.distribution)
  with strategy.scope():
    model = build_model(config)
  if resume_from:
    checkpoints.restore(model, resume_from)
    echo(f'Resumed from step {checkpoints.step_of(resume_from)} '
         f'({resume_from}).')
  elif t.restore_from:
    ckpt = restore_pretrained(model, t.restore_from, t.restart_schedule)
    echo(f'Loaded pretrained weights from {ckpt}'
         + ('' if t.restart_schedule else
            f' (continuing its lr schedule at step {checkpoints.step_of(ckpt)})')
         + '.')
  start_step = int(model.optimizer.iterations.numpy())
  if start_step >= t.steps:
    echo(f'Already trained to step {start_step} (train.steps = {t.steps}).')
    return None
  # A resumed run draws afresh from where it stopped, reproducibly.
  keras.utils.set_random_seed(t.seed + start_step)

  steps_per_epoch = t.log_every_steps
  train_ds = data.train_dataset(config, start_step)
  eval_ds = data.eval_dataset(config) if t.eval_every_steps else None
  run_log = RunLog(os.path.join(save_dir, 'history.csv'))
  callbacks = [
      StopCondition(t.steps, t.max_minutes, run_log.minutes_done),
      Checkpointer(ckpt_dir, t.checkpoint_every_steps,
                   t.checkpoint_every_seconds),
      run_log,
      keras.callbacks.TensorBoard(os.path.join(save_dir, 'logs'),
                                  update_freq='epoch'),
  ]
  epochs = -(-t.steps // steps_per_epoch)
  return model.fit(
      train_ds, epochs=epochs, initial_epoch=start_step // steps_per_epoch,
      steps_per_epoch=steps_per_epoch, callbacks=callbacks,
      validation_data=eval_ds,
      validation_freq=max(1, t.eval_every_steps // steps_per_epoch),
      shuffle=False, verbose=verbose)
