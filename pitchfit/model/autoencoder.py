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
from pitchfit.dsp import core
from pitchfit.model import consistency
from pitchfit.model import encoders
from pitchfit.model import harmonic_cnn
from pitchfit.model import losses as losses_lib
from pitchfit.dsp import synths
from pitchfit.notes import augment

LOSS_NAMES = (
    'sin_spectral_loss', 'harm_spectral_loss', 'kde_consistency_loss',
    'ss_kde_consistency_loss', 'ss_filtered_noise_consistency_loss',
    'ss_harm_amp_loss', 'ss_harm_dist_loss', 'ss_f0_hz_loss',
    'ss_f0_bins_loss') + consistency.LOSS_NAMES
METRIC_NAMES = ('total_loss',) + LOSS_NAMES + ('f0_rpa', 'f0_rca')

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

  Beyond the paper (see experiments/cpu_stages/pretrain.yaml): a classification signal
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
    if m.encoder == 'harmonic_cnn':
      self.sinusoidal_encoder = harmonic_cnn.LogFrequencySinusoidalEncoder(
          m, name='sinusoidal_encoder')
      self.harmonic_encoder = harmonic_cnn.LogFrequencyHarmonicEncoder(
          m, name='harmonic_encoder')
    else:
      self.sinusoidal_encoder = encoders.SinusoidalEncoder(
          m, name='sinusoidal_encoder')
      self.harmonic_encoder = encoders.HarmonicEncoder(
          m, name='harmonic_encoder')
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
        l.harmonic.amp_threshold, l.harmonic.amp_db_weight)
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
    outputs = self._transcribe(dict(self.sinusoidal_encoder(audio)))
    if synthesize:
      n = audio.shape[-1]
      amps, freqs = self.loudest_sinusoids(outputs)
      outputs['sin_audio'] = synths.render_controls(
          amps, freqs, outputs['noise_magnitudes'], n, m.sample_rate)
      outputs['harm_audio'] = synths.render_controls(
          outputs['harm_amps'], outputs['harm_freqs'],
          tf.stop_gradient(outputs['noise_magnitudes']), n, m.sample_rate)
    return outputs

  def _transcribe(self, outputs):
    """Adds the harmonic encoder's outputs to the sinusoidal encoder's."""
    m = self.config.model
    sin_freqs, sin_amps = outputs['sin_freqs'], outputs['sin_amps']
    if m.stop_gradient:
      sin_freqs, sin_amps = tf.stop_gradient(sin_freqs), tf.stop_gradient(sin_amps)
    periodicity = outputs.pop('periodicity', None)
    if periodicity is None:
      outputs.update(self.harmonic_encoder(sin_freqs, sin_amps))
    else:  # only the log-frequency encoders make it
      outputs.update(self.harmonic_encoder(sin_freqs, sin_amps, periodicity))
    outputs['harm_amps'], outputs['harm_freqs'] = core.harmonic_to_sinusoidal(
        outputs['harm_amp'], outputs['harm_dist'], outputs['f0_hz'],
        m.sample_rate)
    return outputs

  def track_from_magnitudes(self, magnitudes):
    """`call(audio, synthesize=False)` from the audio's STFT magnitudes.

    The log-frequency encoders only: magnitudes is
    `sinusoidal_encoder.stft_magnitudes(audio)`'s list, one
    [b, f, fft_size // 2 + 1] per model.spectrum_fft_sizes. The LiteRT
    export starts here; its runtime computes the magnitudes in NumPy
    (pitchfit.dsp.numpy_stft).
    """
    return self._transcribe(dict(
        self.sinusoidal_encoder.from_magnitudes(magnitudes)))

  def loudest_sinusoids(self, outputs):
    """(sin_amps, sin_freqs) limited to the n_sinusoids loudest per frame.

    The log-frequency encoder has a sinusoid on every grid bin, nearly all
    of them silent; resynthesis and the set-to-set KDE need only the loud
    ones, at a fraction of the cost. The ResNet's come as they are.
    """
    amps, freqs = outputs['sin_amps'], outputs['sin_freqs']
    k = self.config.model.n_sinusoids
    if amps.shape[-1] <= k:
      return amps, freqs
    amps, index = tf.math.top_k(amps, k)
    return amps, tf.gather(freqs, index, batch_dims=2)

  def render_synthetic(self, controls, second_voice=0.0, rng=None):
    """Synthetic controls -> audio [batch, n_samples] (`augment.render`)."""
    return augment.render(controls, self.n_samples, self.config.model.sample_rate,
                          second_voice, self.config.data.synthetic_second_voice_db,
                          rng)

  def _synthetic_notes(self, batch, training):
    """Controls and audio [b, n_samples] of a synthetic batch.

    While training, the notes get the data config's augmentations
    (`augment.training_notes`); evaluation renders them as they are.
    """
    if not training:
      controls = augment.as_controls(batch)
      return controls, self.render_synthetic(controls)
    return augment.training_notes(batch, self.config.data, self.n_samples,
                                  self.config.model.sample_rate)

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
      sin_amps, sin_freqs = self.loudest_sinusoids(outputs)
      result['kde_consistency_loss'] = l.kde.unsupervised_weight * self.kde_loss(
          tf.stop_gradient(sin_amps), tf.stop_gradient(sin_freqs),
          outputs['harm_amps'], outputs['harm_freqs'])
    return result

  def self_supervised_losses(self, controls, outputs):
    """Parameter losses against the known controls of synthetic notes."""
    l, m = self.config.losses, self.config.model
    result = {
        'ss_kde_consistency_loss': (
            harmonic_cnn.grid_sinusoid_loss(
                outputs['sin_amps'], outputs['sin_freqs'],
                controls['sin_amps'], controls['sin_freqs'], m)
            if m.encoder == 'harmonic_cnn' else self.kde_loss(
                outputs['sin_amps'], outputs['sin_freqs'],
                controls['sin_amps'], controls['sin_freqs'])),
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
                                m.f0_hz_min, m.f0_hz_max,
                                l.harmonic.f0_bins_blur_semitones))
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
    losses.update(consistency.real_losses(self, data, outputs, training))
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


