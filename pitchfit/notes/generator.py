"""Random note generator: the synthetic controls DDSP-inv is pretrained on.

The distributions of the paper's `generate_notes_v2` (reference section 2):
notes of 5-25 frames laid back to back, 10 % silent, base pitch MIDI 24-84 with
optional vibrato and per-frame jitter, amplitude curves with random convexity,
harmonic and noise spectra from random sums of cosines. Two bugs of the
original are fixed: the stored harmonic distribution is masked at Nyquist and
renormalised (the original passed f0 instead of the harmonic frequencies), and
integer ranges are inclusive via `Generator.integers(a, b + 1)`.

Beyond the paper, the `sung` style (`NOTE_STYLES`) adds what singing has and
those notes lack: notes up to 2 s, legato glides from the previous note's pitch
and level, and harmonic spectra shaped by formants fixed in Hz (a glottal tilt
times a cascade of vowel resonances), which move relative to the harmonics as
the pitch moves. With its probabilities at zero (the `paper` style) the
generator draws exactly the random numbers it always did, so the paper-style
examples of every released split are unchanged.

Example i of a split is a pure function of (seed, i): `generate_example(seed,
i)` seeds its own `numpy.random.Generator` from both, so any shard rebuilds
alone, on any worker, identically.

Over 400 lines because the note and the speech generators are one
distribution: they share the spectral-shape, formant and blend helpers and
one random stream per example (`generate_notes` hands a whole example to
`speech_notes` with probability p_speech).
"""

import dataclasses
import functools

import numpy as np
import scipy.special

from pitchfit.dsp import core

FEATURE_DESCRIPTIONS = {
    'f0_hz': 'Fundamental frequency per frame, Hz (8.18 Hz = MIDI 0 on silent notes).',
    'harm_amp': 'Overall harmonic amplitude per frame, linear (about 1e-7 on silent notes).',
    'harm_dist': 'Relative harmonic amplitudes, sum to 1, zero at or above Nyquist.',
    'noise_magnitudes': 'Filtered-noise gains on bands linearly spaced 0 Hz..Nyquist, linear.',
    'sin_freqs': 'Sinusoid frequencies = f0 * k for harmonic k = 1..n, Hz.',
    'sin_amps': 'Sinusoid amplitudes = harm_amp * harm_dist (0 at or above Nyquist), linear.',
}
CONTROL_KEYS = tuple(FEATURE_DESCRIPTIONS)


@dataclasses.dataclass(frozen=True)
class NoteConfig:
  """Shape and distribution parameters of generated examples."""
  n_frames: int = 125          # 4 s at 31.25 frames/s (hop 512 at 16 kHz).
  n_harmonics: int = 100
  n_noise_bands: int = 65
  sample_rate: int = core.SAMPLE_RATE
  min_note_length: int = 5     # frames, inclusive
  max_note_length: int = 25
  p_silent: float = 0.1
  p_vibrato: float = 0.5
  midi_min: float = 24.0       # C1, 32.7 Hz
  midi_max: float = 84.0       # C6, 1046.5 Hz
  # Beyond the paper (0 = off): probability that a voiced note after a voiced
  # note starts with a glide from its pitch and level, over 2..max_glide_frames.
  p_legato: float = 0.0
  max_glide_frames: int = 8
  # Probability that a voiced note's harmonic spectrum is vowel-like (formants
  # in Hz) instead of the paper's random cosines over harmonic number.
  p_formant: float = 0.0
  # Samples per frame. The paper's 512 (32 ms); the 10-ms styles use 160 and
  # count every length in their frames.
  hop_size: int = core.HOP_SIZE
  # Probability that a whole example is speech-like (`speech_notes`) instead
  # of notes; 0 = off, drawn only when > 0.
  p_speech: float = 0.0

  @property
  def n_samples(self):
    return self.n_frames * self.hop_size


# Durations of the 10-ms styles: 3.2 frames of 10 ms per frame of 32 ms.
_TEN_MS = {'hop_size': 160, 'n_frames': 400, 'min_note_length': 16,
           'max_note_length': 80, 'max_glide_frames': 25}

# Named sets of NoteConfig overrides. `paper` is generate_notes_v2; `sung`
# mixes in voice-like notes (docs/cpu_model.md says why and what it measured);
# `mixed` sits half-way, so one stage can train on both kinds at once instead
# of alternating between them.
NOTE_STYLES = {
    'paper': {},
    'sung': {'max_note_length': 60, 'p_legato': 0.6, 'p_formant': 0.6},
    'mixed': {'max_note_length': 40, 'p_legato': 0.3, 'p_formant': 0.3},
    # 10-ms frames over the whole musical range, B0 (29 Hz) to C8 (4.2 kHz):
    # the `mixed` distributions with every duration in 10-ms frames (the
    # paper's 5-25 frames of 32 ms are 16-80 of 10 ms).
    'wide': {**_TEN_MS, 'midi_min': 22.0, 'midi_max': 108.0,
             'max_note_length': 128, 'p_legato': 0.3, 'p_formant': 0.3},
    # Speech only (`speech_notes`), 10-ms frames.
    'speech': {**_TEN_MS, 'p_speech': 1.0},
    # The default model's diet: `wide` notes, a third of examples speech.
    'wide_speech': {**_TEN_MS, 'midi_min': 22.0, 'midi_max': 108.0,
                    'max_note_length': 128, 'p_legato': 0.3, 'p_formant': 0.3,
                    'p_speech': 0.3},
    # The same with half of the examples speech (experiments/default_model_v6_grid).
    'wide_speech_half': {**_TEN_MS, 'midi_min': 22.0, 'midi_max': 108.0,
                         'max_note_length': 128, 'p_legato': 0.3,
                         'p_formant': 0.3, 'p_speech': 0.5},
}


def note_config(style='paper', hop_size=None, **overrides):
  """NoteConfig of a named style (a key of NOTE_STYLES), plus overrides.

  hop_size: frames of this many samples instead of the style's (`retime`),
  before the overrides.
  """
  if style not in NOTE_STYLES:
    raise ValueError(f'unknown note style {style!r}; choose one of '
                     f'{", ".join(NOTE_STYLES)}.')
  config = NoteConfig(**NOTE_STYLES[style])
  if hop_size:
    config = retime(config, hop_size)
  return dataclasses.replace(config, **overrides)


def retime(config, hop_size):
  """The same distributions on frames of hop_size samples.

  Every duration counted in frames (the notes', the glides', the example's)
  keeps its length in seconds, to the nearest frame; a 4-s example of 400
  frames of 10 ms becomes 250 frames of 16 ms. Speech is drawn in seconds
  already.
  """
  if hop_size == config.hop_size:
    return config
  frames = lambda n: max(1, int(round(n * config.hop_size / hop_size)))
  return dataclasses.replace(
      config, hop_size=hop_size, n_frames=frames(config.n_frames),
      min_note_length=frames(config.min_note_length),
      max_note_length=frames(config.max_note_length),
      max_glide_frames=max(2, frames(config.max_glide_frames)))


# ------------------------------------------------------------------- helpers
def exp_sigmoid(x):
  """NumPy twin of `core.exp_sigmoid` (2 * sigmoid(x)**ln 10 + 1e-7)."""
  return 2.0 * scipy.special.expit(x) ** np.log(10.0) + 1e-7


def midi_to_hz(midi):
  return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


@functools.lru_cache(maxsize=None)
def _linspace(start, stop, num):
  """Read-only np.linspace, cached: rebuilding these few fixed ramps on every
  call took about 1/6 of the generator's time."""
  ramp = np.linspace(start, stop, num)
  ramp.flags.writeable = False
  return ramp


def random_blend(rng, length, start, end, exp_max=2.0):
  """Monotone curve [length] from start to end with random convexity."""
  exponent = 2.0 ** rng.uniform(-exp_max, exp_max)
  v = _linspace(1.0, 0.0, length) ** exponent
  return start * v + end * (1.0 - v)


def random_spectral_shape(rng, n, low_pass, rand_phase):
  """Logits [n] of a random smooth spectrum: a sum of 1-20 random cosines.

  With low_pass, each cosine is tapered towards the top bins, so energy tends
  to fall with frequency as in most acoustic instruments.
  """
  n_components = rng.integers(1, 20 + 1)
  # All the uniforms in one draw: the same numbers, in the same order, as one
  # rng.uniform call each (low + (high - low) * u), without the per-call
  # overhead that dominated this function.
  u = rng.random(1 + (5 if low_pass else 3) * n_components)
  smoothness = 1.0 + 9.0 * u[0]                          # U(1, 10)
  u = u[1:].reshape(-1, n_components, 1)
  coeffs = u[0]                                          # U(0, 1)
  cycles = u[1] * n / smoothness                         # U(0, n / smoothness)
  phases = (2.0 * np.pi * rand_phase) * u[2]             # U(0, 2 pi rand_phase)
  ramp = _linspace(0.0, 1.0, n)[None, :]
  # float32 cosines: NumPy vectorises them (~5x faster than float64, most of
  # the generator's time); the phase error (< 1e-4 rad) is irrelevant here.
  angles = 2.0 * np.pi * cycles * ramp + phases
  components = coeffs * np.cos(angles.astype(np.float32))
  if low_pass:
    ends = 0.5 * u[3]                                    # U(0, 0.5)
    powers = 0.5 + 1.5 * u[4]                            # U(0.5, 2)
    components *= (1.0 + (ends - 1.0) * ramp) ** powers
  return components.sum(axis=0)


def _blended_shapes(rng, length, n, noise_std):
  """[length, n] logits morphing between two random spectra over a note."""
  low_pass = rng.uniform() <= 0.8
  rand_phase = rng.uniform(0.0, 0.4)
  start = random_spectral_shape(rng, n, low_pass, rand_phase)
  end = random_spectral_shape(rng, n, low_pass, rand_phase)
  w = random_blend(rng, length, 1.0, 0.0)[:, None]
  return w * start + (1.0 - w) * end + noise_std * rng.standard_normal((length, n))


def random_vowel(rng):
  """Formant frequencies and bandwidths [4] (Hz) of a random vowel-like filter.

  F1..F4 cover the ranges of sung vowels (F1 250-900 Hz, F2 up to 2.5 kHz,
  F3 2.2-3.2 kHz, F4 up to 4 kHz, each above the one before); bandwidths widen
  with frequency as in speech.
  """
  f1 = rng.uniform(250.0, 900.0)
  f2 = rng.uniform(f1 + 200.0, 2500.0)
  f3 = rng.uniform(max(f2 + 200.0, 2200.0), 3200.0)
  f4 = rng.uniform(f3 + 300.0, 4000.0)
  freqs = np.array([f1, f2, f3, f4])
  bandwidths = rng.uniform(40.0, 120.0, 4) * (1.0 + freqs / 2000.0)
  return freqs, bandwidths


def vowel_log_response(frequency_hz, formant_hz, bandwidth_hz):
  """Log magnitude of a cascade of unit-gain resonators at some frequencies.

  Each resonator is |H(f)| = F^2 / |F^2 - f^2 + j f B|: 1 at 0 Hz, F / B at
  its formant F, falling 12 dB per octave above it (a Klatt-style cascade).

  Args:
    frequency_hz: [...] frequencies to evaluate, Hz.
    formant_hz: [..., n_formants] formant frequencies F, Hz (broadcast).
    bandwidth_hz: [..., n_formants] bandwidths B, Hz (broadcast).

  Returns:
    [...] natural log of the cascade's magnitude.
  """
  f = np.asarray(frequency_hz)[..., None]
  response = formant_hz ** 2 / np.hypot(formant_hz ** 2 - f ** 2,
                                        f * bandwidth_hz)
  return np.log(response).sum(axis=-1)


def formant_logits(rng, f0_hz, n_harmonics):
  """[length, n_harmonics] log amplitudes of a sung vowel at pitch f0_hz.

  A glottal source falling 6-18 dB per octave through `vowel_log_response`,
  with formants morphing between two random vowels over the note. The envelope
  is fixed in Hz, so which harmonic is loudest depends on the pitch, as in
  singing.

  Args:
    rng: a `numpy.random.Generator`.
    f0_hz: [length] pitch of the note, Hz.
    n_harmonics: number of harmonics.
  """
  length = f0_hz.shape[0]
  harmonic_numbers = np.arange(1, n_harmonics + 1)
  tilt = rng.uniform(1.0, 3.0)                 # amplitude ~ k^-tilt
  start, end = random_vowel(rng), random_vowel(rng)
  w = random_blend(rng, length, 1.0, 0.0)[:, None, None]
  formants = w * start[0] + (1.0 - w) * end[0]      # [length, 1, 4]
  bandwidths = w * start[1] + (1.0 - w) * end[1]
  logits = (vowel_log_response(f0_hz[:, None] * harmonic_numbers, formants,
                               bandwidths)
            - tilt * np.log(harmonic_numbers))
  return logits + rng.uniform(0, 0.3) * rng.standard_normal(logits.shape)


# ----------------------------------------------------------------- generator
def generate_notes(rng, config=NoteConfig()):
  """One example of random notes.

  Args:
    rng: a `numpy.random.Generator`.
    config: shapes and distributions.

  Returns:
    dict of float32 arrays: f0_hz, harm_amp [n_frames]; harm_dist, sin_freqs,
    sin_amps [n_frames, n_harmonics]; noise_magnitudes [n_frames, n_bands].
  """
  if config.p_speech > 0 and rng.uniform() < config.p_speech:
    return speech_notes(rng, config)
  t_total = config.n_frames
  amp_logits = np.zeros(t_total)
  dist_logits = np.zeros((t_total, config.n_harmonics))
  f0_midi = np.zeros(t_total)
  noise_logits = np.zeros((t_total, config.n_noise_bands))

  t = 0
  previous = None  # (midi, amp logit) at the end of the last voiced note.
  while t < t_total:
    length = int(rng.integers(config.min_note_length, config.max_note_length + 1))
    stop = min(t + length, t_total)
    span = stop - t
    note = slice(t, stop)
    if rng.uniform() <= config.p_silent:
      amp_logits[note] -= 10.0  # exp_sigmoid(-10) ~ 1e-7: silence.
      previous = None
    else:
      # Drawn only when enabled, so the paper style's random stream is intact.
      legato = (previous is not None and config.p_legato > 0
                and rng.uniform() < config.p_legato)
      amp_start = previous[1] if legato else rng.uniform(-1, 3)
      amp = (random_blend(rng, length, amp_start, rng.uniform(-1, 3))
             + rng.uniform(0, 0.1) * rng.standard_normal(length))
      amp_logits[note] = amp[:span]
      formant = config.p_formant > 0 and rng.uniform() < config.p_formant
      if not formant:
        dist_logits[note] = _blended_shapes(rng, length, config.n_harmonics,
                                            rng.uniform(0, 0.5))[:span]
      midi = np.full(length, rng.uniform(config.midi_min, config.midi_max))
      if legato:
        # Sung intervals are mostly within an octave of the previous note.
        midi[:] = np.clip(previous[0] + rng.uniform(-12.0, 12.0),
                          config.midi_min, config.midi_max)
        glide = min(int(rng.integers(2, config.max_glide_frames + 1)), length)
        midi[:glide] = random_blend(rng, glide, previous[0], midi[0])
      if rng.uniform() <= config.p_vibrato:
        depth = random_blend(rng, length, rng.uniform(0, 1), rng.uniform(0, 1))
        periods = rng.uniform(0, length * 2.0 / config.min_note_length)
        midi += depth * np.sin(np.linspace(0, 2 * np.pi * periods, length))
      midi += rng.uniform(0, 0.1) * rng.standard_normal(length)
      f0_midi[note] = midi[:span]
      if formant:
        dist_logits[note] = formant_logits(rng, midi_to_hz(midi[:span]),
                                           config.n_harmonics)
      previous = (midi[span - 1], amp[span - 1])
    noise = _blended_shapes(rng, length, config.n_noise_bands, rng.uniform(0, 0.2))
    noise_logits[note] = (noise - rng.uniform(1, 10))[:span]
    t = stop

  divisor = 2.0 if rng.uniform() <= 0.8 else rng.uniform(2.0, 10.0)
  harm_amp = exp_sigmoid(amp_logits) / rng.uniform(1.0, divisor)
  return _controls(midi_to_hz(f0_midi), harm_amp, dist_logits,
                   exp_sigmoid(noise_logits), config)


# Speech: speakers' mean pitch (Hz) and the range a contour may reach (Hz).
SPEECH_MEAN_HZ = (75.0, 250.0)
SPEECH_RANGE_HZ = (60.0, 400.0)
CREAK_FLOOR_HZ = 35.0


def speech_notes(rng, config):
  """One example of speech-like voicing, on the config's frame grid.

  What speech has and sustained notes lack: voiced stretches of 50-400 ms
  (syllables) between unvoiced gaps of 30-250 ms (silence, or fricative
  noise); within a stretch an f0 contour that rises and falls by several
  semitones (a slope plus an accent arch) over a phrase that declines; frame
  to frame jitter (f0) and shimmer (level); creaky endings (f0 falling
  towards 35-80 Hz with strong jitter) and breathy voices (more aspiration
  noise, steeper glottal tilt). Spectra are glottal-source-through-formants
  (`formant_logits`), vowels morphing within each syllable. The speaker's
  mean pitch is 75-250 Hz and the contour stays within 60-400 Hz, except
  creak.

  Returns the dict of `generate_notes`.
  """
  frame_s = config.hop_size / config.sample_rate
  t_total = config.n_frames
  n_frames_of = lambda seconds: max(1, int(round(seconds / frame_s)))
  amp_logits = np.full(t_total, -10.0)
  dist_logits = np.zeros((t_total, config.n_harmonics))
  f0_midi = np.zeros(t_total)
  noise_logits = np.full((t_total, config.n_noise_bands), -12.0)
  lo, hi = (12.0 * np.log2(np.array(SPEECH_RANGE_HZ) / 440.0) + 69.0)
  mean = 12.0 * np.log2(rng.uniform(*SPEECH_MEAN_HZ) / 440.0) + 69.0
  declination = -rng.uniform(0.0, 6.0)      # semitones per second
  breathiness = rng.uniform(0.0, 1.0)
  jitter = rng.uniform(0.0, 0.25)           # semitones, per frame
  shimmer = rng.uniform(0.0, 0.3)           # amplitude logits, per frame
  t = int(rng.integers(0, n_frames_of(0.2) + 1))
  while t < t_total:
    length = n_frames_of(rng.uniform(0.05, 0.4))
    stop = min(t + length, t_total)
    span = stop - t
    x = np.linspace(0.0, 1.0, length)
    start = np.clip(mean + declination * t * frame_s + rng.uniform(-3, 3),
                    lo, hi)
    midi = (start + rng.uniform(-5.0, 3.0) * x
            + rng.uniform(-2.0, 4.0) * np.sin(np.pi * x))
    midi = np.clip(midi, lo, hi) + jitter * rng.standard_normal(length)
    amp = (rng.uniform(0.0, 3.0) + np.minimum(
        random_blend(rng, length, -3.0, 0.0),
        random_blend(rng, length, 0.0, -3.0))
           + shimmer * rng.standard_normal(length))
    if length >= 8 and rng.uniform() < 0.2:   # a creaky ending
      creak = int(length * rng.uniform(0.2, 0.4))
      fall = rng.uniform(5.0, 12.0) * np.linspace(0.0, 1.0, creak)
      floor = 12.0 * np.log2(CREAK_FLOOR_HZ / 440.0) + 69.0
      midi[-creak:] = np.maximum(midi[-creak:] - fall, floor)
      midi[-creak:] += 3.0 * jitter * rng.standard_normal(creak)
      amp[-creak:] -= np.linspace(0.0, 1.5, creak)
    f0_midi[t:stop] = midi[:span]
    amp_logits[t:stop] = amp[:span]
    logits = formant_logits(rng, midi_to_hz(midi[:span]), config.n_harmonics)
    # Breath steepens the source's tilt and adds aspiration noise.
    tilt = breathiness * rng.uniform(0.0, 1.5)
    dist_logits[t:stop] = logits - tilt * np.log(np.arange(1, config.n_harmonics + 1))
    noise = _blended_shapes(rng, length, config.n_noise_bands, 0.2)[:span]
    noise_logits[t:stop] = noise - rng.uniform(6.0, 10.0) + 4.0 * breathiness
    t = stop
    gap = min(n_frames_of(rng.uniform(0.03, 0.25)), t_total - t)
    if gap > 0 and rng.uniform() < 0.5:       # a fricative: noise alone
      hiss = _blended_shapes(rng, gap, config.n_noise_bands, 0.3)
      noise_logits[t:t + gap] = (hiss + np.linspace(-2.0, 2.0, config.n_noise_bands)
                                 - rng.uniform(3.0, 7.0))
    t += gap
  harm_amp = exp_sigmoid(amp_logits) / rng.uniform(1.0, 2.0)
  return _controls(midi_to_hz(f0_midi), harm_amp, dist_logits,
                   exp_sigmoid(noise_logits), config)


def _controls(f0_hz, harm_amp, dist_logits, noise_magnitudes, config):
  """Frame controls -> the example dict (harmonics masked at Nyquist)."""
  sin_freqs = f0_hz[:, None] * np.arange(1, config.n_harmonics + 1)
  harm_dist = scipy.special.softmax(dist_logits, axis=-1)
  harm_dist[sin_freqs >= config.sample_rate / 2] = 0.0
  harm_dist /= harm_dist.sum(axis=-1, keepdims=True)  # f0 < Nyquist: never 0.
  return {
      'f0_hz': f0_hz.astype(np.float32),
      'harm_amp': harm_amp.astype(np.float32),
      'harm_dist': harm_dist.astype(np.float32),
      'noise_magnitudes': noise_magnitudes.astype(np.float32),
      'sin_freqs': sin_freqs.astype(np.float32),
      'sin_amps': (harm_amp[:, None] * harm_dist).astype(np.float32),
  }


def generate_example(seed, index, config=NoteConfig()):
  """Example `index` of the split seeded by `seed`: a pure function of both."""
  rng = np.random.default_rng([int(seed), int(index)])
  return generate_notes(rng, config)


def feature_shapes(config=NoteConfig()):
  """{feature name: shape} of one example."""
  t, h, m = config.n_frames, config.n_harmonics, config.n_noise_bands
  return {'f0_hz': (t,), 'harm_amp': (t,), 'harm_dist': (t, h),
          'noise_magnitudes': (t, m), 'sin_freqs': (t, h), 'sin_amps': (t, h)}


# ------------------------------------------------------------ tf.data stream
def as_dataset(seed, config=NoteConfig(), start=0, count=None):
  """Endless (or `count`-long) `tf.data` stream of examples start, start+1, ...

  For training without a dataset on disk: example i is the same as example i
  of a TFDS split with the same seed and config.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top

  shapes = feature_shapes(config)
  names = sorted(shapes)

  def _generate(index):
    example = generate_example(seed, index, config)
    return [example[name] for name in names]

  def _to_dict(index):
    values = tf.numpy_function(_generate, [index], [tf.float32] * len(names),
                               stateful=False)
    return {name: tf.ensure_shape(value, shapes[name])
            for name, value in zip(names, values)}

  indices = tf.data.Dataset.counter(start)
  if count is not None:
    indices = indices.take(count)
  return indices.map(_to_dict, num_parallel_calls=tf.data.AUTOTUNE,
                     deterministic=True)


def render_audio(example, config=NoteConfig(), seed=0):
  """Audio of one example (a dict of controls): float32 [n_samples] in -1..1ish.

  One call from controls to sound, for listening or writing a WAV.
  """
  from pitchfit.dsp import synths  # pylint: disable=g-import-not-at-top
  batch = {k: np.asarray(v)[None] for k, v in example.items()}
  audio = synths.render_controls(batch['sin_amps'], batch['sin_freqs'],
                                 batch['noise_magnitudes'],
                                 batch['sin_amps'].shape[1] * config.hop_size,
                                 config.sample_rate, seed=seed)
  return audio.numpy()[0]
