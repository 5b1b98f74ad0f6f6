"""`pitchfit` command line: a thin layer over the Python API.

Commands import TensorFlow lazily (and quietly), so `pitchfit --help` is fast.
Errors the user can fix are printed as one line and exit with status 2.

Over 400 lines because it is the whole command surface (train, predict,
evaluate, export, sample, notes, adapt) in click's declarative form: each
command is a thin wrapper, mostly option declarations, and splitting them
across modules would scatter the one page a user's `--help` comes from.
"""

import functools
import os
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
  from pitchfit.notes import demo as notes_demo
  notes_demo.render_examples(note_config, split, count, start, output_dir)


@main.command()
@click.argument('config_path', metavar='CONFIG.yaml')
@click.option('--set', 'overrides', multiple=True, metavar='KEY=VALUE',
              help='Override a config key, e.g. --set train.steps=1000 (repeatable).')
@click.option('--save-dir', type=click.Path(file_okay=False),
              help='Where checkpoints, logs and the resolved config go '
                   '[default: runs/<config name>]. Reusing it resumes training.')
@click.option('--dry-run', is_flag=True,
              help='Print what would be trained (a recipe\'s phases: steps, '
                   'data, learning rate) and exit.')
@click.option('-q', '--quiet', is_flag=True, help='No progress bar.')
@_user_errors
def train(config_path, overrides, save_dir, dry_run, quiet):
  """Train (or resume) a model as CONFIG.yaml says.

  CONFIG.yaml is one run's config, or a recipe (a `phases:` list) that trains
  its phases in order and exports the model at the end. Running the same
  command again resumes where it stopped.
  """
  import os
  from pitchfit.quiet import import_tensorflow
  import_tensorflow()  # the config's note styles import the signal core
  from pitchfit import config as config_lib
  from pitchfit.train import recipe as recipe_lib
  config_path = config_lib.find_config(config_path)
  if save_dir is None:
    save_dir = os.path.join('runs', os.path.splitext(os.path.basename(config_path))[0])
  if recipe_lib.is_recipe(config_path):
    recipe = recipe_lib.load(config_path, overrides)
    if dry_run:
      click.echo('\n'.join(recipe_lib.describe(recipe)))
      return
  else:
    config = config_lib.load(config_path, overrides)
    if dry_run:
      click.echo(config_lib.dumps(config))
      return
  click.echo(f'Training {config_path} -> {save_dir}')
  try:
    if recipe_lib.is_recipe(config_path):
      recipe_lib.run(recipe, save_dir, verbose=0 if quiet else 1, echo=click.echo)
    else:
      from pitchfit.train import job as training
      training.train(config, save_dir, verbose=0 if quiet else 1, echo=click.echo)
  except KeyboardInterrupt:
    click.echo(f'\nInterrupted; run the same command again to resume from '
               f'the last checkpoint in {save_dir}.', err=True)
    sys.exit(130)


_MODEL_HELP = ('A .tflite written by `pitchfit export` (runs without '
               'TensorFlow), a `pitchfit train` save dir or a weights .npz '
               '[default: the shipped model].')


def _tracking_options(command):
  """The tracking options shared by `predict` and `evaluate`."""
  for option in reversed([
      click.option('--half-hop/--single-pass', default=None,
                   help='Also run the model half a frame later, so it looks '
                   'twice per model hop (twice the compute) [default: '
                   'pitchfit.predict\'s].'),
      click.option('--fmin', type=click.FloatRange(min=0.0, min_open=True),
                   metavar='HZ', help='Lowest f0 searched [default: the '
                   'model\'s range].'),
      click.option('--fmax', type=click.FloatRange(min=0.0, min_open=True),
                   metavar='HZ', help='Highest f0 searched [default: the '
                   'model\'s range].'),
      click.option('--viterbi', is_flag=True,
                   help='Smooth the pitch path over the f0 posterior (fewer '
                   'isolated octave jumps).'),
      click.option('--voicing-threshold', type=click.FloatRange(0.0, 1.0),
                   default=0.5, show_default=True,
                   help='Frames with confidence >= this are voiced.'),
  ]):
    command = option(command)
  return command


def _options(step_ms, half_hop, fmin, fmax, viterbi, voicing_threshold):
  from pitchfit.track import predict as predict_lib
  return predict_lib.Options(
      step_ms=step_ms,
      half_hop=predict_lib.HALF_HOP if half_hop is None else half_hop,
      fmin=fmin, fmax=fmax, viterbi=viterbi,
      voicing_threshold=voicing_threshold)


@main.command()
@click.argument('paths', nargs=-1, required=True, metavar='PATH...')
@click.option('-o', '--output-dir', type=click.Path(file_okay=False),
              help='Where results go [default: beside each audio file].')
@click.option('--model', 'model_path', metavar='PATH', help=_MODEL_HELP)
@click.option('--step-ms', default=10.0, show_default=True,
              type=click.FloatRange(min=0.1), help='Output hop, milliseconds.')
@click.option('--plot', is_flag=True,
              help='Also write <stem>.f0.png: the f0 track over a spectrogram '
              '(with the notes when --notes is on).')
@click.option('--format', 'fmt', type=click.Choice(['csv', 'npz']),
              default='csv', show_default=True,
              help='csv: time,frequency,confidence rows; npz: the same arrays, '
              'voiced, and the activation (f0 posterior) with its bins.')
@_tracking_options
@click.option('--notes', 'write_notes', is_flag=True,
              help='Also write <stem>.notes.csv: onset,offset,midi,frequency.')
@click.option('--midi', 'write_midi', is_flag=True,
              help='Also write <stem>.mid: the notes as a MIDI file.')
@click.option('-j', '--jobs', type=click.IntRange(min=1), metavar='N',
              help='Files tracked side by side [default: one per CPU, at '
              'most 4; one with a TensorFlow model].')
@click.option('-q', '--quiet', is_flag=True,
              help='No progress bar and no summary; errors only.')
@_user_errors
def predict(paths, output_dir, model_path, step_ms, plot, fmt, half_hop, fmin,
            fmax, viterbi, voicing_threshold, write_notes, write_midi, jobs,
            quiet):
  """Pitch of audio files: writes <stem>.f0.csv (time,frequency,confidence).

  PATH may be audio files (wav, flac, ogg, mp3, aiff; any rate and channel
  count) or folders, searched recursively. Rows are every --step-ms at frame
  centres; frequency in Hz; confidence 0..1, voiced where >= the voicing
  threshold. A file that fails is reported on one line and the others are
  still processed; the exit status is 1 if any failed.
  """
  import time
  from pitchfit.track import allocator
  from pitchfit.track import files
  from pitchfit.track import predict as predict_lib
  allocator.keep_freed_memory()  # this process only tracks files
  options = _options(step_ms, half_hop, fmin, fmax, viterbi, voicing_threshold)
  audio_jobs, failed = _audio_jobs(paths, output_dir, '.f0.' + fmt)
  if not audio_jobs:
    if not quiet:
      _summary(0, failed, 0.0, 0.0)
    sys.exit(1 if failed else 0)
  pitch_model = predict_lib.load_model(model_path)
  options.check(pitch_model)

  def track(job, model):
    audio_path, out_path = job
    stem = out_path[:-len('.f0.' + fmt)]
    file_seconds, _ = files.predict_file(
        audio_path, out_path, model, options, fmt,
        plot_path=stem + '.f0.png' if plot else None,
        notes_path=stem + '.notes.csv' if write_notes else None,
        midi_path=stem + '.mid' if write_midi else None,
        activation=fmt == 'npz')
    return file_seconds

  workers = files.default_workers(pitch_model, len(audio_jobs), jobs)
  done, seconds, start = 0, 0.0, time.perf_counter()
  with _progress(len(audio_jobs), quiet) as bar:
    for (audio_path, _), outcome in files.map_files(
        track, audio_jobs, pitch_model, workers):
      bar.set_postfix_str(audio_path.name, refresh=False)
      bar.update()
      if isinstance(outcome, UserError):
        failed += 1
        bar.write(f'pitchfit: error: {outcome}', file=sys.stderr)
      elif isinstance(outcome, Exception):
        failed += 1  # one odd file must not stop a batch of thousands
        bar.write(f'pitchfit: error: {audio_path}: {type(outcome).__name__}: '
                  f'{str(outcome).splitlines()[0] if str(outcome) else ""}',
                  file=sys.stderr)
      else:
        done += 1
        seconds += outcome
  if not quiet:
    _summary(done, failed, seconds, time.perf_counter() - start)
  sys.exit(1 if failed else 0)


class _NoBar:
  """tqdm's interface where no bar is shown: importing tqdm alone takes
  about 0.1 s, a tenth of tracking a short file as a whole process."""

  def __enter__(self):
    return self

  def __exit__(self, *exc):
    return False

  def set_postfix_str(self, text, refresh=True):
    pass

  def update(self, n=1):
    pass

  def write(self, text, file=None):
    click.echo(text, err=file is sys.stderr)


def _progress(total, quiet):
  """A tqdm bar of `total` files on a terminal, else a silent stand-in."""
  if quiet or not sys.stderr.isatty():
    return _NoBar()
  from tqdm import tqdm
  return tqdm(total=total, unit='file', file=sys.stderr)


def _audio_jobs(paths, output_dir, suffix):
  """[(audio file, output path)] for PATH arguments, and how many failed.

  A missing path or a folder without audio is reported (one line) and
  counted as failed; the other paths still run.
  """
  from pitchfit.io import audio as audio_io
  from pitchfit.track import files
  jobs, failed, claimed = [], 0, {}
  for path in paths:
    try:
      found = audio_io.find_audio_files([path])
    except UserError as e:
      click.echo(f'pitchfit: error: {e}', err=True)
      failed += 1
      continue
    if not found:
      click.echo(f'pitchfit: error: {path}: no audio files in this folder '
                 f'({", ".join(audio_io.AUDIO_EXTENSIONS)})', err=True)
      failed += 1
      continue
    root = path if os.path.isdir(path) else None
    for audio_path in found:
      out_path = str(files.output_path(audio_path, root, output_dir, suffix))
      if out_path in claimed:
        if claimed[out_path] != audio_path:
          click.echo(f'pitchfit: error: {audio_path}: its output {out_path} '
                     f'is already written for {claimed[out_path]}', err=True)
          failed += 1
        continue
      claimed[out_path] = audio_path
      jobs.append((audio_path, out_path))
  return jobs, failed


def _summary(done, failed, audio_seconds, compute_seconds):
  rtf = compute_seconds / audio_seconds if audio_seconds else 0.0
  click.echo(f'{done} file(s) done, {failed} failed; {audio_seconds:.1f} s of '
             f'audio in {compute_seconds:.1f} s (real-time factor {rtf:.3f}).')


@main.command()
@click.argument('model_path', metavar='MODEL')
@click.argument('out_path', metavar='OUT.tflite', type=click.Path(dir_okay=False))
@click.option('--head-rank', type=click.IntRange(min=1),
              help='Factorise the sinusoid frequency head (the largest layer) '
                   'to this rank by truncated SVD, to shrink the file.')
@click.option('--batch-size', type=click.IntRange(min=1), default=4,
              show_default=True,
              help='.tflite only: windows per interpreter call (fixed in the '
              'file; the last call of a signal is padded).')
@_user_errors
def export(model_path, out_path, head_rank, batch_size):
  """Write a trained model for tracking.

  MODEL is a `pitchfit train` save dir or a weights .npz. OUT.tflite gets the
  tracking part as a LiteRT flatbuffer (no synthesizer, no optimizer) with
  its config and voicing calibration inside, run by `pitchfit predict` and
  pitchfit.predict() without TensorFlow. OUT.npz gets the Keras weights
  (float16), config and calibration instead.
  """
  from pitchfit.track import predict as predict_lib
  if not out_path.endswith(('.tflite', '.npz')):
    raise UserError(f'{out_path}: the output must end in .tflite or .npz')
  pitch_model = predict_lib.load_tf_model(model_path)
  if head_rank:
    from pitchfit.track import compression
    pitch_model = compression.with_low_rank_frequency_head(pitch_model, head_rank)
  os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
  if out_path.endswith('.npz'):
    pitch_model.export(out_path)
  else:
    from pitchfit.track import export as export_lib
    errors = export_lib.export_litert(pitch_model, out_path, batch_size)
    click.echo('Checked against the Keras model: largest relative output '
               f'difference {max(errors.values()):.1e}.')
  click.echo(f'Exported {pitch_model.source} -> {out_path}')


@main.command()
@click.option('--model', 'model_path', metavar='PATH', help=_MODEL_HELP)
@click.option('--audio-dir', type=click.Path(),
              help='Folder of audio files each with a <stem>.f0.csv '
                   '(time_s,f0_hz; 0 = unvoiced) beside it.')
@click.option('--dataset', metavar='NAME[/CONFIG]:SPLIT',
              help='A TFDS split, e.g. mdb_stem_synth:test or '
                   'synthetic_notes/tiny:test.')
@click.option('--data-dir', type=click.Path(file_okay=False),
              help='TFDS data_dir of --dataset.')
@click.option('--max-examples', type=click.IntRange(min=1),
              help='Evaluate at most this many dataset examples '
                   '[default: all; 256 for synthetic notes].')
@click.option('--baseline', type=click.Choice(['pyin']),
              help="Also run librosa's pYIN on the same audio.")
@click.option('--second-voice', type=click.FloatRange(0.0, 1.0), default=0.0,
              metavar='FRACTION',
              help='Synthetic notes only: play this fraction of them with a '
                   'quieter second voice (6-20 dB below, as in training); '
                   'the reference stays the main voice [default: 0].')
@click.option('--noise-snr', type=float, metavar='DB',
              help='Synthetic notes only: add pink noise at this '
                   'signal-to-noise ratio in dB to every example.')
@click.option('--weak-partials', type=click.FloatRange(min=0.0), metavar='DB',
              help='Synthetic notes only: weaken the lowest three harmonics '
                   'of every note, the fundamental by DB, the second by 2/3 '
                   'and the third by 1/3 of it, as in double reeds.')
@click.option('--json', 'json_path', type=click.Path(dir_okay=False),
              help='Write all scores (per item, pooled, mean) as JSON here.')
@click.option('--log-dir', type=click.Path(file_okay=False),
              help='Write the scores as TensorBoard scalars here.')
@click.option('--per-item/--summary', default=None,
              help='Table rows per file/example [default: per file for '
                   '--audio-dir, summary for --dataset].')
@_tracking_options
@_user_errors
def evaluate(model_path, audio_dir, dataset, data_dir, max_examples, baseline,
             second_voice, noise_snr, weak_partials, json_path, log_dir,
             per_item, half_hop, fmin, fmax, viterbi, voicing_threshold):
  """Pitch accuracy against f0 labels (mir_eval, 50 cents).

  RPA/RCA count the reference's voiced frames whatever the model's voicing
  (the papers' protocol); voicing recall, false alarm and overall accuracy use
  the voicing threshold (0.5). Scores per file, pooled over all frames and
  averaged over files. The tracking options act as in `pitchfit predict`
  (--half-hop applies to --audio-dir: dataset examples are one model window
  each).
  """
  if bool(audio_dir) == bool(dataset):
    raise UserError('give either --audio-dir DIR or --dataset NAME:SPLIT')
  if (second_voice or noise_snr is not None
      or weak_partials is not None) and audio_dir:
    raise UserError('--second-voice, --noise-snr and --weak-partials apply to '
                    'synthetic notes (--dataset synthetic_notes/...), not to '
                    '--audio-dir')
  import json
  from pitchfit.evaluate import scoring as evaluation
  from pitchfit.track import predict as predict_lib
  from tqdm import tqdm
  if audio_dir:
    evaluation.labelled_files(audio_dir)  # fail fast, before loading TF
  pitch_model = predict_lib.load_model(model_path)
  options = _options(predict_lib.DEFAULT_STEP_MS, half_hop, fmin, fmax, viterbi,
                     voicing_threshold)
  options.check(pitch_model)
  estimators = [evaluation.ModelEstimator(pitch_model, options=options)]
  if baseline == 'pyin':
    estimators.append(evaluation.PyinEstimator(pitch_model.sample_rate,
                                               pitch_model.hop_size))

  def progress(items):
    return tqdm(items, unit='file' if audio_dir else 'example', disable=None,
                file=sys.stderr)

  def on_error(message):
    click.echo(f'pitchfit: error: {message}', err=True)

  if audio_dir:
    report = evaluation.evaluate_folder(audio_dir, estimators, progress,
                                        on_error)
  else:
    report = evaluation.evaluate_dataset(
        dataset, estimators, pitch_model, data_dir, max_examples, progress,
        second_voice=second_voice, noise_snr_db=noise_snr,
        weak_partials_db=weak_partials)
  click.echo(f'{report.source}: {report.protocol}; model {pitch_model.source}')
  for line in report.skipped[:3]:
    click.echo(f'skipped {line}')
  if len(report.skipped) > 3:
    click.echo(f'... and {len(report.skipped) - 3} more skipped'
               + (' (listed in the JSON)' if json_path else ''))
  click.echo(evaluation.format_table(
      report, per_item=bool(audio_dir) if per_item is None else per_item))
  if json_path:
    os.makedirs(os.path.dirname(os.path.abspath(json_path)), exist_ok=True)
    from pitchfit.io import atomic
    with atomic.atomic_open(json_path) as f:
      json.dump(dict(report.to_json(), model=pitch_model.source), f, indent=1)
  if log_dir:
    from pitchfit.model import checkpoints
    evaluation.write_tensorboard(report, log_dir,
                                 checkpoints.step_of(pitch_model.source))
  sys.exit(1 if report.failures else 0)


@main.command()
@click.option('--model', 'model_path', metavar='PATH', help=_MODEL_HELP)
@click.option('--dataset', metavar='NAME[/CONFIG]:SPLIT',
              help='Examples of a TFDS split (synthetic_notes/tiny:test, ...).')
@click.option('--audio', 'audio_paths', multiple=True, metavar='PATH',
              help='Audio files or folders (repeatable).')
@click.option('--count', default=4, show_default=True,
              type=click.IntRange(min=1), help='Dataset examples to write.')
@click.option('--max-seconds', default=8.0, show_default=True,
              type=click.FloatRange(min=0.01),
              help='Use at most this much of each audio file.')
@click.option('--data-dir', type=click.Path(file_okay=False),
              help='TFDS data_dir of --dataset.')
@click.option('-o', '--output-dir', required=True,
              type=click.Path(file_okay=False))
@click.option('--log-dir', type=click.Path(file_okay=False),
              help='Also write the audio and pictures to TensorBoard here.')
@_user_errors
def sample(model_path, dataset, audio_paths, count, max_seconds, data_dir,
           output_dir, log_dir):
  """Write input, harmonic and sinusoidal resynthesis (WAV) and a summary
  PNG (spectrograms, f0 vs label, harmonic distribution) per example."""
  if bool(dataset) == bool(audio_paths):
    raise UserError('give either --dataset NAME:SPLIT or --audio PATH')
  from pitchfit.evaluate import sampling
  failed = 0
  jobs = []
  if audio_paths:
    jobs, failed = _audio_jobs(audio_paths, None, '')
    if not jobs:
      sys.exit(1)
  from pitchfit.track import predict as predict_lib
  pitch_model = predict_lib.load_tf_model(model_path)  # resynthesizes: Keras
  writer = None
  if log_dir:
    from pitchfit.model import checkpoints
    writer = sampling.TensorBoardWriter(log_dir,
                                        checkpoints.step_of(pitch_model.source))
  if dataset:
    samples = sampling.dataset_samples(pitch_model, dataset, count, data_dir)
  else:
    names = sampling.unique_names([p for p, _ in jobs])
    samples = _file_samples(sampling, pitch_model, jobs, names, max_seconds)
  written = 0
  for item in samples:
    if isinstance(item, str):  # a file that failed
      click.echo(f'pitchfit: error: {item}', err=True)
      failed += 1
      continue
    paths, png = sampling.write_sample(item, output_dir)
    if writer:
      writer.write(item, png)
    written += 1
    click.echo(f'{item.name}: {", ".join(os.path.basename(p) for p in paths)}')
  click.echo(f'{written} example(s) written to {output_dir}, {failed} failed.')
  sys.exit(1 if failed else 0)


def _file_samples(sampling, pitch_model, jobs, names, max_seconds):
  """Samples of files, or a one-line message for a file that fails."""
  for (path, _), name in zip(jobs, names):
    try:
      yield sampling.file_sample(pitch_model, path, max_seconds, name)
    except UserError as e:
      yield str(e)


@main.command()
@click.argument('paths', nargs=-1, required=True, metavar='AUDIO...')
@click.option('--save-dir', required=True, type=click.Path(file_okay=False),
              help='Where the adapted model goes; running again with the same '
                   'dir resumes. `pitchfit predict --model DIR` uses it.')
@click.option('--from', 'from_model', metavar='MODEL',
              help='Start from this save dir or exported .npz '
                   '[default: the shipped model].')
@click.option('--steps', type=click.IntRange(min=1),
              help='Optimizer steps in all (counting earlier runs) '
                   '[default: the method\'s, within 30 minutes].')
@click.option('--minutes', type=click.FloatRange(min=0.01),
              help='Train this long in all (counting earlier runs) instead.')
@click.option('--method', default=None, metavar='NAME',
              help='Adaptation method (docs/adaptation.md) [default: the '
                   'measured best].')
@click.option('-q', '--quiet', is_flag=True, help='No progress bar.')
@_user_errors
def adapt(paths, save_dir, from_model, steps, minutes, method, quiet):
  """Adapt a model to unlabelled recordings of one voice or instrument.

  AUDIO is audio files or folders (searched recursively; wav, flac, ogg, mp3,
  aiff; any rate and channel count). No labels: the model learns from the
  recordings themselves (docs/adaptation.md). Files that cannot be read or
  are silent are named and skipped. Ctrl-C keeps what was learned; the same
  command resumes.
  """
  from pitchfit.train import adapt as adapt_lib
  try:
    adapt_lib.adapt(list(paths), save_dir, from_model, steps, minutes,
                    method or adapt_lib.DEFAULT_METHOD, echo=click.echo,
                    progress=not quiet)
  except KeyboardInterrupt:
    click.echo(f'\nInterrupted; what was learned is saved in {save_dir}. Run '
               'the same command to resume.', err=True)
    sys.exit(130)


if __name__ == '__main__':
  main()
