"""The second tracking pass is on by default only for models with long frames."""

import types

import pytest

from pitchfit.track import streaming


@pytest.mark.parametrize('hop, half_hop, expected', [
    (512, None, True),     # 32-ms frames: the second pass halves them
    (160, None, False),    # 10-ms frames: one pass is the output rate
    (256, None, False),    # 16 ms: at the limit, one pass
    (160, True, True), (512, False, False),   # asked for explicitly
])
def test_uses_half_hop_by_the_models_frame(hop, half_hop, expected):
  model = types.SimpleNamespace(hop_size=hop, sample_rate=16000)
  assert streaming.uses_half_hop(model, half_hop) is expected
