"""The labelled clips the benchmarks run on, their categories, and variants.

A clip is an audio file with a `<stem>.f0.csv` beside it (header
`time_s,f0_hz`, 0 = unvoiced), anywhere under the data folder. Clips under
`resyn/` take their category from `resyn/index.csv` (voice, instrument,
speech); every other clip (MDB-stem-synth, vocadito) is 'real'.

Variants test robustness with the labels unchanged:
  * clean: the audio as it is;
  * quiet20db: 20 dB quieter (x 0.1);
  * pink25db: plus pink noise at 25 dB SNR (noise power 25 dB below the
    clip's mean power over the whole clip), the noise seeded by the clip's
    name so every tracker and every run hears the same noise;
  * reverb: the clip played in a synthetic room
    (`pitchfit.dsp.synths.room_impulse_response`: a direct path plus
    exponentially decaying noise), RT60 uniform in 0.3-0.9 s and
    direct-to-reverberant ratio uniform in 0-6 dB (a talker or instrument
    at about the room's critical distance or nearer), both drawn from the
    clip's seed, as is the noise of the response; causal convolution
    (`convolve_same_length`), so the direct sound keeps its times and the
    labels stay valid; scaled back to the clean clip's RMS, so a room does
    not also change the level. The ranges were fixed before any tracker ran
    on the variant. Needs TensorFlow (imported on first use).
"""

import csv
import dataclasses
import os
import pathlib
import zlib

import numpy as np

SAMPLE_RATE = 16000
REAL = 'real'
VARIANTS = ('clean', 'quiet20db', 'pink25db', 'reverb')
QUIET_DB = -20.0
PINK_SNR_DB = 25.0
REVERB_RT60_S = (0.3, 0.9)
REVERB_DRR_DB = (0.0, 6.0)
NOISE_SEED = 20_250_525
DEFAULT_DATA = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), '..',
    'shared', 'eval-data')
# Rows of the reports: a name and the categories pooled in it. The target
# row is instrument+voice (the synthetic pretraining covers instruments and
# singing; speech is outside its range and reported apart).
GROUPS = (
    ('instrument+voice', ('instrument', 'voice')),
    ('instrument', ('instrument',)),
    ('voice', ('voice',)),
    ('speech', ('speech',)),
    ('real', (REAL,)),
)
TARGET_GROUP = 'instrument+voice'


@dataclasses.dataclass
class Clip:
  name: str            # path under the data folder, without the suffix
  category: str        # voice | instrument | speech | real
  audio_path: pathlib.Path
  label_path: pathlib.Path
  ref_time: np.ndarray   # [n] s
  ref_f0: np.ndarray     # [n] Hz, 0 = unvoiced
  audio: np.ndarray = None  # float32 [samples] at 16 kHz, once loaded

  @property
  def seconds(self):
    return self.audio.size / SAMPLE_RATE


def resyn_categories(data_dir):
  """{clip name: category} from resyn/index.csv ({} if there is none)."""
  index = pathlib.Path(data_dir) / 'resyn' / 'index.csv'
  if not index.is_file():
    return {}
  with open(index, newline='') as f:
    return {row['name']: row['category'] for row in csv.DictReader(f)}


def find_clips(data_dir, load=True):
  """Every labelled clip under data_dir, sorted by name, audio at 16 kHz.

  Raises:
    pitchfit.errors.UserError: no folder, or no labelled audio in it.
  """
  from pitchfit.io import audio as audio_io  # pylint: disable=g-import-not-at-top
  from pitchfit.evaluate import scoring as evaluation  # pylint: disable=g-import-not-at-top
  data_dir = pathlib.Path(data_dir)
  pairs, _ = evaluation.labelled_files(data_dir)
  categories = resyn_categories(data_dir)
  clips = []
  for audio_path, label_path in pairs:
    relative = audio_path.relative_to(data_dir)
    category = REAL
    if relative.parts[0] == 'resyn':
      category = categories.get(audio_path.stem, 'unknown')
    ref_time, ref_f0 = evaluation.read_reference(label_path)
    clip = Clip(str(relative.with_suffix('')), category, audio_path,
                label_path, ref_time, ref_f0)
    if load:
      clip.audio = audio_io.load_audio(audio_path, SAMPLE_RATE)
    clips.append(clip)
  return clips


def pink_noise(n, seed):
  """Pink (1/f power) noise [n], unit RMS: white noise shaped in frequency.

  Amplitudes scale as 1/sqrt(f) (power as 1/f) above the first bin; DC is
  removed.
  """
  rng = np.random.default_rng(seed)
  spectrum = np.fft.rfft(rng.standard_normal(n))
  freqs = np.arange(spectrum.size, dtype=np.float64)
  spectrum[1:] /= np.sqrt(freqs[1:])
  spectrum[0] = 0.0
  noise = np.fft.irfft(spectrum, n)
  return noise / np.sqrt(np.mean(noise ** 2))


def clip_seed(name):
  """A seed that depends only on the clip's name (stable across runs)."""
  return (NOISE_SEED + zlib.crc32(name.encode())) % 2**32


def reverb_settings(seed):
  """(RT60 s, direct-to-reverberant ratio dB) of the room a clip is played in."""
  rng = np.random.default_rng([seed, 1])
  return (float(rng.uniform(*REVERB_RT60_S)),
          float(rng.uniform(*REVERB_DRR_DB)))


def room_response(seed):
  """The synthetic room impulse response of `seed`, float32 [n] at 16 kHz.

  1.0 at sample 0 (the direct path), then the tail; as long as the longest
  RT60, after which the tail is 60 dB down or more.
  """
  from pitchfit.quiet import import_tensorflow  # pylint: disable=g-import-not-at-top
  tf = import_tensorflow()
  from pitchfit.dsp import synths  # pylint: disable=g-import-not-at-top
  rt60_s, drr_db = reverb_settings(seed)
  n_samples = int(round(REVERB_RT60_S[1] * SAMPLE_RATE))
  ir = synths.room_impulse_response(
      [rt60_s], [drr_db], n_samples, SAMPLE_RATE,
      rng=tf.random.Generator.from_seed(seed))
  return ir.numpy()[0].astype(np.float32)


def reverberate(audio, seed):
  """`audio` [n] in the room of `seed`, at its own RMS, float32 [n]."""
  from pitchfit.dsp import synths  # pylint: disable=g-import-not-at-top
  ir = room_response(seed)
  wet = synths.convolve_same_length(
      np.asarray(audio, np.float32)[None], ir[None]).numpy()[0]
  dry_rms = np.sqrt(np.mean(np.square(audio, dtype=np.float64)))
  wet_rms = np.sqrt(np.mean(np.square(wet, dtype=np.float64)))
  return (wet * (dry_rms / wet_rms if wet_rms > 0 else 0.0)).astype(np.float32)


def make_variant(audio, variant, seed=0):
  """The clip's audio for a variant (see the module doc), float32 [n]."""
  audio = np.asarray(audio, np.float32)
  if variant == 'clean':
    return audio
  if variant == 'quiet20db':
    return (audio * 10.0 ** (QUIET_DB / 20.0)).astype(np.float32)
  if variant == 'pink25db':
    signal_rms = np.sqrt(np.mean(np.square(audio, dtype=np.float64)))
    noise_rms = signal_rms * 10.0 ** (-PINK_SNR_DB / 20.0)
    noisy = audio + noise_rms * pink_noise(audio.size, seed)
    return noisy.astype(np.float32)
  if variant == 'reverb':
    return reverberate(audio, seed)
  raise ValueError(f'unknown variant {variant!r} (choose from '
                   f'{", ".join(VARIANTS)})')


def group_clips(clips, categories):
  return [c for c in clips if c.category in categories]
