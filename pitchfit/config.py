"""Typed run configuration, loaded from YAML and validated once, up front.

A YAML file maps onto nested dataclasses. Unknown keys, wrong types and bad
values fail with one line naming the key and the file; `--set a.b=value`
overrides (parsed as YAML scalars) go through the same checks.

Over 400 lines because the schema is one document: every key with the comment
that says what it does, and the validation that ties keys together, read side
by side.
"""

import dataclasses
import difflib
import os
import typing
from typing import Optional

from pitchfit.io import atomic
from pitchfit.errors import UserError


class ConfigError(UserError):
  """A configuration file or override is invalid; the message says where."""


# ------------------------------------------------------------------ schema
@dataclasses.dataclass
class ModelConfig:
  """Sizes of the transcribing autoencoder (defaults: the paper's)."""
  sample_rate: int = 16000
  n_samples: int = 64000          # 4 s windows; 125 frames of 512 samples.
  n_mels: int = 229
  # Centre each STFT window on its control frame (the paper starts it there,
  # so the window looks 64 ms ahead of the frame it describes).
  center_frames: bool = False
  # Beyond the paper: 0 = one log-mel input (FFT 2048, a 128-ms window).
  # N > 0 adds a second log-mel with an N-sample window at the same hop, fed
  # through its own stem conv and summed with the first: a 64-ms window
  # (1024) follows fast pitch moves the long one smears. Its stem starts at
  # zero, so a model restored without it computes exactly what it did.
  short_window_fft: int = 0
  # ResNet sinusoidal encoder (paper 'small'): stem conv, then bottleneck
  # stacks; strides act on frequency only, so time resolution is kept.
  stem_channels: int = 64
  stack_channels: list = dataclasses.field(default_factory=lambda: [32, 64, 128, 256])
  stack_blocks: list = dataclasses.field(default_factory=lambda: [2, 3, 4, 3])
  stack_strides: list = dataclasses.field(default_factory=lambda: [1, 2, 2, 2])
  n_sinusoids: int = 100
  sinusoid_bins: int = 64         # softmax depth of each sinusoid frequency
  # 0: the frequency head is one dense layer (the paper). r > 0: it is
  # factorised through r units (how exported models shrink the largest layer;
  # see PitchModel.export).
  frequency_head_rank: int = 0
  sinusoid_hz_min: float = 20.0
  sinusoid_hz_max: float = 8000.0
  n_noise_bands: int = 65
  # Sinusoid-to-harmonic encoder: dense stack -> GRU -> dense stack.
  fc_units: int = 256
  fc_layers: int = 2
  rnn_units: int = 512
  n_harmonics: int = 100
  f0_bins: int = 64
  f0_hz_min: float = 20.0
  f0_hz_max: float = 1200.0
  # Tracking reads f0 as the mean over this many bins each side of the f0
  # softmax's peak (core.frequencies_around_peak); training uses the full
  # expectation. 8 was chosen on synthetic notes for 0.28-semitone bins and
  # kept for the 24-per-octave grid (+-4 semitones); a coarser grid wants
  # fewer (experiments/default_model_v6_grid, C12R).
  f0_peak_radius_bins: int = 8
  # The paper stops gradients between the two encoders.
  stop_gradient: bool = True
  # Samples per control frame: the paper's 512 (32 ms at 16 kHz); the CPU
  # default uses 160 (10 ms).
  hop_size: int = 512
  # 'resnet': the paper's log-mel ResNet encoders (encoders.py).
  # 'harmonic_cnn': convolutions on a log-frequency grid (harmonic_cnn.py);
  # the grid's spacing is that of the f0 bins (f0_bins from f0_hz_min to
  # f0_hz_max), its sinusoids one per bin, so n_sinusoids/sinusoid_bins and
  # the ResNet and GRU sizes are unused.
  encoder: str = 'resnet'
  spectrum_fft_sizes: list = dataclasses.field(default_factory=lambda: [2048, 512])
  stack_harmonics: list = dataclasses.field(
      default_factory=lambda: [0.5, 1, 2, 3, 4, 5, 6])
  cnn_channels: int = 16
  cnn_layers: int = 4
  harmonic_cnn_layers: int = 3
  # Depthwise-separable convolutions in both encoders (harmonic_cnn.ConvStack).
  cnn_separable: bool = False
  # Dilation in time of each of the harmonic encoder's residual blocks
  # (harmonic_cnn_layers - 1 of them); empty = 1 for all. Dilating widens
  # the frames a pitch is decided from at no extra compute: with [1, 2, 4]
  # the harmonic encoder sees +-8 frames where 4 plain layers see +-4.
  harmonic_cnn_time_dilations: list = dataclasses.field(default_factory=list)
  # Autocorrelations of each frame (from the longest STFT) read at this many
  # lags per grid bin, spread evenly within the bin, as extra inputs of the
  # harmonic encoder (harmonic_cnn.periodicity_features); 0 = none. They let
  # the f0 head see a frame's period, not only its partials.
  periodicity_lags_per_bin: int = 0

  @property
  def n_frames(self):
    return self.n_samples // self.hop_size


@dataclasses.dataclass
class SpectralLossConfig:
  mag_weight: float = 0.0
  logmag_weight: float = 0.0
  fft_sizes: list = dataclasses.field(
      default_factory=lambda: [2048, 1024, 512, 256, 128, 64])


@dataclasses.dataclass
class KDELossConfig:
  weight_a: float = 1.0
  weight_b: float = 1.0
  weight_mean_amp: float = 1.0
  scale_a: float = 0.1
  scale_b: float = 0.1
  # Multiplier of the unsupervised (sinusoids -> harmonics) use of this KDE;
  # the self-supervised use (predicted vs true sinusoids) always has 1.
  unsupervised_weight: float = 1.0


@dataclasses.dataclass
class HarmonicLossConfig:
  amp_weight: float = 1.0
  dist_weight: float = 1.0
  f0_weight: float = 1.0
  amp_threshold: float = 1e-4
  # Beyond the paper: cross-entropy of the f0 softmax against the true f0's
  # bin (Gaussian-blurred). 0 = off (the paper).
  f0_bins_weight: float = 0.0
  # Standard deviation of that Gaussian, semitones: half a bin of the
  # default model's 24-per-octave grid. A coarser grid wants a wider one, or
  # the target is nearly one-hot and the softmax cannot say where between two
  # bins the pitch lies.
  f0_bins_blur_semitones: float = 0.25
  # Beyond the paper: an added L1 between the true and predicted harmonic
  # amplitudes in dB (floored at -140 dB), per dB. The linear L1 above barely
  # tells -80 dB from silence, so a model may hear a faint harmonic part in a
  # noise floor; this teaches quiet levels too. 0 = off (the paper).
  amp_db_weight: float = 0.0


@dataclasses.dataclass
class LossesConfig:
  sin_spectral: SpectralLossConfig = dataclasses.field(default_factory=SpectralLossConfig)
  harm_spectral: SpectralLossConfig = dataclasses.field(default_factory=SpectralLossConfig)
  kde: KDELossConfig = dataclasses.field(default_factory=KDELossConfig)
  harmonic: HarmonicLossConfig = dataclasses.field(default_factory=HarmonicLossConfig)
  noise_weight: float = 1.0


@dataclasses.dataclass
class DataConfig:
  # 'generator' (endless, no disk) or a TFDS name like 'synthetic_notes/small'.
  synthetic: str = 'generator'
  synthetic_seed: int = 0
  # Note style of the generator (a key of synthetic_notes.NOTE_STYLES): 'paper'
  # is generate_notes_v2; 'sung' adds long notes, glides and formants; 'mixed'
  # is half-way between them. Its notes are generated on the model's frames
  # (synthetic_notes.retime: durations keep their seconds).
  synthetic_style: str = 'paper'
  # Real audio for finetuning, 'name[/config]:split' of a real-audio builder;
  # empty = pretraining on synthetic notes only.
  real: Optional[str] = None
  batch_size: int = 32
  # Synthetic examples zipped with each real batch when finetuning.
  synthetic_batch_size: Optional[int] = None
  # Beyond the paper: each training note is played at a random level, uniform
  # in [-synthetic_gain_db, 0] dB (controls and audio scaled together), so
  # quiet recordings look like the training data. 0 = the paper's levels.
  synthetic_gain_db: float = 0.0
  # Beyond the paper: the fraction of training notes that get a quieter second
  # voice in their audio (not in their labels), as in a choir or an ensemble
  # recording with bleed. Its timbre and loudness curve come from another note
  # of the batch; its pitch is that note's, or half the time a fixed interval
  # from the main voice (a third to a sixth, up or down: homophony). In every
  # frame it is at least synthetic_second_voice_db[0] and at most [1] dB below
  # the main voice, and silent where the main voice is. 0 = off (the paper).
  synthetic_second_voice: float = 0.0
  synthetic_second_voice_db: list = dataclasses.field(
      default_factory=lambda: [6.0, 20.0])
  # Beyond the paper: the fraction of training notes that get stationary
  # broadband noise (white to brown, augment.BACKGROUND_NOISE_EXPONENTS) at a
  # signal-to-noise ratio uniform in synthetic_noise_snr_db (dB, over the
  # example's RMS), as in a room or on a tape. The synthesizer's own filtered
  # noise follows the note; this does not. 0 = off (the paper).
  synthetic_noise: float = 0.0
  synthetic_noise_snr_db: list = dataclasses.field(
      default_factory=lambda: [15.0, 40.0])
  # Beyond the paper: the fraction of training notes whose lowest 1 to
  # augment.WEAK_PARTIALS_MAX harmonics are weakened, the fundamental most, by
  # up to a depth uniform in synthetic_weak_partials_db (dB), in audio and
  # labels alike (f0 unchanged), as in double reeds, low strings and some
  # voices. With background noise over them, the pitch must be read from
  # the spacing of the upper partials. 0 = off (the paper).
  synthetic_weak_partials: float = 0.0
  synthetic_weak_partials_db: list = dataclasses.field(
      default_factory=lambda: [6.0, 30.0])
  # Weaken a note's lowest harmonics only while at least this many
  # unweakened ones stay below Nyquist (fewer weakened on high notes, none
  # where too few are left). 0 = any note (version 3's recipe). On a high
  # note weakening the lowest harmonics can leave one upper partial labelled
  # an octave or more below it; with 3, a 3,000-step phase moved the
  # piccolo's octave-down frames on the selection melodies only from 355 to
  # 329 (experiments/default_model_v4_partials).
  synthetic_weak_partials_keep: int = 0
  # Beyond the paper: the fraction of training notes made simple tones of 1 to
  # augment.SIMPLE_TONE_PARTIALS_MAX partials at 1/k amplitude (a sine, a
  # flute's low notes), in audio and labels alike (f0 unchanged); the note
  # generator's spectra always spread over many partials. Applied after weak
  # low partials, so a simple tone's partials are never weakened. 0 = off
  # (the paper).
  synthetic_simple_tones: float = 0.0
  # Beyond the paper: the fraction of training notes played in a synthetic
  # room (notes.augment.room_reverb): RT60 uniform in synthetic_rt60_s
  # (seconds) and direct-to-reverberant ratio uniform in synthetic_drr_db
  # (dB). Labels are the direct sound's. 0 = off.
  synthetic_reverb: float = 0.0
  synthetic_rt60_s: list = dataclasses.field(
      default_factory=lambda: [0.2, 1.0])
  synthetic_drr_db: list = dataclasses.field(
      default_factory=lambda: [-3.0, 12.0])
  # Beyond the paper: the fraction of training examples played backwards
  # (notes.augment.time_reversed: controls reversed in time, audio and labels
  # alike). Speech-like contours mostly fall, so in a room the tail is nearly
  # always sharp of the direct sound; reversing some makes it as often flat.
  # 0 = off.
  synthetic_time_reversed: float = 0.0
  # Beyond the paper: the fraction of training examples replaced by a noise
  # floor alone (notes.augment.noise_only): stationary broadband noise, white
  # to brown, at an RMS level uniform in synthetic_noise_only_dbfs (dB re full
  # scale), with silent controls. Background noise (above) lies under a note
  # and a silent example gets none, so without this the model never hears a
  # noise floor alone. 0 = off.
  synthetic_noise_only: float = 0.0
  synthetic_noise_only_dbfs: list = dataclasses.field(
      default_factory=lambda: [-80.0, -30.0])
  eval: str = 'synthetic_notes/small:test'
  eval_examples: int = 256
  data_dir: Optional[str] = None   # TFDS data_dir; None = TFDS default.


@dataclasses.dataclass
class TrainConfig:
  steps: int = 1_200_000
  learning_rate: float = 3e-4
  decay_steps: int = 10_000
  decay_rate: float = 0.98
  clip_norm: float = 3.0
  # Finetuning: True starts the lr schedule afresh at learning_rate; False
  # continues the pretrained optimizer step (what the original code did).
  restart_schedule: bool = True
  restore_from: Optional[str] = None
  log_every_steps: int = 300      # one Keras "epoch" = this many steps
  checkpoint_every_steps: int = 300
  checkpoint_every_seconds: Optional[float] = None
  eval_every_steps: int = 3000
  max_minutes: Optional[float] = None
  # 'default', 'mirrored', 'multi_worker' or 'tpu'.
  distribution: str = 'default'
  seed: int = 0


@dataclasses.dataclass
class Config:
  model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
  losses: LossesConfig = dataclasses.field(default_factory=LossesConfig)
  data: DataConfig = dataclasses.field(default_factory=DataConfig)
  train: TrainConfig = dataclasses.field(default_factory=TrainConfig)


# ---------------------------------------------------------------- loading
def _type_name(tp):
  return getattr(tp, '__name__', str(tp).replace('typing.', ''))


def _coerce(value, field_type, key, source):
  """Checks value against a field's annotation; returns the value to store."""
  origin = typing.get_origin(field_type)
  if origin is typing.Union:  # Optional[x]
    inner = [t for t in typing.get_args(field_type) if t is not type(None)][0]
    return None if value is None else _coerce(value, inner, key, source)
  if dataclasses.is_dataclass(field_type):
    if not isinstance(value, dict):
      raise ConfigError(f'{source}: {key} must be a mapping, got {value!r}')
    return _build(field_type, value, source, key + '.')
  if field_type is float and isinstance(value, str):
    # PyYAML reads '2e-4' (no dot) as a string: YAML 1.1 wants '2.0e-4'.
    try:
      value = float(value)
    except ValueError:
      pass
  ok = {
      bool: lambda v: isinstance(v, bool),
      int: lambda v: isinstance(v, int) and not isinstance(v, bool),
      float: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
      str: lambda v: isinstance(v, str),
      list: lambda v: isinstance(v, list),
  }[field_type](value)
  if not ok:
    raise ConfigError(f'{source}: {key} must be {_type_name(field_type)}, '
                      f'got {value!r}')
  return float(value) if field_type is float else value


def _build(cls, values, source, prefix=''):
  fields = {f.name: f for f in dataclasses.fields(cls)}
  hints = typing.get_type_hints(cls)
  kwargs = {}
  for name, value in (values or {}).items():
    if name not in fields:
      close = difflib.get_close_matches(str(name), fields, n=1)
      hint = f" (did you mean '{prefix}{close[0]}'?)" if close else ''
      raise ConfigError(f"{source}: unknown key '{prefix}{name}'{hint}")
    kwargs[name] = _coerce(value, hints[name], prefix + name, source)
  return cls(**kwargs)


def _set_nested(tree, dotted_key, value):
  node = tree
  parts = dotted_key.split('.')
  for part in parts[:-1]:
    node = node.setdefault(part, {})
    if not isinstance(node, dict):
      raise ConfigError(f'--set {dotted_key}: {part} is not a section')
  node[parts[-1]] = value


def parse_overrides(overrides):
  """['a.b=1', ...] -> [('a.b', 1), ...]; values are parsed as YAML."""
  import yaml  # pylint: disable=g-import-not-at-top  (not on the tracking path)
  parsed = []
  for item in overrides or ():
    if '=' not in item:
      raise ConfigError(f"--set {item}: expected key=value, e.g. train.steps=100")
    key, raw = item.split('=', 1)
    try:
      parsed.append((key.strip(), yaml.safe_load(raw)))
    except yaml.YAMLError as e:
      raise ConfigError(f'--set {item}: value is not valid YAML ({e})') from None
  return parsed


def from_dict(values, source='<dict>', overrides=(), check=True):
  """Builds a validated Config from a nested dict plus `key=value` overrides.

  check=False skips the cross-field checks (types are still checked): for a
  config stored in an exported model, validated when it was trained, read
  by the tracker without importing the note generator (TensorFlow).
  """
  values = dict(values or {})
  if overrides:  # YAML parses them; the tracker never has any
    for key, value in parse_overrides(overrides):
      _set_nested(values, key, value)
  config = _build(Config, values, source)
  if check:
    validate(config, source)
  return config


def load(path, overrides=()):
  """Reads and validates a YAML config file. Raises ConfigError."""
  import yaml  # pylint: disable=g-import-not-at-top  (not on the tracking path)
  if not os.path.isfile(path):
    raise ConfigError(f'{path}: no such config file')
  try:
    with open(path) as f:
      values = yaml.safe_load(f)
  except yaml.YAMLError as e:
    raise ConfigError(f'{path}: not valid YAML: {" ".join(str(e).split())}') from None
  if values is not None and not isinstance(values, dict):
    raise ConfigError(f'{path}: top level must be a mapping of sections')
  return from_dict(values, path, overrides)


def _augmentation_checks(data):
  """(ok, message) for each synthetic augmentation's fraction and dB range."""
  def ordered(pair, lowest=None):
    return (len(pair) == 2 and pair[0] <= pair[1]
            and (lowest is None or pair[0] >= lowest))
  checks = []
  for name, what in (('second_voice', 'attenuation in dB below the main voice'),
                     ('weak_partials', 'attenuation of the fundamental in dB'),
                     ('noise', None), ('reverb', None), ('noise_only', None),
                     ('simple_tones', None), ('time_reversed', None)):
    fraction = getattr(data, f'synthetic_{name}')
    checks.append((0.0 <= fraction <= 1.0,
                   f'data.synthetic_{name} is a fraction of notes, from 0 to 1'))
    if what:
      checks.append((ordered(getattr(data, f'synthetic_{name}_db'), 0),
                     f'data.synthetic_{name}_db is [least, most] {what}, '
                     'with 0 <= least <= most'))
  checks.append((ordered(data.synthetic_noise_only_dbfs)
                 and data.synthetic_noise_only_dbfs[1] <= 0,
                 'data.synthetic_noise_only_dbfs is [least, most] RMS level in '
                 'dB re full scale, with least <= most <= 0'))
  checks.append((data.synthetic_weak_partials_keep >= 0,
                 'data.synthetic_weak_partials_keep is a number of harmonics, '
                 '0 or more'))
  checks.append((ordered(data.synthetic_rt60_s) and data.synthetic_rt60_s[0] > 0,
                 'data.synthetic_rt60_s is [least, most] reverberation time in '
                 'seconds, with 0 < least <= most'))
  checks.append((ordered(data.synthetic_drr_db),
                 'data.synthetic_drr_db is [least, most] direct-to-reverberant '
                 'ratio in dB, with least <= most'))
  checks.append((ordered(data.synthetic_noise_snr_db),
                 'data.synthetic_noise_snr_db is [lowest, highest] '
                 'signal-to-noise ratio in dB, with lowest <= highest'))
  return checks


def validate(config, source):
  """Cross-field checks a type cannot express."""
  from pitchfit.notes import generator as synthetic_notes  # pylint: disable=g-import-not-at-top
  m, t = config.model, config.train
  styles = ', '.join(synthetic_notes.NOTE_STYLES)
  checks = [
      (m.n_samples % m.hop_size == 0,
       f'model.n_samples must be a multiple of model.hop_size ({m.hop_size})'),
      (m.f0_peak_radius_bins >= 0,
       f'model.f0_peak_radius_bins must be 0 or more, got {m.f0_peak_radius_bins}'),
      (m.encoder in ('resnet', 'harmonic_cnn'),
       f"model.encoder must be 'resnet' or 'harmonic_cnn', got {m.encoder!r}"),
      (m.encoder == 'resnet' or min(m.spectrum_fft_sizes) >= m.hop_size,
       'model.spectrum_fft_sizes must each be at least model.hop_size'),
      (isinstance(m.periodicity_lags_per_bin, int)
       and m.periodicity_lags_per_bin >= 0,
       'model.periodicity_lags_per_bin must be a whole number >= 0, got '
       f'{m.periodicity_lags_per_bin!r}'),
      (not m.periodicity_lags_per_bin or m.encoder == 'harmonic_cnn',
       "model.periodicity_lags_per_bin needs model.encoder: harmonic_cnn"),
      (not m.harmonic_cnn_time_dilations or (
          len(m.harmonic_cnn_time_dilations) == m.harmonic_cnn_layers - 1 and
          all(isinstance(d, int) and d >= 1
              for d in m.harmonic_cnn_time_dilations)),
       'model.harmonic_cnn_time_dilations must be empty or one positive '
       f'integer per residual block (harmonic_cnn_layers - 1 = '
       f'{m.harmonic_cnn_layers - 1}), got {m.harmonic_cnn_time_dilations!r}'),
      (len(m.stack_channels) == len(m.stack_blocks) == len(m.stack_strides),
       'model.stack_channels, stack_blocks and stack_strides must have one entry per stack'),
      (m.f0_hz_min < m.f0_hz_max, 'model.f0_hz_min must be below f0_hz_max'),
      (m.short_window_fft in (0, 512, 1024),
       'model.short_window_fft must be 0 (off), 512 or 1024 samples '
       f'(at least the 512 hop, shorter than the 2048 main window), got '
       f'{m.short_window_fft!r}'),
      (t.distribution in ('default', 'mirrored', 'multi_worker', 'tpu'),
       "train.distribution must be one of default, mirrored, multi_worker, tpu"),
      (config.data.batch_size > 0, 'data.batch_size must be positive'),
      (config.data.synthetic_gain_db >= 0,
       'data.synthetic_gain_db is an attenuation range in dB and must be >= 0'),
      *_augmentation_checks(config.data),
      (config.data.synthetic_style in synthetic_notes.NOTE_STYLES,
       f'data.synthetic_style must be one of {styles}, '
       f'got {config.data.synthetic_style!r}'),
      (t.steps > 0, 'train.steps must be positive'),
  ]
  for ok, message in checks:
    if not ok:
      raise ConfigError(f'{source}: {message}')


def to_dict(config):
  return dataclasses.asdict(config)


def dump(config, path):
  """Writes the resolved config as YAML, atomically."""
  import yaml  # pylint: disable=g-import-not-at-top  (not on the tracking path)
  with atomic.atomic_open(path) as f:
    yaml.safe_dump(to_dict(config), f, sort_keys=False)


def dumps(config):
  """The resolved config as YAML text."""
  import yaml  # pylint: disable=g-import-not-at-top  (not on the tracking path)
  return yaml.safe_dump(to_dict(config), sort_keys=False)


def find_config(name_or_path):
  """A config file's path: the path itself if it exists, else a config shipped
  with the package (`demo`, `default_model`, ... with or without `.yaml`)."""
  if os.path.isfile(name_or_path):
    return name_or_path
  stem = os.path.basename(name_or_path)
  stem = stem[:-5] if stem.endswith('.yaml') else stem
  for directory in shipped_config_dirs():
    candidate = os.path.join(directory, stem + '.yaml')
    if os.path.isfile(candidate):
      return candidate
  names = sorted({f[:-5] for d in shipped_config_dirs() if os.path.isdir(d)
                  for f in os.listdir(d) if f.endswith('.yaml')})
  raise ConfigError(f'{name_or_path}: no such config file, and no shipped config of '
                    f'that name (shipped: {", ".join(names) or "none"})')


def shipped_config_dirs():
  """Where shipped configs live: the checkout's configs/ beside the package,
  and the copy installed inside the package (pitchfit/configs)."""
  package = os.path.dirname(os.path.abspath(__file__))
  return [os.path.join(package, 'configs'),
          os.path.join(os.path.dirname(package), 'configs')]
