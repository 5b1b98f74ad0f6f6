"""pitchfit.predict: the output grid, seamless stitching, streaming, memory."""

import math
import os
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
import soundfile

import pitchfit
from pitchfit.io import audio as audio_io
from pitchfit.track import files
from pitchfit.track import predict as predict_lib
from pitchfit.track import streaming
from pitchfit.track import voicing
from pitchfit.errors import UserError
from tests.conftest import REPO
from tests.predict_fixtures import StubModel, tiny_model, tiny_save_dir, tone, write_tone  # pylint: disable=unused-import


def track(model, audio, step_ms=10.0, block=None, batch_size=8,
          half_hop=False, stride_frames=None, lead_frames=None):
  """Runs a StreamingTracker, pushing `block` samples at a time."""
  # No high-pass: the stub's f0 is its input signal itself.
  tracker = streaming.StreamingTracker(model, step_ms, batch_size, half_hop,
                                       highpass=False,
                                       stride_frames=stride_frames,
                                       lead_frames=lead_frames)
  chunks = []
  block = block or max(1, audio.size)
  for start in range(0, audio.size, block):
    chunks += tracker.push(audio[start:start + block])
  chunks += tracker.finish()
  return streaming.concatenate(chunks)


@pytest.mark.parametrize('encoder', ['resnet', 'harmonic_cnn'])
@pytest.mark.parametrize('half_hop,stride_frames,lead_frames', [
    (False, None, None), (True, None, None), (False, 6, None), (True, 7, 0),
    (False, 6, 0), (False, 8, 3)])
@pytest.mark.parametrize('n_samples,step_ms', [
    (1, 10.0), (16, 10.0), (160, 10.0), (161, 10.0), (16000, 10.0),
    (52800, 5.8), (40000, 32.0), (9000, 1.0)])
def test_one_row_per_step_before_the_end(n_samples, step_ms, half_hop,
                                         stride_frames, lead_frames, encoder):
  model = StubModel(n_frames=8, encoder=encoder)
  times, frequency, confidence = track(model, np.zeros(n_samples, np.float32),
                                       step_ms, half_hop=half_hop,
                                       stride_frames=stride_frames,
                                       lead_frames=lead_frames)
  expected_rows = math.ceil(n_samples / (step_ms * 16.0) - 1e-9)
  assert times.size == frequency.size == confidence.size == expected_rows
  np.testing.assert_allclose(times, np.arange(expected_rows) * step_ms / 1000.0)
  assert times[-1] < n_samples / 16000.0


@pytest.mark.parametrize('half_hop', [False, True])
@pytest.mark.parametrize('encoder', ['resnet', 'harmonic_cnn'])
@pytest.mark.parametrize('n_frames,stride_frames,lead_frames', [
    (8, None, None), (9, None, None), (125, None, None), (8, 6, None),
    (9, 9, 0), (125, 93, 0), (8, 5, 2)])
def test_stitched_track_follows_the_signal_at_the_right_times(
    n_frames, stride_frames, lead_frames, half_hop, encoder):
  """With a stub whose f0 is exp(signal), a ramp comes back exactly."""
  model = StubModel(n_frames=n_frames, encoder=encoder)
  n = 16000 * 7 + 123
  ramp = np.linspace(3.0, 6.0, n).astype(np.float32)  # log-f0 at each sample
  times, frequency, _ = track(model, ramp, step_ms=10.0, block=5000,
                              half_hop=half_hop, stride_frames=stride_frames,
                              lead_frames=lead_frames)
  last_real_frame_s = ((n - 1) // 512) * 512 / 16000.0
  inside = times <= last_real_frame_s
  expected = np.interp(times[inside] * 16000.0, np.arange(n), ramp)
  np.testing.assert_allclose(np.log(frequency[inside]), expected, atol=1e-3)


def test_fewer_windows_for_convolutional_models():
  """The CNN's windows overlap by its context, the ResNet's by half."""
  model = StubModel(n_frames=100)
  assert streaming.default_stride_frames(model) == 50
  model.config.model.encoder = 'harmonic_cnn'
  assert streaming.default_stride_frames(model) == (
      100 - 2 * streaming.CONV_CONTEXT_FRAMES)
  assert streaming.default_lead_frames(model, 68) == 0
  # The default's layout reaches 16 frames; dilating the harmonic blocks in
  # time reaches further, and the windows overlap more.
  model.config.model.hop_size = 160  # the default's 10-ms frames
  assert streaming.conv_context_frames(model.config.model) == 16
  model.config.model.harmonic_cnn_time_dilations = [1, 2, 4]
  assert streaming.conv_context_frames(model.config.model) == 20  # 5+1+7+6.4
  assert streaming.default_stride_frames(model) == 100 - 40
  model.config.model.harmonic_cnn_time_dilations = []
  weights = streaming.window_weights(100, 68)
  # Ramps over the 32 shared frames, flat between: two neighbours sum to a
  # constant wherever they overlap.
  np.testing.assert_allclose(weights[68:] + weights[:32], weights[50])
  with pytest.raises(ValueError, match='stride_frames'):
    streaming.StreamingTracker(model, stride_frames=101)


@pytest.mark.parametrize('n_samples', [1, 4000, 16000, 48000, 48001, 99999])
def test_a_cnn_stream_ends_with_the_last_window_that_covers_it(n_samples):
  """No window past the one that reaches the last row's frame (and its next)."""
  model = StubModel(n_frames=100, encoder='harmonic_cnn')
  model.hop_size, model.n_samples = 160, 16000
  ramp = np.linspace(3.0, 6.0, n_samples).astype(np.float32)
  times, frequency, _ = track(model, ramp, batch_size=1)
  # Windows start every 68 frames from 0; the last row's frame and the one
  # after it (for interpolation) must lie inside the last window.
  frames = math.ceil(n_samples / 160 - 1e-9) + 1
  assert model.calls == max(0, math.ceil((frames - 100) / 68)) + 1
  inside = times <= ((n_samples - 1) // 160) * 160 / 16000.0
  expected = np.interp(times[inside] * 16000.0, np.arange(n_samples), ramp)
  np.testing.assert_allclose(np.log(frequency[inside]), expected, atol=1e-3)
  # The ResNet's stream runs on until a later window makes its frames final.
  resnet = StubModel(n_frames=100)
  resnet.hop_size, resnet.n_samples = 160, 16000
  track(resnet, ramp, batch_size=1, stride_frames=68, lead_frames=0)
  assert resnet.calls == (frames - 1) // 68 + 1 >= model.calls


@pytest.mark.parametrize('half_hop', [False, True])
@pytest.mark.parametrize('n_samples', [1, 3000, 48000, 64000, 64001, 250000])
def test_a_variable_length_model_gets_long_windows_and_a_short_last_one(
    n_samples, half_hop):
  """Windows of VARIABLE_WINDOW_S, the last cut to the audio left."""
  model = StubModel(n_frames=8, encoder='harmonic_cnn', variable_length=True)
  ramp = np.linspace(3.0, 6.0, n_samples).astype(np.float32)
  times, frequency, _ = track(model, ramp, block=20000, half_hop=half_hop)
  inside = times <= ((n_samples - 1) // 512) * 512 / 16000.0
  expected = np.interp(times[inside] * 16000.0, np.arange(n_samples), ramp)
  np.testing.assert_allclose(np.log(frequency[inside]), expected, atol=1e-3)
  if half_hop:
    return  # two passes interleave; the single pass shows the lengths
  window = 125 * 512  # 4 s of 512-sample frames
  granule = streaming.WINDOW_GRANULE_FRAMES * 512
  *full, last = model.lengths
  assert all(n == window for n in full)
  assert last == window or (last < window and last % granule == 0)
  # The audio seen: the stream once, the overlaps, and less than a granule
  # and two frames past the end.
  overlap = 2 * streaming.CONV_CONTEXT_FRAMES * 512
  assert sum(model.lengths) < (n_samples + len(full) * overlap + granule
                               + 2 * 512)


def test_cross_fading_leaves_no_seams_at_window_boundaries():
  """Each window's edge drift is blended away, not switched."""
  # log-f0 drift of -0.02 .. +0.02 across each window: overlapping windows
  # differ by up to 74 cents, within the stitcher's agreement tolerance.
  edge_bias = 0.02
  model = StubModel(n_frames=16, edge_bias=edge_bias)
  constant = np.full(16000 * 6, 5.0, np.float32)
  # One row per model frame (32 ms), so a jump between frames shows whole.
  _, frequency, _ = track(model, constant, step_ms=32.0)
  log_f0 = np.log(frequency[:-2])  # the very end meets the zero padding
  # Switching windows anywhere would jump by about 2 edge_bias at the
  # quarter points; blending keeps the track flat and close to the truth.
  assert np.abs(np.diff(log_f0)).max() < 0.1 * edge_bias
  assert np.abs(log_f0 - 5.0).max() < 0.1 * edge_bias



class _OctaveAtWindowStart(StubModel):
  """A stub whose first quarter of frames in every window is an octave up."""

  def __call__(self, windows):
    outputs = super().__call__(windows)
    quarter = self.config.model.n_frames // 4
    outputs['f0_hz'][:, :quarter] *= 2.0
    return outputs


def test_windows_that_disagree_are_not_averaged():
  """Where windows disagree, the most central one wins, not a tritone."""
  constant = np.full(16000 * 6, 5.0, np.float32)
  _, frequency, _ = track(_OctaveAtWindowStart(n_frames=16), constant,
                          step_ms=32.0)
  # Every wrong frame is seen more centrally by a right window.
  np.testing.assert_allclose(np.log(frequency[:-2]), 5.0, atol=1e-6)
  # A mean would have put those frames between the two answers.
  stitcher = streaming._Stitcher(16, 8)  # pylint: disable=protected-access
  for _ in range(3):
    first, values = stitcher.add(np.stack([np.full(16, 5.0), np.full(16, 0.9)], -1))
  mixed = np.full(16, 5.0)
  mixed[:2] += 0.5 * np.log(2.0) / 12.0  # half a semitone: they agree
  first, values = stitcher.add(np.stack([mixed, np.full(16, 0.9)], -1))
  log_f0 = values[:, 0]
  assert np.all((log_f0[:2] > 5.0) & (log_f0[:2] < mixed[0]))

def test_half_hop_places_frames_half_way_between_the_first_pass_ones():
  """A note change between two frames is missed by half as many rows."""
  model = StubModel(n_frames=8)
  change = 512 * 40 + 128         # between frame 40 and the half frame 40.5
  audio = np.where(np.arange(16000 * 3) < change, 4.0, 5.0).astype(np.float32)
  results = {}
  for half_hop in (False, True):
    times, frequency, _ = track(model, audio, step_ms=1.0, half_hop=half_hop)
    wrong = np.abs(np.log(frequency) - audio[(times * 16000).astype(int)])
    wrong[times > 2.5] = 0.0       # the end meets the zero padding
    results[half_hop] = times[wrong > 0.03]  # 50 cents
  # One pass: wrong from the change to frame 41 (32 ms after frame 40);
  # two: only up to the half frame 40.5, 16 ms after frame 40.
  assert results[False].max() * 16000 > 512 * 40.5 + 16
  assert np.all(results[True] * 16000 < 512 * 40.5)
  assert np.all(results[True] * 16000 > 512 * 40)
  assert 0 < results[True].size <= results[False].size / 2


def test_half_hop_runs_the_model_on_twice_the_windows():
  audio = np.full(16000 * 4, 5.0, np.float32)
  calls = {}
  for half_hop in (False, True):
    model = StubModel(n_frames=8)
    track(model, audio, batch_size=1, half_hop=half_hop)
    calls[half_hop] = model.calls
  assert calls[True] in (2 * calls[False], 2 * calls[False] + 1)


@pytest.mark.parametrize('half_hop', [False, True])
def test_streaming_in_blocks_equals_one_call(half_hop):
  model = StubModel(n_frames=8)
  rng = np.random.default_rng(0)
  audio = rng.uniform(3.0, 6.0, 16000 * 3 + 77).astype(np.float32)
  whole = track(model, audio, half_hop=half_hop)
  for block in (1000, 4096, 7777):
    parts = track(model, audio, block=block, batch_size=3, half_hop=half_hop)
    for a, b in zip(whole, parts):
      np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize('half_hop', [False, True])
def test_two_hour_stream_uses_bounded_memory(half_hop):
  """A 2-hour stream, generated lazily, never holds more than a few blocks."""
  model = StubModel(n_frames=125)  # the paper's 4-s windows
  block = 16000 * 20
  n_blocks = 2 * 3600 // 20
  tracker = streaming.StreamingTracker(model, step_ms=10.0, batch_size=8,
                                       half_hop=half_hop, highpass=False)
  ramp = np.linspace(4.0, 5.0, block, dtype=np.float32)
  n_rows = 0
  last_time = -1.0
  tracemalloc.start()
  try:
    for _ in range(n_blocks):
      for times, _, _ in tracker.push(ramp):
        assert times[0] > last_time  # rows in order, none repeated
        last_time = times[-1]
        n_rows += times.size
    for times, _, _ in tracker.finish():
      n_rows += times.size
    _, peak = tracemalloc.get_traced_memory()
  finally:
    tracemalloc.stop()
  assert n_rows == 2 * 3600 * 100
  # One 20-s block is 1.3 MB; the whole stream would be 460 MB.
  assert peak < 20e6, f'peak traced memory {peak / 1e6:.1f} MB'


# -------------------------------------------------------------- files
def test_read_blocks_streams_what_load_audio_reads(tmp_path):
  path = write_tone(tmp_path / 'stereo.wav', 220.0, 3.3, 44100, channels=2)
  whole = audio_io.load_audio(path)
  blocks = list(files.read_blocks(path, 16000, block_seconds=0.7))
  assert len(blocks) > 3
  streamed = np.concatenate(blocks)
  assert abs(streamed.size - whole.size) <= 1
  n = min(streamed.size, whole.size)
  np.testing.assert_allclose(streamed[:n], whole[:n], atol=2e-3)


def test_read_blocks_rejects_non_finite_samples(tmp_path):
  audio = tone(220.0, 1.0, 16000)
  audio[9000] = np.nan
  path = tmp_path / 'nan.wav'
  soundfile.write(path, audio, 16000, subtype='FLOAT')
  with pytest.raises(UserError, match=r'nan.wav: contains NaN.*0\.56'):
    list(files.read_blocks(path, 16000))


def test_predict_file_leaves_no_partial_output(tmp_path):
  model = StubModel()
  audio = tone(220.0, 30.0, 16000)
  audio[16000 * 25] = np.inf  # found only after many rows were written
  path = tmp_path / 'late_inf.wav'
  soundfile.write(path, audio, 16000, subtype='FLOAT')
  out = tmp_path / 'out' / 'late_inf.f0.csv'
  with pytest.raises(UserError, match='late_inf.wav'):
    files.predict_file(path, out, model)
  assert not out.exists()
  assert os.listdir(tmp_path / 'out') == []


def test_csv_rows_round_trip(tmp_path):
  model = StubModel()
  path = write_tone(tmp_path / 'a.flac', 220.0, 1.5, 22050)
  out = tmp_path / 'a.f0.csv'
  seconds, n_rows = files.predict_file(path, out, model)
  assert seconds == pytest.approx(1.5, abs=1e-3)
  assert out.read_text().splitlines()[0] == 'time,frequency,confidence'
  times, frequency, confidence = files.read_rows_csv(out)
  assert times.size == n_rows == 150
  # Row for row what the tracker computed, to the CSV's printed precision
  # (the stub's f0 differs from row to row, so a shifted row shows).
  expected = streaming.concatenate(list(files.track_file(path, model)))
  np.testing.assert_allclose(times, np.arange(150) * 0.01, atol=5e-6)
  np.testing.assert_allclose(times, expected[0], atol=5e-6)
  np.testing.assert_allclose(frequency, expected[1], rtol=1e-5, atol=5e-4)
  np.testing.assert_allclose(confidence, expected[2], atol=5e-5)
  assert np.ptp(frequency) > 0.3  # (0.7-1.4 Hz: exp of the tone)


def test_output_paths_keep_subfolders_of_a_searched_folder(tmp_path):
  root = tmp_path / 'in'
  assert files.output_path(root / 'x' / 'a.wav', root, tmp_path / 'o',
                                 '.f0.csv') == tmp_path / 'o' / 'x' / 'a.f0.csv'
  assert files.output_path(root / 'a.wav', None, None,
                           '.f0.csv') == root / 'a.f0.csv'


# --------------------------------------------------- the real (tiny) model
def test_predict_one_call_with_a_real_model(tiny_model):
  audio = tone(220.0, 2.0, 44100, channels=2)
  times, frequency, confidence = pitchfit.predict(audio, 44100, model=tiny_model)
  assert times.size == 200
  m = tiny_model.config.model
  assert np.all((frequency >= m.f0_hz_min * 0.99)
                & (frequency <= m.f0_hz_max * 1.01))
  assert np.all((confidence >= 0.0) & (confidence <= 1.0))
  # The channels are averaged: one channel of the same tone, the same track.
  mono = pitchfit.predict(audio[:, 0], 44100, model=tiny_model)
  np.testing.assert_allclose(mono[1], frequency, rtol=1e-6)
  np.testing.assert_allclose(mono[2], confidence, atol=1e-6)
  # A fresh load of the same save dir (not the cached object) gives the same
  # values: weights, config and voicing calibration all come back.
  fresh = predict_lib.load_tf_model(tiny_model.source)
  assert fresh is not tiny_model
  again = pitchfit.predict(audio, 44100, model=fresh)
  np.testing.assert_allclose(again[1], frequency, rtol=1e-5)
  np.testing.assert_allclose(again[2], confidence, atol=1e-5)


def test_silence_is_unvoiced(tiny_model):
  _, _, confidence = pitchfit.predict(np.zeros(16000 * 2), 16000,
                                      model=tiny_model)
  assert np.all(confidence < voicing.THRESHOLD)
  assert confidence.max() == 0.0  # below the input-level gate


def test_non_finite_audio_is_rejected(tiny_model):
  audio = np.zeros(1000)
  audio[10] = np.inf
  with pytest.raises(UserError, match='NaN or infinite'):
    pitchfit.predict(audio, 16000, model=tiny_model)


def test_no_default_model_says_how_to_pass_one(monkeypatch, tmp_path):
  monkeypatch.setattr(predict_lib, 'DEFAULT_MODEL_PATH',
                      str(tmp_path / 'missing.npz'))
  with pytest.raises(UserError, match='no default model.*--model PATH'):
    pitchfit.predict(np.zeros(100), 16000)


def test_export_keeps_calibration_and_predictions(tiny_model, tmp_path):
  from pitchfit.track.pitch_model import PitchModel  # pylint: disable=g-import-not-at-top
  path = str(tmp_path / 'tiny.npz')
  tiny_model.export(path)
  loaded = predict_lib.load_model(path)
  assert loaded.voicing == tiny_model.voicing
  assert loaded.config == tiny_model.config
  # The file holds float16 weights: the same model rounded so predicts alike.
  rounded = PitchModel.load(tiny_model.source)
  rounded.voicing = tiny_model.voicing
  for variable in rounded.model.weights:
    variable.assign(variable.numpy().astype(np.float16).astype(np.float32))
  audio = tone(330.0, 1.0, 16000)
  a = pitchfit.predict(audio, 16000, model=rounded)
  b = pitchfit.predict(audio, 16000, model=loaded)
  np.testing.assert_allclose(a[1], b[1], rtol=1e-4)
  np.testing.assert_allclose(a[2], b[2], atol=1e-4)


def test_import_pitchfit_does_not_load_tensorflow():
  code = ('import sys, pitchfit; f = pitchfit.predict; '
          'print(callable(f), "tensorflow" in sys.modules)')
  out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                       text=True, env=dict(os.environ, PYTHONPATH=REPO),
                       check=True)
  assert out.stdout.split() == ['True', 'False']
