"""`pitchfit evaluate`'s runs: labelled folders and TFDS splits, scored with mir_eval.

Metrics (50-cent tolerance, all from `mir_eval.melody`):
  * rpa, rca: raw pitch / raw chroma accuracy over the reference's voiced
    frames, whatever the model's voicing (the estimate is given the
    reference's voicing: the papers' "oracle voicing", reference section 8).
  * voicing_recall, voicing_false_alarm, overall_accuracy: with the model's
    own voicing, confidence >= pitchfit.voicing.THRESHOLD.
Each per file (or example), pooled over all frames, and (for datasets, the
papers' figure) averaged over examples. A score that is undefined (RPA of a
clip with no voiced reference frame) is NaN and left out of the means.

Two sources of labelled audio:
  * a folder: every `<stem>.wav|flac|...` with a `<stem>.f0.csv` beside it
    (header `time_s,f0_hz`, 0 = unvoiced). The model runs on the whole file
    as `pitchfit predict` does; its frames are interpolated (log-frequency)
    onto the reference's own times.
  * a TFDS dataset 'name[/config]:split', as the paper evaluates: real-audio
    builders give 4-s examples with labels at 250 frames/s, read at the
    model's frame times (every 8th label); examples without a confident label
    (max f0_confidence < 0.85) are skipped. `synthetic_notes` examples are
    rendered from their controls, cut into model windows and run one window
    at a time; a frame is voiced where its true harmonic amplitude reaches the
    training loss's amp_threshold.

`--baseline pyin` runs librosa's pYIN on the same audio in the same run; its
voicing is its own HMM decision and its unvoiced frames carry its best f0
guess (fill_na=None), so the oracle-voicing RPA applies to it too.
"""

import pathlib

import numpy as np

from pitchfit.errors import UserError
from pitchfit.evaluate import report as report_lib
from pitchfit.evaluate.metrics import on_reference
from pitchfit.evaluate.metrics import scores
from pitchfit.evaluate.metrics import to_frames
from pitchfit.io import labels

MIN_F0_CONFIDENCE = 0.85       # the paper's example gate on label confidence


def read_reference(path):
  """A `<stem>.f0.csv` label file -> (times s, f0 Hz) float64 arrays.

  Header `time_s,f0_hz` (a file without a header is read too); 0 or
  negative f0 = unvoiced. The same reader as the `audio_folder` builder's,
  so a folder evaluates exactly as it builds.

  Raises:
    UserError: unreadable, empty, malformed, or times not increasing.
  """
  track = labels.read_f0_csv(pathlib.Path(path))
  return track.times_s, track.f0_hz


def labelled_files(folder):
  """[(audio path, label path)] under a folder, and the audio without labels."""
  from pitchfit.io import audio as audio_io  # pylint: disable=g-import-not-at-top
  folder = pathlib.Path(folder)
  if not folder.is_dir():
    raise UserError(f'{folder}: no such folder')
  pairs, unlabelled = [], []
  for audio_path in audio_io.find_audio_files([folder]):
    label = audio_path.with_name(audio_path.stem + '.f0.csv')
    (pairs.append((audio_path, label)) if label.is_file()
     else unlabelled.append(audio_path))
  if not pairs:
    raise UserError(f'{folder}: no audio file has a <stem>.f0.csv (time_s,'
                    'f0_hz) beside it')
  return pairs, unlabelled


def evaluate_folder(folder, estimators, progress=None, on_error=None):
  """Scores estimators on every labelled audio file under a folder.

  Args:
    folder: searched recursively for audio with a `<stem>.f0.csv` beside it.
    estimators: [ModelEstimator, PyinEstimator, ...].
    progress: optional wrapper of an iterable (e.g. tqdm).
    on_error: optional callable(message) for a file that fails (the others
      still run).

  Returns:
    Report.
  """
  pairs, unlabelled = labelled_files(folder)
  frames = {e.name: [] for e in estimators}
  items = {e.name: [] for e in estimators}
  failures = []
  iterator = progress(pairs) if progress else pairs
  for audio_path, label_path in iterator:
    name = str(audio_path.relative_to(folder).with_suffix(''))
    try:
      ref_time, ref_f0 = read_reference(label_path)
      results = {}
      for estimator in estimators:
        est_f0, est_voiced = on_reference(estimator.track_file(audio_path),
                                           ref_time)
        results[estimator.name] = to_frames(ref_time, ref_f0, est_f0, est_voiced)
    except UserError as e:
      failures.append(str(e))
      if on_error:
        on_error(str(e))
      continue
    for system, file_frames in results.items():
      frames[system].append(file_frames)
      items[system].append({'name': name, **scores(file_frames)})
  skipped = [f'{p}: no {p.stem}.f0.csv beside it' for p in unlabelled]
  return report_lib.finish(str(folder), 'audio folder: estimates on the labels\' times',
                 estimators, frames, items, failures, skipped)


def evaluate_dataset(spec, estimators, pitch_model, data_dir=None,
                     max_examples=None, progress=None, second_voice=0.0,
                     noise_snr_db=None, weak_partials_db=None):
  """Scores estimators on a TFDS split, as the paper does (module doc).

  Args:
    spec: 'name[/config]:split'; 'synthetic_notes/<config>:<split>' renders
      synthetic notes (built or generated from the split's seed).
    estimators: as for evaluate_folder.
    pitch_model: the PitchModel (renders synthetic notes; sets the frames).
    data_dir: TFDS data_dir.
    max_examples: evaluate at most this many examples (synthetic notes
      without a built dataset default to 256).
    progress: optional iterable wrapper.
    second_voice: for synthetic notes, the fraction of examples played with
      a quieter second voice (`TranscribingAutoencoder.second_voice`); the
      reference stays the main voice's f0.
    noise_snr_db: for synthetic notes, add pink noise at this signal-to-noise
      ratio (dB, over each example's RMS) to every example; None = none.
    weak_partials_db: for synthetic notes, weaken every note's lowest
      `augment.WEAK_PARTIALS_MAX` harmonics, the fundamental by this many dB
      (`core.weaken_low_harmonics`); None = none.

  Returns:
    Report.
  """
  from pitchfit.train import data  # pylint: disable=g-import-not-at-top
  name, _, _ = data.parse_spec(spec, 'test')
  if name == data.SYNTHETIC_PREFIX:
    examples = synthetic_examples(
        spec, pitch_model, data_dir, max_examples or 256,
        second_voice=second_voice, noise_snr_db=noise_snr_db,
        weak_partials_db=weak_partials_db)
    protocol = 'synthetic notes: one model window per example'
    if weak_partials_db is not None:
      protocol += (f', lowest harmonics weakened (fundamental '
                   f'-{weak_partials_db:g} dB)')
    if second_voice:
      protocol += (f', {100 * second_voice:g} % with a second voice; '
                   'reference = the main voice')
    if noise_snr_db is not None:
      protocol += f', pink noise at {noise_snr_db:g} dB SNR'
  else:
    if (second_voice or noise_snr_db is not None
        or weak_partials_db is not None):
      raise UserError('a second voice, noise or weak partials can only be '
                      f'added to synthetic notes, not to {spec}')
    examples = real_examples(spec, pitch_model, data_dir, max_examples)
    protocol = ('real TFDS examples: labels at the model frames, examples '
                f'with max f0_confidence < {MIN_F0_CONFIDENCE} skipped')
  frames = {e.name: [] for e in estimators}
  items = {e.name: [] for e in estimators}
  skipped = []
  iterator = progress(examples) if progress else examples
  frame_s = pitch_model.hop_size / pitch_model.sample_rate
  for example_name, audio, ref_f0 in iterator:
    if ref_f0 is None:
      skipped.append(f'{example_name}: no confident f0 label')
      continue
    ref_time = np.arange(ref_f0.size) * frame_s
    for estimator in estimators:
      if audio.size == pitch_model.n_samples:
        f0, voiced = estimator.track_windows(audio[np.newaxis])
        f0, voiced = f0[0][:ref_f0.size], voiced[0][:ref_f0.size]
      else:
        f0, voiced = on_reference(estimator.track(audio), ref_time)
      example_frames = to_frames(ref_time, ref_f0, f0, voiced)
      frames[estimator.name].append(example_frames)
      items[estimator.name].append({'name': example_name,
                                    **scores(example_frames)})
  return report_lib.finish(spec, protocol, estimators, frames, items, [], skipped)


def synthetic_examples(spec, pitch_model, data_dir, max_examples,
                       second_voice=0.0, noise_snr_db=None,
                       weak_partials_db=None, batch_size=16):
  """Yields (name, audio [n_samples], ref f0 [n_frames]) of rendered notes.

  Rendered batch_size notes at a time: a second voice (a fraction of the
  notes, see `augment.second_voice`) borrows its timbre from
  the batch's next note. With weak_partials_db, every note's lowest
  harmonics are weakened first (`evaluate_dataset`), the reference f0 kept.
  Pink noise at noise_snr_db (dB over each example's
  RMS; None = none) is added last. The draws are seeded, so every model hears
  the same mixtures.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from pitchfit.dsp import core  # pylint: disable=g-import-not-at-top
  from pitchfit.train import data  # pylint: disable=g-import-not-at-top
  from pitchfit.notes import augment  # pylint: disable=g-import-not-at-top
  from pitchfit.notes import generator as synthetic_notes  # pylint: disable=g-import-not-at-top
  from pitchfit.notes import registry  # pylint: disable=g-import-not-at-top
  from pitchfit.dsp import synths  # pylint: disable=g-import-not-at-top
  m = pitch_model.config.model
  threshold = pitch_model.config.losses.harmonic.amp_threshold
  _, set_name, _ = data.parse_spec(spec, 'test')
  total = (synthetic_notes.retime(registry.note_config(set_name),
                                  m.hop_size).n_frames if set_name else 125)
  n_crops = max(1, total // m.n_frames)   # model windows per example
  n_source = -(-max_examples // n_crops)
  ds = data.synthetic_eval(spec, m.n_frames, data_dir, n_source,
                           m.hop_size).take(
      max_examples)
  rng = tf.random.Generator.from_seed(0)
  i = 0
  for controls in ds.batch(batch_size).as_numpy_iterator():
    notes = augment.as_controls(controls)
    if weak_partials_db is not None:
      batch = notes['harm_dist'].shape[0]
      notes = augment.with_harmonic_distribution(
          notes, core.weaken_low_harmonics(
              notes['harm_dist'], tf.fill([batch], augment.WEAK_PARTIALS_MAX),
              tf.fill([batch], float(weak_partials_db))), m.sample_rate)
    audio = augment.render(notes, m.n_samples, m.sample_rate, second_voice,
                           pitch_model.config.data.synthetic_second_voice_db,
                           rng)
    if noise_snr_db is not None:
      pink = synths.colored_noise(tf.ones([tf.shape(audio)[0]]),
                                  audio.shape[-1], rng)
      audio = synths.mix_at_snr(audio, pink, noise_snr_db)
    audio = audio.numpy()
    for f0, amp, example_audio in zip(controls['f0_hz'], controls['harm_amp'],
                                      audio):
      f0, amp = f0.reshape(-1), amp.reshape(-1)
      yield f'example_{i:05d}', example_audio, np.where(amp >= threshold, f0,
                                                        0.0)
      i += 1


def real_examples(spec, pitch_model, data_dir, max_examples):
  """Yields (name, audio, ref f0 at model frames or None) of a real split."""
  from pitchfit.train import data  # pylint: disable=g-import-not-at-top
  ds = data.load_tfds(spec, data_dir)
  if max_examples:
    ds = ds.take(max_examples)
  labels_per_frame = pitch_model.hop_size * data.LABEL_FRAME_RATE // (
      pitch_model.sample_rate)
  for i, example in enumerate(ds.as_numpy_iterator()):
    audio = example['audio'].astype(np.float32)
    track = example.get('track_id', b'')
    track = track.decode() if isinstance(track, bytes) else str(track)
    name = f'{i:05d} {track} @{float(example.get("start_s", 0.0)):.1f}s'
    confidence = example.get('f0_confidence')
    has_f0 = bool(example.get('has_f0', True))
    if (not has_f0 or confidence is None
        or np.max(confidence) < MIN_F0_CONFIDENCE):
      yield name, audio, None
      continue
    n_frames = audio.size // pitch_model.hop_size
    ref = example['f0_hz'][::labels_per_frame][:n_frames].astype(np.float64)
    yield name, audio, ref
