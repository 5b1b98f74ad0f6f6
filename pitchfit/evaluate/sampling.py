"""`pitchfit sample`: listen to and look at what a model hears.

For each example (a dataset example or the start of an audio file) it writes

  <name>.input.wav       the model's input (16 kHz mono)
  <name>.harmonic.wav    resynthesis from the harmonic encoder (f0 + harmonics
                         + noise): what the pitch estimate explains
  <name>.sinusoidal.wav  resynthesis from the sinusoidal encoder
  <name>.png             spectrograms of input and both resyntheses, predicted
                         f0 against the label where there is one (faded by
                         confidence), and the harmonic distribution over time

and, with a TensorBoard log dir, the same audio and picture as summaries.

Audio longer than a model window runs as in `pitchfit predict`: windows half
a window apart, cross-faded with triangles, here at the sample level for the
resynthesized audio as well as at the frame level for the controls.
"""

import dataclasses
import io
import os
import pathlib

import numpy as np

from pitchfit.io import atomic
from pitchfit.io import audio as audio_io
from pitchfit.track import voicing
from pitchfit.errors import UserError

DEFAULT_MAX_SECONDS = 8.0
SPECTROGRAM_FFT = 1024
SPECTROGRAM_HOP = 128
HARMONICS_SHOWN = 30


@dataclasses.dataclass
class Sample:
  """One example through the model.

  audio, harm_audio, sin_audio: float32 [n] at sample_rate.
  times: [f] frame times, s. f0_hz, confidence: [f]. harm_dist: [f, harmonics].
  label_f0_hz: [f] or None (0 = unvoiced).
  """
  name: str
  sample_rate: int
  audio: np.ndarray
  harm_audio: np.ndarray
  sin_audio: np.ndarray
  times: np.ndarray
  f0_hz: np.ndarray
  confidence: np.ndarray
  harm_dist: np.ndarray
  label_f0_hz: np.ndarray = None


def _triangle(length):
  k = np.arange(length, dtype=np.float64)
  return np.minimum(k + 0.5, length - k - 0.5)


def _overlap_add(values, stride, offset, length):
  """Cross-fades per-window values [w, L, ...] placed `stride` apart.

  Window i starts at i * stride - offset; returns [length, ...] normalised by
  the summed triangle weights.
  """
  n_windows, size = values.shape[:2]
  weights = _triangle(size).reshape((size,) + (1,) * (values.ndim - 2))
  total = np.zeros((n_windows * stride + size,) + values.shape[2:])
  norm = np.zeros((n_windows * stride + size,) + (1,) * (values.ndim - 2))
  for i in range(n_windows):
    total[i * stride:i * stride + size] += weights * values[i]
    norm[i * stride:i * stride + size] += weights
  return (total / np.maximum(norm, 1e-12))[offset:offset + length]


def run_model(pitch_model, audio, batch_size=8):
  """Audio [n] at 16 kHz -> (outputs stitched over windows, n_frames).

  Returns:
    dict: harm_audio, sin_audio [n]; f0_hz, confidence [f]; harm_dist [f, h];
    with f = ceil(n / hop) frames at times k * hop / sr.
  """
  n_samples, hop = pitch_model.n_samples, pitch_model.hop_size
  n_frames_window = n_samples // hop
  half = n_frames_window // 2
  stride = half * hop
  audio = np.asarray(audio, np.float32)
  if audio.size == n_samples:   # exactly one window: run it as it is
    padded, n_windows, offset = audio, 1, 0
  else:
    n_windows = -(-(audio.size + stride) // stride)
    total = (n_windows - 1) * stride + n_samples
    padded = np.zeros(total, np.float32)
    padded[stride:stride + audio.size] = audio
    offset = stride
  windows = np.stack([padded[i * stride:i * stride + n_samples]
                      for i in range(n_windows)])
  parts = {k: [] for k in ('harm_audio', 'sin_audio', 'log_f0', 'confidence',
                           'harm_dist')}
  for start in range(0, n_windows, batch_size):
    batch = windows[start:start + batch_size]
    outputs = pitch_model(batch, synthesize=True)
    level = voicing.input_level_db(batch, hop, n_frames_window)
    parts['confidence'].append(voicing.confidence(
        voicing.frame_features(outputs), pitch_model.voicing, level))
    parts['log_f0'].append(np.log(np.maximum(outputs['f0_hz'][..., 0], 1e-3)))
    parts['harm_dist'].append(outputs['harm_dist'])
    parts['harm_audio'].append(outputs['harm_audio'])
    parts['sin_audio'].append(outputs['sin_audio'])
  parts = {k: np.concatenate(v) for k, v in parts.items()}
  n_frames = -(-audio.size // hop)
  frame_offset = offset // hop
  result = {}
  for key in ('harm_audio', 'sin_audio'):
    result[key] = _overlap_add(parts[key], stride, offset,
                               audio.size).astype(np.float32)
  for key in ('log_f0', 'confidence', 'harm_dist'):
    result[key] = _overlap_add(parts[key], half, frame_offset, n_frames)
  result['f0_hz'] = np.exp(result.pop('log_f0'))
  return result


def make_sample(pitch_model, name, audio, label_f0_hz=None):
  """Runs the model on one example's 16 kHz audio -> Sample."""
  outputs = run_model(pitch_model, audio)
  n_frames = outputs['f0_hz'].shape[0]
  if label_f0_hz is not None:
    label_f0_hz = np.asarray(label_f0_hz, np.float64)[:n_frames]
  return Sample(
      name=name, sample_rate=pitch_model.sample_rate,
      audio=np.asarray(audio, np.float32), harm_audio=outputs['harm_audio'],
      sin_audio=outputs['sin_audio'],
      times=np.arange(n_frames) * pitch_model.hop_size / pitch_model.sample_rate,
      f0_hz=outputs['f0_hz'], confidence=outputs['confidence'],
      harm_dist=outputs['harm_dist'], label_f0_hz=label_f0_hz)


# ------------------------------------------------------------ the sources
def dataset_samples(pitch_model, spec, count, data_dir=None):
  """Yields Samples of the first `count` examples of a TFDS split.

  Synthetic notes are rendered from their controls (one model window each,
  labelled f0 where the note sounds); real-audio examples use their f0
  labels read at the model's frames.
  """
  from pitchfit.train import data  # pylint: disable=g-import-not-at-top
  from pitchfit.evaluate import scoring as evaluation  # pylint: disable=g-import-not-at-top
  name, _, _ = data.parse_spec(spec, 'test')
  if name == data.SYNTHETIC_PREFIX:
    examples = evaluation.synthetic_examples(spec, pitch_model, data_dir, count)
    prefix = 'synthetic'
  else:
    examples = evaluation.real_examples(spec, pitch_model, data_dir, count)
    prefix = name
  for i, (_, audio, ref_f0) in enumerate(examples):
    yield make_sample(pitch_model, f'{prefix}_{i:03d}', audio, ref_f0)


def file_sample(pitch_model, path, max_seconds=DEFAULT_MAX_SECONDS, name=None):
  """Sample of the first max_seconds of an audio file (UserError if bad)."""
  from pitchfit.track import files  # pylint: disable=g-import-not-at-top
  limit = int(max_seconds * pitch_model.sample_rate)
  blocks, n = [], 0
  for block in files.read_blocks(path, pitch_model.sample_rate):
    blocks.append(block[:limit - n])
    n += blocks[-1].size
    if n >= limit:
      break
  audio = np.concatenate(blocks)
  return make_sample(pitch_model, name or pathlib.Path(path).stem, audio)


# ------------------------------------------------------------ the outputs
def _spectrogram(axes, audio, sample_rate, title):
  import librosa  # pylint: disable=g-import-not-at-top
  magnitude = np.abs(librosa.stft(np.asarray(audio, np.float32),
                                  n_fft=SPECTROGRAM_FFT, hop_length=SPECTROGRAM_HOP))
  db = librosa.amplitude_to_db(magnitude, ref=1.0, top_db=None)
  times = np.arange(db.shape[1]) * SPECTROGRAM_HOP / sample_rate
  freqs = librosa.fft_frequencies(sr=sample_rate, n_fft=SPECTROGRAM_FFT)
  keep = freqs >= 30.0
  axes.pcolormesh(times, freqs[keep], db[keep], shading='nearest',
                  cmap='magma', vmin=-80.0, vmax=db.max() if db.size else 0.0,
                  rasterized=True)
  axes.set_yscale('log')
  axes.set_ylim(30.0, sample_rate / 2.0)
  axes.set_ylabel('Hz')
  axes.set_title(title, fontsize='small', loc='left')


def figure_png(sample):
  """The sample's summary picture as PNG bytes."""
  from matplotlib.backends.backend_agg import FigureCanvasAgg  # pylint: disable=g-import-not-at-top
  from matplotlib.figure import Figure  # pylint: disable=g-import-not-at-top
  figure = Figure(figsize=(10, 11), dpi=90, layout='constrained')
  FigureCanvasAgg(figure)
  axes = figure.subplots(5, 1, sharex=True)
  sr = sample.sample_rate
  _spectrogram(axes[0], sample.audio, sr, 'input')
  _spectrogram(axes[1], sample.harm_audio, sr, 'harmonic resynthesis')
  _spectrogram(axes[2], sample.sin_audio, sr, 'sinusoidal resynthesis')

  ax = axes[3]
  if sample.label_f0_hz is not None:
    label = np.where(sample.label_f0_hz > 0, sample.label_f0_hz, np.nan)
    ax.plot(sample.times[:label.size], label, color='black', linewidth=2.5,
            alpha=0.4, label='label')
  voiced = sample.confidence >= voicing.THRESHOLD
  ax.plot(sample.times, sample.f0_hz, color='tab:blue', linewidth=0.8,
          alpha=0.4, label='predicted (all frames)')
  ax.plot(sample.times, np.where(voiced, sample.f0_hz, np.nan),
          color='tab:blue', linewidth=1.8, label='predicted, voiced')
  ax.set_yscale('log')
  ax.set_ylabel('f0 (Hz)')
  ax.legend(loc='upper right', fontsize='small')
  ax.set_title('f0', fontsize='small', loc='left')

  ax = axes[4]
  n_shown = min(HARMONICS_SHOWN, sample.harm_dist.shape[1])
  dist_db = 10.0 * np.log10(np.maximum(sample.harm_dist[:, :n_shown], 1e-6))
  ax.pcolormesh(sample.times, np.arange(1, n_shown + 1), dist_db.T,
                shading='nearest', cmap='viridis', vmin=-40.0, vmax=0.0,
                rasterized=True)
  ax.set_ylabel('harmonic')
  ax.set_xlabel('time (s)')
  ax.set_title('harmonic distribution (dB)', fontsize='small', loc='left')
  ax.set_xlim(0.0, sample.audio.size / sr)
  figure.suptitle(sample.name)
  buffer = io.BytesIO()
  figure.savefig(buffer, format='png')
  return buffer.getvalue()


def write_sample(sample, output_dir):
  """Writes the three WAVs and the PNG; returns their paths."""
  os.makedirs(output_dir, exist_ok=True)
  base = os.path.join(output_dir, sample.name)
  paths = []
  for suffix, audio in (('input', sample.audio), ('harmonic', sample.harm_audio),
                        ('sinusoidal', sample.sin_audio)):
    paths.append(f'{base}.{suffix}.wav')
    # Resyntheses can overshoot full scale; clip rather than wrap in PCM.
    audio_io.write_wav(paths[-1], np.clip(audio, -1.0, 1.0), sample.sample_rate)
  png = figure_png(sample)
  paths.append(f'{base}.png')
  with atomic.atomic_open(paths[-1], 'wb') as f:
    f.write(png)
  return paths, png


class TensorBoardWriter:
  """Writes samples as audio and image summaries under log_dir."""

  def __init__(self, log_dir, step=0):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    self.tf = tf
    self.writer = tf.summary.create_file_writer(str(log_dir))
    self.step = step

  def write(self, sample, png):
    tf = self.tf
    with self.writer.as_default():
      for suffix, audio in (('input', sample.audio),
                            ('harmonic', sample.harm_audio),
                            ('sinusoidal', sample.sin_audio)):
        tf.summary.audio(f'{sample.name}/{suffix}',
                         np.clip(audio, -1.0, 1.0)[np.newaxis, :, np.newaxis],
                         sample.sample_rate, step=self.step)
      image = tf.io.decode_png(png, channels=4)[tf.newaxis]
      tf.summary.image(f'{sample.name}/summary', image, step=self.step)
    self.writer.flush()


def unique_names(paths):
  """Sample names for files: their stems, numbered where two share one."""
  stems = [pathlib.Path(p).stem for p in paths]
  names = []
  for i, stem in enumerate(stems):
    names.append(stem if stems.count(stem) == 1 else f'{stem}_{i}')
  if len(set(names)) != len(names):
    raise UserError('could not give the files distinct names')
  return names
