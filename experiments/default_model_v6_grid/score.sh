#!/bin/sh
# Scores a candidate for parts (a)-(d) of selection_rule.md.
#   experiments/default_model_v6_grid/score.sh TAG SAVE_DIR [OUT_DIR]
# Exports SAVE_DIR/model.npz to OUT_DIR/TAG.tflite and runs
# tools/octave_report.py on the three labelled sets rendered by
# tools/render_melodies (selection melodies, wide_small_test,
# speech_small_test; never eval-data) and the melodies played by two other
# soundfonts (selection_timgm, selection_musescore: part (s) of the session-10
# rules) and, when rendered, Festival's speech (speech_festival, session 11),
# writing OUT_DIR/TAG_{set}.json.
# With ROOMS=1, also the melodies and speech-like notes in the benchmark's
# synthetic rooms (TAG_{selection,speech}_rooms.json, for part (r)).
# Then: judge.py TAG --dir OUT_DIR [--against INCUMBENT].
set -e
TAG=$1; RUN=$2; OUT=${3:-/work/runs3/v6}; DATA=${DATA:-/work/data}
B=.venv/bin
mkdir -p "$OUT"
# RUN is a save dir, or the shipped LiteRT file for the incumbent
# (score.sh v5 pitchfit/assets/default_model.tflite), scored as shipped.
# With RADIUS=r, a save dir's model is read out over r bins each side of the
# peak (tools/set_readout_radius.py), as the rules since session 11 ask.
case "$RUN" in
  *.tflite) cp "$RUN" "$OUT/$TAG.tflite" ;;
  *) MODEL="$RUN/model.npz"
     if [ -n "${RADIUS:-}" ]; then
       $B/python tools/set_readout_radius.py "$MODEL" "$OUT/$TAG.npz" --radius "$RADIUS"
       MODEL="$OUT/$TAG.npz"
     fi
     $B/pitchfit export "$MODEL" "$OUT/$TAG.tflite" --batch-size 1 ;;
esac
for s in selection:selection_melodies wide:wide_small_test speech:speech_small_test \
         timgm:selection_timgm musescore:selection_musescore; do
  k=${s%%:*}; d=${s#*:}
  $B/python tools/octave_report.py "$DATA/$d" --model "$OUT/$TAG.tflite" \
    --json "$OUT/${TAG}_$k.json" --quiet > "$OUT/${TAG}_$k.txt" 2>&1
done
if [ -f "$DATA/speech_festival/manifest.csv" ]; then
  $B/python tools/octave_report.py "$DATA/speech_festival" --model "$OUT/$TAG.tflite" \
    --variants clean,reverb --json "$OUT/${TAG}_festival.json" --quiet \
    > "$OUT/${TAG}_festival.txt" 2>&1
fi
if [ "${ROOMS:-0}" = 1 ]; then
  for s in selection:selection_melodies speech:speech_small_test; do
    k=${s%%:*}; d=${s#*:}
    $B/python tools/octave_report.py "$DATA/$d" --model "$OUT/$TAG.tflite" \
      --variants clean,reverb --json "$OUT/${TAG}_${k}_rooms.json" --quiet \
      > "$OUT/${TAG}_${k}_rooms.txt" 2>&1
  done
fi
echo "scored $TAG in $OUT"
