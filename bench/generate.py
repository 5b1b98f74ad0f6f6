"""Throughput of synthetic_notes: the generator, each build stage, Beam builds.

Measures, in examples per second:
  1. the NumPy note generator alone, pinned to one core;
  2. the other per-example stages of a build, alone: TFDS encoding and
     serialization to a tf.train.Example, and writing records to disk;
  3. a whole `tfds build` of a custom-sized config with Beam in-process
     (FnApiRunner), with 2 worker processes, and on a Dask cluster (a
     `dask scheduler` and `dask worker`s on 127.0.0.1, started here, through
     tfds_builders.dask_runner: the command of a real cluster);
Then says which stage bounds the build, and what the 10M-example `paper`
config costs in worker-core-hours at the cluster's rate.

  nice -n 19 .venv/bin/python bench/generate.py [--examples 3000] \
      [--no-multiprocess] [--dask-workers 2 | --no-dask]
"""

import argparse
import contextlib
import io
import logging
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dask_cluster  # pylint: disable=g-import-not-at-top,wrong-import-position

from pitchfit.quiet import import_tensorflow  # pylint: disable=g-import-not-at-top

tf = import_tensorflow()

import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top

from pitchfit.notes import generator as synthetic_notes  # pylint: disable=g-import-not-at-top
from tfds_builders.synthetic_notes import synthetic_notes_dataset_builder as sn_builder  # pylint: disable=g-import-not-at-top


@contextlib.contextmanager
def one_core():
  """Pins this process to a single CPU (the generator is single-threaded)."""
  if not hasattr(os, 'sched_setaffinity'):
    yield
    return
  cpus = os.sched_getaffinity(0)
  os.sched_setaffinity(0, {min(cpus)})
  try:
    yield
  finally:
    os.sched_setaffinity(0, cpus)


def best_rate(function, items, repeats=3):
  """Best of `repeats` runs of function over items: (items/s, items/CPU-s).

  Wall-clock is what a build sees; CPU time is what the work costs, and does
  not drop when other jobs share the core.
  """
  best_wall = best_cpu = float('inf')
  for _ in range(repeats):
    wall, cpu = time.perf_counter(), time.process_time()
    for item in items:
      function(item)
    best_wall = min(best_wall, time.perf_counter() - wall)
    best_cpu = min(best_cpu, time.process_time() - cpu)
  return len(items) / best_wall, len(items) / best_cpu


def bench_stages(n_examples):
  """Per-example stages alone, on one core. Returns {stage: examples/s}."""
  seed = sn_builder.SPLIT_SEEDS['train']
  features = sn_builder.Builder(config='tiny').info.features
  serializer = tfds.core.example_serializer.ExampleSerializer(
      features.get_serialized_info())
  examples = []
  for index in range(n_examples):
    example = synthetic_notes.generate_example(seed, index)
    example['index'] = index
    examples.append(example)
  records = [serializer.serialize_example(features.encode_example(e))
             for e in examples]

  def write_all(directory):
    path = os.path.join(directory, 'bench.tfrecord')
    with tf.io.TFRecordWriter(path) as writer:
      for record in records:
        writer.write(record)
    with open(path, 'rb') as f:  # Count the time to reach the disk too.
      os.fsync(f.fileno())

  with one_core():
    rates = {
        'generate': best_rate(
            lambda i: synthetic_notes.generate_example(seed, i), range(n_examples)),
        'serialize': best_rate(
            lambda e: serializer.serialize_example(features.encode_example(e)),
            examples),
    }
    with tempfile.TemporaryDirectory() as directory:
      rates['write'] = best_rate(write_all, [directory] * 1, repeats=3)
      rates['write'] = tuple(rate * n_examples for rate in rates['write'])
  return rates, len(records[0])


def bench_build(n_train, beam_flags):
  """Seconds for a full TFDS build of n_train + n_train / 10 examples."""
  beam = tfds.core.lazy_imports.apache_beam
  config = sn_builder.SyntheticNotesConfig(
      name='bench', description='Benchmark size.',
      split_sizes={'train': n_train, 'test': max(n_train // 10, 1)})
  with tempfile.TemporaryDirectory() as data_dir:
    builder = sn_builder.Builder(config=config, data_dir=data_dir)
    options = beam.options.pipeline_options.PipelineOptions(beam_flags)
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # TFDS's progress lines.
      builder.download_and_prepare(
          download_config=tfds.download.DownloadConfig(beam_options=options))
    return sum(config.split_sizes.values()), time.perf_counter() - start


@contextlib.contextmanager
def dask_flags(n_workers):
  """Beam flags of a build on a loopback Dask cluster, running meanwhile."""
  with tempfile.TemporaryDirectory() as directory:
    with dask_cluster.loopback_cluster(n_workers, directory) as address:
      # Workers import TensorFlow and the builder once (seconds each): do it
      # before timing, as the local runs have it imported already.
      from distributed import Client  # pylint: disable=g-import-not-at-top
      with Client(address) as client:
        client.run(__import__, sn_builder.__name__)
      yield ['--runner=DaskRunner', f'--dask_client_address={address}']


PAPER_EXAMPLES = 10_010_000  # train + test of the `paper` config


def print_paper_cost(rate, n_workers):
  """What the paper config costs at a cluster's measured rate."""
  per_worker = rate / n_workers
  core_hours = PAPER_EXAMPLES / per_worker / 3600.0
  print(f'  The paper config ({PAPER_EXAMPLES:,} examples) at the whole '
        f'build\'s {per_worker:.0f} examples/s per worker (1 thread, start-up '
        'included, so an upper bound): '
        f'{core_hours:,.0f} worker-core-hours, e.g. '
        f'{core_hours / 100:.1f} h on 100 such workers.')


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--examples', type=int, default=3000,
                      help='train examples of the big builds (+10%% test)')
  parser.add_argument('--small-examples', type=int, default=300,
                      help='train examples of the small builds, which measure '
                           'the fixed start-up cost of a build')
  parser.add_argument('--stage-examples', type=int, default=500,
                      help='examples for the one-core stage timings')
  parser.add_argument('--no-multiprocess', action='store_true',
                      help='skip the 2-worker builds (each worker imports TF)')
  parser.add_argument('--dask-workers', type=int, default=2,
                      help='worker processes (1 thread each) of the Dask '
                           'cluster build')
  parser.add_argument('--no-dask', action='store_true',
                      help='skip the Dask cluster builds')
  args = parser.parse_args()
  logging.getLogger().setLevel(logging.WARNING)  # Beam's INFO lines.
  print(f'Load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs '
        '(other jobs slow every number down).')

  rates, record_bytes = bench_stages(args.stage_examples)
  print(f'\nOne core, {args.stage_examples} examples '
        f'({record_bytes / 1024:.0f} KiB serialized each):')
  print(f'  {"":<10} {"wall-clock":>21}  {"per CPU-second":>14}')
  for stage, (rate, cpu_rate) in rates.items():
    print(f'  {stage:<10} {rate:8.0f} examples/s  {1000 / rate:6.2f} ms'
          f'  {cpu_rate:8.0f} examples')
  ms_per_stage = {stage: 1000.0 / rate for stage, (rate, _) in rates.items()}
  serial_ms = sum(ms_per_stage.values())
  print(f'  all three  {1000 / serial_ms:8.0f} examples/s  {serial_ms:6.2f} ms'
        f'  (write: {rates["write"][0] * record_bytes / 2**20:.0f} MiB/s)')
  target = 500
  wall, cpu = rates['generate']
  print(f'  Generator vs the {target} examples/s one-core target: '
        f'{"meets" if wall >= target else "misses"} it in wall-clock time, '
        f'{"meets" if cpu >= target else "MISSES"} it per CPU-second '
        '(the cost of the work, whatever else runs).')

  builds = {'in-process (FnApiRunner)': contextlib.nullcontext(
      ['--runner=FnApiRunner'])}
  if not args.no_multiprocess:
    builds['2 worker processes'] = contextlib.nullcontext([
        '--runner=FnApiRunner', '--direct_num_workers=2',
        '--direct_running_mode=multi_processing'])
  dask_name = f'Dask, {args.dask_workers} workers'
  if not args.no_dask:
    builds[dask_name] = dask_flags(args.dask_workers)
  print(f'\nWhole `tfds build`s ({sn_builder.EXAMPLES_PER_CHUNK} examples per '
        'Beam work item); the extra cost of each example beyond a small build '
        'is what a big build pays:')
  marginal_ms, whole_rate = {}, {}
  for name, flags_context in builds.items():
    with flags_context as flags:
      n_small, t_small = bench_build(args.small_examples, flags)
      n_big, t_big = bench_build(args.examples, flags)
    marginal_ms[name] = 1000.0 * (t_big - t_small) / (n_big - n_small)
    whole_rate[name] = n_big / t_big
    startup = t_small - n_small * marginal_ms[name] / 1000.0
    print(f'  {name:<25} {n_big / t_big:6.0f} examples/s for {n_big}; '
          f'beyond {n_small}: {1000 / marginal_ms[name]:6.0f} examples/s '
          f'({marginal_ms[name]:.2f} ms/example), start-up {startup:.1f} s')
  if dask_name in whole_rate:
    # The whole build's rate, start-up included: an upper bound on the cost.
    # The marginal rate of a cluster is too noisy to price from (the small
    # build's share of worker warm-up and scheduling varies run to run).
    print_paper_cost(whole_rate[dask_name], args.dask_workers)

  per_example = marginal_ms['in-process (FnApiRunner)']
  bound = max(ms_per_stage, key=ms_per_stage.get)
  print('\nWhere an in-process build spends each example:')
  for stage, ms in ms_per_stage.items():
    print(f'  {stage:<10} {ms:6.2f} ms  {100 * ms / per_example:5.1f} %')
  rest = per_example - serial_ms
  print(f'  Beam/TFDS  {rest:6.2f} ms  {100 * rest / per_example:5.1f} %'
        '  (coders between stages, shuffle by key, shard bookkeeping)')
  if rest > serial_ms:
    verdict = ('Beam/TFDS moving and shuffling the records bounds the build; '
               f'of the per-example work itself, {bound} is the largest.')
  else:
    verdict = f'{bound} bounds the build.'
  print(verdict)


if __name__ == '__main__':
  main()
