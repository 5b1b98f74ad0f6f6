#!/bin/sh
# Renders the labelled sets the rules of this experiment read, into DATA
# (default /work/data, outside the repository), on a fresh machine:
#   sh experiments/default_model_v6_grid/render_sets.sh
# Needs Debian's fluidsynth, fluid-soundfont-gm, timgm6mb-soundfont and
# musescore-general-soundfont-small, and for the speech set (session 11)
# festival and the voices tools/render_speech.py names. Every set is seeded; a set already there
# is kept. About 10 minutes, most of it MuseScore's compressed samples.
set -e
DATA=${DATA:-/work/data}; B=.venv/bin
melodies() {  # NAME SEED [SOUNDFONT]
  [ -f "$DATA/$1/manifest.csv" ] && return 0
  $B/python tools/render_melodies.py --labels --minutes 16 --seed "$2" \
    --min-seconds 8 --max-seconds 15 ${3:+--soundfont "$3"} --out "$DATA/$1"
}
notes() {  # NAME SET
  [ -d "$DATA/$1" ] && return 0
  $B/python experiments/default_model_v2/render_test_notes.py "$DATA/$1" \
    --set "$2" --count 64
}
melodies selection_melodies 1800
melodies selection_timgm 1900 /usr/share/sounds/sf2/TimGM6mb.sf2
melodies selection_musescore 2000 /usr/share/sounds/sf3/MuseScore_General_Lite.sf3
notes wide_small_test wide_small
notes speech_small_test speech_small
[ -f "$DATA/speech_festival/manifest.csv" ] || \
  $B/python tools/render_speech.py --minutes 10 --seed 2100 --out "$DATA/speech_festival"
echo "labelled sets in $DATA"
