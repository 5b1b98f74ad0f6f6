"""Network building blocks: example-level norm, bottleneck ResNet, dense/GRU sandwich.

Layouts: 2-D features are `[batch, time, frequency, channels]`; strides act
on frequency only, so every output frame stays aligned with its input frame.
"""

import keras
from keras import layers
from keras import ops

# Layers that start at zero so that adding them to a trained model leaves its
# function unchanged: `train.restore_from` may load a checkpoint without them.
ZERO_INIT_LAYERS = ('second_stem',)


class Normalize(layers.Layer):
  """Per-example normalization over time, frequency and channels jointly.

  The paper's ResNet norm: one mean and variance per example (spanning the
  whole window), then a learned per-channel scale and shift.
  """

  def __init__(self, epsilon=1e-5, **kwargs):
    super().__init__(**kwargs)
    self.epsilon = epsilon

  def build(self, input_shape):
    channels = input_shape[-1]
    self.scale = self.add_weight(shape=(channels,), initializer='ones',
                                 name='scale')
    self.shift = self.add_weight(shape=(channels,), initializer='zeros',
                                 name='shift')

  def call(self, x):
    mean, variance = ops.moments(x, axes=[1, 2, 3], keepdims=True)
    x = (x - mean) * ops.rsqrt(variance + self.epsilon)
    return x * self.scale + self.shift


class BottleneckBlock(layers.Layer):
  """Pre-activation bottleneck residual block (1x1 -> 3x3 -> 1x1, 4x widening)."""

  def __init__(self, channels, stride=1, project_shortcut=False, **kwargs):
    super().__init__(**kwargs)
    self.norm_in = Normalize(name='norm_in')
    self.shortcut = (layers.Conv2D(4 * channels, 1, strides=(1, stride),
                                   name='shortcut')
                     if project_shortcut else None)
    self.conv_1 = layers.Conv2D(channels, 1, name='conv_1')
    self.norm_1 = Normalize(name='norm_1')
    self.conv_2 = layers.Conv2D(channels, 3, strides=(1, stride),
                                padding='same', name='conv_2')
    self.norm_2 = Normalize(name='norm_2')
    self.conv_3 = layers.Conv2D(4 * channels, 1, name='conv_3')

  def call(self, x):
    y = ops.relu(self.norm_in(x))
    shortcut = self.shortcut(y) if self.shortcut is not None else x
    y = self.conv_1(y)
    y = self.conv_2(ops.relu(self.norm_1(y)))
    y = self.conv_3(ops.relu(self.norm_2(y)))
    return y + shortcut


class ResNet(layers.Layer):
  """2-D ResNet over a spectrogram that downsamples frequency only.

  Stem conv 7x7 (frequency stride 2) and max-pool (stride 2), then stacks of
  bottleneck blocks; the first block of a stack projects and strides.

  Input [batch, time, freq, 1] -> [batch, time, freq', 4 * channels[-1]].
  With `second_input`, call(x, x2) also takes a second spectrogram of x's
  shape through its own stem conv, zero-initialised, and sums the two stems.
  """

  def __init__(self, stem_channels, stack_channels, stack_blocks,
               stack_strides, second_input=False, **kwargs):
    super().__init__(**kwargs)
    self.stem = layers.Conv2D(stem_channels, 7, strides=(1, 2), padding='same',
                              name='stem')
    # Zeros (and no bias): adding this input leaves a trained network's
    # function unchanged until training gives it weight.
    self.second_stem = (
        layers.Conv2D(stem_channels, 7, strides=(1, 2), padding='same',
                      use_bias=False, kernel_initializer='zeros',
                      name='second_stem')
        if second_input else None)
    self.pool = layers.MaxPooling2D((1, 3), strides=(1, 2), padding='same',
                                    name='pool')
    self.blocks = []
    for i, (channels, n_blocks, stride) in enumerate(
        zip(stack_channels, stack_blocks, stack_strides)):
      for j in range(n_blocks):
        self.blocks.append(BottleneckBlock(
            channels, stride=stride if j == 0 else 1, project_shortcut=(j == 0),
            name=f'stack_{i}_block_{j}'))
    self.norm_out = Normalize(name='norm_out')

  def call(self, x, x2=None):
    x = self.stem(x)
    if self.second_stem is not None:
      x = x + self.second_stem(x2)
    x = self.pool(x)
    for block in self.blocks:
      x = block(x)
    return ops.relu(self.norm_out(x))


class FrameDense(layers.Dense):
  """Dense over the last axis of `[..., features]`, as one einsum.

  The same layer, weights and weight names as keras.layers.Dense. Keras
  multiplies inputs of rank 3 or more by tensordot, which reshapes through
  the input's run-time shape; in a LiteRT export with a free time axis those
  shapes are unknown until each call, so LiteRT allocates every later tensor
  at each call instead of planning them once. An einsum converts to a fully
  connected op whose shapes follow from the input's.
  """

  def call(self, inputs, training=None):
    x = ops.einsum('...i,io->...o', inputs, self.kernel)
    if self.bias is not None:
      x = x + self.bias
    if self.activation is not None:
      x = self.activation(x)
    return x


class FcStack(layers.Layer):
  """Dense -> LayerNorm -> leaky ReLU, n_layers times (per frame)."""

  def __init__(self, units, n_layers, **kwargs):
    super().__init__(**kwargs)
    self.dense_layers = [layers.Dense(units, name=f'dense_{i}')
                         for i in range(n_layers)]
    self.norms = [layers.LayerNormalization(name=f'norm_{i}')
                  for i in range(n_layers)]

  def call(self, x):
    for dense, norm in zip(self.dense_layers, self.norms):
      x = ops.leaky_relu(norm(dense(x)))
    return x


class RnnSandwich(layers.Layer):
  """FcStack -> unidirectional GRU -> FcStack over [batch, time, channels]."""

  def __init__(self, fc_units, fc_layers, rnn_units, **kwargs):
    super().__init__(**kwargs)
    self.fc_in = FcStack(fc_units, fc_layers, name='fc_in')
    self.rnn = layers.GRU(rnn_units, return_sequences=True, name='gru')
    self.fc_out = FcStack(fc_units, fc_layers, name='fc_out')

  def call(self, x):
    return self.fc_out(self.rnn(self.fc_in(x)))


def count_params(layer):
  return int(sum(keras.ops.size(v) for v in layer.weights))
