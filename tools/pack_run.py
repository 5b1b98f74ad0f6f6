"""Packs a training save dir into one small archive that resumes on another machine.

  python tools/pack_run.py pack runs/default_model_v6c12deepxls \
      experiments/default_model_v6_grid/resume/c12deepxls.tar.gz
  python tools/pack_run.py unpack \
      experiments/default_model_v6_grid/resume/c12deepxls.tar.gz runs/default_model_v6c12deepxls

A long recipe outlives a session whose machine is wiped: only the repository
survives. `pitchfit train` resumes from each phase's newest checkpoint, so that
is all a save dir must keep. The archive holds every file of the save dir
except the older checkpoints (`keep=3` leaves three per phase) and the
TensorBoard event files, whose curves history.csv also holds: for version 5's
network about 0.4 MB per phase.

`unpack` refuses to replace a save dir that is further along than the archive,
so an old archive never rolls a run back.
"""

import argparse
import os
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from pitchfit.io import atomic  # pylint: disable=wrong-import-position
from pitchfit.model import checkpoints  # pylint: disable=wrong-import-position


def resumable_files(save_dir):
  """Paths under save_dir, relative to it, that a resume needs (sorted)."""
  keep = []
  for root, dirs, files in os.walk(save_dir):
    dirs[:] = sorted(d for d in dirs if d != 'logs')
    older = set(checkpoints.list_checkpoints(root)[:-1])
    for name in sorted(files):
      path = os.path.join(root, name)
      if path in older or '.tmp' in name:  # superseded, or a write under way
        continue
      keep.append(os.path.relpath(path, save_dir))
  return keep


def _newest_steps(names):
  """{checkpoint dir: its newest step} of relative paths (a save dir's or an archive's)."""
  steps = {}
  for name in names:
    directory, base = os.path.split(name)
    if base.startswith('ckpt-') and base.endswith('.npz'):
      steps[directory] = max(checkpoints.step_of(base), steps.get(directory, 0))
  return steps


def progress(save_dir):
  """{checkpoint dir relative to save_dir: its newest step}."""
  return _newest_steps(resumable_files(save_dir))


def pack(save_dir, archive):
  if not os.path.isdir(save_dir):
    raise SystemExit(f'error: no save dir {save_dir}')
  files = resumable_files(save_dir)
  if not _newest_steps(files):
    raise SystemExit(f'error: {save_dir} has no checkpoint to pack')
  os.makedirs(os.path.dirname(os.path.abspath(archive)), exist_ok=True)
  with atomic.atomic_path(archive, suffix='.tmp.tar.gz') as tmp:
    with tarfile.open(tmp, 'w:gz') as tar:
      for name in files:
        tar.add(os.path.join(save_dir, name), arcname=name, recursive=False)
  return files


def unpack(archive, save_dir, force=False):
  if not os.path.isfile(archive):
    raise SystemExit(f'error: no archive {archive}')
  with tarfile.open(archive, 'r:gz') as tar:
    members = tar.getnames()
    packed = _newest_steps(members)
    ahead = {d: s for d, s in progress(save_dir).items() if s > packed.get(d, 0)}
    if ahead and not force:
      raise SystemExit(f'error: {save_dir} is further along than {archive} '
                       f'({ahead}); pass --force to replace it')
    tar.extractall(save_dir, filter='data')
  return members


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  sub = parser.add_subparsers(dest='command', required=True)
  p = sub.add_parser('pack', help='save dir -> archive')
  p.add_argument('save_dir')
  p.add_argument('archive')
  u = sub.add_parser('unpack', help='archive -> save dir')
  u.add_argument('archive')
  u.add_argument('save_dir')
  u.add_argument('--force', action='store_true')
  args = parser.parse_args(argv)
  if args.command == 'pack':
    files = pack(args.save_dir, args.archive)
    steps = progress(args.save_dir)
    print(f'packed {len(files)} files of {args.save_dir} '
          f'({os.path.getsize(args.archive) / 1e6:.2f} MB): {steps}')
  else:
    unpack(args.archive, args.save_dir, force=args.force)
    print(f'unpacked {args.archive} -> {args.save_dir}: {progress(args.save_dir)}')


if __name__ == '__main__':
  main()
