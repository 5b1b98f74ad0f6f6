"""Training augmentations of synthetic notes, as pure functions.

Each takes controls or audio, a data config's numbers and an optional
`tf.random.Generator` (default: TensorFlow's global generator, which
`keras.utils.set_random_seed` seeds), and returns new controls or audio. The
controls stay the labels of what is heard: where an augmentation changes the
spectrum of the main voice (level, weak partials) the controls change with it;
where it adds something that is not the main voice (a second voice, noise, a
room) they do not.

Controls are the synthetic-notes dict of `as_controls`: f0_hz and harm_amp
[b, f, 1], harm_dist [b, f, n_harmonics], sin_amps/sin_freqs [b, f, n_sin],
noise_magnitudes [b, f, n_bands]. Audio is [b, n_samples].
"""

import tensorflow as tf

from pitchfit.dsp import core
from pitchfit.dsp import synths
from pitchfit.notes.generator import CONTROL_KEYS

# Intervals of a homophonic second voice, semitones: thirds, fourths, fifths
# and sixths, up and down. Not unisons or octaves: a voice an octave below
# makes the very spectrum of a note an octave lower, so the label would
# contradict other training notes.
SECOND_VOICE_SEMITONES = (-9, -8, -7, -5, -4, -3, 3, 4, 5, 7, 8, 9)

# Spectral slopes of background noise, power ~ 1 / f**exponent: from white (0)
# through pink (1) to brown (2), the range of rooms, fans, hiss and rumble.
BACKGROUND_NOISE_EXPONENTS = (0.0, 2.0)

# At most this many of the lowest harmonics are weakened by
# `weak_low_partials`: a bassoon's or oboe's strongest partials are often the
# 2nd to 4th, so the fundamental and the next one or two may be well down.
WEAK_PARTIALS_MAX = 3

# At most this many partials are left by `simple_tones`: a sine, or a tone like a
# flute's or an ocarina's low notes, whose upper partials are faint.
SIMPLE_TONE_PARTIALS_MAX = 3


def _uniform(rng):
  return rng.uniform if rng is not None else tf.random.uniform


def as_controls(batch):
  """Synthetic batch (tensors or arrays) -> controls as tensors, with
  [b, f, 1] shaped f0 and amplitude."""
  controls = {k: tf.convert_to_tensor(batch[k]) for k in CONTROL_KEYS}
  for key in ('f0_hz', 'harm_amp'):
    if controls[key].shape.rank == 2:
      controls[key] = controls[key][..., tf.newaxis]
  return controls


def time_reversed(controls, fraction, rng=None):
  """Plays a random part of the batch backwards: every control reversed in
  time, so the audio rendered from them and the labels agree.

  Speech-like contours mostly fall (declination, falling slopes, creaky
  endings), so in a room the tail of a syllable is nearly always sharp of its
  direct sound, and a model can learn to lean flat. Reversed, a contour rises
  and the tail is flat of it; with half of the batch reversed the tail is as
  often one as the other. Examples drawn unreversed are unchanged.
  """
  batch = tf.shape(controls['f0_hz'])[0]
  present = _uniform(rng)([batch, 1, 1]) < fraction
  return {key: tf.where(present, tf.reverse(value, [1]), value)
          for key, value in controls.items()}


def at_random_level(controls, gain_db, rng=None):
  """Scales each example's amplitudes by a gain uniform in [-gain_db, 0] dB.

  Harmonic amplitude, sinusoid amplitudes and noise magnitudes are linear
  gains, so scaling them together is the same note played quieter.
  """
  if not gain_db:
    return controls
  batch = tf.shape(controls['harm_amp'])[0]
  gain = core.db_to_amplitude(_uniform(rng)([batch, 1, 1], -gain_db, 0.0))
  scaled = dict(controls)
  for key in ('harm_amp', 'sin_amps', 'noise_magnitudes'):
    scaled[key] = controls[key] * gain
  return scaled


def with_harmonic_distribution(controls, harm_dist, sample_rate):
  """controls with harm_dist (renormalized) and the sin_amps it makes."""
  sin_amps, _ = core.harmonic_to_sinusoidal(
      controls['harm_amp'], harm_dist, controls['f0_hz'], sample_rate)
  changed = dict(controls)
  changed['harm_dist'] = core.normalize_harmonic_distribution(
      harm_dist, controls['f0_hz'], sample_rate)
  changed['sin_amps'] = sin_amps
  return changed


def weak_low_partials(controls, fraction, depth_db, sample_rate, rng=None,
                      keep=0):
  """Weakens the lowest harmonics of a random part of the batch.

  Many instruments do not lead with their fundamental (double reeds, low
  strings, some voices), and a noise floor then hides it altogether; the
  pitch is still the spacing of the partials. For each chosen note, 1 to
  `WEAK_PARTIALS_MAX` of its lowest harmonics lose up to a depth uniform in
  depth_db = (least, most) dB (`core.weaken_low_harmonics`). harm_dist and
  sin_amps change with the audio; f0 and the overall amplitude do not.

  keep: fewer are weakened where that would leave fewer than `keep`
  unweakened harmonics below Nyquist at the note's highest f0, so a spacing
  of partials is always left to hear (0: no such limit).
  """
  uniform = _uniform(rng)
  batch = tf.shape(controls['harm_dist'])[0]
  n_weak = uniform([batch], 1, WEAK_PARTIALS_MAX + 1, tf.int32)
  n_weak *= tf.cast(uniform([batch]) < fraction, tf.int32)
  if keep:
    highest = tf.reduce_max(controls['f0_hz'], axis=[1, 2])
    below = tf.cast(tf.floor(0.5 * sample_rate / tf.maximum(highest, 1.0)),
                    tf.int32)
    n_weak = tf.clip_by_value(n_weak, 0, tf.maximum(below - keep, 0))
  depth = uniform([batch], depth_db[0], depth_db[1])
  return with_harmonic_distribution(
      controls, core.weaken_low_harmonics(controls['harm_dist'], n_weak, depth),
      sample_rate)


def simple_tones(controls, fraction, sample_rate, rng=None):
  """Makes a random part of the batch simple tones of 1 to 3 partials.

  The generator's harmonic distributions spread over many partials, so without
  this the model never hears a sine or a near-sine (a flute's or an ocarina's
  low notes). For each chosen note, harm_dist [b, f, n_harmonics] becomes its
  lowest k harmonics at amplitude 1/k (k uniform in 1..SIMPLE_TONE_PARTIALS_MAX,
  the same in every frame), and sin_amps follow; f0 and the overall amplitude
  do not change.
  """
  uniform = _uniform(rng)
  harm_dist = controls['harm_dist']
  batch = tf.shape(harm_dist)[0]
  n_partials = uniform([batch], 1, SIMPLE_TONE_PARTIALS_MAX + 1, tf.int32)
  chosen = uniform([batch]) < fraction
  k = tf.range(1, harm_dist.shape[-1] + 1, dtype=harm_dist.dtype)  # [n_harm]
  kept = k[tf.newaxis] <= tf.cast(n_partials, harm_dist.dtype)[:, tf.newaxis]
  simple = tf.where(kept, 1.0 / k[tf.newaxis], 0.0)[:, tf.newaxis]  # [b, 1, n]
  harm_dist = tf.where(chosen[:, tf.newaxis, tf.newaxis], simple, harm_dist)
  return with_harmonic_distribution(controls, harm_dist, sample_rate)


def second_voice(controls, fraction, level_db, sample_rate, rng=None):
  """Sinusoids of a quieter second voice for a random part of the batch.

  Timbre and loudness come from the next note of the batch (rolled by one);
  the pitch is that note's, or for half of them the main voice's moved by one
  of `SECOND_VOICE_SEMITONES`. Each frame's amplitude is at most the main
  voice's, times a per-note gain between level_db = (least, most) dB below,
  so the main voice always leads and its silent frames stay silent.

  Returns:
    sin_amps, sin_freqs: [b, f, n_harmonics]; all amplitudes are zero for the
    notes drawn without a second voice.
  """
  uniform = _uniform(rng)
  main_amp, main_f0 = controls['harm_amp'], controls['f0_hz']
  other = {k: tf.roll(controls[k], 1, axis=0)
           for k in ('harm_amp', 'harm_dist', 'f0_hz')}
  shape = [tf.shape(main_amp)[0], 1, 1]
  gain = core.db_to_amplitude(-uniform(shape, level_db[0], level_db[1]))
  present = tf.cast(uniform(shape) < fraction, tf.float32)
  semitones = tf.gather(
      tf.constant(SECOND_VOICE_SEMITONES, tf.float32),
      uniform(shape, 0, len(SECOND_VOICE_SEMITONES), tf.int32))
  f0_hz = tf.where(uniform(shape) < 0.5,
                   main_f0 * 2.0 ** (semitones / 12.0), other['f0_hz'])
  amp = tf.minimum(other['harm_amp'], main_amp) * gain * present
  return core.harmonic_to_sinusoidal(amp, other['harm_dist'], f0_hz,
                                     sample_rate)


def render(controls, n_samples, sample_rate, second_voice_fraction=0.0,
           second_voice_db=(6.0, 20.0), rng=None, noise_seed=None):
  """Synthetic controls -> audio [b, n_samples], optionally with a second voice.

  noise_seed: optional int that fixes the synthesizer's filtered noise
  (`synths.filtered_noise`); None draws it from the global generator.
  """
  sin_amps, sin_freqs = controls['sin_amps'], controls['sin_freqs']
  if second_voice_fraction:
    amps, freqs = second_voice(controls, second_voice_fraction,
                               second_voice_db, sample_rate, rng)
    sin_amps = tf.concat([sin_amps, amps], axis=-1)
    sin_freqs = tf.concat([sin_freqs, freqs], axis=-1)
  return synths.render_controls(sin_amps, sin_freqs,
                                controls['noise_magnitudes'], n_samples,
                                sample_rate, seed=noise_seed)


def background_noise(audio, fraction, snr_db, rng=None):
  """Adds broadband noise to a random part of the batch.

  A room, a preamp or a tape is not tied to the note the way the
  synthesizer's filtered noise is: a stationary floor across the whole
  spectrum. Its slope is uniform in `BACKGROUND_NOISE_EXPONENTS` (white to
  brown) and its level uniform in snr_db = (least, most) dB below the
  example's RMS. Examples drawn without noise are unchanged.
  """
  uniform = _uniform(rng)
  batch = tf.shape(audio)[0]
  exponent = uniform([batch], *BACKGROUND_NOISE_EXPONENTS)
  snr = uniform([batch], snr_db[0], snr_db[1])
  noisy = synths.mix_at_snr(
      audio, synths.colored_noise(exponent, audio.shape[-1], rng), snr)
  present = uniform([batch, 1]) < fraction
  return tf.where(present, noisy, audio)


def room_reverb(audio, fraction, rt60_s, drr_db, sample_rate, rng=None):
  """Puts a random part of the batch in a synthetic room.

  The impulse response is a direct path plus exponentially decaying noise
  (`synths.room_impulse_response`) with RT60 uniform in rt60_s = (least,
  most) seconds and a direct-to-reverberant ratio uniform in drr_db. The
  pitch a listener hears is the direct sound's, so labels do not change.
  Examples drawn without a room are unchanged.
  """
  uniform = _uniform(rng)
  batch = tf.shape(audio)[0]
  rt60 = uniform([batch], rt60_s[0], rt60_s[1])
  drr = uniform([batch], drr_db[0], drr_db[1])
  n_ir = int(rt60_s[1] * sample_rate)
  ir = synths.room_impulse_response(rt60, drr, n_ir, sample_rate, rng)
  wet = synths.convolve_same_length(audio, ir)
  # Same RMS as the dry note, so a room does not also change the level.
  ratio = core.safe_divide(tf.math.reduce_std(audio, -1, keepdims=True),
                           tf.math.reduce_std(wet, -1, keepdims=True))
  present = uniform([batch, 1]) < fraction
  return tf.where(present, wet * ratio, audio)


def noise_only(controls, audio, fraction, level_dbfs, rng=None):
  """Replaces a random part of the batch by a noise floor alone.

  The noise is stationary and broadband, its slope uniform in
  `BACKGROUND_NOISE_EXPONENTS` (white to brown) as in `background_noise`,
  its RMS level uniform in level_dbfs = (least, most) dB re full scale; the
  controls of those examples become silence (no harmonics, no sinusoids, no
  synthesizer noise: background noise is never part of the labels). Other
  examples are unchanged.

  Returns:
    (controls, audio).
  """
  uniform = _uniform(rng)
  batch = tf.shape(audio)[0]
  exponent = uniform([batch], *BACKGROUND_NOISE_EXPONENTS)
  level = core.db_to_amplitude(uniform([batch, 1], level_dbfs[0], level_dbfs[1]))
  noise = synths.colored_noise(exponent, audio.shape[-1], rng) * level
  present = uniform([batch, 1]) < fraction
  silent = dict(controls)
  keep = 1.0 - tf.cast(present, tf.float32)[:, :, tf.newaxis]  # [b, 1, 1]
  for key in ('harm_amp', 'sin_amps', 'noise_magnitudes'):
    silent[key] = controls[key] * keep
  return silent, tf.where(present, noise, audio)


def training_notes(batch, data, n_samples, sample_rate, rng=None,
                   noise_seed=None):
  """A synthetic training batch -> (controls, audio) with every augmentation
  the data config asks for, in the order a recording makes them: the note
  (perhaps played backwards), its level and timbre, a second voice, the room,
  then background noise; last, some examples become a noise floor alone.

  With `rng` and `noise_seed` (see `render`) the result is reproducible."""
  controls = as_controls(batch)
  if data.synthetic_time_reversed:
    controls = time_reversed(controls, data.synthetic_time_reversed, rng)
  controls = at_random_level(controls, data.synthetic_gain_db, rng)
  if data.synthetic_weak_partials:
    controls = weak_low_partials(controls, data.synthetic_weak_partials,
                                 data.synthetic_weak_partials_db, sample_rate,
                                 rng, data.synthetic_weak_partials_keep)
  if data.synthetic_simple_tones:   # after: a simple tone's partials stay whole
    controls = simple_tones(controls, data.synthetic_simple_tones, sample_rate,
                            rng)
  audio = render(controls, n_samples, sample_rate, data.synthetic_second_voice,
                 data.synthetic_second_voice_db, rng, noise_seed)
  if data.synthetic_reverb:
    audio = room_reverb(audio, data.synthetic_reverb, data.synthetic_rt60_s,
                        data.synthetic_drr_db, sample_rate, rng)
  if data.synthetic_noise:
    audio = background_noise(audio, data.synthetic_noise,
                             data.synthetic_noise_snr_db, rng)
  if data.synthetic_noise_only:
    controls, audio = noise_only(controls, audio, data.synthetic_noise_only,
                                 data.synthetic_noise_only_dbfs, rng)
  return controls, audio
