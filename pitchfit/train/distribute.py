"""Training on several devices or machines: strategies, chief, input split.

`train.distribution` picks a tf.distribute strategy:
  default       one device
  mirrored      every local GPU (or logical CPU device), one process
  multi_worker  one process per machine, the cluster read from TF_CONFIG
  tpu           a TPU system

Under `multi_worker` every worker runs the same `pitchfit train` command with
the same --save-dir on a filesystem they all share: all of them read the
newest checkpoint from it, only the chief writes to it (see `is_chief`).
`data.batch_size` stays the global batch: each of the N replicas gets
batch_size / N examples and the gradients are averaged, so a config trains
the same on any number of replicas. See docs/scale_out.md.
"""

import json
import os

import tensorflow as tf

from pitchfit.errors import UserError
from pitchfit.notes import generator as synthetic_notes
from pitchfit.train import data


def make_strategy(name):
  """tf.distribute strategy for config.train.distribution."""
  if name == 'default':
    return tf.distribute.get_strategy()
  if name == 'mirrored':
    return tf.distribute.MirroredStrategy()
  if name == 'multi_worker':  # reads the cluster from TF_CONFIG
    _check_tf_config()
    return _MultiWorkerMirroredStrategy()
  if name == 'tpu':
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)
  raise UserError(f'unknown train.distribution {name!r}')


class _MultiWorkerMirroredStrategy(tf.distribute.MultiWorkerMirroredStrategy):
  """MultiWorkerMirroredStrategy with a `reduce` that Keras 3.15's fit can use.

  Keras's TensorFlow trainer calls this strategy's `reduce` in two ways it
  does not support (both fail at the first step of `fit` on two workers):
  - on a whole first batch (a dict of tensors) before building the model
    symbolically ("Attempt to convert a value ({'f0_hz': PerReplica:...");
    MirroredStrategy takes a structure there, this strategy one value;
  - with MEAN and axis=0 on every log value of a step, which are scalars
    ("Invalid reduction dimension 0 for input with 0 dimensions").
  So: structures are reduced leaf by leaf, and a scalar by the mean over
  replicas (axis=None), which is what Keras means for it.
  """

  def reduce(self, reduce_op, value, axis):
    reduce = super().reduce

    def reduce_one(v):
      local = self.experimental_local_results(v)[0]
      scalar = getattr(getattr(local, 'shape', None), 'rank', None) == 0
      return reduce(reduce_op, v, None if scalar else axis)
    return tf.nest.map_structure(reduce_one, value)


def _check_tf_config():
  """UserError unless TF_CONFIG names a cluster and this process's task."""
  raw = os.environ.get('TF_CONFIG')
  if not raw:
    raise UserError(
        'train.distribution: multi_worker needs TF_CONFIG in the environment '
        '(the cluster and this worker\'s task; see docs/scale_out.md)')
  try:
    tf_config = json.loads(raw)
    workers = tf_config['cluster']['worker']
    task = tf_config['task']
    task['type'], int(task['index'])
  except (ValueError, KeyError, TypeError) as e:
    raise UserError(f'TF_CONFIG is not valid ({type(e).__name__}: {e}); it '
                    'needs {"cluster": {"worker": ["host:port", ...]}, '
                    '"task": {"type": "worker", "index": i}}') from None
  if not isinstance(workers, list) or not workers:
    raise UserError('TF_CONFIG: cluster.worker must be a list of host:port')


def is_chief(strategy):
  """Whether this process writes the save dir: the only one, or the chief.

  The chief is task 'chief' if the cluster has one, else worker 0 (as in
  TensorFlow's multi-worker guides).
  """
  resolver = getattr(strategy, 'cluster_resolver', None)
  spec = resolver.cluster_spec().as_dict() if resolver is not None else {}
  if not spec:
    return True
  if resolver.task_type == 'chief':
    return True
  return (resolver.task_type == 'worker' and resolver.task_id == 0
          and 'chief' not in spec)


def several_workers(strategy):
  """Whether training spans more than one process (a multi-worker cluster)."""
  resolver = getattr(strategy, 'cluster_resolver', None)
  spec = resolver.cluster_spec().as_dict() if resolver is not None else {}
  return sum(len(spec.get(kind, ())) for kind in ('chief', 'worker')) > 1


def replica_batch_size(global_batch, strategy):
  """Examples per replica and step; UserError unless the split is even."""
  n = strategy.num_replicas_in_sync
  if global_batch % n:
    raise UserError(f'the batch of {global_batch} does not split evenly over '
                    f'{n} replicas; make data.batch_size a multiple of {n}')
  return global_batch // n


def _data_sharded(dataset):
  """The dataset with tf.data's auto-sharding set to DATA, explicitly.

  DATA: every worker reads the whole stream and keeps its share of each
  batch. (AUTO would first try to give each worker its own files, which the
  generator and zipped (real, synthetic) streams do not have.)
  """
  options = tf.data.Options()
  options.experimental_distribute.auto_shard_policy = (
      tf.data.experimental.AutoShardPolicy.DATA)
  return dataset.with_options(options)


def generator_slice(config, start_step, pipeline_id, num_pipelines,
                    replica_batch):
  """One input pipeline's share of the synthetic generator's global batches.

  Step s trains on examples s*B .. s*B + B - 1 of the data seed (B the global
  batch), as on one device. Pipeline p of P generates only its block of
  each step, examples s*B + p*B/P .. s*B + (p+1)*B/P - 1, batched per replica.

  Returns:
    endless tf.data.Dataset of dicts of [replica_batch, n_frames, ...] controls.
  """
  d, m = config.data, config.model
  global_batch = d.synthetic_batch_size or d.batch_size
  block = global_batch // num_pipelines
  note_config = synthetic_notes.note_config(d.synthetic_style,
                                            hop_size=m.hop_size,
                                            n_frames=m.n_frames)

  def step_block(step):
    return synthetic_notes.as_dataset(
        d.synthetic_seed, note_config,
        start=step * global_batch + pipeline_id * block, count=block)

  # interleave with block_length = block keeps flat_map's order (step after
  # step) while generating the next step's block in parallel.
  steps = tf.data.Dataset.counter(start_step)
  return steps.interleave(
      step_block, cycle_length=2, block_length=block,
      num_parallel_calls=2, deterministic=True).batch(
          replica_batch, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def train_input(config, strategy, start_step):
  """What `fit` reads: the training stream for this strategy.

  One replica: `data.train_dataset`. Several, training on the synthetic
  generator alone: each input pipeline (one per worker) generates just its
  replicas' examples (`generator_slice`), through
  `strategy.distribute_datasets_from_function`; tf.data's auto-sharding of a
  dataset without files would otherwise fall back to DATA, every worker
  generating every example. Other inputs (TFDS files, real audio) are split
  with AutoShardPolicy.DATA.
  """
  d = config.data
  if strategy.num_replicas_in_sync == 1:
    return data.train_dataset(config, start_step)
  if d.synthetic == 'generator' and not d.real:
    batch = d.synthetic_batch_size or d.batch_size
    per_replica = replica_batch_size(batch, strategy)

    def dataset_fn(context):
      return generator_slice(config, start_step, context.input_pipeline_id,
                             context.num_input_pipelines, per_replica)
    return strategy.distribute_datasets_from_function(dataset_fn)
  replica_batch_size(d.batch_size, strategy)
  return _data_sharded(data.train_dataset(config, start_step))


def eval_input(config, strategy):
  """The evaluation set (split by DATA over workers, see _data_sharded)."""
  dataset = data.eval_dataset(config)
  if strategy.num_replicas_in_sync == 1:
    return dataset
  return _data_sharded(dataset)


# ------------------------------------------------- agreement between workers
def _sums(strategy, values):
  """Sums of float values over all replicas (one collective all-reduce)."""
  @tf.function  # strategy.run outside a tf.function warns of its overhead
  def sums(values):
    per_replica = strategy.run(tf.identity, args=(values,))
    return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)
  return sums(tf.constant(values, tf.float64)).numpy()


def any_replica(strategy, flag):
  """Whether `flag` is true on any replica; every replica must call this."""
  if strategy.num_replicas_in_sync == 1:
    return bool(flag)
  return bool(_sums(strategy, [float(bool(flag))])[0] > 0)


def check_same_step(strategy, step):
  """UserError unless every replica resumes from the same step.

  Workers that resume from different checkpoints (a save dir that is not one
  shared filesystem) would train different models, then hang. Every replica
  gets the same sums, so all of them raise or none does.
  """
  if strategy.num_replicas_in_sync == 1:
    return
  total, squares = _sums(strategy, [float(step), float(step) ** 2])
  n = strategy.num_replicas_in_sync
  if abs(n * squares - total * total) > 0.5:
    raise UserError(
        f'the workers resume from different steps (mean {total / n:g}, this '
        f'one {step}): --save-dir must be one directory that every worker '
        'reads (a shared filesystem), with the same checkpoints')
