import pytest

from pitchfit import config as config_lib


def write(tmp_path, text):
  path = tmp_path / 'run.yaml'
  path.write_text(text)
  return str(path)


def test_defaults_are_the_papers():
  c = config_lib.Config()
  assert (c.model.n_mels, c.model.n_sinusoids, c.model.sinusoid_bins) == (229, 100, 64)
  assert (c.train.learning_rate, c.train.decay_rate, c.train.clip_norm) == (3e-4, 0.98, 3.0)
  assert c.model.n_frames == 125


def test_load_nested_values(tmp_path):
  c = config_lib.load(write(tmp_path, 'model: {n_mels: 64}\ntrain: {steps: 10}\n'))
  assert c.model.n_mels == 64 and c.train.steps == 10
  assert c.model.n_sinusoids == 100  # untouched default


def test_unknown_key_names_key_and_file(tmp_path):
  path = write(tmp_path, 'model:\n  n_mel: 64\n')
  with pytest.raises(config_lib.ConfigError) as e:
    config_lib.load(path)
  message = str(e.value)
  assert path in message and "'model.n_mel'" in message and 'model.n_mels' in message
  assert '\n' not in message


def test_wrong_type(tmp_path):
  with pytest.raises(config_lib.ConfigError, match=r'train.steps must be int'):
    config_lib.load(write(tmp_path, 'train: {steps: lots}\n'))


def test_int_accepted_for_float(tmp_path):
  assert config_lib.load(write(tmp_path, 'train: {learning_rate: 1}\n')).train.learning_rate == 1.0


def test_exponent_without_dot_is_a_float(tmp_path):
  # PyYAML reads 2e-4 as the string '2e-4'; a float field takes it anyway.
  c = config_lib.load(write(tmp_path, 'train: {learning_rate: 2e-4}\n'),
                      ['train.clip_norm=1e1'])
  assert c.train.learning_rate == 2e-4 and c.train.clip_norm == 10.0
  with pytest.raises(config_lib.ConfigError, match='learning_rate must be float'):
    config_lib.load(write(tmp_path, 'train: {learning_rate: fast}\n'))


def test_overrides(tmp_path):
  c = config_lib.load(write(tmp_path, 'train: {steps: 10}\n'),
                      ['train.steps=20', 'model.stack_blocks=[1, 1, 1, 1]',
                       'data.real=mir1k:train'])
  assert c.train.steps == 20 and c.model.stack_blocks == [1, 1, 1, 1]
  assert c.data.real == 'mir1k:train'


def test_bad_override(tmp_path):
  with pytest.raises(config_lib.ConfigError, match='unknown key'):
    config_lib.load(write(tmp_path, ''), ['train.stepz=3'])
  with pytest.raises(config_lib.ConfigError, match='key=value'):
    config_lib.load(write(tmp_path, ''), ['train.steps'])


def test_invalid_yaml_and_missing_file(tmp_path):
  with pytest.raises(config_lib.ConfigError, match='not valid YAML'):
    config_lib.load(write(tmp_path, 'model: [unclosed\n'))
  with pytest.raises(config_lib.ConfigError, match='no such config file'):
    config_lib.load(str(tmp_path / 'missing.yaml'))


def test_cross_field_validation(tmp_path):
  with pytest.raises(config_lib.ConfigError, match=r'multiple of model.hop_size \(512\)'):
    config_lib.load(write(tmp_path, 'model: {n_samples: 1000}\n'))
  with pytest.raises(config_lib.ConfigError, match=r'multiple of model.hop_size \(160\)'):
    config_lib.load(write(tmp_path, 'model: {n_samples: 16100, hop_size: 160}\n'))
  with pytest.raises(config_lib.ConfigError, match="model.encoder must be"):
    config_lib.load(write(tmp_path, 'model: {encoder: transformer}\n'))
  with pytest.raises(config_lib.ConfigError, match="f0_peak_radius_bins must be 0 or more"):
    config_lib.load(write(tmp_path, 'model: {f0_peak_radius_bins: -1}\n'))
  with pytest.raises(config_lib.ConfigError, match='rt60_s is .least, most. reverberation'):
    config_lib.load(write(tmp_path, 'data: {synthetic_rt60_s: [0, 1]}\n'))
  with pytest.raises(config_lib.ConfigError, match="one of paper, sung, mixed, wide, speech, wide_speech, wide_speech_half, got 'opera'"):
    config_lib.load(write(tmp_path, 'data: {synthetic_style: opera}\n'))
  with pytest.raises(config_lib.ConfigError, match='short_window_fft.*got 2048'):
    config_lib.load(write(tmp_path, 'model: {short_window_fft: 2048}\n'))
  with pytest.raises(config_lib.ConfigError, match='second_voice is a fraction'):
    config_lib.load(write(tmp_path, 'data: {synthetic_second_voice: 30}\n'))
  with pytest.raises(config_lib.ConfigError, match='least <= most'):
    config_lib.load(write(tmp_path,
                          'data: {synthetic_second_voice_db: [20, 6]}\n'))
  with pytest.raises(config_lib.ConfigError, match='noise is a fraction'):
    config_lib.load(write(tmp_path, 'data: {synthetic_noise: -0.1}\n'))
  with pytest.raises(config_lib.ConfigError, match='lowest <= highest'):
    config_lib.load(write(tmp_path, 'data: {synthetic_noise_snr_db: [40, 15]}\n'))
  with pytest.raises(config_lib.ConfigError, match='weak_partials is a fraction'):
    config_lib.load(write(tmp_path, 'data: {synthetic_weak_partials: 1.5}\n'))
  with pytest.raises(config_lib.ConfigError, match='fundamental in dB, with 0 <= least'):
    config_lib.load(write(tmp_path,
                          'data: {synthetic_weak_partials_db: [30, 6]}\n'))


def test_dump_round_trip(tmp_path):
  c = config_lib.from_dict({'train': {'steps': 7}})
  path = str(tmp_path / 'out.yaml')
  config_lib.dump(c, path)
  assert config_lib.load(path) == c


def test_shipped_configs_load():
  import glob
  import os
  repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  paths = glob.glob(os.path.join(repo, 'configs', '**', '*.yaml'), recursive=True)
  assert len(paths) >= 5
  from pitchfit.train import recipe as recipe_lib
  for path in paths:
    if recipe_lib.is_recipe(path):
      assert recipe_lib.load(path).phases
    else:
      config_lib.load(path)


def test_periodicity_lags_need_a_whole_number_and_the_cnn(tmp_path):
  ok = config_lib.load(write(tmp_path, 'model: {encoder: harmonic_cnn, '
                             'periodicity_lags_per_bin: 3}\n'))
  assert ok.model.periodicity_lags_per_bin == 3
  with pytest.raises(config_lib.ConfigError,
                     match='periodicity_lags_per_bin must be a whole number'):
    config_lib.load(write(tmp_path, 'model: {encoder: harmonic_cnn, '
                          'periodicity_lags_per_bin: -1}\n'))
  with pytest.raises(config_lib.ConfigError,
                     match='periodicity_lags_per_bin needs model.encoder'):
    config_lib.load(write(tmp_path, 'model: {encoder: resnet, '
                          'periodicity_lags_per_bin: 3}\n'))


def test_harmonic_time_dilations_need_one_per_block(tmp_path):
  ok = config_lib.load(write(tmp_path, 'model: {encoder: harmonic_cnn, '
                             'harmonic_cnn_layers: 4, '
                             'harmonic_cnn_time_dilations: [1, 2, 4]}\n'))
  assert ok.model.harmonic_cnn_time_dilations == [1, 2, 4]
  for bad in ('[1, 2]', '[1, 0, 2]'):
    with pytest.raises(config_lib.ConfigError,
                       match='harmonic_cnn_time_dilations must be empty or one'):
      config_lib.load(write(tmp_path, 'model: {encoder: harmonic_cnn, '
                            'harmonic_cnn_layers: 4, '
                            f'harmonic_cnn_time_dilations: {bad}}}\n'))
