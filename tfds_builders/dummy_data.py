"""Writes files in each dataset's official layout and formats, from tone scores.

Used by the label-alignment tests (into temporary folders) and to regenerate
the committed `dummy_data/` folders of the builders:

  python -m tfds_builders.dummy_data

Each writer renders a `tone_fixtures` score as audio at the dataset's own
sample rate and its labels on the dataset's own grid, following the timing
convention the builder documents (e.g. MIR-1K frame k at (k + 1) * 20 ms).
"""

import pathlib

import numpy as np
import soundfile

from tfds_builders import tone_fixtures

HERE = pathlib.Path(__file__).parent

MDB_RATE = 44100
MDB_LABEL_HOP_S = 128 / MDB_RATE
MIR1K_RATE = 16000
MIR1K_FRAME, MIR1K_HOP = 640, 320  # samples: 40-ms label frames every 20 ms
URMP_RATE = 48000
URMP_LABEL_HOP_S = 0.01  # our choice for test files; the builder reads any grid


def _frames_covering(duration_s, hop_s):
  """Times k * hop_s, k = 0.., up to the end of the audio."""
  return np.arange(int(np.ceil(duration_s / hop_s - 1e-9))) * hop_s


def write_mdb_stem(root, name, score):
  """`root/audio_stems/<name>.RESYN.wav` (44.1 kHz PCM16 mono) and its CSV.

  The CSV has no header, rows `time_s,f0_hz` every 128 samples from t = 0,
  0 = unvoiced, as in the Zenodo release.
  """
  root = pathlib.Path(root)
  for sub in ('audio_stems', 'annotation_stems'):
    (root / sub).mkdir(parents=True, exist_ok=True)
  soundfile.write(root / 'audio_stems' / f'{name}.RESYN.wav',
                  tone_fixtures.render(score, MDB_RATE), MDB_RATE, subtype='PCM_16')
  times = _frames_covering(score[-1][0], MDB_LABEL_HOP_S)
  rows = np.stack([times, tone_fixtures.f0_at(score, times)], axis=1)
  np.savetxt(root / 'annotation_stems' / f'{name}.RESYN.csv', rows, fmt='%.6f',
             delimiter=',')


def write_mir1k_clip(root, clip, score, accompaniment_hz=600.0):
  """`root/Wavfile/<clip>.wav` (16 kHz PCM16 stereo) and `root/PitchLabel/<clip>.pv`.

  Left channel: accompaniment (a steady tone at `accompaniment_hz`); right
  channel: the voice following `score`. The .pv file has one value per line
  (MIDI semitones, 0 = unvoiced) for each 40-ms frame every 20 ms; frame k
  describes the frame centred at (k + 1) * 20 ms.
  """
  root = pathlib.Path(root)
  for sub in ('Wavfile', 'PitchLabel'):
    (root / sub).mkdir(parents=True, exist_ok=True)
  voice = tone_fixtures.render(score, MIR1K_RATE)
  accompaniment = tone_fixtures.render([(score[-1][0], accompaniment_hz)], MIR1K_RATE)
  soundfile.write(root / 'Wavfile' / f'{clip}.wav', np.stack([accompaniment, voice], 1),
                  MIR1K_RATE, subtype='PCM_16')
  n_frames = (len(voice) - MIR1K_FRAME) // MIR1K_HOP + 1
  centres = (np.arange(n_frames) + 1) * MIR1K_HOP / MIR1K_RATE
  f0 = tone_fixtures.f0_at(score, centres)
  semitones = np.where(f0 > 0, 69 + 12 * np.log2(np.maximum(f0, 1e-9) / 440), 0)
  lines = [f'{s:.4f} \n' if s > 0 else '0 \n' for s in semitones]
  (root / 'PitchLabel' / f'{clip}.pv').write_text(''.join(lines))


def write_urmp_track(root, piece_folder, index, instrument, score):
  """`AuSep_<k>_<inst>_<NN>_<Piece>.wav` (48 kHz PCM16 mono) and its `F0s_...txt`.

  The F0s file has tab-separated rows `time_s<TAB>f0_hz` (0 = unvoiced).
  """
  folder = pathlib.Path(root) / piece_folder
  folder.mkdir(parents=True, exist_ok=True)
  suffix = f'{index}_{instrument}_' + '_'.join(piece_folder.split('_')[:2])
  soundfile.write(folder / f'AuSep_{suffix}.wav', tone_fixtures.render(score, URMP_RATE),
                  URMP_RATE, subtype='PCM_16')
  times = _frames_covering(score[-1][0], URMP_LABEL_HOP_S)
  rows = np.stack([times, tone_fixtures.f0_at(score, times)], axis=1)
  np.savetxt(folder / f'F0s_{suffix}.txt', rows, fmt='%.7f', delimiter='\t')


def write_folder_file(path, score, sample_rate=22050, label_hop_s=0.01, labels=True):
  """Any audio file (format from the suffix) and, if `labels`, `<stem>.f0.csv`.

  The CSV has the header `time_s,f0_hz` and a row every `label_hop_s` s.
  """
  path = pathlib.Path(path)
  path.parent.mkdir(parents=True, exist_ok=True)
  soundfile.write(path, tone_fixtures.render(score, sample_rate), sample_rate)
  if labels:
    times = _frames_covering(score[-1][0], label_hop_s)
    rows = np.stack([times, tone_fixtures.f0_at(score, times)], axis=1)
    np.savetxt(path.with_name(path.name.rsplit('.', 1)[0] + '.f0.csv'), rows,
               fmt='%.6f', delimiter=',', header='time_s,f0_hz', comments='')


def _score(f0_hz, seconds=1.0):
  """A short dummy score: f0, a fifth above, a gap, f0 again."""
  return [(0.35 * seconds, f0_hz), (0.6 * seconds, f0_hz * 1.5),
          (0.75 * seconds, 0.0), (seconds, f0_hz)]


def write_all_dummy_data():
  """Regenerates tfds_builders/*/dummy_data (one 1-s file per track: 1 example)."""
  mdb = HERE / 'mdb_stem_synth' / 'dummy_data' / 'MDB-stem-synth'
  for i, (name, f0) in enumerate([('ToneBand_Alpha_STEM_01', 220.0),
                                  ('ToneBand_Beta_STEM_03', 247.0),
                                  ('ToneBand_Gamma_STEM_01', 196.0),
                                  ('ToneBand_Gamma_STEM_02', 294.0)]):
    write_mdb_stem(mdb, name, _score(f0))
  mir = HERE / 'mir1k' / 'dummy_data' / 'MIR-1K'
  for clip, f0 in [('bobon_1_01', 180.0), ('amy_2_01', 330.0), ('abjones_1_01', 200.0),
                   ('abjones_1_02', 220.0)]:
    write_mir1k_clip(mir, clip, _score(f0), accompaniment_hz=f0 * 2.7)
  urmp = HERE / 'urmp' / 'dummy_data' / 'URMP' / 'Dataset'
  for folder, index, inst, f0 in [('01_Jupiter_vn_vc', 1, 'vn', 440.0),
                                  ('01_Jupiter_vn_vc', 2, 'vc', 131.0),
                                  ('03_Dance_fl_cl', 1, 'fl', 523.0),
                                  ('02_Sonata_vn_vn', 2, 'vn', 392.0)]:
    write_urmp_track(urmp, folder, index, inst, _score(f0))
  folder = HERE / 'audio_folder' / 'dummy_data'
  write_folder_file(folder / 'scale.wav', _score(262.0))
  write_folder_file(folder / 'hum.flac', _score(150.0), labels=False)
  write_folder_file(folder / 'session2' / 'melody.ogg', _score(349.0))
  write_folder_file(folder / 'session2' / 'sing.mp3', _score(233.0), sample_rate=16000,
                    labels=False)
  (folder / 'broken.wav').write_bytes(b'RIFF\x24\x00\x00\x00WAVEfmt not really audio')
  (folder / 'README.txt').write_text('Not audio: ignored by audio_folder.\n')


def build_and_load(builder_class, manual_dir, data_dir, split='all', config=None):
  """Builds `builder_class` from `manual_dir` into `data_dir`; returns split as numpy.

  Returns:
    (builder, example dicts of numpy values sorted by (track_id, start_s)).
  """
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  builder = builder_class(data_dir=str(data_dir), config=config)
  builder.download_and_prepare(download_config=tfds.download.DownloadConfig(
      manual_dir=str(manual_dir)))
  examples = tfds.as_numpy(builder.as_dataset(split=split, shuffle_files=False))
  # TFDS stores examples in an order shuffled by key: restore the file order.
  return builder, sorted(examples, key=lambda e: (e['track_id'], e['start_s']))


if __name__ == '__main__':
  write_all_dummy_data()
