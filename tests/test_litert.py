"""LiteRT export: the .tflite tracks as the Keras model does, without TensorFlow."""

import os

import numpy as np
import pytest

import pitchfit
from pitchfit.errors import UserError
from pitchfit.track import export as export_lib
from pitchfit.track import litert_model
from pitchfit.track import predict as predict_lib
from tests.conftest import EVAL_DATA
from pitchfit.track import files
from tests.predict_fixtures import error_lines, run_cli, run_cli_in_process, tiny_model, tiny_save_dir, tone, write_tone  # pylint: disable=unused-import


@pytest.fixture(scope='module')
def tiny_tflite(tiny_save_dir, tmp_path_factory):
  path = tmp_path_factory.mktemp('litert') / 'tiny.tflite'
  code, stdout, stderr = run_cli_in_process('export', tiny_save_dir, path)
  assert code == 0, stderr
  assert 'Checked against the Keras model' in stdout
  return str(path)


def test_export_stores_config_and_calibration_inside(tiny_tflite, tiny_model):
  assert litert_model.is_litert_file(tiny_tflite)
  model = litert_model.LiteRTModel(tiny_tflite)
  assert model.config == tiny_model.config
  assert model.voicing == tiny_model.voicing
  assert (model.n_samples, model.hop_size) == (tiny_model.n_samples,
                                               tiny_model.hop_size)
  assert model.batch_size == export_lib.DEFAULT_BATCH_SIZE


def test_outputs_match_the_keras_model_for_any_batch(tiny_tflite, tiny_model):
  model = litert_model.LiteRTModel(tiny_tflite)
  rng = np.random.default_rng(3)
  windows = (0.1 * rng.standard_normal((7, model.n_samples))).astype(np.float32)
  got, want = model(windows), tiny_model(windows)  # 7: two calls, one padded
  for key in litert_model.OUTPUT_KEYS:
    assert got[key].shape == want[key].shape
    scale = np.abs(want[key]).max()
    assert np.abs(got[key] - want[key]).max() <= 1e-2 * scale, key


def test_predict_with_the_tflite_equals_the_save_dir(tiny_tflite, tiny_save_dir):
  # Over faint noise: an untrained model's log-mel bins of pure digital
  # silence sit on the log floor, where float32 rounding is a large change.
  noise = 1e-3 * np.random.default_rng(0).standard_normal(24000)
  audio = tone(300.0, 1.5, 16000) + noise.astype(np.float32)
  a = pitchfit.predict(audio, 16000, model=tiny_tflite)
  b = pitchfit.predict(audio, 16000, model=tiny_save_dir)
  cents = 1200 * np.abs(np.log2(a.frequency / b.frequency))
  assert np.median(cents) < 1.0
  np.testing.assert_allclose(a.confidence, b.confidence, atol=0.02)


def test_metadata_reader_agrees_with_the_generated_schema(tiny_tflite):
  """The start-up reader (flatbuffers runtime alone) reads what export wrote."""
  import json  # pylint: disable=g-import-not-at-top
  schema = litert_model._schema()  # pylint: disable=protected-access
  paths = [tiny_tflite] + ([predict_lib.DEFAULT_MODEL_PATH] if os.path.isfile(
      predict_lib.DEFAULT_MODEL_PATH) else [])
  for path in paths:
    data = open(path, 'rb').read()
    model = schema.Model.GetRootAs(data, 0)
    entries = [model.Metadata(i) for i in range(model.MetadataLength())]
    ours = [e for e in entries if e.Name() == b'pitchfit']
    assert len(entries) > len(ours) == 1  # beside the converter's own entries
    raw = model.Buffers(ours[0].Buffer()).DataAsNumpy()
    expected = json.loads(bytes(raw).decode('utf-8'))
    assert litert_model.read_metadata(data) == expected


def test_a_tflite_without_pitchfit_metadata_is_refused(tmp_path, tiny_tflite):
  data = open(tiny_tflite, 'rb').read()
  schema = litert_model._schema()  # pylint: disable=protected-access
  import flatbuffers  # pylint: disable=g-import-not-at-top
  model = schema.ModelT.InitFromPackedBuf(bytearray(data), 0)
  model.metadata = [m for m in model.metadata
                    if m.name not in (b'pitchfit', 'pitchfit')]
  builder = flatbuffers.Builder(0)
  builder.Finish(model.Pack(builder), file_identifier=b'TFL3')
  bare = tmp_path / 'bare.tflite'
  bare.write_bytes(bytes(builder.Output()))
  with pytest.raises(UserError, match='not a model written by `pitchfit export`'):
    litert_model.LiteRTModel(bare)


@pytest.fixture(scope='module')
def tiny_cnn(tmp_path_factory):
  """An untrained small log-frequency CNN (the default model's family): its
  save dir's calibrated model and its LiteRT export."""
  return _export_tiny_cnn(tmp_path_factory.mktemp('tiny_cnn'))


def _export_tiny_cnn(save_dir, **model_keys):
  """(PitchModel, LiteRT path) of an untrained SMALL_RECIPE CNN, model keys
  overridden."""
  from pitchfit import config as config_lib  # pylint: disable=g-import-not-at-top
  from pitchfit.model import checkpoints  # pylint: disable=g-import-not-at-top
  from pitchfit.train import job as training  # pylint: disable=g-import-not-at-top
  from tests.test_recipe import SMALL_RECIPE  # pylint: disable=g-import-not-at-top
  import keras  # pylint: disable=g-import-not-at-top
  values = {key: SMALL_RECIPE[key] for key in ('model', 'losses', 'data')}
  values['model'] = {**values['model'], **model_keys}
  config = config_lib.from_dict(values, '<cnn>')
  keras.utils.set_random_seed(0)
  model = training.build_model(config)
  checkpoints.save(model, os.path.join(save_dir, checkpoints.CHECKPOINT_DIR), 1)
  config_lib.dump(config, os.path.join(save_dir, 'config.yaml'))
  path = save_dir / 'cnn.tflite'
  code, _, stderr = run_cli_in_process('export', save_dir, path,
                                       '--batch-size', '1')
  assert code == 0, stderr
  return predict_lib.load_model(str(save_dir)), str(path)


def test_a_cnn_export_takes_windows_of_any_length(tiny_cnn):
  keras_model, path = tiny_cnn
  model = litert_model.LiteRTModel(path)
  assert model.variable_length
  rng = np.random.default_rng(5)
  hop = model.hop_size
  for n_frames in (model.n_frames, 57, 3 * model.n_frames, 57):
    audio = (0.1 * rng.standard_normal((1, n_frames * hop))).astype(np.float32)
    got = model(audio)
    want = keras_model.model(audio, synthesize=False)
    for key in ('f0_logits', 'harm_amps', 'noise_magnitudes'):
      expected = np.asarray(want[key])
      assert got[key].shape == expected.shape == (1, n_frames) + expected.shape[2:]
      scale = np.abs(expected).max()
      assert np.abs(got[key] - expected).max() <= 1e-3 * scale, key
  with pytest.raises(ValueError, match=f'a multiple of {hop}'):
    model(np.zeros((1, 10 * hop + 1), np.float32))
  # The tracker gives it long windows: a 9-s signal takes 3 calls, not 9+.
  track = pitchfit.predict(tone(220.0, 9.0, 16000), 16000, model=path)
  assert track.time.size == 900
  # The TensorFlow model takes the same windows, so the two paths differ by
  # float rounding only (not by where windows fall).
  assert keras_model.variable_length
  tf_track = pitchfit.predict(tone(220.0, 9.0, 16000), 16000,
                              model=keras_model)
  cents = 1200 * np.abs(np.log2(track.frequency / tf_track.frequency))
  assert cents.max() < 0.5
  np.testing.assert_allclose(track.confidence, tf_track.confidence, atol=1e-3)


def _assert_f0_logits_match(model, keras_model, seed):
  """The LiteRT model's f0 logits are Keras's for windows of several lengths."""
  rng = np.random.default_rng(seed)
  for n_frames in (model.n_frames, 57, 3):
    audio = (0.1 * rng.standard_normal((1, n_frames * model.hop_size))
             ).astype(np.float32)
    got = model(audio)['f0_logits']
    want = np.asarray(keras_model.model(audio, synthesize=False)['f0_logits'])
    assert got.shape == want.shape == (1, n_frames, want.shape[-1])
    assert np.abs(got - want).max() <= 1e-3 * np.abs(want).max()


def test_a_cnn_with_time_dilations_exports_for_any_length(tmp_path):
  keras_model, path = _export_tiny_cnn(
      tmp_path, harmonic_cnn_layers=3, harmonic_cnn_time_dilations=[2, 4])
  model = litert_model.LiteRTModel(path)
  assert model.config.model.harmonic_cnn_time_dilations == [2, 4]
  _assert_f0_logits_match(model, keras_model, seed=6)


def test_a_cnn_reading_periodicity_exports_for_any_length(tmp_path):
  keras_model, path = _export_tiny_cnn(tmp_path, periodicity_lags_per_bin=3)
  model = litert_model.LiteRTModel(path)
  assert model.config.model.periodicity_lags_per_bin == 3
  # The feature changes what the f0 head sees: the stem reads 3 more inputs.
  stem = keras_model.model.harmonic_encoder.net.stem
  assert stem.kernel.shape[2] == 2 * len(model.config.model.stack_harmonics) + 3
  _assert_f0_logits_match(model, keras_model, seed=7)


def test_a_cnn_export_plans_every_tensor_when_resized(tiny_cnn):
  # Shapes that follow from the input's alone, so LiteRT plans one arena at
  # each resize. A tensor shaped by run-time values (tensordot, framing by
  # gathered indices) is allocated at every call instead, and so is every
  # tensor after it: the outputs would still have their 1-frame signature
  # shape here, before a call.
  _, path = tiny_cnn
  model = litert_model.LiteRTModel(path)
  n_frames = 37
  interpreter = model._plan_for(n_frames * model.hop_size).interpreter  # pylint: disable=protected-access
  outputs = {d['index']: d['shape'] for d in interpreter.get_output_details()}
  assert outputs
  for shape in outputs.values():
    assert tuple(shape[:2]) == (1, n_frames), shape


def test_a_cnn_export_keeps_a_plan_for_each_of_its_last_lengths(tiny_cnn):
  # A file's long windows and its shorter last window each keep their
  # interpreter, so the next file does not plan its long windows again.
  keras_model, path = tiny_cnn
  model = litert_model.LiteRTModel(path)
  hop = model.hop_size
  audio = (0.1 * np.random.default_rng(2).standard_normal((1, 64 * hop))
           ).astype(np.float32)
  long, short, other = 64 * hop, 24 * hop, 40 * hop
  def lengths():
    return [p.length for p in model._plans]  # pylint: disable=protected-access
  # A copy of a model not yet called waits for its first call's length.
  fresh = model.copy(num_threads=1)
  assert [p.length for p in fresh._plans] == [None]  # pylint: disable=protected-access
  fresh(audio[:, :short])
  assert [p.length for p in fresh._plans] == [short]  # pylint: disable=protected-access
  model(audio[:, :long])
  model(audio[:, :short])
  assert lengths() == [short, long]  # the most recently used first
  model(audio[:, :long])
  assert lengths() == [long, short]
  model(audio[:, :other])  # a third length re-plans the least recently used
  assert lengths() == [other, long]
  want = keras_model.model(audio[:, :short], synthesize=False)['f0_logits']
  got = model(audio[:, :short])['f0_logits']
  np.testing.assert_allclose(got, np.asarray(want), atol=1e-3 * np.abs(want).max())


def test_a_folder_tracked_side_by_side_equals_one_file_at_a_time(
    tiny_tflite, tmp_path):
  folder = tmp_path / 'in'
  folder.mkdir()
  for i in range(7):
    write_tone(folder / f'tone_{i}.wav', 110.0 * 2 ** (i / 5), 1.0 + 0.4 * i,
               [16000, 44100][i % 2])
  (folder / 'broken.wav').write_bytes(b'RIFF not really')
  results = {}
  for jobs in (1, 3):
    out = tmp_path / f'out_{jobs}'
    result = run_cli('predict', folder, '--model', tiny_tflite, '-o', out,
                     '--jobs', jobs, *(['--plot'] if jobs == 3 else []))
    assert result.returncode == 1, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith(
        '7 file(s) done, 1 failed;')
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and 'broken.wav' in lines[0], result.stderr
    assert 'INFO' not in result.stderr
    results[jobs] = {i: files.read_rows_csv(out / f'tone_{i}.f0.csv')
                     for i in range(7)}
  assert len(list((tmp_path / 'out_3').glob('*.f0.png'))) == 7
  for i in range(7):
    for one, side_by_side in zip(results[1][i], results[3][i]):
      np.testing.assert_allclose(one, side_by_side, rtol=1e-4, atol=1e-4)


class _CopyCounter:
  """A stand-in model that counts its copies and the thread each runs on."""

  def __init__(self):
    self.copies = []

  def copy(self, num_threads=None):
    assert num_threads == 1
    clone = _CopyCounter()
    self.copies.append(clone)
    return clone


def test_map_files_keeps_order_and_returns_errors():
  import threading  # pylint: disable=g-import-not-at-top
  model = _CopyCounter()
  seen = []

  def work(item, worker_model):
    seen.append((item, worker_model, threading.get_ident()))
    if item == 3:
      raise UserError('three is bad')
    return item * 10

  out = list(files.map_files(work, range(9), model, workers=3))
  assert [item for item, _ in out] == list(range(9))
  assert [r for i, r in out if i != 3] == [10 * i for i in range(9) if i != 3]
  assert isinstance(out[3][1], UserError)
  assert len(model.copies) == 3
  # Each thread kept its own copy; no copy was used by two threads.
  users = {}
  for _, worker_model, thread in seen:
    users.setdefault(id(worker_model), set()).add(thread)
  assert all(len(threads) == 1 for threads in users.values())
  assert model not in [m for _, m, _ in seen]
  # One worker uses the model itself, in this thread.
  seen.clear()
  assert [r for _, r in files.map_files(work, [1, 2], model, workers=1)] == [10, 20]
  assert {m for _, m, _ in seen} == {model}


def test_map_files_stopped_early_runs_only_what_was_queued():
  import time  # pylint: disable=g-import-not-at-top
  ran = []

  def work(item, _):
    time.sleep(0.01)
    ran.append(item)
    return item

  results = files.map_files(work, range(1000), _CopyCounter(), workers=2)
  assert next(results) == (0, 0)
  results.close()
  assert len(ran) <= 4 + 1  # at most twice the workers queued, and the first


def test_export_refuses_other_suffixes(tiny_save_dir, tmp_path):
  code, _, stderr = run_cli_in_process('export', tiny_save_dir,
                                       tmp_path / 'x.onnx')
  assert code == 2 and 'must end in .tflite or .npz' in stderr


# ------------------------------------------------ the shipped default model
needs_default = pytest.mark.skipif(
    not (os.path.isfile(predict_lib.DEFAULT_MODEL_PATH)
         and os.path.isfile(predict_lib.DEFAULT_WEIGHTS_PATH)),
    reason='no shipped default model')


@pytest.fixture(scope='module')
def default_pair():
  return (predict_lib.load_model(None),
          predict_lib.load_tf_model(predict_lib.DEFAULT_WEIGHTS_PATH))


@needs_default
def test_shipped_tflite_is_the_shipped_weights(default_pair):
  lite, keras_model = default_pair
  assert isinstance(lite, litert_model.LiteRTModel)
  assert lite.config == keras_model.config
  assert lite.voicing == keras_model.voicing
  for f0 in (65.4, 110.0, 220.0, 440.0, 880.0):
    audio = tone(f0, 2.0, 16000)
    a = pitchfit.predict(audio, 16000, model=lite)
    b = pitchfit.predict(audio, 16000, model=keras_model)
    cents = 1200 * np.abs(np.log2(a.frequency / b.frequency))
    assert np.median(cents) < 1.0, f0
    # And both find the tone.
    assert np.median(1200 * np.abs(np.log2(a.frequency[a.voiced] / f0))) < 25
    assert a.voiced.mean() > 0.9


@needs_default
@pytest.mark.skipif(not os.path.isdir(EVAL_DATA), reason='no eval-data here')
def test_shipped_tflite_scores_the_weights_rpa_on_eval_data(default_pair):
  from pitchfit.evaluate import scoring as evaluation  # pylint: disable=g-import-not-at-top
  lite, keras_model = default_pair
  rpa = {}
  for name, model in (('lite', lite), ('keras', keras_model)):
    report = evaluation.evaluate_folder(EVAL_DATA,
                                        [evaluation.ModelEstimator(model)])
    rpa[name] = report.pooled['pitchfit']['rpa']
  assert abs(rpa['lite'] - rpa['keras']) <= 0.0005, rpa  # 0.05 point


def test_default_threads_follow_the_cpus_up_to_four(monkeypatch):
  monkeypatch.setattr(os, 'sched_getaffinity', lambda pid: set(range(16)),
                      raising=False)
  assert litert_model.default_num_threads() == litert_model.MAX_DEFAULT_THREADS == 4
  monkeypatch.setattr(os, 'sched_getaffinity', lambda pid: {3}, raising=False)
  assert litert_model.default_num_threads() == 1


def test_the_readout_radius_is_the_models_own(tiny_model):
  """f0 is the mean over model.f0_peak_radius_bins around the softmax peak:
  0 gives bin centres exactly, the default 8 a mean between them."""
  import dataclasses  # pylint: disable=g-import-not-at-top
  from pitchfit.track import pitch_model as pitch_model_lib  # pylint: disable=g-import-not-at-top
  from pitchfit.track import streaming  # pylint: disable=g-import-not-at-top
  config = tiny_model.config
  peak_only = dataclasses.replace(
      config, model=dataclasses.replace(config.model, f0_peak_radius_bins=0))
  model = pitch_model_lib.PitchModel(tiny_model.model, peak_only,
                                     voicing=tiny_model.voicing)
  windows = np.stack([tone(f, model.n_samples / 16000, 16000)[:model.n_samples]
                      for f in (110.0, 233.0, 415.0)]).astype(np.float32)
  bins = streaming.f0_bins_hz(config.model)
  for m, exact in ((model, True), (tiny_model, False)):
    f0 = m(windows)['f0_hz'].reshape(-1)
    cents = 1200 * np.abs(np.log2(f0[:, None] / bins[None, :])).min(axis=1)
    assert (cents.max() < 0.01) == exact, cents.max()


def _with_metadata_changed(path, out_path, **changes):
  """Writes path's flatbuffer with its pitchfit metadata updated."""
  data = open(path, 'rb').read()
  metadata = dict(litert_model.read_metadata(data), **changes)
  metadata = {k: v for k, v in metadata.items() if v is not None}
  out_path.write_bytes(litert_model.with_metadata(data, metadata))
  return str(out_path)


def test_a_cnn_export_starts_at_the_numpy_stft_magnitudes(tiny_cnn):
  keras_model, path = tiny_cnn
  model = litert_model.LiteRTModel(path)
  assert model.metadata['format'] == litert_model.FORMAT_VERSION == 2
  sizes = keras_model.config.model.spectrum_fft_sizes
  assert sorted(model.stft_inputs.values()) == sorted(sizes)
  interpreter = model._plan_for(40 * model.hop_size).interpreter  # pylint: disable=protected-access
  widths = sorted(int(d['shape'][-1]) for d in interpreter.get_input_details())
  assert widths == sorted(size // 2 + 1 for size in sizes)


def test_a_format_1_file_of_audio_windows_still_runs(tiny_cnn, tmp_path):
  # Files exported before the NumPy front end take audio windows.
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  keras_model, path = tiny_cnn
  function = export_lib.tracking_function(keras_model, 1)
  data = tf.lite.TFLiteConverter.from_concrete_functions(
      [function.get_concrete_function()], function).convert()
  windows = export_lib._test_windows(keras_model, 1)  # pylint: disable=protected-access
  names, _ = export_lib.match_outputs(data, function, windows)
  metadata = dict(litert_model.read_metadata(open(path, 'rb').read()),
                  format=1, outputs=names)
  del metadata['stft_inputs']
  old = tmp_path / 'format1.tflite'
  old.write_bytes(litert_model.with_metadata(data, metadata))
  old_model = litert_model.LiteRTModel(old)
  assert not old_model.stft_inputs
  audio = (0.1 * np.random.default_rng(6).standard_normal((1, 70 * 160))
           ).astype(np.float32)
  got = old_model(audio)['f0_logits']
  want = litert_model.LiteRTModel(path)(audio)['f0_logits']
  np.testing.assert_allclose(got, want, atol=1e-4 * np.abs(want).max())


def test_a_file_of_a_newer_format_is_refused_in_one_line(tiny_cnn, tmp_path):
  _, path = tiny_cnn
  newer = _with_metadata_changed(path, tmp_path / 'newer.tflite', format=99)
  with pytest.raises(UserError, match='newer pitchfit .*model format 99.*'
                     'upgrade pitchfit'):
    litert_model.LiteRTModel(newer)
  damaged = _with_metadata_changed(
      path, tmp_path / 'damaged.tflite',
      stft_inputs={'no_such_input': 2048})
  with pytest.raises(UserError, match='damaged model'):
    litert_model.LiteRTModel(damaged)(np.zeros((1, 1600), np.float32))
