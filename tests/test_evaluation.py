"""pitchfit evaluate: mir_eval metrics with oracle voicing, folders, datasets."""

import json
import math
import os
import shutil

import numpy as np
import pytest

from pitchfit.evaluate import scoring as evaluation
from pitchfit.errors import UserError
from tests.conftest import EVAL_DATA
from tests.predict_fixtures import run_cli_in_process, tiny_model, tiny_save_dir, write_tone  # pylint: disable=unused-import

CENTS = 2.0 ** (1.0 / 1200.0)


def reference(n=100, voiced_fraction=0.5):
  times = np.arange(n) * 0.01
  f0 = np.where(np.arange(n) < n * voiced_fraction, 200.0, 0.0)
  return times, f0


@pytest.mark.parametrize('ratio,rpa,rca', [
    (CENTS ** 40, 1.0, 1.0),      # inside the 50-cent tolerance
    (CENTS ** 60, 0.0, 0.0),      # outside it
    (2.0, 0.0, 1.0),              # octave error: chroma forgives it
    (0.5 * CENTS ** 30, 0.0, 1.0)])
def test_pitch_accuracy_tolerance_and_octaves(ratio, rpa, rca):
  times, f0 = reference()
  est = np.full_like(f0, 200.0 * ratio)
  s = evaluation.scores(evaluation.to_frames(times, f0, est, f0 > 0))
  assert s['rpa'] == pytest.approx(rpa)
  assert s['rca'] == pytest.approx(rca)
  assert s['n_voiced'] == 50 and s['n_frames'] == 100


def test_pitch_accuracy_ignores_the_estimated_voicing():
  """Oracle voicing (the papers'): a right pitch counts even if unvoiced."""
  times, f0 = reference()
  s = evaluation.scores(evaluation.to_frames(
      times, f0, np.full_like(f0, 200.0), np.zeros(100, bool)))
  assert s['rpa'] == 1.0
  assert s['voicing_recall'] == 0.0
  assert s['voicing_false_alarm'] == 0.0
  assert s['overall_accuracy'] == pytest.approx(0.5)  # the unvoiced half


def test_voicing_measures_use_the_estimated_voicing():
  times, f0 = reference()
  est_voiced = np.arange(100) < 75  # all voiced ones and half the others
  s = evaluation.scores(evaluation.to_frames(
      times, f0, np.full_like(f0, 200.0), est_voiced))
  assert s['voicing_recall'] == 1.0
  assert s['voicing_false_alarm'] == pytest.approx(0.5)
  assert s['overall_accuracy'] == pytest.approx(0.75)


def test_undefined_scores_are_nan_and_left_out_of_means():
  times, f0 = reference(voiced_fraction=0.0)
  s = evaluation.scores(evaluation.to_frames(times, f0, f0 + 100.0, f0 > 0))
  assert math.isnan(s['rpa']) and math.isnan(s['voicing_recall'])
  mean = evaluation.mean_scores([dict(s, name='a'),  # pylint: disable=protected-access
                                  dict(s, rpa=0.5, name='b')])
  assert mean['rpa'] == 0.5


def test_read_reference_with_and_without_header(tmp_path):
  with_header = tmp_path / 'a.f0.csv'
  with_header.write_text('time_s,f0_hz\n0.0,0\n0.005,220.5\n0.01,221\n')
  bare = tmp_path / 'b.f0.csv'
  bare.write_text('0.0,0.0\n0.0029,100.0\n')
  times, f0 = evaluation.read_reference(with_header)
  np.testing.assert_allclose(times, [0.0, 0.005, 0.01])
  np.testing.assert_allclose(f0, [0.0, 220.5, 221.0])
  assert evaluation.read_reference(bare)[1].tolist() == [0.0, 100.0]
  broken = tmp_path / 'c.f0.csv'
  broken.write_text('time_s,f0_hz\n0.1,abc\n')
  with pytest.raises(UserError, match='c.f0.csv'):
    evaluation.read_reference(broken)
  backwards = tmp_path / 'd.f0.csv'
  backwards.write_text('0.2,100\n0.1,100\n')
  with pytest.raises(UserError, match='increasing'):
    evaluation.read_reference(backwards)


class ExactEstimator:
  """Returns each file's reference (read again), as a perfect tracker would."""
  name = 'exact'

  def track_file(self, path):
    times, f0 = evaluation.read_reference(
        path.with_name(path.stem + '.f0.csv'))
    f0 = np.where(f0 > 0, f0, 100.0)
    return times, f0, np.ones_like(f0), np.ones_like(f0, bool)


def test_folder_scores_each_labelled_file_and_reports_bad_ones(tmp_path):
  for name in ('a', 'b', 'c'):
    write_tone(tmp_path / f'{name}.wav', seconds=0.2)
  (tmp_path / 'a.f0.csv').write_text('time_s,f0_hz\n0,200\n0.01,0\n0.02,210\n')
  (tmp_path / 'b.f0.csv').write_text('time_s,f0_hz\nnot numbers\n')
  errors = []
  report = evaluation.evaluate_folder(tmp_path, [ExactEstimator()],
                                      on_error=errors.append)
  assert [item['name'] for item in report.items['exact']] == ['a']
  assert report.items['exact'][0]['rpa'] == 1.0
  assert report.pooled['exact']['n_frames'] == 3
  assert len(errors) == 1 and 'b.f0.csv' in errors[0]
  assert len(report.skipped) == 1 and 'c.wav' in report.skipped[0]
  table = evaluation.format_table(report)
  assert 'exact' in table and '100.0%' in table
  json.dumps(report.to_json())  # NaN-free, serialisable


def test_folder_without_labels_is_a_user_error(tmp_path):
  write_tone(tmp_path / 'a.wav', seconds=0.1)
  with pytest.raises(UserError, match='no audio file has a <stem>.f0.csv'):
    evaluation.labelled_files(tmp_path)


def test_synthetic_dataset_protocol_with_a_model(tiny_model, tmp_path):
  # An empty data_dir: the generator's examples in their index order, whether
  # or not `make demo` has built synthetic_notes/tiny in the default data dir
  # (whose records are in shuffled order).
  data_dir = str(tmp_path)
  report = evaluation.evaluate_dataset(
      'synthetic_notes/tiny:test', [evaluation.ModelEstimator(tiny_model)],
      tiny_model, data_dir=data_dir, max_examples=3)
  items = report.items['pitchfit']
  assert len(items) == 3
  n_frames = tiny_model.config.model.n_frames
  assert all(item['n_frames'] == n_frames for item in items)
  assert report.pooled['pitchfit']['n_frames'] == 3 * n_frames
  # The reference of each example is the generator's voiced f0 at the model's
  # frames: estimators that replay it, exactly and an octave up, score 1 and
  # (RPA 0, RCA 1) on exactly its voiced frames, pooled and per example.
  from pitchfit.evaluate import runs  # pylint: disable=g-import-not-at-top
  refs = [ref for _, _, ref in runs.synthetic_examples(
      'synthetic_notes/tiny:test', tiny_model, data_dir, 3)]
  n_voiced = [int(np.sum(ref > 0)) for ref in refs]
  assert [item['n_voiced'] for item in items] == n_voiced
  assert 0 < sum(n_voiced) < 3 * n_frames

  class Replay:
    """Answers each example with its reference f0 times `ratio`."""

    def __init__(self, name, ratio):
      self.name, self.ratio, self.calls = name, ratio, 0

    def track_windows(self, windows):
      ref = refs[self.calls]
      self.calls += 1
      return (np.where(ref > 0, ref * self.ratio, 100.0)[np.newaxis],
              (ref > 0)[np.newaxis])

  report = evaluation.evaluate_dataset(
      'synthetic_notes/tiny:test', [Replay('exact', 1.0), Replay('octave', 2.0)],
      tiny_model, data_dir=data_dir, max_examples=3)
  for name, rpa in (('exact', 1.0), ('octave', 0.0)):
    pooled = report.pooled[name]
    assert pooled['n_voiced'] == sum(n_voiced)
    assert (pooled['rpa'], pooled['rca']) == (rpa, 1.0)
    assert (pooled['voicing_recall'], pooled['voicing_false_alarm']) == (1.0, 0.0)
    assert [item['rpa'] for item in report.items[name]] == [rpa] * 3


def test_synthetic_notes_with_a_second_voice_keep_the_main_reference(
    tiny_model):
  plain = list(evaluation.synthetic_examples(
      'synthetic_notes/tiny:test', tiny_model, None, 6, batch_size=4))
  mixed = list(evaluation.synthetic_examples(
      'synthetic_notes/tiny:test', tiny_model, None, 6, second_voice=1.0,
      batch_size=4))
  assert [name for name, _, _ in plain] == [name for name, _, _ in mixed]
  for (_, plain_audio, plain_ref), (_, mixed_audio, mixed_ref) in zip(plain,
                                                                      mixed):
    np.testing.assert_array_equal(plain_ref, mixed_ref)
    assert plain_audio.shape == mixed_audio.shape
  # Louder where a second voice plays (noise differs, so compare energies).
  energy = lambda examples: sum(float(np.sum(a ** 2)) for _, a, _ in examples)
  assert energy(mixed) > energy(plain) * 1.01
  report = evaluation.evaluate_dataset(
      'synthetic_notes/tiny:test', [evaluation.ModelEstimator(tiny_model)],
      tiny_model, max_examples=2, second_voice=1.0)
  assert 'second voice' in report.protocol


def test_synthetic_notes_with_noise_keep_the_reference_at_the_snr(
    tiny_model):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  def examples(**kwargs):
    tf.random.set_seed(0)   # the same synthesizer noise in every render
    return list(evaluation.synthetic_examples(
        'synthetic_notes/tiny:test', tiny_model, None, 6, batch_size=4,
        **kwargs))
  plain, noisy = examples(), examples(noise_snr_db=10.0)
  rms = lambda x: np.sqrt(np.mean(x ** 2))
  for (_, plain_audio, plain_ref), (_, noisy_audio, noisy_ref) in zip(plain,
                                                                      noisy):
    np.testing.assert_array_equal(plain_ref, noisy_ref)
    added = noisy_audio - plain_audio
    assert 20 * np.log10(rms(plain_audio) / rms(added)) == pytest.approx(
        10.0, abs=0.01)
  # Seeded: every model hears the same noise.
  for (_, a, _), (_, b, _) in zip(noisy, examples(noise_snr_db=10.0)):
    np.testing.assert_allclose(a, b, atol=1e-6)
  report = evaluation.evaluate_dataset(
      'synthetic_notes/tiny:test', [evaluation.ModelEstimator(tiny_model)],
      tiny_model, max_examples=2, noise_snr_db=25.0)
  assert 'pink noise at 25 dB SNR' in report.protocol


def test_synthetic_notes_with_weak_partials_sound_weakened(tiny_model):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from pitchfit.train import data  # pylint: disable=g-import-not-at-top
  from pitchfit.dsp import synths  # pylint: disable=g-import-not-at-top
  spec, n = 'synthetic_notes/tiny:test', 6
  def examples(**kwargs):
    tf.random.set_seed(0)   # the same synthesizer noise in every render
    return list(evaluation.synthetic_examples(spec, tiny_model, None, n,
                                              batch_size=n, **kwargs))
  plain, weak = examples(), examples(weak_partials_db=20.0)
  controls = next(data.synthetic_eval(
      spec, tiny_model.config.model.n_frames, None, n).take(n).batch(
          n).as_numpy_iterator())
  # As documented: the fundamental -20 dB, the 2nd -13.3, the 3rd -6.7, then
  # renormalized so the note keeps its amplitude.
  gains = np.ones(controls['harm_dist'].shape[-1])
  gains[:3] = 10 ** (-np.array([20, 40 / 3, 20 / 3]) / 20)
  dist = controls['harm_dist'] * gains
  dist /= dist.sum(-1, keepdims=True)
  expected_amps = controls['harm_amp'][..., None] * dist
  plain_sines = synths.sinusoidal(controls['sin_amps'], controls['sin_freqs'],
                                  tiny_model.n_samples).numpy()
  weak_sines = synths.sinusoidal(expected_amps, controls['sin_freqs'],
                                 tiny_model.n_samples).numpy()
  for i, ((_, plain_audio, plain_ref), (_, weak_audio, weak_ref)) in enumerate(
      zip(plain, weak)):
    np.testing.assert_array_equal(plain_ref, weak_ref)
    # The same synthesizer noise under other sinusoids.
    noise = plain_audio - plain_sines[i]
    np.testing.assert_allclose(weak_audio - noise, weak_sines[i], atol=1e-5)
  assert any(not np.allclose(p[1], w[1], atol=1e-3) for p, w in zip(plain, weak))
  report = evaluation.evaluate_dataset(
      spec, [evaluation.ModelEstimator(tiny_model)], tiny_model,
      max_examples=2, weak_partials_db=20.0)
  assert 'fundamental -20 dB' in report.protocol


@pytest.mark.parametrize('augmentation', [{'second_voice': 0.5},
                                          {'noise_snr_db': 25.0},
                                          {'weak_partials_db': 20.0}])
def test_real_datasets_refuse_synthetic_augmentations(tiny_model,
                                                      augmentation):
  with pytest.raises(UserError, match='only be added to synthetic notes'):
    evaluation.evaluate_dataset(
        'mdb_stem_synth:test', [evaluation.ModelEstimator(tiny_model)],
        tiny_model, **augmentation)


@pytest.mark.parametrize('option', [('--second-voice', '0.5'),
                                    ('--noise-snr', '25'),
                                    ('--weak-partials', '20')])
def test_evaluate_cli_augmentations_need_synthetic_notes(tmp_path,
                                                         tiny_save_dir, option):
  code, _, stderr = run_cli_in_process(
      'evaluate', '--model', tiny_save_dir, '--audio-dir', tmp_path, *option)
  assert code != 0 and 'apply to synthetic notes' in stderr


def test_evaluate_cli_table_json_tensorboard_and_pyin(tmp_path, tiny_save_dir):
  """One end-to-end run: a tone, a real clip if eval-data is here, pYIN."""
  folder = tmp_path / 'clips'
  folder.mkdir()
  write_tone(folder / 'tone.wav', 220.0, 1.0, 22050)
  times = np.arange(0, 1.0, 0.005)
  np.savetxt(folder / 'tone.f0.csv', np.stack([times, np.full_like(times, 220.0)], -1),
             delimiter=',', header='time_s,f0_hz', comments='', fmt='%.4f')
  clip = os.path.join(EVAL_DATA, 'mdb_stem_synth',
                      'AClassicEducation_NightOwl_STEM_08.RESYN')
  has_clip = os.path.exists(clip + '.wav')
  if has_clip:  # evaluation data: used here, never for calibration
    shutil.copy(clip + '.wav', folder)
    shutil.copy(clip + '.f0.csv', folder)
  out = tmp_path / 'scores.json'
  code, stdout, stderr = run_cli_in_process(
      'evaluate', '--model', tiny_save_dir, '--audio-dir', folder, '--baseline',
      'pyin', '--json', out, '--log-dir', tmp_path / 'tb')
  assert code == 0, stderr
  assert 'error' not in stderr
  report = json.loads(out.read_text())
  assert set(report['items']) == {'pitchfit', 'pyin'}
  names = {item['name'] for item in report['items']['pyin']}
  assert 'tone' in names and has_clip == (len(names) == 2)
  tone_pyin = [i for i in report['items']['pyin'] if i['name'] == 'tone'][0]
  assert tone_pyin['rpa'] > 0.9  # pYIN finds a clean 220-Hz tone
  assert report['pooled']['pitchfit']['n_frames'] == sum(
      item['n_frames'] for item in report['items']['pitchfit'])
  for line in ('pitchfit', 'pyin', '(all frames)', 'RPA'):
    assert line in stdout
  assert any(name.startswith('events.out.tfevents')
             for name in os.listdir(tmp_path / 'tb'))


def test_real_dataset_protocol_reads_labels_at_model_frames(tiny_model,
                                                            monkeypatch):
  """4-s examples with 250-Hz labels: every 8th label is a model frame's."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from pitchfit.train import data  # pylint: disable=g-import-not-at-top
  from tests.predict_fixtures import tone  # pylint: disable=g-import-not-at-top
  audio = np.stack([tone(220.0, 4.0, 16000), np.zeros(64000, np.float32)])
  f0 = np.zeros((2, 1000), np.float32)
  f0[0, :500] = 220.0          # voiced for 2 s
  examples = {'audio': audio, 'f0_hz': f0, 'f0_confidence': (f0 > 0) * 1.0,
              'has_f0': np.array([True, True]),
              'track_id': np.array([b'tone', b'silence']),
              'start_s': np.zeros(2, np.float32)}
  requested = []

  def fake_load_tfds(spec, data_dir=None, shuffle_files=False):
    requested.append(spec)
    return tf.data.Dataset.from_tensor_slices(examples)

  monkeypatch.setattr(data, 'load_tfds', fake_load_tfds)
  report = evaluation.evaluate_dataset(
      'mdb_stem_synth:test', [evaluation.ModelEstimator(tiny_model)],
      tiny_model)
  assert requested == ['mdb_stem_synth:test']
  items = report.items['pitchfit']
  assert len(items) == 1  # the example without a voiced label is skipped
  assert items[0]['n_frames'] == 125 and items[0]['n_voiced'] == 63
  assert len(report.skipped) == 1 and 'silence' in report.skipped[0]
