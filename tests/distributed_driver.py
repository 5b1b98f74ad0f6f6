"""Runs the `pitchfit` CLI in this process and reports what training did.

For tests/test_distributed_training.py, which starts one of these per worker:

  python tests/distributed_driver.py [--logical-cpus N] REPORT.npz -- \\
      train configs/demo.yaml --save-dir DIR --set ...

Before the CLI runs it may split the CPU into N logical devices (for
MirroredStrategy; only possible before TensorFlow starts). The report holds
the trained model's final weights (`model/...`), the steps this process
saved checkpoints at (`saved_steps`), its replica count and whether it was
the chief. Written only if the CLI returns normally.
"""

import argparse
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('report')
  parser.add_argument('--logical-cpus', type=int, default=0)
  parser.add_argument('cli_args', nargs=argparse.REMAINDER)
  args = parser.parse_args()
  cli_args = args.cli_args[1:] if args.cli_args[:1] == ['--'] else args.cli_args

  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  if args.logical_cpus:
    cpu = tf.config.list_physical_devices('CPU')[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * args.logical_cpus)

  import cli  # pylint: disable=g-import-not-at-top
  from pitchfit.model import checkpoints  # pylint: disable=g-import-not-at-top
  from pitchfit.train import distribute  # pylint: disable=g-import-not-at-top
  from pitchfit.train import job  # pylint: disable=g-import-not-at-top

  seen = {'saved_steps': []}
  build_model, save = job.build_model, checkpoints.save

  def recording_build_model(config):
    seen['model'] = build_model(config)
    seen['strategy'] = tf.distribute.get_strategy()
    return seen['model']

  def recording_save(model, directory, step, *a, **kw):
    seen['saved_steps'].append(int(step))
    return save(model, directory, step, *a, **kw)

  job.build_model = recording_build_model
  checkpoints.save = recording_save
  try:
    cli.main(args=cli_args, standalone_mode=False)
  except SystemExit as e:
    if e.code:
      raise
  strategy = seen['strategy']
  np.savez(args.report, saved_steps=np.array(seen['saved_steps'], np.int64),
           replicas=strategy.num_replicas_in_sync,
           chief=distribute.is_chief(strategy),
           **checkpoints.model_arrays(seen['model']))


if __name__ == '__main__':
  main()
