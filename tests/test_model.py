"""The transcribing autoencoder: shapes, the three regimes, and that it learns."""

import mir_eval
import numpy as np
import pytest
import tensorflow as tf

from pitchfit import config as config_lib
from pitchfit.model import autoencoder as model_lib
from pitchfit.notes import augment
from pitchfit.notes import generator as synthetic_notes
from pitchfit.dsp import synths
from pitchfit.train import job as training


def synthetic_batch(config, n, seed=0):
  notes = synthetic_notes.NoteConfig(n_frames=config.model.n_frames)
  examples = [synthetic_notes.generate_example(seed, i, notes) for i in range(n)]
  return {k: tf.constant(np.stack([e[k] for e in examples]))
          for k in synthetic_notes.CONTROL_KEYS}


def test_forward_shapes_and_nyquist_mask(tiny_config):
  model = training.build_model(tiny_config)
  audio = tf.random.normal([2, tiny_config.model.n_samples]) * 0.1
  out = model(audio)
  f = tiny_config.model.n_frames
  assert out['f0_hz'].shape == (2, f, 1)
  assert out['sin_freqs'].shape == (2, f, tiny_config.model.n_sinusoids)
  assert out['harm_dist'].shape == (2, f, 100)
  assert out['harm_audio'].shape == (2, tiny_config.model.n_samples)
  dist = out['harm_dist'].numpy()
  above = out['f0_hz'].numpy() * np.arange(1, 101) >= 8000
  assert np.all(dist[above] == 0)
  np.testing.assert_allclose(dist.sum(-1), 1.0, rtol=1e-4)
  assert np.all((out['f0_hz'].numpy() >= 20 - 1e-3) & (out['f0_hz'].numpy() <= 1200 + 1e-2))


def test_pitch_accuracy_matches_mir_eval():
  rng = np.random.default_rng(0)
  ref = rng.uniform(60, 900, 500)
  est = ref * 2 ** (rng.normal(0, 0.6, 500) / 12)          # near misses
  est[::7] *= 2                                             # octave errors
  voiced = rng.uniform(size=500) > 0.2
  rpa, rca = model_lib.pitch_accuracy(tf.constant(est[None], tf.float32),
                                      tf.constant(ref[None], tf.float32),
                                      tf.constant(voiced[None]))
  ref_v, ref_c, est_v, est_c = mir_eval.melody.to_cent_voicing(
      np.arange(500) * 0.01, np.where(voiced, ref, 0), np.arange(500) * 0.01,
      np.where(voiced, est, 0))
  est_v = ref_v  # oracle voicing, the papers' protocol
  assert float(rpa) == pytest.approx(
      mir_eval.melody.raw_pitch_accuracy(ref_v, ref_c, est_v, est_c), abs=1e-3)
  assert float(rca) == pytest.approx(
      mir_eval.melody.raw_chroma_accuracy(ref_v, ref_c, est_v, est_c), abs=1e-3)
  assert float(rca) > float(rpa)


def test_regimes_report_the_right_losses(tiny_config):
  config = config_lib.from_dict(
      {}, '<t>', [*_tiny(tiny_config), 'losses.sin_spectral.mag_weight=1.0',
                  'losses.harm_spectral.logmag_weight=1.0',
                  'losses.kde.unsupervised_weight=1.0'])
  model = training.build_model(config)
  synthetic = synthetic_batch(config, 2)
  real = {'audio': tf.random.normal([3, config.model.n_samples]) * 0.1}

  pretrain = model.train_step(synthetic)
  finetune = model.train_step((real, synthetic))
  real_only = model.test_step(real)

  parameter_losses = {'ss_kde_consistency_loss', 'ss_f0_hz_loss',
                      'ss_harm_amp_loss', 'ss_harm_dist_loss',
                      'ss_filtered_noise_consistency_loss', 'ss_f0_bins_loss'}
  unsupervised = {'sin_spectral_loss', 'harm_spectral_loss',
                  'kde_consistency_loss'}
  assert parameter_losses | unsupervised <= set(pretrain)
  assert parameter_losses | unsupervised <= set(finetune)
  assert 'f0_rpa' in finetune
  assert unsupervised <= set(real_only)
  assert not parameter_losses & set(real_only)
  assert 'f0_rpa' not in real_only       # no labels in this batch
  for logs in (pretrain, finetune, real_only):
    assert all(np.isfinite(float(v)) for v in logs.values())


def test_finetune_real_half_gets_unsupervised_losses_only(tiny_config):
  """Changing the real half must not move the parameter losses, and v.v."""
  config = config_lib.from_dict({}, '<t>', [*_tiny(tiny_config),
                                            'losses.sin_spectral.mag_weight=1.0'])
  model = training.build_model(config)
  synthetic = synthetic_batch(config, 2)
  real_a = {'audio': tf.zeros([2, config.model.n_samples])}
  real_b = {'audio': tf.random.normal([2, config.model.n_samples])}
  la, _ = model.step_losses((real_a, synthetic), training=False)
  lb, _ = model.step_losses((real_b, synthetic), training=False)
  assert float(la['sin_spectral_loss']) != pytest.approx(float(lb['sin_spectral_loss']))
  # Parameter losses depend on the synthetic half only (up to synthesis noise
  # in the rendered audio, which is identical in distribution; the model's
  # per-example norm keeps examples independent).
  assert float(la['ss_f0_hz_loss']) == pytest.approx(float(lb['ss_f0_hz_loss']), rel=0.05)


def test_tiny_model_overfits_a_few_examples(tiny_config):
  config = config_lib.from_dict({}, '<t>', [*_tiny(tiny_config), 'data.batch_size=4'])
  tf.keras.utils.set_random_seed(0)
  model = training.build_model(config)
  batch = synthetic_batch(config, 4, seed=3)
  dataset = tf.data.Dataset.from_tensors(batch).repeat()
  first = model.test_step(batch)
  model.fit(dataset, steps_per_epoch=150, epochs=1, verbose=0, shuffle=False)
  last = model.test_step(batch)
  assert float(last['total_loss']) < 0.5 * float(first['total_loss'])
  assert float(last['ss_f0_hz_loss']) < 0.5 * float(first['ss_f0_hz_loss'])


def test_random_level_scales_each_note_as_a_whole(tiny_config):
  config = config_lib.from_dict({}, '<t>', [*_tiny(tiny_config),
                                            'data.synthetic_gain_db=20'])
  model = training.build_model(config)
  controls = augment.as_controls(synthetic_batch(config, 64))
  quieter = augment.at_random_level(controls, 20)
  gain = (quieter['harm_amp'] / controls['harm_amp']).numpy()   # [b, f, 1]
  # One gain per note, shared by every frame and every control.
  np.testing.assert_allclose(gain, np.broadcast_to(gain[:, :1], gain.shape),
                             rtol=1e-4)
  for key in ('sin_amps', 'noise_magnitudes'):
    np.testing.assert_allclose(quieter[key], controls[key] * gain[:, :1],
                               rtol=1e-4, atol=1e-12)
  gain_db = 20 * np.log10(gain[:, 0, 0])
  assert gain_db.min() >= -20 - 1e-3 and gain_db.max() <= 1e-3
  assert gain_db.std() > 3   # spread over the range, not one fixed gain
  np.testing.assert_array_equal(quieter['f0_hz'], controls['f0_hz'])
  unchanged = augment.at_random_level(controls, 0)
  assert unchanged['harm_amp'] is controls['harm_amp']


def test_second_voice_is_quieter_than_the_main_one_in_every_frame(tiny_config):
  config = config_lib.from_dict({}, '<t>', [
      *_tiny(tiny_config), 'data.synthetic_second_voice=0.5',
      'data.synthetic_second_voice_db=[6, 20]'])
  model = training.build_model(config)
  controls = augment.as_controls(synthetic_batch(config, 64))
  tf.random.set_seed(0)
  amps, freqs = augment.second_voice(controls, 0.5, (6, 20), 16000)
  main_amp = controls['harm_amp'].numpy()                    # [b, f, 1]
  voice_amp = amps.numpy().sum(-1, keepdims=True)            # [b, f, 1]
  # At least 6 dB below the main voice, frame by frame (so silent with it).
  assert np.all(voice_amp <= main_amp * 10 ** (-6 / 20) * (1 + 1e-5))
  present = voice_amp.max(axis=(1, 2)) > 0
  assert 16 <= present.sum() <= 48            # about half of 64 notes
  # Some are not much quieter than allowed: the range is used, not only 20 dB.
  ratio = voice_amp[present] / np.maximum(main_amp[present], 1e-12)
  assert ratio.max() > 10 ** (-10 / 20)
  # Its pitch is the next note's, or the main pitch at a harmony interval.
  f0 = freqs.numpy()[..., :1]
  own = np.isclose(f0, np.roll(controls['f0_hz'].numpy(), 1, axis=0),
                   rtol=1e-4).all(axis=(1, 2))
  semitones = 12 * np.log2(f0 / controls['f0_hz'].numpy())
  parallel = np.array([
      any(np.allclose(s, i, atol=1e-3) for i in augment.SECOND_VOICE_SEMITONES)
      for s in semitones])
  assert np.all(own | parallel) and own.any() and parallel.any()
  np.testing.assert_allclose(freqs.numpy(), f0 * np.arange(1, 101), rtol=1e-5)


@pytest.mark.parametrize('augmentation', ['data.synthetic_second_voice=1.0',
                                          'data.synthetic_noise=1.0',
                                          'data.synthetic_weak_partials=1.0'])
def test_augmentations_only_in_training_audio(tiny_config, augmentation):
  config = config_lib.from_dict({}, '<t>', [*_tiny(tiny_config), augmentation])
  model = training.build_model(config)
  batch = synthetic_batch(config, 4)
  batch['noise_magnitudes'] = tf.zeros_like(batch['noise_magnitudes'])
  controls = augment.as_controls(batch)
  # Evaluation renders the labels' own notes, and training adds to them.
  _, plain = model._synthetic_notes(batch, training=False)
  _, augmented = model._synthetic_notes(batch, training=True)
  expected = synths.sinusoidal(controls['sin_amps'], controls['sin_freqs'],
                               config.model.n_samples)
  np.testing.assert_allclose(plain, expected, atol=1e-5)
  assert float(tf.reduce_max(tf.abs(augmented - plain))) > 1e-4
  np.testing.assert_allclose(
      model.render_synthetic(controls, second_voice=0.0), expected, atol=1e-5)


def test_background_noise_at_the_configured_snr_for_some_notes(tiny_config):
  config = config_lib.from_dict({}, '<t>', [
      *_tiny(tiny_config), 'data.synthetic_noise=0.5',
      'data.synthetic_noise_snr_db=[15, 40]'])
  model = training.build_model(config)
  audio = tf.random.stateless_normal([64, config.model.n_samples], [0, 4])
  noisy = augment.background_noise(audio, 0.5, (15, 40),
                                 tf.random.Generator.from_seed(1)).numpy()
  added = noisy - audio.numpy()
  rms = lambda x: np.sqrt(np.mean(x ** 2, axis=-1))
  present = rms(added) > 0
  assert 16 <= present.sum() <= 48             # about half of 64 notes
  snr = 20 * np.log10(rms(audio.numpy()[present]) / rms(added[present]))
  assert snr.min() >= 15 - 1e-3 and snr.max() <= 40 + 1e-3
  assert snr.std() > 3                          # spread over the range
  # White to brown: the share of power below 1 kHz varies from note to note.
  power = np.abs(np.fft.rfft(added[present], axis=-1)) ** 2
  low_share = power[:, :config.model.n_samples // 16].sum(-1) / power.sum(-1)
  assert low_share.min() < 0.3 and low_share.max() > 0.9
  # Broadband: energy in every band, up to the top kilohertz.
  assert np.all(power[:, -(power.shape[-1] // 8):].mean(-1) > 0)


def test_noise_floor_alone_replaces_some_examples_with_silent_labels(
    tiny_config):
  config = config_lib.from_dict({}, '<t>', [
      *_tiny(tiny_config), 'data.synthetic_noise_only=0.25'])
  controls = augment.as_controls(synthetic_batch(config, 64))
  audio = tf.random.stateless_normal([64, config.model.n_samples], [0, 5])
  new_controls, new_audio = augment.noise_only(
      controls, audio, 0.25, (-80.0, -30.0), tf.random.Generator.from_seed(2))
  new_audio = new_audio.numpy()
  replaced = np.any(new_audio != audio.numpy(), axis=-1)
  assert 6 <= replaced.sum() <= 26                # about a quarter of 64
  rms_db = 20 * np.log10(np.sqrt(np.mean(new_audio[replaced] ** 2, axis=-1)))
  assert rms_db.min() >= -80 - 1e-3 and rms_db.max() <= -30 + 1e-3
  assert rms_db.std() > 5                          # spread over the range
  for key in ('harm_amp', 'sin_amps', 'noise_magnitudes'):
    assert np.all(new_controls[key].numpy()[replaced] == 0.0), key
    np.testing.assert_array_equal(new_controls[key].numpy()[~replaced],
                                  controls[key].numpy()[~replaced])
  # f0 stays (it is masked where the amplitude is silent).
  np.testing.assert_array_equal(new_controls['f0_hz'], controls['f0_hz'])
  # training_notes applies it from the data config, last.
  labels, notes = augment.training_notes(
      synthetic_batch(config, 64), config.data, config.model.n_samples,
      config.model.sample_rate, tf.random.Generator.from_seed(3))
  silent = np.all(labels['harm_amp'].numpy() == 0.0, axis=(1, 2))
  assert 6 <= silent.sum() <= 26
  rms_db = 20 * np.log10(np.sqrt(np.mean(notes.numpy()[silent] ** 2, axis=-1)))
  assert rms_db.min() >= -80 - 1e-3 and rms_db.max() <= -30 + 1e-3


def test_weak_low_partials_for_some_notes_in_audio_and_labels(tiny_config):
  config = config_lib.from_dict({}, '<t>', [
      *_tiny(tiny_config), 'data.synthetic_weak_partials=0.5',
      'data.synthetic_weak_partials_db=[6, 30]'])
  model = training.build_model(config)
  controls = augment.as_controls(synthetic_batch(config, 64))
  weak = augment.weak_low_partials(controls, 0.5, (6, 30), 16000,
                                   tf.random.Generator.from_seed(2))
  for key in ('f0_hz', 'harm_amp', 'sin_freqs', 'noise_magnitudes'):
    np.testing.assert_array_equal(weak[key], controls[key])
  # Labels of what is heard: a distribution, and the amplitudes it makes.
  dist = weak['harm_dist'].numpy()
  voiced = controls['harm_amp'].numpy()[..., 0] > 1e-3
  np.testing.assert_allclose(dist.sum(-1)[voiced], 1.0, rtol=1e-5)
  np.testing.assert_allclose(weak['sin_amps'],
                             controls['harm_amp'].numpy() * dist, atol=1e-7)
  # Change of each harmonic against the 5th (never weakened), in dB.
  old = controls['harm_dist'].numpy()
  ok = voiced & (old[..., 4] > 1e-6) & (dist[..., 4] > 1e-9)
  change_db = np.where(ok[..., None], 20 * np.log10(
      (dist[..., :4] / dist[..., 4:5]) / (old[..., :4] / old[..., 4:5])), 0.0)
  per_note = change_db.min(axis=1)                      # [b, 4], over frames
  weakened = per_note[:, 0] < -1e-3
  assert 16 <= weakened.sum() <= 48                    # about half of 64 notes
  np.testing.assert_allclose(per_note[:, 3], 0.0, atol=1e-3)  # 4th: untouched
  fundamental = -per_note[weakened, 0]
  assert fundamental.min() >= 6 - 1e-3 and fundamental.max() <= 30 + 1e-3
  assert fundamental.std() > 3                         # spread over the range
  # 1 to 3 weakened harmonics, the fundamental always the most.
  n_weak = (per_note[weakened, :3] < -1e-3).sum(-1)
  assert set(n_weak) == {1, 2, 3}
  assert np.all(per_note[weakened, 0] <= per_note[weakened, 1] + 1e-3)


def test_weak_partials_keep_enough_harmonics_below_nyquist():
  """keep=3: a 100-Hz note may lose 3, a 1.5-kHz one 2 (5 below 8 kHz), a
  3-kHz one (2 below) none."""
  f0 = np.repeat([100.0, 1500.0, 3000.0], 20)
  frames, n_harmonics = 4, 8
  controls = {
      'f0_hz': tf.constant(np.tile(f0[:, None, None], (1, frames, 1)),
                           tf.float32),
      'harm_amp': tf.fill([f0.size, frames, 1], 0.5),
      'harm_dist': tf.fill([f0.size, frames, n_harmonics], 1.0 / n_harmonics),
  }
  before = augment.with_harmonic_distribution(
      controls, controls['harm_dist'], 16000)['harm_dist'].numpy()[:, 0]
  valid = before > 0                                   # below Nyquist
  weakened = {}
  for keep in (0, 3):
    weak = augment.weak_low_partials(controls, 1.0, (20, 20), 16000,
                                     tf.random.Generator.from_seed(4), keep)
    gain = np.where(valid, weak['harm_dist'].numpy()[:, 0] / np.where(
        valid, before, 1.0), 0.0)
    lower = valid & (gain < 0.99 * gain.max(-1, keepdims=True))
    weakened[keep] = [set(lower[f0 == f].sum(-1)) for f in (100, 1500, 3000)]
  # The old rule: any note, even the 3-kHz one with 2 harmonics below 8 kHz.
  assert weakened[0][:2] == [{1, 2, 3}] * 2 and 0 not in weakened[0][2]
  assert weakened[3] == [{1, 2, 3}, {1, 2}, {0}]


def test_training_labels_follow_the_weakened_partials(tiny_config):
  config = config_lib.from_dict({}, '<t>', [
      *_tiny(tiny_config), 'data.synthetic_weak_partials=1.0'])
  model = training.build_model(config)
  batch = synthetic_batch(config, 4)
  batch['noise_magnitudes'] = tf.zeros_like(batch['noise_magnitudes'])
  controls, audio = model._synthetic_notes(batch, training=True)
  # The returned controls are what was rendered, not the dataset's.
  np.testing.assert_allclose(
      audio, synths.sinusoidal(controls['sin_amps'], controls['sin_freqs'],
                               config.model.n_samples), atol=1e-5)
  assert not np.allclose(controls['harm_dist'], batch['harm_dist'], atol=1e-4)


def _tiny(config):
  """The tiny fixture's overrides, as a list for from_dict."""
  from tests.conftest import TINY_OVERRIDES
  del config
  return list(TINY_OVERRIDES)


def test_time_reversed_plays_some_notes_backwards_labels_too(tiny_config):
  config = config_lib.from_dict({}, '<t>', _tiny(tiny_config))
  controls = augment.as_controls(synthetic_batch(config, 64))
  rng = tf.random.Generator.from_seed(5)
  flipped = augment.time_reversed(controls, 0.5, rng)
  # Each example's controls side by side, [b, frames, all channels].
  joined = lambda c: np.concatenate([c[k].numpy() for k in sorted(c)], -1)
  old, new = joined(controls), joined(flipped)
  backwards = np.array([np.array_equal(n, o[::-1]) for n, o in zip(new, old)])
  kept = np.array([np.array_equal(n, o) for n, o in zip(new, old)])
  # Every control of an example is reversed with the others, or none is.
  assert np.all(backwards | kept)
  assert 15 < np.sum(backwards & ~kept) < 49
  unchanged = augment.time_reversed(controls, 0.0, rng)
  np.testing.assert_array_equal(unchanged['harm_dist'], controls['harm_dist'])


def test_time_reversed_is_a_checked_fraction(tiny_config):
  with pytest.raises(config_lib.ConfigError, match='synthetic_time_reversed'):
    config_lib.from_dict({}, '<t>', [*_tiny(tiny_config),
                                     'data.synthetic_time_reversed=1.5'])


def test_room_reverb_keeps_level_and_adds_a_decaying_tail():
  sample_rate, n = 16000, 16384
  # A click train: reverberation shows as energy between the clicks.
  audio = np.zeros([8, n], np.float32)
  audio[:, ::4000] = 1.0
  rng = tf.random.Generator.from_seed(3)
  wet = augment.room_reverb(tf.constant(audio), 1.0, (0.5, 0.5), (0.0, 0.0),
                            sample_rate, rng).numpy()
  np.testing.assert_allclose(wet.std(-1), audio.std(-1), rtol=1e-3)
  # The tail decays: more energy just after a click than 100 ms later.
  early = np.square(wet[:, 20:800]).sum(-1)
  late = np.square(wet[:, 1600:2400]).sum(-1)
  assert np.all(early > 3 * late) and np.all(late > 0)
  # fraction 0 leaves audio unchanged.
  dry = augment.room_reverb(tf.constant(audio), 0.0, (0.3, 0.9), (0.0, 6.0),
                            sample_rate, rng).numpy()
  np.testing.assert_array_equal(dry, audio)


def test_room_impulse_response_has_the_asked_direct_to_reverberant_ratio():
  ir = synths.room_impulse_response([0.4, 0.8], [0.0, 10.0], 16000).numpy()
  np.testing.assert_allclose(ir[:, 0], 1.0)
  drr_db = 10 * np.log10(1.0 / np.square(ir[:, 1:]).sum(-1))
  np.testing.assert_allclose(drr_db, [0.0, 10.0], atol=1e-3)


def test_harmonic_stacking_moves_each_block_down_the_grid_by_its_shift():
  from pitchfit.model import harmonic_cnn  # pylint: disable=g-import-not-at-top
  x = np.random.default_rng(0).standard_normal((2, 5, 30, 3)).astype(np.float32)
  shifts = [-12, 0, 7, 12, 40]
  got = harmonic_cnn.stack_harmonics(tf.constant(x), shifts, -1.0).numpy()
  assert got.shape == (2, 5, 30, 3 * len(shifts))
  for i, shift in enumerate(shifts):
    for k in range(30):
      want = x[:, :, k + shift] if 0 <= k + shift < 30 else -1.0
      np.testing.assert_array_equal(got[:, :, k, 3 * i:3 * i + 3],
                                    np.broadcast_to(want, (2, 5, 3)))


def test_conv_stack_norms_are_keras_layer_normalization():
  from pitchfit.model import harmonic_cnn  # pylint: disable=g-import-not-at-top
  stack = harmonic_cnn.ConvStack(8, 3)
  x = tf.random.stateless_normal((1, 6, 20, 2), seed=(1, 2))
  stack(x)
  assert all(norm.built for norm in stack.norms)
  rng = np.random.default_rng(3)
  for norm in stack.norms:  # weights away from their 1 and 0 start
    norm.gamma.assign(rng.uniform(0.5, 2.0, 8).astype(np.float32))
    norm.beta.assign(rng.normal(size=8).astype(np.float32))
    h = tf.random.stateless_normal((1, 6, 20, 8), seed=(3, 4)) * 3.0 + 1.0
    np.testing.assert_allclose(stack._normalize(norm, h), norm(h), atol=2e-5)  # pylint: disable=protected-access


def test_simple_tones_for_some_notes_in_audio_and_labels(tiny_config):
  config = config_lib.from_dict({}, '<t>', [
      *_tiny(tiny_config), 'data.synthetic_simple_tones=0.5'])
  controls = augment.as_controls(synthetic_batch(config, 64))
  simple = augment.simple_tones(controls, 0.5, 16000,
                                tf.random.Generator.from_seed(2))
  for key in ('f0_hz', 'harm_amp', 'sin_freqs', 'noise_magnitudes'):
    np.testing.assert_array_equal(simple[key], controls[key])
  # Labels of what is heard: a distribution, and the amplitudes it makes.
  dist = simple['harm_dist'].numpy()
  old = controls['harm_dist'].numpy()
  voiced = controls['harm_amp'].numpy()[..., 0] > 1e-3
  np.testing.assert_allclose(dist.sum(-1)[voiced], 1.0, rtol=1e-5)
  np.testing.assert_allclose(simple['sin_amps'],
                             controls['harm_amp'].numpy() * dist, atol=1e-7)
  changed = np.any(np.abs(dist - old) > 1e-6, axis=(1, 2))
  assert 16 <= changed.sum() <= 48                     # about half of 64 notes
  np.testing.assert_allclose(dist[~changed], old[~changed], atol=1e-6)  # renormalized
  # Each simple tone: its lowest 1 to 3 harmonics at 1/k, nothing above.
  n_partials = set()
  for note in np.flatnonzero(changed & voiced.any(-1)):
    frames = dist[note][voiced[note]]                  # [f, n_harmonics]
    heard = frames > 0
    n = heard.sum(-1)
    assert np.all((n >= 1) & (n <= augment.SIMPLE_TONE_PARTIALS_MAX))
    assert np.all(heard[:, :1])                        # the fundamental
    k = np.arange(1, frames.shape[-1] + 1)
    np.testing.assert_allclose(
        np.where(heard, frames * k / frames[:, :1], 1.0), 1.0, rtol=1e-4)
    n_partials.add(int(n.max()))
  assert n_partials == {1, 2, 3}
  # training_notes applies it from the data config.
  labels, _ = augment.training_notes(
      synthetic_batch(config, 64), config.data, config.model.n_samples,
      config.model.sample_rate, tf.random.Generator.from_seed(3))
  few = np.all((labels['harm_dist'].numpy() > 0).sum(-1)
               <= augment.SIMPLE_TONE_PARTIALS_MAX, axis=1)
  assert 16 <= few.sum() <= 48


def test_conv_stack_time_dilations_widen_its_reach_in_time():
  from pitchfit.model import harmonic_cnn  # pylint: disable=g-import-not-at-top
  import keras  # pylint: disable=g-import-not-at-top
  keras.utils.set_random_seed(4)
  stack = harmonic_cnn.ConvStack(8, 4, time_dilations=[1, 2, 4])
  assert [b.dilation_rate for b in stack.blocks] == [(1, 1), (2, 1), (4, 1)]
  zeros = np.zeros((1, 41, 6, 2), np.float32)
  impulse = zeros.copy()
  impulse[0, 20] = 1.0
  changed = np.abs(np.asarray(stack(impulse)) - np.asarray(stack(zeros)))
  frames = np.where(changed.max(axis=(0, 2, 3)) > 0)[0]
  # Stem +-1, then +-1, +-2, +-4: frames 12..28 and none beyond.
  assert frames.min() == 12 and frames.max() == 28
  with pytest.raises(ValueError, match='3 blocks, 2 time dilations'):
    harmonic_cnn.ConvStack(8, 4, time_dilations=[1, 2])
