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
from tests.predict_fixtures import run_cli_in_process, tiny_model, tiny_save_dir, tone  # pylint: disable=unused-import


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
  from pitchfit import config as config_lib  # pylint: disable=g-import-not-at-top
  from pitchfit.model import checkpoints  # pylint: disable=g-import-not-at-top
  from pitchfit.train import job as training  # pylint: disable=g-import-not-at-top
  from tests.test_recipe import SMALL_RECIPE  # pylint: disable=g-import-not-at-top
  import keras  # pylint: disable=g-import-not-at-top
  save_dir = tmp_path_factory.mktemp('tiny_cnn')
  config = config_lib.from_dict(
      {key: SMALL_RECIPE[key] for key in ('model', 'losses', 'data')}, '<cnn>')
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
