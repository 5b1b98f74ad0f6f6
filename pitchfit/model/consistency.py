"""Transposition consistency: a pitch loss on unlabelled audio (after PESTO).

Play a recording `k` semitones higher (resample it by r = 2 ** (k / 12)) and
its f0 must be r times higher at the corresponding time. Neither estimate is
known, so each pass is the other's target, with the gradient stopped on the
target (as the paper stops it between its encoders): the model is asked to
agree with itself across transpositions of the sound it is adapting to,
which no timbre of the synthetic notes has to be present for.

Time: the shifted audio is y(t) = x(r t) from the same start, so frame j of
y (time j * hop) hears what frame r * j of x heard. Targets are read from
the other pass by linear interpolation of log f0 between frames.

Batches opt in: a real batch (a dict, or the first of a `(real, synthetic)`
pair) that carries `shifted_audio` [b, n_samples] and `shift_semitones` [b]
gets the loss when the model's `transposition_weight` attribute is set
(pitchfit.train.adapt sets both). Anything else gets no new loss.
"""

import tensorflow as tf

from pitchfit.dsp import core

LOSS_NAMES = ('transposition_loss',)
# Frames quieter than this below the window's loudest frame, or than
# SILENCE_DBFS, carry no pitch worth agreeing on.
RELATIVE_FLOOR_DB = 40.0
SILENCE_DBFS = -70.0
PEAK_RADIUS_BINS = 4


def frame_rms(audio, hop, n_frames):
  """RMS [b, n_frames] of 2-hop windows centred on each frame (frame k at k*hop)."""
  padded = tf.pad(audio, [[0, 0], [hop, hop]])
  frames = tf.signal.frame(padded, 2 * hop, hop)[:, :n_frames]
  return tf.sqrt(tf.reduce_mean(tf.square(frames), axis=-1) + 1e-12)


def loud_frames(audio, hop, n_frames):
  """1.0 where a frame is within RELATIVE_FLOOR_DB of the window's loudest
  and above SILENCE_DBFS, else 0.0: [b, n_frames]."""
  rms = frame_rms(audio, hop, n_frames)
  floor = tf.reduce_max(rms, axis=1, keepdims=True) * 10.0 ** (
      -RELATIVE_FLOOR_DB / 20.0)
  return tf.cast((rms >= floor) & (rms >= 10.0 ** (SILENCE_DBFS / 20.0)),
                 tf.float32)


def read_at(values, positions):
  """values [b, f] read at fractional frame positions [b, f] (linear).

  Returns (read [b, f], valid [b, f] 1.0 where 0 <= position <= f - 1).
  """
  n = tf.shape(values)[1]
  last = tf.cast(n - 1, positions.dtype)
  valid = tf.cast((positions >= 0.0) & (positions <= last), tf.float32)
  p = tf.clip_by_value(positions, 0.0, last)
  i0 = tf.cast(tf.floor(p), tf.int32)
  i1 = tf.minimum(i0 + 1, n - 1)
  w = p - tf.cast(i0, p.dtype)
  v0 = tf.gather(values, i0, batch_dims=1)
  v1 = tf.gather(values, i1, batch_dims=1)
  return v0 * (1.0 - w) + v1 * w, valid


def peak_f0_and_confidence(f0_logits, model_config):
  """Target pitch (MIDI) and its weight from a pass, both without gradient.

  The f0 is read around the softmax's peak (the tracker's readout, which
  stays on the stronger of two octave modes); the weight is the
  probability mass within PEAK_RADIUS_BINS of the peak: [b, f] each.
  """
  c = model_config
  logits = tf.stop_gradient(f0_logits)
  f0_hz = core.frequencies_around_peak(logits, c.f0_bins, c.f0_hz_min,
                                       c.f0_hz_max, PEAK_RADIUS_BINS)[..., 0]
  probs = tf.nn.softmax(logits, axis=-1)
  peak = tf.argmax(probs, axis=-1, output_type=tf.int32)
  bins = tf.range(c.f0_bins)[tf.newaxis, tf.newaxis, :]
  near = tf.abs(bins - peak[..., tf.newaxis]) <= PEAK_RADIUS_BINS
  confidence = tf.reduce_sum(tf.where(near, probs, 0.0), axis=-1)
  return core.hz_to_midi(f0_hz), confidence


def transposition_loss(logits_x, logits_y, shift_semitones, loud_x, loud_y,
                       model_config):
  """Symmetric cross-entropy of each pass against the other's shifted pitch.

  Args:
    logits_x, logits_y: f0 logits [b, f, f0_bins] of the audio and of its
      transposition by shift_semitones [b].
    loud_x, loud_y: [b, f] frame weights of each input (loud_frames).
  Returns:
    scalar, mean over both directions.
  """
  # Imported here: the model module imports this one.
  from pitchfit.model.autoencoder import f0_bins_cross_entropy  # pylint: disable=g-import-not-at-top
  c = model_config
  midi_x, conf_x = peak_f0_and_confidence(logits_x, c)
  midi_y, conf_y = peak_f0_and_confidence(logits_y, c)
  ratio = tf.pow(2.0, shift_semitones / 12.0)[:, tf.newaxis]          # [b, 1]
  frames = tf.cast(tf.range(tf.shape(midi_x)[1]), tf.float32)[tf.newaxis]
  k = shift_semitones[:, tf.newaxis]
  midi_lo, midi_hi = core.hz_to_midi(c.f0_hz_min), core.hz_to_midi(c.f0_hz_max)

  def direction(logits, own_loud, other_midi, other_conf, other_loud,
                positions, offset):
    target, valid = read_at(other_midi, positions)
    weight, _ = read_at(other_conf * other_loud, positions)
    target = target + offset
    in_range = tf.cast((target > midi_lo) & (target < midi_hi), tf.float32)
    mask = (valid * in_range * own_loud * weight)[..., tf.newaxis]
    return f0_bins_cross_entropy(logits, core.midi_to_hz(target)[..., tf.newaxis],
                                 mask, c.f0_hz_min, c.f0_hz_max)

  # y's frame j <- x at r * j, k semitones up; x's frame i <- y at i / r.
  to_y = direction(logits_y, loud_y, midi_x, conf_x, loud_x, ratio * frames, k)
  to_x = direction(logits_x, loud_x, midi_y, conf_y, loud_y, frames / ratio, -k)
  return 0.5 * (to_y + to_x)


def real_losses(model, data, outputs, training):
  """{'transposition_loss': scalar} for a batch that opts in, else {}.

  Args:
    model: the TranscribingAutoencoder (its `transposition_weight`, if set,
      weighs the loss; unset or 0 means none).
    data: the step's batch (dict, or a (real, synthetic) pair).
    outputs: the step's forward pass over the batch (real rows first).
  """
  weight = getattr(model, 'transposition_weight', 0.0)
  real = data[0] if isinstance(data, (tuple, list)) else data
  if not weight or 'shifted_audio' not in real:
    return {}
  m = model.config.model
  n_real = tf.shape(real['audio'])[0]
  n_frames = outputs['f0_logits'].shape[1]
  shifted = model(real['shifted_audio'], training=training, synthesize=False)
  loss = transposition_loss(
      outputs['f0_logits'][:n_real], shifted['f0_logits'],
      tf.cast(real['shift_semitones'], tf.float32),
      loud_frames(real['audio'], m.hop_size, n_frames),
      loud_frames(real['shifted_audio'], m.hop_size, n_frames), m)
  return {'transposition_loss': weight * loss}
