"""MIR-1K: 1000 karaoke clips (voice right, accompaniment left) with pitch labels."""

import dataclasses
import functools
from typing import Optional

import numpy as np
import tensorflow_datasets as tfds

from tfds_builders import real_audio

HOMEPAGE = 'http://mirlab.org/dataset/public/'
LAYOUT = ('Wavfile', 'PitchLabel')
VOICE_CHANNEL = 1  # right; the left channel is the accompaniment
# PitchLabel/*.pv: one value per 40-ms frame with a 20-ms hop; value k
# describes the frame centred at (k + 1) * 20 ms (the frame spanning
# k * 20 ms .. k * 20 ms + 40 ms), as mirdata's mir_1k loader times it.
LABEL_HOP_S = 0.02
FIRST_LABEL_S = 0.02


def pv_times_s(n_frames):
  """float64 [n_frames]: the time each .pv value describes, s."""
  return FIRST_LABEL_S + LABEL_HOP_S * np.arange(n_frames)


def semitones_to_hz(semitones):
  """MIDI semitones (A4 = 69) -> Hz; 0 (unvoiced) stays 0."""
  semitones = np.asarray(semitones, np.float64)
  return np.where(semitones > 0, 440.0 * 2.0 ** ((semitones - 69.0) / 12.0), 0.0)


def read_pv(path):
  """Reads a PitchLabel .pv file (one semitone value per line, 0 = unvoiced)."""
  semitones = real_audio.load_label_table(path, 1)[:, 0]
  return real_audio.f0_track(pv_times_s(len(semitones)), semitones_to_hz(semitones), path)


def find_tracks(root):
  """Clips `<singer>_<song>_<clip>.wav` of `root` (the MIR-1K folder), sorted.

  Split group = the singer (file-name prefix), so no singer is in two splits.
  """
  tracks = []
  for audio_path in real_audio.visible_files(root / 'Wavfile', '*.wav'):
    clip = audio_path.stem
    singer = clip.split('_')[0]
    tracks.append(real_audio.Track(
        track_id=clip, audio_path=audio_path, group=singer,
        label_path=root / 'PitchLabel' / f'{clip}.pv',
        metadata={'singer': singer}))
  return tracks


def read_track(track, channel):
  """(16 kHz mono audio of `channel` (None = mix), F0Track); UserError if unusable."""
  return real_audio.read_audio(track.audio_path, channel), read_pv(track.label_path)


@dataclasses.dataclass(eq=False)
class Mir1kConfig(real_audio.WindowConfig):
  """Adds the channel: VOICE_CHANNEL, or None for the mix of both channels."""
  channel: Optional[int] = VOICE_CHANNEL


def _configs():
  voice = 'Singing voice alone (right channel); '
  mix = 'Mix of voice and accompaniment (mean of both channels); '
  return [
      Mir1kConfig(name='voice', hop_s=1.0, channel=VOICE_CHANNEL,
                  description=voice + '4-s windows every 1 s.'),
      Mir1kConfig(name='mix', hop_s=1.0, channel=None,
                  description=mix + '4-s windows every 1 s.'),
      Mir1kConfig(name='voice_hop_4s', hop_s=4.0, channel=VOICE_CHANNEL,
                  description=voice + '4-s windows every 4 s (no overlap).'),
      Mir1kConfig(name='mix_hop_4s', hop_s=4.0, channel=None,
                  description=mix + '4-s windows every 4 s (no overlap).'),
  ]


class Builder(tfds.core.GeneratorBasedBuilder):
  """DatasetBuilder for MIR-1K (Hsu and Jang, 2010)."""

  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  BUILDER_CONFIGS = _configs()
  DEFAULT_BUILDER_CONFIG_NAME = 'voice'
  MANUAL_DOWNLOAD_INSTRUCTIONS = f"""\
Download MIR-1K.zip from {HOMEPAGE} (MIR Lab, National Taiwan University;
no licence is stated: research use) and unzip it into the manual folder:
  unzip MIR-1K.zip -d <manual_dir>
so that these exist:
  <manual_dir>/MIR-1K/Wavfile/<singer>_<song>_<clip>.wav   (16 kHz stereo)
  <manual_dir>/MIR-1K/PitchLabel/<singer>_<song>_<clip>.pv
(<manual_dir>/Wavfile/... without the MIR-1K level also works.)
Then: tfds build mir1k --imports tfds_builders --manual_dir=<manual_dir>
"""

  def _info(self) -> tfds.core.DatasetInfo:
    return self.dataset_info_from_configs(
        features=real_audio.example_features(
            singer=tfds.features.Text(doc='Singer id (the file-name prefix).')),
        homepage=HOMEPAGE)

  def _split_generators(self, dl_manager):
    folder = real_audio.manual_dir(dl_manager, self.name)
    root = real_audio.find_root(folder, ['MIR-1K', '.'], LAYOUT, self.name,
                                self.MANUAL_DOWNLOAD_INSTRUCTIONS)
    tracks = real_audio.require_files(find_tracks(root), root / 'Wavfile', '*.wav',
                                      self.name, self.MANUAL_DOWNLOAD_INSTRUCTIONS)
    return real_audio.split_generators(self, tracks)

  def _generate_examples(self, tracks, split):
    read = functools.partial(read_track, channel=self.builder_config.channel)
    return real_audio.generate_examples(tracks, read, self.builder_config.hop_s,
                                        self.skip_log, split)
