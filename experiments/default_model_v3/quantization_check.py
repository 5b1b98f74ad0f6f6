"""Float against dynamic-range-quantised LiteRT conversion of a model: f0 differences in cents.

  python experiments/default_model_v3/quantization_check.py MODEL.npz

On 48 one-second windows of the selection melodies (measured on version 2:
median 2.5 cents, 90th percentile 8.4, 0.9 % of frames over 50 cents).
"""
import glob
import os
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)
from pitchfit.quiet import import_tensorflow
tf = import_tensorflow()
from pitchfit.track import export, pitch_model as pm_lib
from pitchfit.io import audio as audio_io
from ai_edge_litert.interpreter import Interpreter
pm = pm_lib.PitchModel.load(sys.argv[1])
fn = export.tracking_function(pm, 4)
conc = fn.get_concrete_function()
files = sorted(glob.glob('/work/data/selection_melodies/*.wav'))[:12]
wins = []
for f in files:
  a = audio_io.load_audio(f)
  for s in range(0, len(a) - 16000, 40000):
    wins.append(a[s:s+16000])
wins = np.stack(wins[:48]).astype(np.float32)
outs = {}
for name, opt in [('float', None), ('dynamic', 'dyn')]:
  conv = tf.lite.TFLiteConverter.from_concrete_functions([conc], fn)
  if opt: conv.optimizations = [tf.lite.Optimize.DEFAULT]
  data = conv.convert()
  it = Interpreter(model_content=data, num_threads=1); it.allocate_tensors()
  idx = it.get_input_details()[0]['index']
  res = []
  for i in range(0, len(wins), 4):
    it.set_tensor(idx, wins[i:i+4]); it.invoke()
    d = it.get_output_details()
    res.append([it.get_tensor(x['index']).copy() for x in d])
  outs[name] = [np.concatenate([r[j] for r in res]) for j in range(len(res[0]))]
  print(name, [o.shape for o in outs[name]])
for j, (a, b) in enumerate(zip(outs['float'], outs['dynamic'])):
  if a.shape[-1] == 1:
    c = 1200 * np.abs(np.log2(np.maximum(a, 1e-3) / np.maximum(b, 1e-3))).ravel()
    print(j, 'f0 cents: median', np.median(c), 'p90', np.percentile(c, 90), 'p99', np.percentile(c, 99), '>50c', np.mean(c > 50))
  else:
    print(j, 'max rel', np.max(np.abs(a - b)) / np.max(np.abs(a)))
