"""`pitchfit` command line: a thin layer over the Python API.

Commands import TensorFlow lazily (and quietly), so `pitchfit --help` is fast.
Errors the user can fix are printed as one line and exit with status 2.
"""

import functools
import sys

import click

import pitchfit
from pitchfit.errors import UserError


def _user_errors(command):
  """Prints UserError as 'pitchfit: error: ...' and exits 2, no traceback."""

  @functools.wraps(command)
  def wrapper(*args, **kwargs):
    try:
      return command(*args, **kwargs)
    except UserError as e:
      click.echo(f'pitchfit: error: {e}', err=True)
      sys.exit(2)
  return wrapper


@click.group(context_settings={'help_option_names': ['-h', '--help']})
@click.version_option(pitchfit.__version__, prog_name='pitchfit')
def main():
  """Self-supervised pitch detection by inverse audio synthesis (DDSP-inv)."""


@main.command()
@click.option('--config', 'note_config', default='tiny', show_default=True,
              help='synthetic_notes builder config whose shapes and seed to use.')
@click.option('--split', default='train', show_default=True)
@click.option('--count', default=3, show_default=True, help='Examples to render.')
@click.option('--start', default=0, show_default=True, help='First example index.')
@click.option('-o', '--output-dir', default='demo_output', show_default=True,
              type=click.Path(file_okay=False))
@_user_errors
def notes(note_config, split, count, start, output_dir):
  """Render synthetic notes to WAV, with a spectrogram + true-f0 PNG each."""
  from pitchfit.quiet import import_tensorflow
  import_tensorflow()
  from pitchfit import notes_demo
  notes_demo.render_examples(note_config, split, count, start, output_dir)


@main.command()
@click.argument('config_path', metavar='CONFIG.yaml')
@click.option('--set', 'overrides', multiple=True, metavar='KEY=VALUE',
              help='Override a config key, e.g. --set train.steps=1000 (repeatable).')
@click.option('--save-dir', type=click.Path(file_okay=False),
              help='Where checkpoints, logs and the resolved config go '
                   '[default: runs/<config name>]. Reusing it resumes training.')
@click.option('-q', '--quiet', is_flag=True, help='No progress bar.')
@_user_errors
def train(config_path, overrides, save_dir, quiet):
  """Train (or resume) a model as CONFIG.yaml says."""
  from pitchfit import config as config_lib
  config = config_lib.load(config_path, overrides)
  from pitchfit.quiet import import_tensorflow
  import_tensorflow()
  from pitchfit import training
  import os
  if save_dir is None:
    save_dir = os.path.join('runs', os.path.splitext(os.path.basename(config_path))[0])
  click.echo(f'Training {config_path} -> {save_dir}')
  try:
    training.train(config, save_dir, verbose=0 if quiet else 1, echo=click.echo)
  except KeyboardInterrupt:
    click.echo(f'\nInterrupted; run the same command again to resume from '
               f'the last checkpoint in {save_dir}.', err=True)
    sys.exit(130)


if __name__ == '__main__':
  main()
