#!/bin/sh
# Trains the arms one after another (resumable: run it again to go on).
#   sh experiments/robust_phase_probe/run.sh
# Each arm's recipe holds rebuild_seed2's pitch phase; when that run's finished
# phase is on this machine it is copied in, so only the 800-step robust phase
# trains (about 9 minutes alone); otherwise the recipe trains the pitch phase too.
set -e
for arm in control no_second_voice no_reverb mild_rooms time_reversed; do
  d=runs/robust_probe_$arm
  mkdir -p "$d/phases"
  if [ ! -d "$d/phases/0_pitch" ] && [ -d runs/rebuild_seed2/phases/0_pitch ]; then
    cp -r runs/rebuild_seed2/phases/0_pitch "$d/phases/"
  fi
  .venv/bin/pitchfit train "experiments/robust_phase_probe/recipe_$arm.yaml" \
    --save-dir "$d" > "runs/robust_probe_$arm.log" 2>&1
done
