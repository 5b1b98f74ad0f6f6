"""`pitchfit notes` rendering: from the generator, or from the built dataset."""

import os

import numpy as np
import pytest
import soundfile
import tensorflow_datasets as tfds

from pitchfit.notes import demo as notes_demo
from pitchfit.notes import generator as synthetic_notes
from pitchfit.errors import UserError
from pitchfit.notes import registry
from tfds_builders.synthetic_notes import synthetic_notes_dataset_builder as sn_builder


def _expected_audio(split, index, config='tiny'):
  seed = registry.split_seed(config, split)
  example = synthetic_notes.generate_example(seed, index,
                                             registry.note_config(config))
  audio = synthetic_notes.render_audio(example, seed=index)
  peak = np.abs(audio).max()
  return audio * (0.99 / peak) if peak > 0.99 else audio


def _check_outputs(directory, split, indices, config='tiny'):
  names = sorted(os.listdir(directory))
  assert names == sorted(f'synthetic_notes_{split}_{i}.{ext}'
                         for i in indices for ext in ('wav', 'png'))
  for i in indices:
    audio, sample_rate = soundfile.read(
        os.path.join(directory, f'synthetic_notes_{split}_{i}.wav'), dtype='float32')
    assert sample_rate == 16000 and audio.shape == (64000,)
    np.testing.assert_allclose(audio, _expected_audio(split, i, config),
                               atol=2.0 / 32768)


def _use_default_data_dir(monkeypatch, data_dir):
  # TFDS reads TFDS_DATA_DIR once, at import: point its default there instead.
  monkeypatch.setattr(tfds.core.constants, 'DATA_DIR', str(data_dir))


def test_renders_from_the_generator_when_not_built(tmp_path, monkeypatch, capsys):
  _use_default_data_dir(monkeypatch, tmp_path / 'no_datasets')
  out = tmp_path / 'out'
  paths = notes_demo.render_examples('tiny', 'test', 2, 3, str(out))
  assert len(paths) == 4 and all(os.path.exists(p) for p in paths)
  _check_outputs(out, 'test', [3, 4])
  assert 'from the generator' in capsys.readouterr().out


def test_sung_config_renders_sung_notes(tmp_path, monkeypatch):
  _use_default_data_dir(monkeypatch, tmp_path / 'no_datasets')
  out = tmp_path / 'out'
  notes_demo.render_examples('sung_small', 'train', 1, 0, str(out))
  _check_outputs(out, 'train', [0], config='sung_small')
  # ... which are not the paper-style notes of the same seed and index.
  assert not np.allclose(_expected_audio('train', 0, 'sung_small'),
                         _expected_audio('train', 0, 'small'), atol=1e-3)


def test_reads_the_built_dataset_when_there_is_one(tmp_path, monkeypatch, capsys):
  data_dir = tmp_path / 'datasets'
  _use_default_data_dir(monkeypatch, data_dir)
  beam = tfds.core.lazy_imports.apache_beam
  sn_builder.Builder(config='tiny', data_dir=str(data_dir)).download_and_prepare(
      download_config=tfds.download.DownloadConfig(
          beam_options=beam.options.pipeline_options.PipelineOptions(
              ['--runner=FnApiRunner'])))

  def no_generator(*args, **kwargs):
    raise AssertionError('the built dataset should have been read')
  monkeypatch.setattr(notes_demo.synthetic_notes, 'generate_example', no_generator)
  out = tmp_path / 'out'
  notes_demo.render_examples('tiny', 'train', 1, 62, str(out))
  assert 'from the built dataset' in capsys.readouterr().out
  monkeypatch.undo()
  _check_outputs(out, 'train', [62])


@pytest.mark.parametrize('config, split, count, start, message', [
    ('huge', 'train', 1, 0, 'no config'),
    ('tiny', 'valid', 1, 0, 'no split'),
    ('tiny', 'test', 2, 15, '0..15'),
    ('tiny', 'train', 0, 0, 'cannot render'),
])
def test_bad_requests_are_user_errors(tmp_path, config, split, count, start, message):
  with pytest.raises(UserError, match=message):
    notes_demo.render_examples(config, split, count, start, str(tmp_path))
  assert not os.listdir(tmp_path)
