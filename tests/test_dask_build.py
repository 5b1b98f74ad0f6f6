"""synthetic_notes built on a Dask cluster through Beam equals the local build.

Starts `dask scheduler` and two `dask worker` processes on 127.0.0.1, runs
the user's command (`tfds build tfds_builders/synthetic_notes ...
runner=DaskRunner,dask_client_address=...`) against them, and compares every
example, by its index, with an in-process FnApiRunner build. The cluster is
stopped whatever happens, and the test checks that no process of it is left.
"""

import os
import subprocess
import sys

import numpy as np

from conftest import REPO

sys.path.insert(0, os.path.join(REPO, 'bench'))

import dask_cluster  # pylint: disable=wrong-import-position

CONFIG = 'tiny'


def _examples(data_dir):
  """{split: {index: example}} of a built synthetic_notes config."""
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  from tfds_builders.synthetic_notes import synthetic_notes_dataset_builder as sn  # pylint: disable=g-import-not-at-top
  builder = sn.Builder(config=CONFIG, data_dir=data_dir)
  assert builder.is_prepared(), data_dir
  return {split: {int(e['index']): e for e in
                  tfds.as_numpy(builder.as_dataset(split=split))}
          for split in builder.info.splits}


def _local_build(data_dir):
  import apache_beam as beam  # pylint: disable=g-import-not-at-top
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  from tfds_builders.synthetic_notes import synthetic_notes_dataset_builder as sn  # pylint: disable=g-import-not-at-top
  options = beam.options.pipeline_options.PipelineOptions(
      ['--runner=FnApiRunner'])
  sn.Builder(config=CONFIG, data_dir=data_dir).download_and_prepare(
      download_config=tfds.download.DownloadConfig(beam_options=options))


def _tasks_run_per_worker(address):
  from distributed import Client  # pylint: disable=g-import-not-at-top
  with Client(address, timeout=30) as client:
    return client.run(lambda dask_worker: dask_worker.state.executed_count)


def test_dask_cluster_build_equals_local_build(tmp_path):
  cluster_dir = tmp_path / 'cluster'
  processes = []
  original_stop = dask_cluster.stop

  def recording_stop(procs, *args, **kwargs):
    processes.extend(procs)
    original_stop(procs, *args, **kwargs)

  dask_cluster.stop = recording_stop
  try:
    with dask_cluster.loopback_cluster(2, str(cluster_dir)) as address:
      assert address.startswith('tcp://127.0.0.1:')
      _local_build(str(tmp_path / 'local'))
      # The command a user runs, in the builder's folder form.
      build = subprocess.run(
          [os.path.join(os.path.dirname(sys.executable), 'tfds'), 'build',
           'tfds_builders/synthetic_notes', '--config', CONFIG,
           '--data_dir', str(tmp_path / 'dask'),
           f'--beam_pipeline_options=runner=DaskRunner,'
           f'dask_client_address={address}'],
          # Generous: at load average 15 on 2 cores it took up to 4 minutes.
          cwd=REPO, capture_output=True, text=True, timeout=900,
          check=False)
      assert build.returncode == 0, build.stderr[-3000:]
      executed = _tasks_run_per_worker(address)
  finally:
    dask_cluster.stop = original_stop
  assert len(processes) == 3
  assert not [p.pid for p in processes if dask_cluster.group_alive(p.pid)]
  # The work ran on both of the cluster's workers.
  assert len(executed) == 2 and min(executed.values()) > 0, executed

  local = _examples(str(tmp_path / 'local'))
  dask = _examples(str(tmp_path / 'dask'))
  assert sorted(local) == sorted(dask) == ['test', 'train']
  for split, examples in local.items():
    assert sorted(dask[split]) == sorted(examples) == list(range(len(examples)))
    for index, example in examples.items():
      for name, value in example.items():
        np.testing.assert_array_equal(dask[split][index][name], value,
                                      err_msg=f'{split}[{index}] {name}')
