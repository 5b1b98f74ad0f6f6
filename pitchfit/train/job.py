"""The training job behind `pitchfit train`: Keras fit with resumable checkpoints.

Save dir layout:
  config.yaml        the resolved config of the run
  checkpoints/       ckpt-<step>.npz (model + optimizer), newest few kept
  logs/              TensorBoard (train/ and validation/)
  history.csv        one row per log interval: step, minutes, losses, RPA

Running again with the same save dir resumes from its newest checkpoint.
On several workers (train.distribution: multi_worker) only the chief writes
this dir; every worker resumes from it (pitchfit/train/distribute.py).
"""

import csv
import os
import time

import keras
import tensorflow as tf

from pitchfit.io import atomic
from pitchfit.model import checkpoints
from pitchfit import config as config_lib
from pitchfit.train import distribute
from pitchfit.model import autoencoder as model_lib
from pitchfit.model import nn
from pitchfit.errors import UserError


make_strategy = distribute.make_strategy


def learning_rate_schedule(train_config):
  """Adam's lr: learning_rate * decay_rate ** (step / decay_steps)."""
  return keras.optimizers.schedules.ExponentialDecay(
      train_config.learning_rate, train_config.decay_steps,
      train_config.decay_rate)


def build_model(config):
  """A compiled TranscribingAutoencoder with its variables and optimizer built."""
  model = model_lib.TranscribingAutoencoder(config)
  model(tf.zeros([1, config.model.n_samples]), synthesize=False)
  # Keras 3 clips each replica's gradient, already divided by the replica
  # count in train_step, before summing them: clip_norm / N clips each
  # replica's own gradient at clip_norm, as on one device.
  replicas = tf.distribute.get_strategy().num_replicas_in_sync
  optimizer = keras.optimizers.Adam(
      learning_rate_schedule(config.train),
      global_clipnorm=config.train.clip_norm / replicas)
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

  The budget counts minutes of earlier (interrupted) runs too. With several
  workers (`strategy` given), the clocks are compared once per log interval
  with one all-reduce, so that every worker stops at the same step.
  """

  def __init__(self, max_steps, max_minutes=None, minutes_done=0.0,
               strategy=None):
    super().__init__()
    self.max_steps = max_steps
    self.max_minutes = max_minutes
    self.strategy = strategy
    self._start = time.time() - 60.0 * minutes_done

  def _over_time(self):
    return (self.max_minutes is not None
            and time.time() - self._start > 60.0 * self.max_minutes)

  def on_train_batch_end(self, batch, logs=None):
    step = int(self.model.optimizer.iterations.numpy())
    if step >= self.max_steps or (self.strategy is None and self._over_time()):
      self.model.stop_training = True

  def on_epoch_end(self, epoch, logs=None):
    if (self.strategy is not None and self.max_minutes is not None
        and distribute.any_replica(self.strategy, self._over_time())):
      self.model.stop_training = True


class RunLog(keras.callbacks.Callback):
  """Adds step, minutes and learning rate to the logs and keeps history.csv.

  Runs before TensorBoard so those values are plotted too. Minutes accumulate
  across resumed runs (read back from history.csv). Validation columns appear
  only on evaluation epochs, so the file is rewritten (atomically) whenever
  the set of columns grows. With write=False (a worker other than the chief)
  it reads the file but never writes it.
  """

  def __init__(self, path, write=True):
    super().__init__()
    self.path = path
    self.write = write
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
    if not self.write:
      return
    fields = ['step', 'minutes']
    for row in self.rows:
      fields += [k for k in row if k not in fields]
    with atomic.atomic_open(self.path, newline='') as f:
      writer = csv.DictWriter(f, fieldnames=fields)
      writer.writeheader()
      writer.writerows(self.rows)


# ------------------------------------------------------------------ the job
def train(config, save_dir, verbose=1, echo=print):
  """Trains (or resumes) a model as configured; returns the Keras History.

  Under train.distribution multi_worker every worker calls this with the same
  save_dir (a shared filesystem): all resume from its newest checkpoint; only
  the chief writes config.yaml, checkpoints, history.csv and logs there.
  """
  t = config.train
  # First: a multi-worker strategy must exist before TensorFlow runs anything.
  strategy = make_strategy(t.distribution)
  chief = distribute.is_chief(strategy)
  saved_config = os.path.join(save_dir, 'config.yaml')
  ckpt_dir = os.path.join(save_dir, checkpoints.CHECKPOINT_DIR)
  resume_from = checkpoints.latest(ckpt_dir) if os.path.isdir(ckpt_dir) else None
  if chief:
    os.makedirs(save_dir, exist_ok=True)
    config_lib.dump(config, saved_config)
  else:
    echo(f'Not the chief: training without writing {save_dir}.')

  # Every draw (initial weights, augmentations, shuffles) follows train.seed.
  keras.utils.set_random_seed(t.seed)
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
  distribute.check_same_step(strategy, start_step)
  if start_step >= t.steps:
    echo(f'Already trained to step {start_step} (train.steps = {t.steps}).')
    return None
  # A resumed run draws afresh from where it stopped, reproducibly.
  keras.utils.set_random_seed(t.seed + start_step)

  steps_per_epoch = t.log_every_steps
  train_ds = distribute.train_input(config, strategy, start_step)
  eval_ds = (distribute.eval_input(config, strategy)
             if t.eval_every_steps else None)
  run_log = RunLog(os.path.join(save_dir, 'history.csv'), write=chief)
  callbacks = [
      StopCondition(t.steps, t.max_minutes, run_log.minutes_done,
                    strategy if distribute.several_workers(strategy) else None),
      run_log,
  ]
  if chief:
    callbacks.insert(1, Checkpointer(ckpt_dir, t.checkpoint_every_steps,
                                     t.checkpoint_every_seconds))
    callbacks.append(keras.callbacks.TensorBoard(
        os.path.join(save_dir, 'logs'), update_freq='epoch'))
  epochs = -(-t.steps // steps_per_epoch)
  return model.fit(
      train_ds, epochs=epochs, initial_epoch=start_step // steps_per_epoch,
      steps_per_epoch=steps_per_epoch, callbacks=callbacks,
      validation_data=eval_ds,
      validation_freq=max(1, t.eval_every_steps // steps_per_epoch),
      shuffle=False, verbose=verbose)
