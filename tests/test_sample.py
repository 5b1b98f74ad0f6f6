"""pitchfit sample: resynthesis stitched over windows, files, pictures, TensorBoard."""

import os

import numpy as np
import soundfile

from pitchfit.evaluate import sampling
from tests.predict_fixtures import error_lines, run_cli_in_process, tiny_model, tiny_save_dir, tone, write_tone  # pylint: disable=unused-import


def test_overlap_add_cross_fades_to_the_values():
  """Windows of a constant (and of a ramp) come back unchanged."""
  stride, size, n = 4, 8, 7
  ramp = np.arange(-stride, n * stride + size, dtype=np.float64)
  windows = np.stack([ramp[i * stride:i * stride + size] for i in range(n)])
  out = sampling._overlap_add(windows, stride, stride, 20)  # pylint: disable=protected-access
  np.testing.assert_allclose(out, np.arange(20.0))


def test_run_model_on_long_and_one_window_audio(tiny_model):
  hop = tiny_model.hop_size
  for n in (tiny_model.n_samples, 3 * tiny_model.n_samples + 100):
    outputs = sampling.run_model(tiny_model, tone(220.0, n / 16000, 16000)[:n])
    n_frames = -(-n // hop)
    assert outputs['harm_audio'].shape == outputs['sin_audio'].shape == (n,)
    assert outputs['f0_hz'].shape == outputs['confidence'].shape == (n_frames,)
    assert outputs['harm_dist'].shape == (n_frames,
                                          tiny_model.config.model.n_harmonics)
    assert np.all(np.isfinite(outputs['harm_audio']))
    assert np.all(outputs['f0_hz'] > 0)
    # A distribution cross-faded with a distribution still sums to 1.
    np.testing.assert_allclose(outputs['harm_dist'].sum(-1), 1.0, atol=1e-4)


def test_dataset_samples_write_wavs_png_and_tensorboard(tiny_model, tmp_path):
  samples = list(sampling.dataset_samples(tiny_model, 'synthetic_notes/tiny:test',
                                          count=2))
  assert [s.name for s in samples] == ['synthetic_000', 'synthetic_001']
  assert all(s.label_f0_hz is not None for s in samples)
  writer = sampling.TensorBoardWriter(tmp_path / 'tb')
  for s in samples:
    paths, png = sampling.write_sample(s, tmp_path / 'out')
    writer.write(s, png)
    assert png[:8] == b'\x89PNG\r\n\x1a\n'
    for path in paths[:3]:
      audio, rate = soundfile.read(path)
      assert rate == 16000 and audio.shape == (tiny_model.n_samples,)
  names = sorted(os.listdir(tmp_path / 'out'))
  assert names == sorted(f'synthetic_00{i}.{kind}' for i in (0, 1) for kind in
                         ('input.wav', 'harmonic.wav', 'sinusoidal.wav', 'png'))
  assert os.listdir(tmp_path / 'tb')


def test_sample_cli_on_files_reports_a_bad_one(tiny_save_dir, tmp_path):
  write_tone(tmp_path / 'long.flac',
             330.0, 3.0, 48000, channels=2)
  (tmp_path / 'broken.wav').write_bytes(b'RIFF\x00\x00\x00\x00WAVEjunk')
  code, _, stderr = run_cli_in_process(
      'sample', '--model', tiny_save_dir, '--audio', tmp_path / 'long.flac',
      '--audio', tmp_path / 'broken.wav', '--max-seconds', 2.0, '-o',
      tmp_path / 'out')
  assert code == 1
  errors = error_lines(stderr)
  assert len(errors) == 1 and 'broken.wav' in errors[0]
  audio, rate = soundfile.read(tmp_path / 'out' / 'long.harmonic.wav')
  assert rate == 16000 and audio.shape == (32000,)  # the first 2 s
  assert (tmp_path / 'out' / 'long.png').stat().st_size > 0
  assert not [n for n in os.listdir(tmp_path / 'out') if 'tmp' in n]
