"""MDB-stem-synth: 230 MedleyDB solo stems resynthesized with exact f0 labels."""

import tensorflow_datasets as tfds

from tfds_builders import real_audio

ZENODO = 'https://zenodo.org/records/1481172'
LAYOUT = ('audio_stems', 'annotation_stems')
RESYN = '.RESYN'


def read_f0_csv(path):
  """Reads an annotation_stems CSV: rows `time_s,f0_hz`, no header, 0 = unvoiced.

  Returns:
    real_audio.F0Track on the dataset's grid (128 samples at 44.1 kHz, 2.9 ms).
  """
  table = real_audio.load_label_table(path, 2, delimiter=',')
  return real_audio.f0_track(table[:, 0], table[:, 1], path)


def find_tracks(root):
  """Tracks of `root` (the MDB-stem-synth folder), sorted by name.

  The track id is the stem name without `.RESYN` (as mirdata names it); the
  split group is the MedleyDB song (`Artist_Title`, before `_STEM_`), so
  stems of one song never straddle two splits.
  """
  tracks = []
  for audio_path in real_audio.visible_files(root / 'audio_stems', f'*{RESYN}.wav'):
    stem = audio_path.name[:-len('.wav')]                 # X_STEM_08.RESYN
    track_id = stem[:-len(RESYN)]                         # X_STEM_08
    tracks.append(real_audio.Track(
        track_id=track_id,
        audio_path=audio_path,
        group=track_id.split('_STEM_')[0],
        label_path=root / 'annotation_stems' / f'{stem}.csv'))
  return tracks


def read_track(track):
  """(16 kHz mono audio, F0Track) of one stem; UserError if unusable."""
  return real_audio.read_audio(track.audio_path), read_f0_csv(track.label_path)


class Builder(tfds.core.GeneratorBasedBuilder):
  """DatasetBuilder for MDB-stem-synth (Salamon et al., ISMIR 2017)."""

  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  BUILDER_CONFIGS = real_audio.hop_configs()
  MANUAL_DOWNLOAD_INSTRUCTIONS = f"""\
Download MDB-stem-synth.tar.gz (CC BY-NC 4.0, non-commercial) from
{ZENODO} and unpack it into the manual folder:
  tar -xzf MDB-stem-synth.tar.gz -C <manual_dir>
so that these exist:
  <manual_dir>/MDB-stem-synth/audio_stems/<name>.RESYN.wav
  <manual_dir>/MDB-stem-synth/annotation_stems/<name>.RESYN.csv
(<manual_dir>/audio_stems/... without the MDB-stem-synth level also works.)
Then: tfds build mdb_stem_synth --imports tfds_builders --manual_dir=<manual_dir>
"""

  def _info(self) -> tfds.core.DatasetInfo:
    return self.dataset_info_from_configs(
        features=real_audio.example_features(), homepage=ZENODO)

  def _split_generators(self, dl_manager):
    folder = real_audio.manual_dir(dl_manager, self.name)
    root = real_audio.find_root(folder, ['MDB-stem-synth', '.'], LAYOUT, self.name,
                                self.MANUAL_DOWNLOAD_INSTRUCTIONS)
    tracks = real_audio.require_files(
        find_tracks(root), root / 'audio_stems', f'*{RESYN}.wav', self.name,
        self.MANUAL_DOWNLOAD_INSTRUCTIONS)
    return real_audio.split_generators(self, tracks)

  def _generate_examples(self, tracks, split):
    return real_audio.generate_examples(tracks, read_track, self.builder_config.hop_s,
                                        self.skip_log, split)
