"""The transcribing autoencoder (DDSP-inv) as a Keras model.

audio -> sinusoidal encoder -> (stop-gradient) -> harmonic encoder -> f0.
Both sinusoid sets are resynthesized to audio for the spectral losses.

`train_step`/`test_step` handle three kinds of batches (reference section 1):
  * a dict of synthetic controls (has `sin_amps`): pretraining. The controls
    are rendered to audio inside the step; all losses apply.
  * a tuple `(real, synthetic)`: finetuning. One forward pass over both;
    unsupervised losses on the real half, parameter losses on the other.
  * a dict with `audio` only: real audio; unsupervised losses (and, where the
    batch has `f0_hz` labels, pitch accuracy, for evaluation only).
"""

import keras
import tensorflow as tf

from pitchfit import config as config_lib
from pitchfit import core
from pitchfit import encoders
from pitchfit import losses as losses_lib
from pitchfit import synths
from pitchfit.synthetic_notes import CONTROL_KEYS

LOSS_NAMES = (
    'sin_spectral_loss', 'harm_spectral_loss', 'kde_consistency_loss',
    'ss_kde_consistency_loss', 'ss_filtered_noise_consistency_loss',
    'ss_harm_amp_loss', 'ss_harm_dist_loss', 'ss_f0_hz_loss',
    'ss_f0_bins_loss')
METRIC_NAMES = ('total_loss',) + LOSS_NAMES + ('f0_rpa', 'f0_rca')

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


def pitch_accuracy(f0_hz, true_f0_hz, voiced, cent_tolerance=50.0):
  """Raw pitch and raw chroma accuracy over voiced frames, in-graph.

  The definitions of mir_eval.melody (|cent error| < tolerance; chroma folds
  the error into one octave), for monitoring training; `pitchfit evaluate`
  uses mir_eval itself. Args are [b, f] (Hz, Hz, bool). Returns 2 scalars.
  """
  cents = 1200.0 * (tf.math.log(tf.maximum(f0_hz, 1e-3))
                    - tf.math.log(tf.maximum(true_f0_hz, 1e-3))) / tf.math.log(2.0)
  folded = cents - 1200.0 * tf.round(cents / 1200.0)
  voiced = tf.cast(voiced, tf.float32)
  n_voiced = tf.maximum(tf.reduce_sum(voiced), 1.0)
  rpa = tf.reduce_sum(tf.cast(tf.abs(cents) < cent_tolerance, tf.float32)
                      * voiced) / n_voiced
  rca = tf.reduce_sum(tf.cast(tf.abs(folded) < cent_tolerance, tf.float32)
                      * voiced) / n_voiced
  return rpa, rca


def f0_bins_cross_entropy(f0_logits, true_f0_hz, mask, hz_min, hz_max,
                          blur_semitones=0.25):
  """Cross-entropy of the f0 softmax against a Gaussian around the true f0.

  Beyond the paper (see configs/cpu/pretrain.yaml): a classification signal
  reaches every bin, where the L1 on the expected value gives one direction.

  Args:
    f0_logits: [b, f, bins]; bins log-spaced from hz_min to hz_max.
    true_f0_hz: [b, f, 1].
    mask: [b, f, 1], 1 where the frame has a pitch.
  """
  depth = f0_logits.shape[-1]
  bin_midi = core.hz_to_midi(core.frequency_bins_hz(depth, hz_min, hz_max))
  distance = bin_midi - core.hz_to_midi(true_f0_hz)          # [b, f, bins]
  target = tf.exp(-0.5 * tf.square(distance / blur_semitones))
  target = core.safe_divide(target, tf.reduce_sum(target, -1, keepdims=True))
  nll = -tf.reduce_sum(target * tf.nn.log_softmax(f0_logits), axis=-1,
                       keepdims=True)
  return tf.reduce_sum(nll * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)


@keras.saving.register_keras_serializable('pitchfit')
class TranscribingAutoencoder(keras.Model):
  """DDSP-inv: audio -> sinusoids -> harmonics -> sinusoids -> audio."""

  def __init__(self, config=None, **kwargs):
    kwargs.setdefault('name', 'transcribing_autoencoder')
    super().__init__(**kwargs)
    if config is None:
      config = config_lib.Config()
    elif isinstance(config, dict):
      config = config_lib.from_dict(config)
    self.config = config
    m, l = config.model, config.losses
    self.sinusoidal_encoder = encoders.SinusoidalEncoder(
        m, name='sinusoidal_encoder')
    self.harmonic_encoder = encoders.HarmonicEncoder(m, name='harmonic_encoder')
    self.sin_spectral_loss = losses_lib.SpectralLoss(
        tuple(l.sin_spectral.fft_sizes), l.sin_spectral.mag_weight,
        l.sin_spectral.logmag_weight)
    self.harm_spectral_loss = losses_lib.SpectralLoss(
        tuple(l.harm_spectral.fft_sizes), l.harm_spectral.mag_weight,
        l.harm_spectral.logmag_weight)
    self.kde_loss = losses_lib.KDEConsistencyLoss(
        l.kde.weight_a, l.kde.weight_b, l.kde.weight_mean_amp, l.kde.scale_a,
        l.kde.scale_b)
    self.harmonic_loss = losses_lib.HarmonicConsistencyLoss(
        l.harmonic.amp_weight, l.harmonic.dist_weight, l.harmonic.f0_weight,
        l.harmonic.amp_threshold)
    self.noise_loss = losses_lib.FilteredNoiseConsistencyLoss(l.noise_weight)
    self.trackers = {name: keras.metrics.Mean(name=name) for name in METRIC_NAMES}

  def get_config(self):
    return {'config': config_lib.to_dict(self.config), 'name': self.name}

  @property
  def metrics(self):
    return list(self.trackers.values())

  @property
  def n_samples(self):
    return self.config.model.n_samples

  @property
  def n_frames(self):
    return self.config.model.n_frames

  @property
  def _synthesizes_audio(self):
    l = self.config.losses
    return any([l.sin_spectral.mag_weight, l.sin_spectral.logmag_weight,
                l.harm_spectral.mag_weight, l.harm_spectral.logmag_weight])

  # ------------------------------------------------------------- forward
  def call(self, audio, training=False, synthesize=True):
    """Audio [batch, n_samples] -> dict of controls (and audio if synthesize).

    Keys: sin_freqs, sin_amps, noise_magnitudes, f0_hz, f0_logits, harm_amp,
    harm_dist, harm_freqs, harm_amps (all [b, n_frames, ...]); with
    synthesize, sin_audio and harm_audio [b, n_samples].
    """
    m = self.config.model
    outputs = dict(self.sinusoidal_encoder(audio))
    sin_freqs, sin_amps = outputs['sin_freqs'], outputs['sin_amps']
    if m.stop_gradient:
      sin_freqs, sin_amps = tf.stop_gradient(sin_freqs), tf.stop_gradient(sin_amps)
    outputs.update(self.harmonic_encoder(sin_freqs, sin_amps))
    outputs['harm_amps'], outputs['harm_freqs'] = core.harmonic_to_sinusoidal(
        outputs['harm_amp'], outputs['harm_dist'], outputs['f0_hz'],
        m.sample_rate)
    if synthesize:
      n = audio.shape[-1]
      outputs['sin_audio'] = synths.render_controls(
          outputs['sin_amps'], outputs['sin_freqs'],
          outputs['noise_magnitudes'], n, m.sample_rate)
      outputs['harm_audio'] = synths.render_controls(
          outputs['harm_amps'], outputs['harm_freqs'],
          tf.stop_gradient(outputs['noise_magnitudes']), n, m.sample_rate)
    return outputs

  def render_synthetic(self, controls, second_voice=0.0, rng=None):
    """Synthetic controls -> audio [batch, n_samples], with fresh noise.

    Args:
      controls: synthetic controls (`as_controls`).
      second_voice: fraction of the notes that get a quieter second voice in
        their audio (`second_voice`); the controls, which are the labels,
        keep the main one.
      rng: optional `tf.random.Generator` for the second voice's draws
        (reproducible evaluation); default the global generator.
    """
    sin_amps, sin_freqs = controls['sin_amps'], controls['sin_freqs']
    if second_voice:
      amps, freqs = self.second_voice(controls, second_voice, rng)
      sin_amps = tf.concat([sin_amps, amps], axis=-1)
      sin_freqs = tf.concat([sin_freqs, freqs], axis=-1)
    return synths.render_controls(
        sin_amps, sin_freqs, controls['noise_magnitudes'], self.n_samples,
        self.config.model.sample_rate)

  def second_voice(self, controls, fraction, rng=None):
    """Sinusoids of a quieter second voice for a random part of the batch.

    Timbre and loudness come from the next note of the batch (rolled by one);
    the pitch is that note's, or for half of them the main voice's moved by
    one of `SECOND_VOICE_SEMITONES`. Each frame's amplitude is at most the
    main voice's, times a per-note gain drawn from
    data.synthetic_second_voice_db, so the main voice always leads and its
    silent frames stay silent.

    Args:
      controls: synthetic controls, harm_amp and f0_hz [b, f, 1], harm_dist
        [b, f, n_harmonics].
      fraction: probability that a note has a second voice.
      rng: optional `tf.random.Generator`; default the global generator.

    Returns:
      sin_amps, sin_freqs: [b, f, n_harmonics]; all amplitudes are zero for
      the notes drawn without a second voice.
    """
    uniform = rng.uniform if rng is not None else tf.random.uniform
    main_amp, main_f0 = controls['harm_amp'], controls['f0_hz']
    other = {k: tf.roll(controls[k], 1, axis=0)
             for k in ('harm_amp', 'harm_dist', 'f0_hz')}
    shape = [tf.shape(main_amp)[0], 1, 1]
    least_db, most_db = self.config.data.synthetic_second_voice_db
    gain = core.db_to_amplitude(-uniform(shape, least_db, most_db))
    present = tf.cast(uniform(shape) < fraction, tf.float32)
    semitones = tf.gather(
        tf.constant(SECOND_VOICE_SEMITONES, tf.float32),
        uniform(shape, 0, len(SECOND_VOICE_SEMITONES), tf.int32))
    f0_hz = tf.where(uniform(shape) < 0.5,
                     main_f0 * 2.0 ** (semitones / 12.0), other['f0_hz'])
    amp = tf.minimum(other['harm_amp'], main_amp) * gain * present
    return core.harmonic_to_sinusoidal(amp, other['harm_dist'], f0_hz,
                                       self.config.model.sample_rate)

  def _at_random_level(self, controls, training):
    """Scales each example's amplitudes by a gain in [-synthetic_gain_db, 0] dB.

    Harmonic amplitude, sinusoid amplitudes and noise magnitudes are linear
    gains, so scaling them together is the same note played quieter. Only
    while training: evaluation keeps the dataset's own levels.
    """
    gain_db = self.config.data.synthetic_gain_db
    if not training or not gain_db:
      return controls
    batch = tf.shape(controls['harm_amp'])[0]
    gain = core.db_to_amplitude(
        tf.random.uniform([batch, 1, 1], -gain_db, 0.0))
    scaled = dict(controls)
    for key in ('harm_amp', 'sin_amps', 'noise_magnitudes'):
      scaled[key] = controls[key] * gain
    return scaled

  def background_noise(self, audio, fraction, rng=None):
    """Adds broadband noise to a random part of the batch.

    A room, a preamp or a tape is not tied to the note the way the
    synthesizer's filtered noise is: a stationary floor across the whole
    spectrum. Its slope is uniform in `BACKGROUND_NOISE_EXPONENTS` (white to
    brown, pink in the middle) and its level uniform in
    data.synthetic_noise_snr_db below the example's RMS.

    Args:
      audio: [b, n_samples].
      fraction: probability that an example gets noise.
      rng: optional `tf.random.Generator`; default the global generator.

    Returns:
      [b, n_samples] audio; examples drawn without noise are unchanged.
    """
    uniform = rng.uniform if rng is not None else tf.random.uniform
    batch = tf.shape(audio)[0]
    least_db, most_db = self.config.data.synthetic_noise_snr_db
    exponent = uniform([batch], *BACKGROUND_NOISE_EXPONENTS)
    snr_db = uniform([batch], least_db, most_db)
    noisy = synths.mix_at_snr(
        audio, synths.colored_noise(exponent, self.n_samples, rng), snr_db)
    present = uniform([batch, 1]) < fraction
    return tf.where(present, noisy, audio)

  def weak_low_partials(self, controls, fraction, rng=None):
    """Weakens the lowest harmonics of a random part of the batch.

    Many instruments do not lead with their fundamental (double reeds, low
    strings, some voices), and a noise floor then hides it altogether; the
    pitch is still the spacing of the partials. For each chosen note, 1 to
    `WEAK_PARTIALS_MAX` of its lowest harmonics lose up to a depth uniform in
    data.synthetic_weak_partials_db (`core.weaken_low_harmonics`). The
    harmonic distribution and sinusoid amplitudes change with the audio, so
    they stay labels of what is heard; f0 and the overall amplitude do not.

    Args:
      controls: synthetic controls (`as_controls`).
      fraction: probability that a note's low partials are weakened.
      rng: optional `tf.random.Generator`; default the global generator.

    Returns:
      controls with new harm_dist and sin_amps.
    """
    uniform = rng.uniform if rng is not None else tf.random.uniform
    batch = tf.shape(controls['harm_dist'])[0]
    least_db, most_db = self.config.data.synthetic_weak_partials_db
    n_weak = uniform([batch], 1, WEAK_PARTIALS_MAX + 1, tf.int32)
    n_weak *= tf.cast(uniform([batch]) < fraction, tf.int32)
    depth_db = uniform([batch], least_db, most_db)
    return self.with_harmonic_distribution(
        controls, core.weaken_low_harmonics(controls['harm_dist'], n_weak,
                                            depth_db))

  def with_harmonic_distribution(self, controls, harm_dist):
    """controls with harm_dist (renormalized) and the sin_amps it makes."""
    sin_amps, _ = core.harmonic_to_sinusoidal(
        controls['harm_amp'], harm_dist, controls['f0_hz'],
        self.config.model.sample_rate)
    changed = dict(controls)
    changed['harm_dist'] = core.normalize_harmonic_distribution(
        harm_dist, controls['f0_hz'], self.config.model.sample_rate)
    changed['sin_amps'] = sin_amps
    return changed

  def _synthetic_notes(self, batch, training):
    """Controls and audio [b, n_samples] of a synthetic batch.

    While training, the notes are played at random levels, some with weak
    low partials, some with a second voice and some with background noise
    (data config); evaluation renders them as they are.
    """
    controls = self._at_random_level(as_controls(batch), training)
    if not training:
      return controls, self.render_synthetic(controls)
    data = self.config.data
    if data.synthetic_weak_partials:
      controls = self.weak_low_partials(controls, data.synthetic_weak_partials)
    audio = self.render_synthetic(controls, data.synthetic_second_voice)
    if data.synthetic_noise:
      audio = self.background_noise(audio, data.synthetic_noise)
    return controls, audio

  # -------------------------------------------------------------- losses
  def unsupervised_losses(self, audio, outputs):
    """Losses that need no labels: reconstruction and sin->harm consistency."""
    l = self.config.losses
    result = {}
    if l.sin_spectral.mag_weight or l.sin_spectral.logmag_weight:
      result['sin_spectral_loss'] = self.sin_spectral_loss(
          audio, outputs['sin_audio'])
    if l.harm_spectral.mag_weight or l.harm_spectral.logmag_weight:
      result['harm_spectral_loss'] = self.harm_spectral_loss(
          audio, outputs['harm_audio'])
    if l.kde.unsupervised_weight:
      # Teaches the harmonic encoder to explain the (fixed) sinusoids.
      result['kde_consistency_loss'] = l.kde.unsupervised_weight * self.kde_loss(
          tf.stop_gradient(outputs['sin_amps']),
          tf.stop_gradient(outputs['sin_freqs']),
          outputs['harm_amps'], outputs['harm_freqs'])
    return result

  def self_supervised_losses(self, controls, outputs):
    """Parameter losses against the known controls of synthetic notes."""
    l, m = self.config.losses, self.config.model
    result = {
        'ss_kde_consistency_loss': self.kde_loss(
            outputs['sin_amps'], outputs['sin_freqs'],
            controls['sin_amps'], controls['sin_freqs']),
        'ss_filtered_noise_consistency_loss': self.noise_loss(
            outputs['noise_magnitudes'], controls['noise_magnitudes']),
    }
    harmonic = self.harmonic_loss(
        outputs['harm_amp'], outputs['harm_dist'], outputs['f0_hz'],
        controls['harm_amp'], controls['harm_dist'], controls['f0_hz'])
    result.update({'ss_' + k: v for k, v in harmonic.items()})
    if l.harmonic.f0_bins_weight:
      mask = tf.cast(controls['harm_amp'] >= l.harmonic.amp_threshold,
                     tf.float32)
      result['ss_f0_bins_loss'] = l.harmonic.f0_bins_weight * (
          f0_bins_cross_entropy(outputs['f0_logits'], controls['f0_hz'], mask,
                                m.f0_hz_min, m.f0_hz_max))
    return result

  def synthetic_pitch_accuracy(self, controls, outputs):
    voiced = controls['harm_amp'][..., 0] >= self.config.losses.harmonic.amp_threshold
    return pitch_accuracy(outputs['f0_hz'][..., 0], controls['f0_hz'][..., 0],
                          voiced)

  def labelled_pitch_accuracy(self, batch, outputs):
    """RPA/RCA against a real batch's f0 labels, read at the model's frames."""
    labels = batch['f0_hz']
    n_frames = outputs['f0_hz'].shape[1]
    step = labels.shape[1] // n_frames  # label frames per model frame
    true_f0 = labels[:, ::step][:, :n_frames]
    return pitch_accuracy(outputs['f0_hz'][..., 0], true_f0, true_f0 > 0.0)

  # ----------------------------------------------------------- the steps
  def step_losses(self, data, training):
    """Returns ({name: scalar}, {metric: scalar}) for any kind of batch."""
    metrics = {}
    synthesize = self._synthesizes_audio
    if isinstance(data, (tuple, list)):  # finetuning: (real, synthetic)
      real, synthetic = data
      controls, synthetic_audio = self._synthetic_notes(synthetic, training)
      real_audio = real['audio']
      n_real = tf.shape(real_audio)[0]
      audio = tf.concat([real_audio, synthetic_audio], axis=0)
      outputs = self(audio, training=training, synthesize=synthesize)
      real_out = {k: v[:n_real] for k, v in outputs.items()}
      synth_out = {k: v[n_real:] for k, v in outputs.items()}
      losses = self.unsupervised_losses(real_audio, real_out)
      losses.update(self.self_supervised_losses(controls, synth_out))
      metrics['f0_rpa'], metrics['f0_rca'] = self.synthetic_pitch_accuracy(
          controls, synth_out)
    elif 'sin_amps' in data:  # pretraining on synthetic notes
      controls, audio = self._synthetic_notes(data, training)
      outputs = self(audio, training=training, synthesize=synthesize)
      losses = self.unsupervised_losses(audio, outputs)
      losses.update(self.self_supervised_losses(controls, outputs))
      metrics['f0_rpa'], metrics['f0_rca'] = self.synthetic_pitch_accuracy(
          controls, outputs)
    else:  # real audio only
      outputs = self(data['audio'], training=training, synthesize=synthesize)
      losses = self.unsupervised_losses(data['audio'], outputs)
      if 'f0_hz' in data:
        metrics['f0_rpa'], metrics['f0_rca'] = self.labelled_pitch_accuracy(
            data, outputs)
    return losses, metrics

  def _report(self, losses, total, metrics):
    values = dict(losses, total_loss=total, **metrics)
    for name, value in values.items():
      self.trackers[name].update_state(value)
    return {name: self.trackers[name].result() for name in values}

  def train_step(self, data):
    with tf.GradientTape() as tape:
      losses, metrics = self.step_losses(data, training=True)
      total = tf.add_n(list(losses.values()))
      # Gradients are summed over replicas by the optimizer: average instead.
      scaled = total / tf.distribute.get_strategy().num_replicas_in_sync
    gradients = tape.gradient(scaled, self.trainable_variables)
    self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
    return self._report(losses, total, metrics)

  def test_step(self, data):
    losses, metrics = self.step_losses(data, training=False)
    total = tf.add_n(list(losses.values())) if losses else tf.constant(0.0)
    return self._report(losses, total, metrics)


def as_controls(batch):
  """Synthetic batch (tensors or arrays) -> controls with [b, f, 1] shaped f0
  and amplitude, as tensors."""
  controls = {k: tf.convert_to_tensor(batch[k]) for k in CONTROL_KEYS}
  for key in ('f0_hz', 'harm_amp'):
    if controls[key].shape.rank == 2:
      controls[key] = controls[key][..., tf.newaxis]
  return controls
